// Failed-authentication throttling (router/auth/throttle.hpp): an address
// that keeps failing is locked out for a while, an authid that keeps failing
// answers late, and neither locks a legitimate user out from elsewhere.
#include "router/auth/throttle.hpp"

#include "support/fake_peer.hpp"

#include <nexus/wamp/uris.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <thread>

namespace nexus::test {
namespace {

using namespace std::chrono_literals;
using router::AuthThrottle;
using Clock = AuthThrottle::Clock;

router::AuthThrottleConfig quick_config() {
    router::AuthThrottleConfig c;
    c.free_failures_per_address = 3;
    c.free_failures_per_authid = 5;
    c.base_delay = 100ms;
    c.address_lockout_max = 400ms;
    c.authid_delay_max = 300ms;
    c.forget_after = 10s;
    return c;
}

TEST(AuthThrottleRules, AddressOfDropsThePortOnly) {
    EXPECT_EQ(AuthThrottle::address_of("tcp4:10.1.2.3:5123"), "tcp4:10.1.2.3");
    EXPECT_EQ(AuthThrottle::address_of("tcp6:[2001:db8::1]:443"), "tcp6:[2001:db8::1]");
    EXPECT_EQ(AuthThrottle::address_of("unix:/run/nexus.sock"), "unix:/run/nexus.sock");
    EXPECT_EQ(AuthThrottle::address_of("local"), "local");
}

TEST(AuthThrottleRules, AnAddressIsLockedOutAfterItsFreeFailuresWithDoublingLockouts) {
    AuthThrottle t(quick_config());
    const auto t0 = Clock::now();
    EXPECT_FALSE(t.failed("a", "realm1", "joe", t0).address_locked);
    EXPECT_FALSE(t.failed("a", "realm1", "joe", t0).address_locked);
    EXPECT_FALSE(t.locked_out("a", t0));
    auto third = t.failed("a", "realm1", "joe", t0);
    EXPECT_TRUE(third.address_locked);
    EXPECT_EQ(third.lockout, Clock::duration(100ms));
    EXPECT_TRUE(t.locked_out("a", t0 + 50ms));
    EXPECT_FALSE(t.locked_out("b", t0 + 50ms)); // another address is not affected
    EXPECT_FALSE(t.locked_out("a", t0 + 100ms));
    EXPECT_EQ(t.failed("a", "realm1", "joe", t0 + 100ms).lockout, Clock::duration(200ms));
    EXPECT_EQ(t.failed("a", "realm1", "joe", t0 + 300ms).lockout, Clock::duration(400ms));
    EXPECT_EQ(t.failed("a", "realm1", "joe", t0 + 700ms).lockout, Clock::duration(400ms)); // cap
    EXPECT_EQ(t.refused(), 1u);
    // A success from the address clears it.
    t.succeeded("a");
    EXPECT_FALSE(t.locked_out("a", t0 + 800ms));
    EXPECT_FALSE(t.failed("a", "realm1", "joe", t0 + 800ms).address_locked);
}

TEST(AuthThrottleRules, AnAuthidFailingFromManyAddressesAnswersLateButIsNeverLockedOut) {
    AuthThrottle t(quick_config());
    const auto t0 = Clock::now();
    for (int i = 0; i < 4; ++i)
        EXPECT_FALSE(t.failed("addr" + std::to_string(i), "realm1", "joe", t0).authid_throttled);
    EXPECT_EQ(t.authid_delay("realm1", "joe", t0), Clock::duration::zero());
    EXPECT_TRUE(t.failed("addr4", "realm1", "joe", t0).authid_throttled);
    EXPECT_EQ(t.authid_delay("realm1", "joe", t0), Clock::duration(100ms));
    t.failed("addr5", "realm1", "joe", t0);
    EXPECT_EQ(t.authid_delay("realm1", "joe", t0), Clock::duration(200ms));
    t.failed("addr6", "realm1", "joe", t0);
    EXPECT_EQ(t.authid_delay("realm1", "joe", t0), Clock::duration(300ms)); // cap
    // Other authids and realms are unaffected, and a success does not reset it.
    EXPECT_EQ(t.authid_delay("realm1", "ann", t0), Clock::duration::zero());
    EXPECT_EQ(t.authid_delay("realm2", "joe", t0), Clock::duration::zero());
    t.succeeded("addr9");
    EXPECT_GT(t.authid_delay("realm1", "joe", t0), Clock::duration::zero());
    // Forgotten after forget_after without failures.
    EXPECT_EQ(t.authid_delay("realm1", "joe", t0 + 11s), Clock::duration::zero());
}

TEST(AuthThrottleRules, DisabledThrottlesNothing) {
    auto c = quick_config();
    c.enabled = false;
    AuthThrottle t(c);
    const auto t0 = Clock::now();
    for (int i = 0; i < 20; ++i)
        t.failed("a", "realm1", "joe", t0);
    EXPECT_FALSE(t.locked_out("a", t0));
    EXPECT_EQ(t.authid_delay("realm1", "joe", t0), Clock::duration::zero());
}

// Through the router: sessions over a transport of the test's own, so that
// each can come from the address the test picks.
class AuthThrottling : public ::testing::Test {
protected:
    AuthThrottling() : work_(io_.get_executor()) {
        router::RouterConfig config;
        config.auth_throttle = quick_config();
        config.logger = [this](router::RouterLogLevel, std::string_view line) {
            std::lock_guard lock(log_mutex_);
            log_.emplace_back(line);
        };
        router::RealmConfig realm;
        realm.uri = "realm1";
        router::Principal joe;
        joe.authid = "joe";
        joe.authrole = "user";
        joe.ticket = "right";
        realm.principals.push_back(joe);
        config.realms.push_back(realm);
        router_ = std::make_unique<router::Router>(io_.get_executor(), std::move(config));
        thread_ = std::thread([this] { io_.run(); });
    }
    ~AuthThrottling() override {
        router_.reset();
        work_.reset();
        thread_.join();
    }

