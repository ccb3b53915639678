// Registration and subscription revocation (spec advanced/
// rpc_registration_revocation.md, pubsub_subscription_revocation.md) through
// the meta procedures wamp.registration.remove / remove_callee and
// wamp.subscription.remove / remove_subscriber.
#include "support/router_fixture.hpp"

namespace nexus::test {
namespace {

using wamp::Array;
using wamp::Object;
using wamp::Value;

router::RouterConfig revoke_config(bool enabled) {
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.enable_meta_revoke = enabled;
    config.realms.push_back(realm);
    return config;
}

Object features_without(std::string_view feature) {
    Object f = TestClient::default_features();
    f.erase(std::string(feature));
    return f;
}

class Revocation : public RouterFixture {
protected:
    explicit Revocation(router::RouterConfig config = revoke_config(true))
        : RouterFixture(std::move(config)) {}

    static wamp::Message call(TestClient& c, const std::string& procedure, Array args,
                              Object kwargs = {}) {
        c.send(wamp::Call{
            c.next_request(), {}, procedure, wamp::Payload(std::move(args), std::move(kwargs))});
        auto m = c.next();
        EXPECT_TRUE(m.has_value());
        return m ? *m : wamp::Message{};
    }
    static Array result(TestClient& c, const std::string& procedure, Array args,
                        Object kwargs = {}) {
        auto m = call(c, procedure, std::move(args), std::move(kwargs));
        EXPECT_TRUE(std::holds_alternative<wamp::Result>(m)) << TestClient::describe(m);
        return std::holds_alternative<wamp::Result>(m) ? std::get<wamp::Result>(m).payload.args()
                                                       : Array{};
    }
    static std::string error(TestClient& c, const std::string& procedure, Array args) {
        auto m = call(c, procedure, std::move(args));
        EXPECT_TRUE(std::holds_alternative<wamp::Error>(m));
        return std::holds_alternative<wamp::Error>(m) ? std::get<wamp::Error>(m).error : "";
    }
    static wamp::Id register_(TestClient& c, const std::string& uri, Object options = {}) {
        c.send(wamp::Register{c.next_request(), std::move(options), uri});
        return c.expect<wamp::Registered>().registration;
    }
    static wamp::Id subscribe(TestClient& c, const std::string& uri) {
        c.send(wamp::Subscribe{c.next_request(), {}, uri});
        return c.expect<wamp::Subscribed>().subscription;
    }
};

TEST_F(Revocation, TheRouterAnnouncesBothFeatures) {
    TestClient& c = client();
    c.send(TestClient::hello("realm1"));
    auto w = c.expect<wamp::Welcome>();
    const auto& roles = w.details.at("roles").as_object();
    EXPECT_EQ(
        roles.at("dealer").as_object().at("features").as_object().at("registration_revocation"),
        Value(true));
    EXPECT_EQ(
        roles.at("broker").as_object().at("features").as_object().at("subscription_revocation"),
        Value(true));
}

TEST_F(Revocation, RemoveCalleeTellsACalleeThatAnnouncedTheFeature) {
    TestClient& admin = joined();
    TestClient& watcher = joined();
    watcher.send(wamp::Subscribe{watcher.next_request(), {}, "wamp.registration.on_unregister"});
    watcher.expect<wamp::Subscribed>();
    TestClient& callee = joined();
    TestClient& caller = joined();
    const wamp::Id reg = register_(callee, "com.api.echo");
    EXPECT_EQ(result(admin, "wamp.registration.remove_callee",
                     {Value(reg), Value(callee.session())}, {{"reason", "moved elsewhere"}}),
              (Array{Value(Array{Value(callee.session())})}));
    auto revoked = callee.expect<wamp::Unregistered>();
    EXPECT_EQ(revoked.request, 0u);
    ASSERT_TRUE(revoked.details.has_value());
    EXPECT_EQ(revoked.details->at("registration"), Value(reg));
    EXPECT_EQ(revoked.details->at("reason"), Value("moved elsewhere"));
    auto event = watcher.expect<wamp::Event>();
    EXPECT_EQ(event.payload.args(), (Array{Value(callee.session()), Value(reg)}));
    // Gone: calls find no procedure, the meta API no registration.
    caller.send(wamp::Call{caller.next_request(), {}, "com.api.echo", {}});
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::no_such_procedure);
    EXPECT_EQ(error(admin, "wamp.registration.get", {Value(reg)}),
              wamp::errors::no_such_registration);
    // The callee may register again, and its old id is no longer its own.
    register_(callee, "com.api.echo");
    callee.send(wamp::Unregister{callee.next_request(), reg});
    EXPECT_EQ(callee.expect<wamp::Error>().error, wamp::errors::no_such_registration);
}

TEST_F(Revocation, ACalleeWithoutTheFeatureLosesItsRegistrationSilently) {
    TestClient& admin = joined();
    TestClient& callee = client();
    callee.join("realm1", {}, features_without("registration_revocation"));
    const wamp::Id reg = register_(callee, "com.api.echo");
    result(admin, "wamp.registration.remove", {Value(reg)});
    EXPECT_TRUE(callee.nothing_for()); // the spec forbids UNREGISTERED to it
    EXPECT_EQ(error(admin, "wamp.registration.get", {Value(reg)}),
              wamp::errors::no_such_registration);
}

TEST_F(Revocation, RemoveTakesEveryCalleeOfASharedRegistration) {
    TestClient& admin = joined();
    TestClient& a = joined();
    TestClient& b = joined();
    const wamp::Id reg = register_(a, "com.api.shared", {{"invoke", "roundrobin"}});
    EXPECT_EQ(register_(b, "com.api.shared", {{"invoke", "roundrobin"}}), reg);
    auto removed = result(admin, "wamp.registration.remove", {Value(reg)}).at(0).as_array();
    EXPECT_EQ(removed.size(), 2u);
    a.expect<wamp::Unregistered>();
    b.expect<wamp::Unregistered>();
}

TEST_F(Revocation, RegistrationErrors) {
    TestClient& admin = joined();
    TestClient& callee = joined();
    TestClient& other = joined();
    const wamp::Id reg = register_(callee, "com.api.x");
    EXPECT_EQ(error(admin, "wamp.registration.remove", {Value(reg + 1)}),
              wamp::errors::no_such_registration);
    EXPECT_EQ(error(admin, "wamp.registration.remove_callee", {Value(reg), Value(other.session())}),
              wamp::errors::no_such_session);
    EXPECT_EQ(error(admin, "wamp.registration.remove_callee", {Value(reg)}),
              wamp::errors::invalid_argument);
    EXPECT_EQ(error(admin, "wamp.registration.remove", {Value("x")}),
              wamp::errors::invalid_argument);
    EXPECT_TRUE(callee.nothing_for());
}

TEST_F(Revocation, RemoveSubscriberTellsASubscriberThatAnnouncedTheFeature) {
    TestClient& admin = joined();
    TestClient& a = joined();
    TestClient& b = client();
    b.join("realm1", {}, features_without("subscription_revocation"));
    TestClient& pub = joined();
    const wamp::Id sub = subscribe(a, "com.news");
    EXPECT_EQ(subscribe(b, "com.news"), sub);
    EXPECT_EQ(result(admin, "wamp.subscription.remove_subscriber", {Value(sub), Value(a.session())},
                     {{"reason", "no longer authorized"}}),
              (Array{Value(Array{Value(a.session())})}));
    auto revoked = a.expect<wamp::Unsubscribed>();
    EXPECT_EQ(revoked.request, 0u);
    ASSERT_TRUE(revoked.details.has_value());
    EXPECT_EQ(revoked.details->at("subscription"), Value(sub));
    EXPECT_EQ(revoked.details->at("reason"), Value("no longer authorized"));
    pub.send(wamp::Publish{pub.next_request(), {}, "com.news", {}});
    b.expect<wamp::Event>();
    EXPECT_TRUE(a.nothing_for());
    // Removing the whole subscription: b never announced the feature, so it is
    // not told, but it gets no more events.
    result(admin, "wamp.subscription.remove", {Value(sub)});
    pub.send(wamp::Publish{pub.next_request(), {}, "com.news", {}});
    EXPECT_TRUE(b.nothing_for());
    EXPECT_EQ(error(admin, "wamp.subscription.get", {Value(sub)}),
              wamp::errors::no_such_subscription);
    EXPECT_EQ(error(admin, "wamp.subscription.remove", {Value(sub)}),
              wamp::errors::no_such_subscription);
}

class RevocationDisabled : public Revocation {
protected:
    RevocationDisabled() : Revocation(revoke_config(false)) {}
};

TEST_F(RevocationDisabled, IsRefusedUnlessTheRealmEnablesIt) {
    TestClient& admin = joined();
    TestClient& callee = joined();
    const wamp::Id reg = register_(callee, "com.api.x");
    const wamp::Id sub = subscribe(callee, "com.news");
    EXPECT_EQ(error(admin, "wamp.registration.remove", {Value(reg)}), wamp::errors::not_authorized);
    EXPECT_EQ(error(admin, "wamp.subscription.remove", {Value(sub)}), wamp::errors::not_authorized);
    EXPECT_TRUE(callee.nothing_for());
}

} // namespace
} // namespace nexus::test
