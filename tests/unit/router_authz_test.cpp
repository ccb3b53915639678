// Authorization (spec advanced/authorization.md): static role permissions with
// the most specific rule winning, forced disclosure, meta procedures guarded
// like any URI, a custom Authorizer, and denials that change nothing.
#include "support/router_fixture.hpp"

#include <atomic>

namespace nexus::test {
namespace {

using wamp::MatchPolicy;
using wamp::Value;

router::Permission rule(std::string uri, MatchPolicy match, std::string_view actions,
                        bool disclose = false) {
    router::Permission p;
    p.uri = std::move(uri);
    p.match = match;
    p.call = actions.find('c') != std::string_view::npos;
    p.register_ = actions.find('r') != std::string_view::npos;
    p.publish = actions.find('p') != std::string_view::npos;
    p.subscribe = actions.find('s') != std::string_view::npos;
    p.disclose_caller = p.disclose_publisher = disclose;
    return p;
}

void expect_denied(TestClient& c, wamp::MessageType type, wamp::Id request) {
    auto e = c.expect<wamp::Error>();
    EXPECT_EQ(e.error, wamp::errors::not_authorized);
    EXPECT_EQ(e.request_type, type);
    EXPECT_EQ(e.request, request);
}

router::RouterConfig roles_config() {
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.anonymous_authrole = "guest";
    realm.principals = {{"backend", "service", std::string("t"), std::nullopt, {}, std::nullopt}};
    realm.roles = {
        {"guest",
         {rule("com.app.", MatchPolicy::prefix, "cs"),
          rule("com.app.admin", MatchPolicy::exact, ""), // the more specific rule denies
          rule("com.svc..audit", MatchPolicy::wildcard, "c", true),
          rule("com.chat", MatchPolicy::exact, "ps", true)}},
        {"service", {rule("", MatchPolicy::prefix, "crps")}},
    };
    config.realms.push_back(realm);
    return config;
}

class Authz : public RouterFixture {
protected:
    Authz() : RouterFixture(roles_config()) {}

    TestClient& service() {
        TestClient& c = client();
        c.join_with_ticket("realm1", "backend", "t");
        return c;
    }

