// Configured limits (sessions per realm and in total, calls in flight,
// subscriptions and registrations per session): each answers with
// nexus.error.limit_exceeded, and the router keeps serving.
#include "support/router_fixture.hpp"

namespace nexus::test {
namespace {

using wamp::Value;

router::RouterConfig limits_config() {
    router::RouterConfig config;
    config.max_sessions = 5;
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.max_sessions = 3;
    realm.max_pending_calls_per_session = 2;
    realm.max_subscriptions_per_session = 2;
    realm.max_registrations_per_session = 1;
    config.realms.push_back(realm);
    realm.uri = "realm2";
    realm.max_sessions = 0;
    config.realms.push_back(realm);
    return config;
}

class Limits : public RouterFixture {
protected:
    Limits() : RouterFixture(limits_config()) {}

    wamp::Abort refused_hello(const std::string& realm) {
        TestClient& c = client();
        wamp::Hello h;
        h.realm = realm;
        h.details = {{"roles", wamp::Object{{"caller", wamp::Object{}}}}};
        c.send(std::move(h));
        return c.expect<wamp::Abort>();
    }
};

TEST_F(Limits, SessionsPerRealmAndInTotal) {
    TestClient& first = joined();
    joined();
    joined();
    EXPECT_EQ(refused_hello("realm1").reason, wamp::errors::limit_exceeded);
    joined("realm2");
    joined("realm2");
    EXPECT_EQ(refused_hello("realm2").reason, wamp::errors::limit_exceeded); // 5 in total
    first.send(wamp::Goodbye{{}, "wamp.close.normal"});
    first.expect<wamp::Goodbye>();
    joined("realm2"); // a slot freed
}

TEST_F(Limits, RouterWideLimitIsExactUnderConcurrentJoins) {
    // HELLOs to both realms at once: exactly max_sessions (5) are welcomed.
    std::vector<TestClient*> clients;
    for (int i = 0; i < 16; ++i) {
        TestClient& c = client();
        c.send(TestClient::hello(i % 4 == 0 ? "realm1" : "realm2"));
        clients.push_back(&c);
    }
    int welcomed = 0, refused = 0;
    for (TestClient* c : clients) {
        auto m = c->next();
        ASSERT_TRUE(m);
        if (std::holds_alternative<wamp::Welcome>(*m)) ++welcomed;
        if (auto* a = std::get_if<wamp::Abort>(&*m)) {
            EXPECT_EQ(a->reason, wamp::errors::limit_exceeded);
            ++refused;
        }
    }
    EXPECT_EQ(welcomed, 5);
    EXPECT_EQ(refused, 11);
    EXPECT_EQ(router().session_count(), 5u);
}

TEST_F(Limits, CallsInFlight) {
    TestClient& callee = joined();
    callee.send(wamp::Register{callee.next_request(), {}, "com.slow"});
    callee.expect<wamp::Registered>();
    TestClient& caller = joined();
    for (int i = 0; i < 3; ++i)
        caller.send(wamp::Call{caller.next_request(), {}, "com.slow", {}});
    auto inv1 = callee.expect<wamp::Invocation>();
    callee.expect<wamp::Invocation>();
    auto e = caller.expect<wamp::Error>();
    EXPECT_EQ(e.error, wamp::errors::limit_exceeded);
    EXPECT_EQ(e.request, 3u);
    callee.send(wamp::Yield{inv1.request, {}, {}});
    caller.expect<wamp::Result>();
    caller.send(wamp::Call{caller.next_request(), {}, "com.slow", {}}); // room again
    callee.expect<wamp::Invocation>();
}

TEST_F(Limits, SubscriptionsAndRegistrationsPerSession) {
    TestClient& c = joined();
    c.send(wamp::Subscribe{c.next_request(), {}, "com.a"});
    c.expect<wamp::Subscribed>();
    c.send(wamp::Subscribe{c.next_request(), {}, "com.b"});
    c.expect<wamp::Subscribed>();
    c.send(wamp::Subscribe{c.next_request(), {}, "com.c"});
    EXPECT_EQ(c.expect<wamp::Error>().error, wamp::errors::limit_exceeded);
    c.send(wamp::Register{c.next_request(), {}, "com.p1"});
    c.expect<wamp::Registered>();
    c.send(wamp::Register{c.next_request(), {}, "com.p2"});
    EXPECT_EQ(c.expect<wamp::Error>().error, wamp::errors::limit_exceeded);
    // Another session is not affected.
    TestClient& d = joined();
    d.send(wamp::Register{d.next_request(), {}, "com.p2"});
    d.expect<wamp::Registered>();
}

} // namespace
} // namespace nexus::test
