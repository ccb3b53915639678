// Realm isolation: events, meta events, calls, registrations and session lists
// never cross realms, even for identical URIs.
#include "support/router_fixture.hpp"

namespace nexus::test {
namespace {

using wamp::Value;

router::RouterConfig two_realms() {
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.enable_meta_kill = true;
    config.realms.push_back(realm);
    realm.uri = "realm2";
    config.realms.push_back(realm);
    return config;
}

class Isolation : public RouterFixture {
protected:
    Isolation() : RouterFixture(two_realms()) {}
};

TEST_F(Isolation, NothingCrossesRealms) {
    TestClient& a = joined("realm1");
    TestClient& b = joined("realm2");
    // b listens to everything it could hear from realm1.
    for (const char* t : {"com.shared", "wamp.session.on_join", "wamp.session.on_leave",
                          "wamp.subscription.on_create", "wamp.registration.on_create"})
        b.send(wamp::Subscribe{b.next_request(), {}, t});
    for (int i = 0; i < 5; ++i)
        b.expect<wamp::Subscribed>();

    a.send(wamp::Subscribe{a.next_request(), {}, "com.other"});
    a.expect<wamp::Subscribed>();
    a.send(wamp::Register{a.next_request(), {}, "com.shared.proc"});
    a.expect<wamp::Registered>();
    a.send(wamp::Publish{a.next_request(), {{"exclude_me", false}}, "com.shared", {}});
    TestClient& late = joined("realm1");
    late.drop();
    EXPECT_TRUE(b.nothing_for(200ms));

    // Same procedure name, other realm: not found.
    b.send(wamp::Call{b.next_request(), {}, "com.shared.proc", {}});
    EXPECT_EQ(b.expect<wamp::Error>().error, wamp::errors::no_such_procedure);
    // b may register the same URI in its own realm.
    b.send(wamp::Register{b.next_request(), {}, "com.shared.proc"});
    b.expect<wamp::Registered>(); // (no on_create for b: it caused that one itself)

    // Session lists and lookups only see their own realm.
    b.send(wamp::Call{b.next_request(), {}, "wamp.session.list", {}});
    EXPECT_EQ(b.expect<wamp::Result>().payload.args().at(0),
              Value(wamp::Array{Value(b.session())}));
    b.send(wamp::Call{
        b.next_request(), {}, "wamp.session.get", wamp::Payload(wamp::Array{Value(a.session())})});
    EXPECT_EQ(b.expect<wamp::Error>().error, wamp::errors::no_such_session);
    b.send(wamp::Call{
        b.next_request(), {}, "wamp.session.kill", wamp::Payload(wamp::Array{Value(a.session())})});
    EXPECT_EQ(b.expect<wamp::Error>().error, wamp::errors::no_such_session);
    EXPECT_TRUE(a.nothing_for());
    b.send(wamp::Call{b.next_request(),
                      {},
                      "wamp.subscription.lookup",
                      wamp::Payload(wamp::Array{Value("com.other")})});
    EXPECT_TRUE(b.expect<wamp::Result>().payload.args().at(0).is_null());
}

} // namespace
} // namespace nexus::test
