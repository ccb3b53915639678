// Dynamic authorization: a role whose actions a backend's WAMP procedure
// decides (RolePermissions::authorizer), with cached answers, fail-closed
// denials, and each session's messages kept in order while it is asked.
#include "support/router_fixture.hpp"

namespace nexus::test {
namespace {

using namespace std::chrono_literals;
using wamp::MatchPolicy;
using wamp::Value;

constexpr const char* authorizer_uri = "com.auth.authorize";

router::RouterConfig dynamic_authz_config() {
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.principals = {{"backend", "backend", std::string("t"), std::nullopt, {}, std::nullopt}};
    router::Permission everything;
    everything.uri = "";
    everything.match = MatchPolicy::prefix;
    everything.call = everything.register_ = everything.publish = everything.subscribe = true;
    realm.roles = {{"backend", {everything}, ""}, {"anonymous", {}, authorizer_uri}};
    realm.authorizer_timeout = 300ms;
    realm.authorizer_cache_ttl = 60s;
    config.realms.push_back(realm);
    return config;
}

class DynamicAuthz : public RouterFixture {
protected:
    DynamicAuthz() : RouterFixture(dynamic_authz_config()) {}

    TestClient& backend() {
        TestClient& b = client();
        b.join_with_ticket("realm1", "backend", "t");
        b.send(wamp::Register{b.next_request(), {}, authorizer_uri});
        b.expect<wamp::Registered>();
        return b;
    }

    // The backend's INVOCATION asking about (action, uri) for `who`.
    static wamp::Invocation asked(TestClient& b, const TestClient& who, std::string_view action,
                                  std::string_view uri) {
        auto inv = b.expect<wamp::Invocation>();
        const wamp::Array args = inv.payload.args();
        EXPECT_EQ(args.size(), 4u);
        if (args.size() != 4) return inv;
        const wamp::Object& details = args[0].as_object();
        EXPECT_EQ(details.at("session"), Value(who.session()));
        EXPECT_EQ(details.at("authrole"), Value("anonymous"));
        EXPECT_EQ(details.at("realm"), Value("realm1"));
        EXPECT_EQ(args[1], Value(std::string(uri)));
        EXPECT_EQ(args[2], Value(std::string(action)));
        EXPECT_TRUE(args[3].is_object());
        return inv;
    }

    static void answer(TestClient& b, const wamp::Invocation& inv, Value decision) {
        b.send(wamp::Yield{inv.request, {}, wamp::Payload(wamp::Array{std::move(decision)})});
    }

    static void expect_denied(TestClient& c, wamp::MessageType type, wamp::Id request) {
        auto e = c.expect<wamp::Error>();
        EXPECT_EQ(e.error, wamp::errors::not_authorized);
        EXPECT_EQ(e.request_type, type);
        EXPECT_EQ(e.request, request);
    }

