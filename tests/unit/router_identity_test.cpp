// Identities a client cannot claim, and disclosure that obeys the realm:
// an anonymous session's authid is the router's, and every way of asking for
// an identity to be disclosed (disclose_me on CALL and PUBLISH,
// disclose_caller on REGISTER) is refused where allow_disclose is false,
// unless the session's role may ask.
#include "support/router_fixture.hpp"

namespace nexus::test {
namespace {

using wamp::Object;
using wamp::Value;

TEST_F(RouterFixture, AnAnonymousSessionCannotClaimAnAuthid) {
    TestClient& bea = client();
    bea.send(TestClient::hello("realm1", {{"authid", "bea"}, {"authrole", "buser"}}));
    auto welcome = bea.expect<wamp::Welcome>();
    EXPECT_NE(welcome.details.at("authid"), Value("bea"));
    EXPECT_EQ(welcome.details.at("authid"), Value(std::to_string(welcome.session)));
    EXPECT_EQ(welcome.details.at("authrole"), Value("anonymous"));

    // Neither eligible_authid nor caller disclosure sees the claimed name.
    TestClient& other = joined();
    bea.send(wamp::Subscribe{bea.next_request(), {}, "com.news"});
    bea.expect<wamp::Subscribed>();
    other.send(
        wamp::Publish{other.next_request(), {{"eligible_authid", Value{"bea"}}}, "com.news", {}});
    EXPECT_TRUE(bea.nothing_for());
    other.send(wamp::Register{other.next_request(), {{"disclose_caller", true}}, "com.who"});
    other.expect<wamp::Registered>();
    bea.send(wamp::Call{bea.next_request(), {}, "com.who", {}});
    auto inv = other.expect<wamp::Invocation>();
    EXPECT_EQ(inv.details.at("caller_authid"), welcome.details.at("authid"));

    // The meta API tells the assigned authid too.
    other.send(wamp::Call{other.next_request(),
                          {},
                          "wamp.session.get",
                          wamp::Payload(wamp::Array{Value(welcome.session)})});
    auto got = other.expect<wamp::Result>().payload.args().at(0).as_object();
    EXPECT_EQ(got.at("authid"), welcome.details.at("authid"));
}

router::RouterConfig no_disclosure_config() {
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.allow_disclose = false;
    router::Permission everything;
    everything.match = wamp::MatchPolicy::prefix;
    everything.call = everything.register_ = everything.publish = everything.subscribe = true;
    router::RolePermissions anonymous{"anonymous", {everything}};
    router::RolePermissions auditor{"auditor", {everything}};
    auditor.allow_disclose = true;
    router::RolePermissions trusted{"trusted", {everything}};
    realm.roles = {anonymous, auditor, trusted};
    for (const char* role : {"auditor", "trusted"}) {
        router::Principal p;
        p.authid = role;
        p.authrole = role;
        p.ticket = std::string("ticket-") + role;
        realm.principals.push_back(p);
    }
    config.realms.push_back(realm);
    return config;
}

class NoDisclosure : public RouterFixture {
protected:
    NoDisclosure() : RouterFixture(no_disclosure_config()) {}
};

TEST_F(NoDisclosure, EveryWayOfAskingIsRefused) {
    TestClient& c = joined();
    c.send(wamp::Register{c.next_request(), {{"disclose_caller", true}}, "com.who"});
    EXPECT_EQ(c.expect<wamp::Error>().error, wamp::errors::option_disallowed_disclose_me);
    c.send(wamp::Register{c.next_request(), {}, "com.who"});
    c.expect<wamp::Registered>();
    TestClient& caller = joined();
    caller.send(wamp::Call{caller.next_request(), {{"disclose_me", true}}, "com.who", {}});
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::option_disallowed_disclose_me);
    caller.send(wamp::Publish{
        caller.next_request(), {{"disclose_me", true}, {"acknowledge", true}}, "com.news", {}});
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::option_disallowed_disclose_me);
    EXPECT_TRUE(c.nothing_for());
}

TEST_F(NoDisclosure, ARoleAllowedToAskAndTheTrustedRoleMay) {
    TestClient& caller = joined();
    for (const char* who : {"auditor", "trusted"}) {
        TestClient& callee = client();
        callee.join_with_ticket("realm1", who, std::string("ticket-") + who);
        const std::string procedure = std::string("com.audit.") + who;
        callee.send(wamp::Register{callee.next_request(), {{"disclose_caller", true}}, procedure});
        callee.expect<wamp::Registered>();
        caller.send(wamp::Call{caller.next_request(), {}, procedure, {}});
        auto inv = callee.expect<wamp::Invocation>();
        EXPECT_EQ(inv.details.at("caller"), Value(caller.session())) << who;
        callee.send(wamp::Yield{inv.request, {}, {}});
        caller.expect<wamp::Result>();
        // ...and it may disclose itself when it calls or publishes.
        callee.send(wamp::Publish{
            callee.next_request(), {{"disclose_me", true}, {"acknowledge", true}}, "com.news", {}});
        callee.expect<wamp::Published>();
    }
}

} // namespace
} // namespace nexus::test
