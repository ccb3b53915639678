// Fault tests (issue #8), authentication: clients that vanish (TCP reset)
// while the router waits for their AUTHENTICATE, or right after sending it.
// Their pending authentication is dropped at once (not when the auth
// deadline expires), its deadline timer never fires for the dead connection,
// no session is left behind, and the router keeps authenticating others.
#include "support/auth_helpers.hpp"
#include "support/net_fault.hpp"

#include <mutex>

namespace nexus::test {
namespace {

using wamp::Value;

struct Log {
    std::mutex mutex;
    std::vector<std::string> lines;
    bool contains(std::string_view text) {
        std::lock_guard lock(mutex);
        return std::any_of(lines.begin(), lines.end(),
                           [&](const std::string& l) { return l.find(text) != l.npos; });
    }
};

NetRouter::Options auth_options(std::shared_ptr<Log> log, std::chrono::milliseconds timeout) {
    NetRouter::Options o = NetRouter::defaults();
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.anonymous_auth = false;
    realm.auth_timeout = timeout;
    realm.principals = {{"joe", "user", std::string("joe-ticket"), std::nullopt, {}},
                        {"peter",
                         "user",
                         std::nullopt,
                         router::CraSecret{"peter-secret", std::nullopt, 1000, 32},
                         {}}};
    o.router.realms = {realm};
    // The meta API checks run in realm2, which lets anyone in.
    realm = {};
    realm.uri = "realm2";
    o.router.realms.push_back(realm);
    o.router.logger = [log](router::RouterLogLevel, std::string_view line) {
        std::lock_guard lock(log->mutex);
        log->lines.emplace_back(line);
    };
    return o;
}

wamp::Hello auth_hello(const std::string& method, const std::string& authid) {
    return hello_with_roles("realm1", {},
                            {{"authmethods", wamp::Array{Value(method)}}, {"authid", authid}});
}

class FaultAuth : public ::testing::Test {
protected:
    // A 10 s deadline: whatever is cleaned up within the test's few seconds
    // was cleaned up by the disconnect, not by the deadline.
    explicit FaultAuth(std::chrono::milliseconds timeout = std::chrono::seconds(10))
        : net_(auth_options(log_, timeout)), baseline_fds_(open_fds()) {}

    // A fresh client authenticates fully (ticket), and no session but its own is in the realm.
    void expect_clean_router() {
        EXPECT_TRUE(eventually([&] { return open_fds() == baseline_fds_; }, 2s))
            << open_fds() << " descriptors open, " << baseline_fds_ << " at the start";
        EXPECT_EQ(net_.router().session_count(), 0u);
        RawClient fresh(net_.raw_port());
        ASSERT_TRUE(fresh.handshake());
        fresh.send(auth_hello("ticket", "joe"));
        EXPECT_EQ(fresh.expect<wamp::Challenge>().authmethod, "ticket");
        fresh.send(wamp::Authenticate{"joe-ticket", {}});
        EXPECT_EQ(fresh.expect<wamp::Welcome>().details.at("authid"), Value("joe"));
        EXPECT_EQ(net_.router().session_count(), 1u);
        EXPECT_EQ(net_.meta_session_count("realm2"), 1);
    }

    std::shared_ptr<Log> log_ = std::make_shared<Log>();
    NetRouter net_;
    const int baseline_fds_;
};

TEST_F(FaultAuth, ClientVanishesDuringTicketChallenge) {
    for (int i = 0; i < 20; ++i) {
        RawClient c(net_.raw_port());
        ASSERT_TRUE(c.handshake());
        c.send(auth_hello("ticket", "joe"));
        ASSERT_EQ(c.expect<wamp::Challenge>().authmethod, "ticket");
        c.hard_close();
    }
    expect_clean_router();
}

TEST_F(FaultAuth, ClientVanishesDuringWampcraChallenge) {
    for (int i = 0; i < 20; ++i) {
        RawClient c(net_.raw_port());
        ASSERT_TRUE(c.handshake());
        c.send(auth_hello("wampcra", "peter"));
        auto challenge = c.expect<wamp::Challenge>();
        ASSERT_EQ(challenge.authmethod, "wampcra");
        ASSERT_TRUE(challenge.extra.contains("challenge"));
        c.hard_close();
    }
    expect_clean_router();
}

TEST_F(FaultAuth, ClientVanishesDuringChallengeOverWebSocket) {
    for (int i = 0; i < 5; ++i) {
        WsClient c(net_.ws_port());
        ASSERT_TRUE(c.upgrade());
        c.send(auth_hello("wampcra", "peter"));
        c.expect<wamp::Challenge>();
        c.hard_close();
    }
    expect_clean_router();
}

// The AUTHENTICATE (a correct one) and the reset leave together: the router
// may admit the session after its transport is gone, and must then drop it.
TEST_F(FaultAuth, ClientVanishesRightAfterAuthenticate) {
    for (int i = 0; i < 200; ++i) {
        RawClient c(net_.raw_port());
        ASSERT_TRUE(c.handshake());
        c.send(auth_hello(i % 2 ? "ticket" : "wampcra", i % 2 ? "joe" : "peter"));
        auto challenge = c.expect<wamp::Challenge>();
        c.send(wamp::Authenticate{
            i % 2 ? std::string("joe-ticket")
                  : cra_sign("peter-secret", challenge.extra.at("challenge").as_string()),
            {}});
        c.hard_close();
    }
    EXPECT_TRUE(eventually([&] { return net_.router().session_count() == 0; }, 2s))
        << net_.router().session_count() << " sessions left";
    expect_clean_router();
}

class FaultAuthShortDeadline : public FaultAuth {
protected:
    FaultAuthShortDeadline() : FaultAuth(std::chrono::milliseconds(300)) {}
};

// The deadline of an authentication whose client is gone never fires: no
// "authentication timed out" for it, while a client that stays silent does
// time out (the timer itself works).
TEST_F(FaultAuthShortDeadline, DeadlineOfAVanishedClientNeverFires) {
    {
        RawClient c(net_.raw_port());
        ASSERT_TRUE(c.handshake());
        c.send(auth_hello("ticket", "joe"));
        c.expect<wamp::Challenge>();
        c.hard_close();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    EXPECT_FALSE(log_->contains("authentication timed out"));

    RawClient silent(net_.raw_port());
    ASSERT_TRUE(silent.handshake());
    silent.send(auth_hello("ticket", "joe"));
    silent.expect<wamp::Challenge>();
    auto abort = silent.expect<wamp::Abort>(std::chrono::seconds(2));
    EXPECT_EQ(abort.reason, wamp::errors::authentication_failed);
    EXPECT_TRUE(silent.closed_by_peer());
    EXPECT_TRUE(log_->contains("authentication timed out"));
    silent.close();
    expect_clean_router();
}

} // namespace
} // namespace nexus::test