    wamp::Id register_ok(TestClient& c, const std::string& procedure) {
        c.send(wamp::Register{c.next_request(), {}, procedure});
        return c.expect<wamp::Registered>().registration;
    }
};

TEST_F(Authz, AllowedCallReachesTheCallee) {
    TestClient& callee = service();
    register_ok(callee, "com.app.echo");
    TestClient& guest = joined();
    guest.send(wamp::Call{guest.next_request(), {}, "com.app.echo", {}});
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_FALSE(inv.details.contains("caller"));
    callee.send(wamp::Yield{inv.request, {}, {}});
    guest.expect<wamp::Result>();
}

TEST_F(Authz, MostSpecificRuleWins) {
    TestClient& callee = service();
    register_ok(callee, "com.app.admin");
    TestClient& guest = joined();
    const wamp::Id r = guest.next_request();
    guest.send(wamp::Call{r, {}, "com.app.admin", {}});
    expect_denied(guest, wamp::MessageType::call, r);
    EXPECT_TRUE(callee.nothing_for());
}

TEST_F(Authz, DeniedRegisterSubscribePublishChangeNothing) {
    TestClient& guest = joined();
    wamp::Id r = guest.next_request();
    guest.send(wamp::Register{r, {}, "com.app.mine"}); // guests may call, not register
    expect_denied(guest, wamp::MessageType::register_, r);
    r = guest.next_request();
    guest.send(wamp::Subscribe{r, {}, "com.other.topic"});
    expect_denied(guest, wamp::MessageType::subscribe, r);
    r = guest.next_request();
    guest.send(wamp::Publish{r, {{"acknowledge", true}}, "com.app.news", {}});
    expect_denied(guest, wamp::MessageType::publish, r);
    guest.send(wamp::Publish{guest.next_request(), {}, "com.app.news", {}}); // no ack: silence
    EXPECT_TRUE(guest.nothing_for());

    TestClient& svc = service();
    svc.send(wamp::Call{svc.next_request(),
                        {},
                        "wamp.registration.lookup",
                        wamp::Payload(wamp::Array{Value("com.app.mine")})});
    EXPECT_TRUE(svc.expect<wamp::Result>().payload.args().at(0).is_null());
    svc.send(wamp::Call{svc.next_request(),
                        {},
                        "wamp.subscription.lookup",
                        wamp::Payload(wamp::Array{Value("com.other.topic")})});
    EXPECT_TRUE(svc.expect<wamp::Result>().payload.args().at(0).is_null());
}

TEST_F(Authz, RuleCanForceCallerAndPublisherDisclosure) {
    TestClient& callee = service();
    register_ok(callee, "com.svc.x.audit");
    TestClient& guest = joined();
    guest.send(wamp::Call{guest.next_request(), {}, "com.svc.x.audit", {}});
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_EQ(inv.details.at("caller"), Value(guest.session()));
    EXPECT_EQ(inv.details.at("caller_authrole"), Value("guest"));

    TestClient& listener = joined();
    listener.send(wamp::Subscribe{listener.next_request(), {}, "com.chat"});
    listener.expect<wamp::Subscribed>();
    guest.send(wamp::Publish{guest.next_request(), {}, "com.chat", {}});
    auto ev = listener.expect<wamp::Event>();
    EXPECT_EQ(ev.details.at("publisher"), Value(guest.session()));
}

TEST_F(Authz, MetaProceduresAreAuthorizedToo) {
    TestClient& guest = joined();
    const wamp::Id r = guest.next_request();
    guest.send(wamp::Call{r, {}, "wamp.session.list", {}});
    expect_denied(guest, wamp::MessageType::call, r);
    TestClient& svc = service();
    svc.send(wamp::Call{svc.next_request(), {}, "wamp.session.count", {}});
    EXPECT_EQ(svc.expect<wamp::Result>().payload.args().at(0), Value(2));
}

// A custom authorizer: only authid "root" may do anything under "sys.".
class SysOnlyForRoot final : public router::Authorizer {
public:
    router::Authorization authorize(const router::SessionIdentity& who, router::Action action,
                                    std::string_view uri, const wamp::Object&) override {
        ++calls;
        last_action = action;
        if (uri.starts_with("sys.")) return {who.authid == "root", false};
        return {true, false};
    }
    std::atomic<int> calls{0};
    std::atomic<router::Action> last_action{router::Action::call};
};

class CustomAuthz : public RouterFixture {
protected:
    static router::RouterConfig config(std::shared_ptr<SysOnlyForRoot> authorizer) {
        router::RouterConfig c;
        router::RealmConfig realm;
        realm.uri = "realm1";
        realm.authorizer = std::move(authorizer);
        add_test_principals(realm);
        c.realms.push_back(realm);
        return c;
    }
    CustomAuthz() : RouterFixture(config(authorizer_)) {}
    static inline std::shared_ptr<SysOnlyForRoot> authorizer_ = std::make_shared<SysOnlyForRoot>();
};

TEST_F(CustomAuthz, DecidesEveryAction) {
    TestClient& a = client();
    a.join_as("someone");
    const wamp::Id r = a.next_request();
    a.send(wamp::Subscribe{r, {}, "sys.events"});
    expect_denied(a, wamp::MessageType::subscribe, r);
    EXPECT_EQ(authorizer_->last_action.load(), router::Action::subscribe);
    a.send(wamp::Subscribe{a.next_request(), {}, "app.events"});
    a.expect<wamp::Subscribed>();
    TestClient& root = client();
    root.join_as("root");
    root.send(wamp::Register{root.next_request(), {}, "sys.reboot"});
    root.expect<wamp::Registered>();
    EXPECT_EQ(authorizer_->last_action.load(), router::Action::register_);
    EXPECT_GE(authorizer_->calls.load(), 3);
}

} // namespace
} // namespace nexus::test