    // A callee of `procedure` that the backend let register.
    TestClient& callee_of(TestClient& b, const std::string& procedure) {
        TestClient& c = joined();
        c.send(wamp::Register{c.next_request(), {}, procedure});
        answer(b, asked(b, c, "register", procedure), Value(true));
        c.expect<wamp::Registered>();
        return c;
    }
};

TEST_F(DynamicAuthz, EachActionIsDecidedByTheProcedure) {
    TestClient& b = backend();
    TestClient& callee = callee_of(b, "com.app.add");

    TestClient& caller = joined();
    caller.send(wamp::Call{caller.next_request(), {}, "com.app.add", {}});
    answer(b, asked(b, caller, "call", "com.app.add"), Value(true));
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_FALSE(inv.details.contains("caller"));
    callee.send(wamp::Yield{inv.request, {}, {}});
    caller.expect<wamp::Result>();

    caller.send(wamp::Subscribe{caller.next_request(), {{"match", "prefix"}}, "com.news"});
    auto sub = asked(b, caller, "subscribe", "com.news");
    EXPECT_EQ(sub.payload.args()[3].as_object().at("match"), Value("prefix"));
    answer(b, sub, Value(true));
    caller.expect<wamp::Subscribed>();

    caller.send(
        wamp::Publish{caller.next_request(), {{"acknowledge", true}}, "com.news.today", {}});
    answer(b, asked(b, caller, "publish", "com.news.today"), Value{{"allow", true}});
    caller.expect<wamp::Published>();
}

TEST_F(DynamicAuthz, DenialChangesNothing) {
    TestClient& b = backend();
    TestClient& c = joined();
    const wamp::Id r1 = c.next_request();
    c.send(wamp::Register{r1, {}, "com.app.admin"});
    answer(b, asked(b, c, "register", "com.app.admin"), Value(false));
    expect_denied(c, wamp::MessageType::register_, r1);

    const wamp::Id r2 = c.next_request();
    c.send(wamp::Subscribe{r2, {}, "com.secret"});
    answer(b, asked(b, c, "subscribe", "com.secret"), Value{{"allow", false}});
    expect_denied(c, wamp::MessageType::subscribe, r2);

    // Nothing was registered: a backend call finds no such procedure.
    b.send(wamp::Call{b.next_request(), {}, "com.app.admin", {}});
    EXPECT_EQ(b.expect<wamp::Error>().error, wamp::errors::no_such_procedure);
}

TEST_F(DynamicAuthz, AnswerCanForceCallerDisclosure) {
    TestClient& b = backend();
    TestClient& callee = callee_of(b, "com.app.audit");
    TestClient& caller = joined();
    caller.send(wamp::Call{caller.next_request(), {}, "com.app.audit", {}});
    answer(b, asked(b, caller, "call", "com.app.audit"),
           Value{{"allow", true}, {"disclose", true}});
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_EQ(inv.details.at("caller"), Value(caller.session()));
}

TEST_F(DynamicAuthz, CacheableAnswersAreReusedPerSessionActionAndUri) {
    TestClient& b = backend();
    TestClient& c = joined();
    c.send(wamp::Subscribe{c.next_request(), {}, "com.a"});
    answer(b, asked(b, c, "subscribe", "com.a"), Value{{"allow", true}, {"cache", true}});
    const wamp::Id sub = c.expect<wamp::Subscribed>().subscription;
    c.send(wamp::Unsubscribe{c.next_request(), sub});
    c.expect<wamp::Unsubscribed>();

    // Same session, action and URI: from the cache.
    c.send(wamp::Subscribe{c.next_request(), {}, "com.a"});
    c.expect<wamp::Subscribed>();
    EXPECT_TRUE(b.nothing_for());
    // Another match policy, action or session is another question.
    c.send(wamp::Subscribe{c.next_request(), {{"match", "prefix"}}, "com.a"});
    answer(b, asked(b, c, "subscribe", "com.a"), Value{{"allow", true}, {"cache", true}});
    c.expect<wamp::Subscribed>();
    c.send(wamp::Publish{c.next_request(), {{"acknowledge", true}}, "com.a", {}});
    answer(b, asked(b, c, "publish", "com.a"), Value(true)); // not cacheable
    c.expect<wamp::Published>();
    c.send(wamp::Publish{c.next_request(), {{"acknowledge", true}}, "com.a", {}});
    answer(b, asked(b, c, "publish", "com.a"), Value(true));
    c.expect<wamp::Published>();
    TestClient& other = joined();
    other.send(wamp::Subscribe{other.next_request(), {}, "com.a"});
    answer(b, asked(b, other, "subscribe", "com.a"), Value(false));
    other.expect<wamp::Error>();
}

TEST_F(DynamicAuthz, MessagesWaitInOrderBehindADecision) {
    TestClient& b = backend();
    TestClient& callee = callee_of(b, "com.app.f");
    TestClient& c = joined();
    c.send(wamp::Call{c.next_request(), {}, "com.app.f", wamp::Payload(wamp::Array{Value(1)})});
    c.send(wamp::Call{c.next_request(), {}, "com.app.f", wamp::Payload(wamp::Array{Value(2)})});
    c.send(wamp::Publish{c.next_request(), {{"acknowledge", true}}, "com.log", {}});
    // One question at a time, in the order of the messages.
    auto first = asked(b, c, "call", "com.app.f");
    EXPECT_TRUE(b.nothing_for(100ms));
    EXPECT_TRUE(callee.nothing_for(50ms));
    answer(b, first, Value{{"allow", true}, {"cache", true}});
    // The second CALL is answered from the cache; the PUBLISH needs asking.
    EXPECT_EQ(callee.expect<wamp::Invocation>().payload.args().at(0), Value(1));
    EXPECT_EQ(callee.expect<wamp::Invocation>().payload.args().at(0), Value(2));
    answer(b, asked(b, c, "publish", "com.log"), Value(true));
    c.expect<wamp::Published>();
}

TEST_F(DynamicAuthz, YieldsDoNotWaitBehindADecision) {
    TestClient& b = backend();
    TestClient& callee = callee_of(b, "com.app.slow");
    TestClient& caller = joined();
    caller.send(wamp::Call{caller.next_request(), {}, "com.app.slow", {}});
    answer(b, asked(b, caller, "call", "com.app.slow"), Value(true));
    auto inv = callee.expect<wamp::Invocation>();
    // The callee asks for something, then answers its invocation before the
    // backend decides: the YIELD goes through at once.
    callee.send(wamp::Subscribe{callee.next_request(), {}, "com.x"});
    auto question = asked(b, callee, "subscribe", "com.x");
    callee.send(wamp::Yield{inv.request, {}, {}});
    caller.expect<wamp::Result>();
    answer(b, question, Value(true));
    callee.expect<wamp::Subscribed>();
}

TEST_F(DynamicAuthz, NoAuthorizerTimeoutOrBadAnswerDenies) {
    // Nobody registered the authorizer yet.
    TestClient& c = joined();
    const wamp::Id r1 = c.next_request();
    c.send(wamp::Call{r1, {}, "com.app.f", {}});
    expect_denied(c, wamp::MessageType::call, r1);

    TestClient& b = backend();
    const wamp::Id r2 = c.next_request();
    c.send(wamp::Call{r2, {}, "com.app.f", {}});
    auto unanswered = asked(b, c, "call", "com.app.f"); // authorizer_timeout is 300 ms
    expect_denied(c, wamp::MessageType::call, r2);
    EXPECT_EQ(b.expect<wamp::Interrupt>().request, unanswered.request);

    const wamp::Id r3 = c.next_request();
    c.send(wamp::Call{r3, {}, "com.app.f", {}});
    answer(b, asked(b, c, "call", "com.app.f"), Value("yes")); // neither bool nor dict
    expect_denied(c, wamp::MessageType::call, r3);

    const wamp::Id r4 = c.next_request();
    c.send(wamp::Call{r4, {}, "com.app.f", {}});
    auto inv = asked(b, c, "call", "com.app.f");
    b.send(wamp::Error{wamp::MessageType::invocation, inv.request, {}, "com.auth.broken", {}});
    expect_denied(c, wamp::MessageType::call, r4);
}

TEST_F(DynamicAuthz, TestamentNeedsPublishPermissionOnItsTopic) {
    TestClient& b = backend();
    TestClient& c = joined();
    auto add = [&](const std::string& topic) {
        const wamp::Id r = c.next_request();
        c.send(wamp::Call{r,
                          {},
                          "wamp.session.add_testament",
                          wamp::Payload(wamp::Array{Value(topic), Value(wamp::Array{})})});
        return r;
    };
    const wamp::Id r1 = add("com.gone");
    answer(b, asked(b, c, "call", "wamp.session.add_testament"), Value(true));
    answer(b, asked(b, c, "publish", "com.gone"), Value(false));
    auto e = c.expect<wamp::Error>();
    EXPECT_EQ(e.request, r1);
    EXPECT_EQ(e.error, wamp::errors::not_authorized);

    add("com.ok");
    answer(b, asked(b, c, "call", "wamp.session.add_testament"), Value(true));
    answer(b, asked(b, c, "publish", "com.ok"), Value(true));
    c.expect<wamp::Result>();
}

TEST_F(DynamicAuthz, SessionThatLeavesWhileWaitingIsForgotten) {
    TestClient& b = backend();
    {
        TestClient& c = joined();
        c.send(wamp::Call{c.next_request(), {}, "com.app.f", {}});
        c.send(wamp::Call{c.next_request(), {}, "com.app.g", {}});
        auto question = asked(b, c, "call", "com.app.f");
        c.drop();
        answer(b, question, Value(true)); // too late: nobody routes it
    }
    EXPECT_TRUE(b.nothing_for());
    TestClient& fresh = joined();
    fresh.send(wamp::Subscribe{fresh.next_request(), {}, "com.z"});
    answer(b, asked(b, fresh, "subscribe", "com.z"), Value(true));
    fresh.expect<wamp::Subscribed>();
}

} // namespace
} // namespace nexus::test