    // One HELLO/AUTHENTICATE from `address`: the WELCOME's session or 0, and
    // the ABORT's message when refused.
    std::pair<wamp::Id, std::string> attempt(const std::string& address,
                                             const std::string& ticket) {
        FakePeer peer(*router_, router::TransportInfo{.type = "rawsocket",
                                                      .protocol = "wamp.2.json",
                                                      .peer = "tcp4:" + address + ":40000"});
        wamp::Hello hello;
        hello.realm = "realm1";
        hello.details = {{"roles", wamp::Object{{"caller", wamp::Object{}}}},
                         {"authmethods", wamp::Value{"ticket"}},
                         {"authid", "joe"}};
        peer.send(std::move(hello));
        auto m = peer.next();
        if (m && std::holds_alternative<wamp::Challenge>(*m)) {
            peer.send(wamp::Authenticate{ticket, {}});
            m = peer.next();
        }
        if (m && std::holds_alternative<wamp::Welcome>(*m))
            return {std::get<wamp::Welcome>(*m).session, ""};
        if (m && std::holds_alternative<wamp::Abort>(*m)) {
            const auto& abort = std::get<wamp::Abort>(*m);
            EXPECT_EQ(abort.reason, wamp::errors::authentication_failed);
            auto it = abort.details.find("message");
            return {0, it != abort.details.end() ? it->second.as_string() : ""};
        }
        ADD_FAILURE() << "no answer";
        return {0, ""};
    }

    bool logged(std::string_view text) {
        std::lock_guard lock(log_mutex_);
        for (const auto& line : log_)
            if (line.find(text) != std::string::npos) return true;
        return false;
    }

    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::unique_ptr<router::Router> router_;
    std::thread thread_;
    std::mutex log_mutex_;
    std::vector<std::string> log_;
};

TEST_F(AuthThrottling, GuessingFromOneAddressLocksItOutButNotTheRealUserElsewhere) {
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(attempt("10.0.0.66", "wrong" + std::to_string(i)).first, 0u);
    EXPECT_TRUE(logged("authentication from tcp4:10.0.0.66 locked out"));
    // Locked out: even the right ticket is refused at HELLO, without a challenge.
    auto refused = attempt("10.0.0.66", "right");
    EXPECT_EQ(refused.first, 0u);
    EXPECT_NE(refused.second.find("too many failed authentication attempts"), std::string::npos);
    // The real user, from another address, gets in.
    EXPECT_NE(attempt("10.0.0.7", "right").first, 0u);
    // After the lockout the attacker's address may try again.
    std::this_thread::sleep_for(150ms);
    EXPECT_NE(attempt("10.0.0.66", "right").first, 0u);
}

TEST_F(AuthThrottling, GuessingFromManyAddressesSlowsTheAuthidButTheRightTicketStillWorks) {
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(attempt("10.0.1." + std::to_string(i), "wrong").first, 0u);
    EXPECT_TRUE(logged("authid \"joe\" failed repeatedly"));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_NE(attempt("10.0.0.7", "right").first, 0u);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms); // held back, not refused
}

} // namespace
} // namespace nexus::test
