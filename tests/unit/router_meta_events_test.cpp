// Meta events (spec advanced/meta_api_*.md), the session kill procedures and
// testaments (advanced/pubsub_testament.md).
#include "support/router_fixture.hpp"

namespace nexus::test {
namespace {

using wamp::Array;
using wamp::Value;

router::RouterConfig kill_config(bool enable_kill) {
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.enable_meta_kill = enable_kill;
    realm.enable_meta_modify = enable_kill;
    RouterFixture::add_test_principals(realm);
    config.realms.push_back(realm);
    router::RealmConfig other = realm;
    other.uri = "realm2";
    config.realms.push_back(other);
    return config;
}

class MetaEvents : public RouterFixture {
protected:
    explicit MetaEvents(router::RouterConfig config = kill_config(true))
        : RouterFixture(std::move(config)) {}

    static wamp::Id subscribe(TestClient& c, const std::string& topic) {
        c.send(wamp::Subscribe{c.next_request(), {}, topic});
        return c.expect<wamp::Subscribed>().subscription;
    }
    static wamp::Result call(TestClient& c, const std::string& procedure, Array args = {},
                             wamp::Object kwargs = {}) {
        c.send(wamp::Call{
            c.next_request(), {}, procedure, wamp::Payload(std::move(args), std::move(kwargs))});
        return c.expect<wamp::Result>();
    }
    static wamp::Error call_error(TestClient& c, const std::string& procedure, Array args = {},
                                  wamp::Object kwargs = {}) {
        c.send(wamp::Call{
            c.next_request(), {}, procedure, wamp::Payload(std::move(args), std::move(kwargs))});
        return c.expect<wamp::Error>();
    }
    static Array event_args(TestClient& c) { return c.expect<wamp::Event>().payload.args(); }
};

TEST_F(MetaEvents, JoinAndLeave) {
    TestClient& watcher = joined();
    subscribe(watcher, "wamp.session.on_join");
    subscribe(watcher, "wamp.session.on_leave");
    TestClient& c = client();
    const wamp::Id id = c.join_as("zed");
    auto join = event_args(watcher).at(0).as_object();
    EXPECT_EQ(join.at("session"), Value(id));
    EXPECT_EQ(join.at("authid"), Value("zed"));
    EXPECT_EQ(join.at("authrole"), Value("user"));
    EXPECT_EQ(join.at("authmethod"), Value("ticket"));
    EXPECT_TRUE(join.at("transport").is_object());
    c.send(wamp::Goodbye{{}, "wamp.close.normal"});
    c.expect<wamp::Goodbye>();
    EXPECT_EQ(event_args(watcher), (Array{Value(id), Value("zed"), Value("user")}));

    // Other realms see none of it.
    TestClient& elsewhere = joined("realm2");
    subscribe(elsewhere, "wamp.session.on_join");
    joined();
    event_args(watcher);
    EXPECT_TRUE(elsewhere.nothing_for());
}

TEST_F(MetaEvents, SubscriptionLifecycle) {
    TestClient& watcher = joined();
    // As with the Go nexus, a session never hears of what it did itself: the
    // watcher's own subscriptions make no events for it.
    for (const char* t : {"wamp.subscription.on_create", "wamp.subscription.on_subscribe",
                          "wamp.subscription.on_unsubscribe", "wamp.subscription.on_delete"})
        subscribe(watcher, t);
    EXPECT_TRUE(watcher.nothing_for());

    TestClient& a = joined();
    TestClient& b = joined();
    const wamp::Id sub = subscribe(a, "com.news");
    auto created = event_args(watcher);
    EXPECT_EQ(created.at(0), Value(a.session()));
    EXPECT_EQ(created.at(1).as_object().at("id"), Value(sub));
    EXPECT_EQ(created.at(1).as_object().at("uri"), Value("com.news"));
    EXPECT_EQ(created.at(1).as_object().at("match"), Value("exact"));
    EXPECT_EQ(event_args(watcher), (Array{Value(a.session()), Value(sub)})); // on_subscribe
    subscribe(b, "com.news");
    EXPECT_EQ(event_args(watcher), (Array{Value(b.session()), Value(sub)})); // no on_create
    a.send(wamp::Unsubscribe{a.next_request(), sub});
    a.expect<wamp::Unsubscribed>();
    EXPECT_EQ(event_args(watcher), (Array{Value(a.session()), Value(sub)})); // on_unsubscribe
    b.drop(); // leaving removes the last subscriber: on_unsubscribe, on_delete
    EXPECT_EQ(event_args(watcher), (Array{Value(b.session()), Value(sub)}));
    EXPECT_EQ(event_args(watcher), (Array{Value(b.session()), Value(sub)}));
    EXPECT_TRUE(watcher.nothing_for());
}

TEST_F(MetaEvents, RegistrationLifecycle) {
    TestClient& watcher = joined();
    for (const char* t : {"wamp.registration.on_create", "wamp.registration.on_register",
                          "wamp.registration.on_unregister", "wamp.registration.on_delete"})
        subscribe(watcher, t);
    TestClient& callee = joined();
    callee.send(wamp::Register{callee.next_request(), {{"match", "prefix"}}, "com.api."});
    const wamp::Id reg = callee.expect<wamp::Registered>().registration;
    auto created = event_args(watcher);
    EXPECT_EQ(created.at(1).as_object().at("match"), Value("prefix"));
    EXPECT_EQ(created.at(1).as_object().at("invoke"), Value("single"));
    EXPECT_EQ(event_args(watcher), (Array{Value(callee.session()), Value(reg)}));
    callee.send(wamp::Unregister{callee.next_request(), reg});
    callee.expect<wamp::Unregistered>();
    EXPECT_EQ(event_args(watcher), (Array{Value(callee.session()), Value(reg)}));
    EXPECT_EQ(event_args(watcher), (Array{Value(callee.session()), Value(reg)}));
}

TEST_F(MetaEvents, AWatcherOfOtherSessionsHearsTheirMetaEvents) {
    TestClient& watcher = joined();
    subscribe(watcher, "wamp.subscription.on_subscribe");
    subscribe(watcher, "wamp.registration.on_register");
    TestClient& other = joined();
    const wamp::Id sub = subscribe(other, "wamp.session.on_join");
    EXPECT_EQ(event_args(watcher), (Array{Value(other.session()), Value(sub)}));
    other.send(wamp::Register{other.next_request(), {}, "com.api.x"});
    const wamp::Id reg = other.expect<wamp::Registered>().registration;
    EXPECT_EQ(event_args(watcher), (Array{Value(other.session()), Value(reg)}));
    // ...and the other hears nothing of its own actions.
    EXPECT_TRUE(other.nothing_for());
}

TEST_F(MetaEvents, KillOneByAuthidByAuthroleAll) {
    TestClient& admin = joined();
    TestClient& v1 = client();
    v1.join_as("victim");
    TestClient& v2 = client();
    v2.join_as("victim");
    TestClient& other = joined();

    auto killed = call(admin, "wamp.session.kill_by_authid", {Value("victim")},
                       {{"reason", "com.example.bye"}, {"message", "maintenance"}});
    auto ids = killed.payload.args().at(0).as_array();
    EXPECT_EQ(ids.size(), 2u);
    for (TestClient* v : {&v1, &v2}) {
        auto g = v->expect<wamp::Goodbye>();
        EXPECT_EQ(g.reason, "com.example.bye");
        EXPECT_EQ(g.details.at("message"), Value("maintenance"));
    }
    // meta_api_sessions.md: the caller's own session is not an *other* session.
    EXPECT_EQ(call_error(admin, "wamp.session.kill", {Value(admin.session())}).error,
              wamp::errors::no_such_session);
    EXPECT_EQ(call_error(admin, "wamp.session.kill", {Value(v1.session())}).error,
              wamp::errors::no_such_session);
    EXPECT_EQ(call_error(admin, "wamp.session.kill", {Value("one")}).error,
              wamp::errors::invalid_argument);
    // A reason that is not a valid non-empty URI: invalid_uri, for every kill procedure.
    for (const Value& bad : {Value("not a uri!"), Value(""), Value(5)}) {
        EXPECT_EQ(
            call_error(admin, "wamp.session.kill", {Value(other.session())}, {{"reason", bad}})
                .error,
            wamp::errors::invalid_uri);
        EXPECT_EQ(
            call_error(admin, "wamp.session.kill_by_authid", {Value("x")}, {{"reason", bad}}).error,
            wamp::errors::invalid_uri);
        EXPECT_EQ(
            call_error(admin, "wamp.session.kill_by_authrole", {Value("x")}, {{"reason", bad}})
                .error,
            wamp::errors::invalid_uri);
        EXPECT_EQ(call_error(admin, "wamp.session.kill_all", {}, {{"reason", bad}}).error,
                  wamp::errors::invalid_uri);
    }
    EXPECT_EQ(
        call_error(admin, "wamp.session.kill", {Value(other.session())}, {{"message", Value(1)}})
            .error,
        wamp::errors::invalid_argument);
    EXPECT_TRUE(other.nothing_for(10ms));
    call(admin, "wamp.session.kill", {Value(other.session())});
    EXPECT_EQ(other.expect<wamp::Goodbye>().reason, wamp::close::killed);

    TestClient& r1 = joined();
    EXPECT_EQ(call(admin, "wamp.session.kill_by_authrole", {Value("anonymous")}).payload.args(),
              (Array{Value(1)})); // r1, not the caller
    r1.expect<wamp::Goodbye>();
    joined();
    joined();
    EXPECT_EQ(call(admin, "wamp.session.kill_all").payload.args(), (Array{Value(2)}));
    EXPECT_EQ(call(admin, "wamp.session.count").payload.args(), (Array{Value(1)}));
    EXPECT_TRUE(admin.nothing_for(10ms));
}

TEST_F(MetaEvents, KillAllSparesTheCallerAndAnnouncesNothing) {
    TestClient& admin = joined();
    subscribe(admin, "wamp.session.on_leave");
    subscribe(admin, "com.status");
    TestClient& a = joined();
    TestClient& b = joined();
    call(a, "wamp.session.add_testament", {Value("com.status"), Value(Array{Value("a gone")})});
    EXPECT_EQ(call(admin, "wamp.session.kill_all", {}, {{"reason", "com.example.maintenance"}})
                  .payload.args(),
              (Array{Value(2)}));
    for (TestClient* c : {&a, &b})
        EXPECT_EQ(c->expect<wamp::Goodbye>().reason, "com.example.maintenance");
    // Neither on_leave nor the testament (meta_api_sessions.md, kill_all).
    EXPECT_TRUE(admin.nothing_for());
    EXPECT_EQ(call(admin, "wamp.session.list").payload.args(),
              (Array{Value(Array{Value(admin.session())})}));
    // A single kill announces as usual.
    TestClient& c = joined();
    admin.send(wamp::Call{
        admin.next_request(), {}, "wamp.session.kill", wamp::Payload(Array{Value(c.session())})});
    c.expect<wamp::Goodbye>();
    EXPECT_EQ(event_args(admin).at(0), Value(c.session())); // on_leave comes first
    admin.expect<wamp::Result>();
}

TEST_F(MetaEvents, TestamentsOnLostTransportInOrderOnce) {
    TestClient& listener = joined();
    subscribe(listener, "com.status");
    TestClient& c = joined();
    call(c, "wamp.session.add_testament",
         {Value("com.status"), Value(Array{Value("destroyed-1")}),
          Value(wamp::Object{{"who", "c"}})});
    call(c, "wamp.session.add_testament", {Value("com.status"), Value(Array{Value("detached-1")})},
         {{"scope", "detached"}});
    call(c, "wamp.session.add_testament",
         {Value("com.status"), Value(Array{Value("destroyed-2")})});
    c.drop();
    // "detached" before "destroyed", each in the order added.
    EXPECT_EQ(event_args(listener), (Array{Value("detached-1")}));
    auto first = listener.expect<wamp::Event>();
    EXPECT_EQ(first.payload.args(), (Array{Value("destroyed-1")}));
    EXPECT_EQ(first.payload.kwargs().at("who"), Value("c"));
    EXPECT_EQ(event_args(listener), (Array{Value("destroyed-2")}));
    EXPECT_TRUE(listener.nothing_for());
}

TEST_F(MetaEvents, TestamentsOnGoodbyeAreTheDestroyedOnesAndFlushWorks) {
    TestClient& listener = joined();
    subscribe(listener, "com.status");
    TestClient& c = joined();
    call(c, "wamp.session.add_testament", {Value("com.status"), Value(Array{Value("gone")})});
    call(c, "wamp.session.add_testament", {Value("com.status"), Value(Array{Value("lost")})},
         {{"scope", "detached"}});
    call(c, "wamp.session.add_testament", {Value("com.status"), Value(Array{Value("flushed")})},
         {{"scope", "detached"}});
    call(c, "wamp.session.flush_testaments", {}, {{"scope", "detached"}});
    c.send(wamp::Goodbye{{}, "wamp.close.normal"});
    c.expect<wamp::Goodbye>();
    EXPECT_EQ(event_args(listener), (Array{Value("gone")}));
    EXPECT_TRUE(listener.nothing_for());

    TestClient& d = joined();
    EXPECT_EQ(call_error(d, "wamp.session.add_testament", {Value("wamp.reserved")}).error,
              wamp::errors::invalid_uri);
    EXPECT_EQ(
        call_error(d, "wamp.session.add_testament", {Value("com.x")}, {{"scope", "later"}}).error,
        wamp::errors::invalid_argument);
}

class MetaNoKill : public RouterFixture {
protected:
    MetaNoKill() : RouterFixture(kill_config(false)) {}
};

TEST_F(MetaNoKill, KillIsRefusedWhenDisabled) {
    TestClient& a = joined();
    TestClient& b = joined();
    a.send(wamp::Call{
        a.next_request(), {}, "wamp.session.kill", wamp::Payload(Array{Value(b.session())})});
    EXPECT_EQ(a.expect<wamp::Error>().error, wamp::errors::not_authorized);
    EXPECT_TRUE(b.nothing_for());
}

TEST_F(MetaEvents, ModifyDetailsAndDetailFilters) {
    // The Go nexus's extensions: wamp.session.modify_details, and
    // exclude_<detail>/eligible_<detail> over any string session detail.
    TestClient& admin = joined();
    TestClient& red = client();
    red.join("realm1", {{"team", "red"}}); // a HELLO detail
    TestClient& blue = joined();
    call(admin, "wamp.session.modify_details",
         {Value(blue.session()), Value(wamp::Object{{"team", "blue"}})});
    EXPECT_EQ(call(admin, "wamp.session.get", {Value(blue.session())})
                  .payload.args()
                  .at(0)
                  .as_object()
                  .at("team"),
              Value("blue"));
    EXPECT_EQ(call_error(admin, "wamp.session.modify_details",
                         {Value(blue.session()), Value(wamp::Object{{"authmethod", "ticket"}})})
                  .error,
              wamp::errors::invalid_argument);
    for (TestClient* c : {&red, &blue})
        subscribe(*c, "com.team");
    admin.send(
        wamp::Publish{admin.next_request(), {{"eligible_team", Value{"blue"}}}, "com.team", {}});
    blue.expect<wamp::Event>();
    EXPECT_TRUE(red.nothing_for());
    admin.send(
        wamp::Publish{admin.next_request(), {{"exclude_team", Value{"blue"}}}, "com.team", {}});
    red.expect<wamp::Event>();
    EXPECT_TRUE(blue.nothing_for());
    admin.send(wamp::Publish{admin.next_request(),
                             {{"acknowledge", true}, {"exclude_team", "not-a-list"}},
                             "com.team",
                             {}});
    EXPECT_EQ(admin.expect<wamp::Error>().error, wamp::errors::invalid_argument);
    // null removes a modified detail
    call(admin, "wamp.session.modify_details",
         {Value(blue.session()), Value(wamp::Object{{"team", Value()}})});
    admin.send(
        wamp::Publish{admin.next_request(), {{"eligible_team", Value{"blue"}}}, "com.team", {}});
    EXPECT_TRUE(blue.nothing_for());
}

TEST_F(MetaEvents, ModifyDetailsChangesAnotherSessionsIdentityNotOnesOwn) {
    // The Go nexus lets modify_details change authid/authrole; so do we, for
    // another session only (a backend relabelling a client it authenticated
    // out of band), never the caller's own.
    TestClient& backend = joined();
    TestClient& client_session = joined();
    TestClient& callee = joined();
    subscribe(client_session, "com.news");
    call(backend, "wamp.session.modify_details",
         {Value(client_session.session()),
          Value(wamp::Object{{"authid", "carol"}, {"authrole", "member"}})});
    auto d = call(backend, "wamp.session.get", {Value(client_session.session())})
                 .payload.args()
                 .at(0)
                 .as_object();
    EXPECT_EQ(d.at("authid"), Value("carol"));
    EXPECT_EQ(d.at("authrole"), Value("member"));
    // The new identity is what routing sees.
    backend.send(wamp::Publish{
        backend.next_request(), {{"eligible_authid", Value{"carol"}}}, "com.news", {}});
    client_session.expect<wamp::Event>();
    callee.send(wamp::Register{callee.next_request(), {{"disclose_caller", true}}, "com.who"});
    callee.expect<wamp::Registered>();
    client_session.send(wamp::Call{client_session.next_request(), {}, "com.who", {}});
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_EQ(inv.details.at("caller_authid"), Value("carol"));
    EXPECT_EQ(inv.details.at("caller_authrole"), Value("member"));
    // One's own identity: refused, and nothing changed.
    for (const char* key : {"authid", "authrole"})
        EXPECT_EQ(call_error(client_session, "wamp.session.modify_details",
                             {Value(client_session.session()), Value(wamp::Object{{key, "root"}})})
                      .error,
                  wamp::errors::not_authorized)
            << key;
    EXPECT_EQ(call_error(backend, "wamp.session.modify_details",
                         {Value(client_session.session()), Value(wamp::Object{{"authid", 5}})})
                  .error,
              wamp::errors::invalid_argument);
    d = call(backend, "wamp.session.get", {Value(client_session.session())})
            .payload.args()
            .at(0)
            .as_object();
    EXPECT_EQ(d.at("authid"), Value("carol"));
}

router::RouterConfig strict_config() {
    router::RouterConfig config = kill_config(true);
    config.realms[0].meta_strict = true;
    config.realms[0].meta_include_session_details = {"team"};
    return config;
}

class MetaStrict : public MetaEvents {
protected:
    MetaStrict() : MetaEvents(strict_config()) {}
};

TEST_F(MetaEvents, SessionGetShowsHelloAndModifiedDetails) {
    TestClient& a = joined();
    TestClient& b = client();
    b.join("realm1", {{"team", "red"}, {"color", "green"}});
    auto d = call(a, "wamp.session.get", {Value(b.session())}).payload.args().at(0).as_object();
    EXPECT_EQ(d.at("team"), Value("red"));
    EXPECT_EQ(d.at("color"), Value("green"));
    EXPECT_FALSE(d.contains("roles"));
}

TEST_F(MetaStrict, OnlyNamedExtraDetails) {
    TestClient& a = joined();
    TestClient& b = client();
    b.join("realm1", {{"team", "red"}, {"color", "green"}});
    auto d = call(a, "wamp.session.get", {Value(b.session())}).payload.args().at(0).as_object();
    EXPECT_EQ(d.at("team"), Value("red"));
    EXPECT_FALSE(d.contains("color"));
    EXPECT_EQ(d.at("authrole"), Value("anonymous"));
}

TEST_F(MetaEvents, WelcomeAnnouncesTheMetaApis) {
    TestClient& c = client();
    wamp::Hello h;
    h.realm = "realm1";
    h.details = {{"roles", wamp::Object{{"caller", wamp::Object{}}}}};
    c.send(std::move(h));
    auto w = c.expect<wamp::Welcome>();
    const auto& roles = w.details.at("roles").as_object();
    const auto& dealer = roles.at("dealer").as_object().at("features").as_object();
    const auto& broker = roles.at("broker").as_object().at("features").as_object();
    for (const char* f : {"session_meta_api", "registration_meta_api", "testament_meta_api"})
        EXPECT_EQ(dealer.at(f), Value(true)) << f;
    EXPECT_EQ(broker.at("subscription_meta_api"), Value(true));
}

} // namespace
} // namespace nexus::test
