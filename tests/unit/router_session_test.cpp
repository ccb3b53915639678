// Session lifecycle through the full router and the in-process transport.
#include "support/router_fixture.hpp"

#include <atomic>

using namespace nexus;
using namespace nexus::test;

namespace {

class Session : public RouterFixture {};

wamp::Hello hello(std::string realm, wamp::Object details = {}) {
    if (!details.contains("roles"))
        details.emplace("roles", wamp::Object{{"caller", wamp::Object{}}});
    return wamp::Hello{std::move(realm), std::move(details)};
}

} // namespace

TEST_F(Session, WelcomeAnnouncesRolesAndIdentity) {
    TestClient& c = client();
    c.send(hello("realm1"));
    auto w = c.expect<wamp::Welcome>();
    EXPECT_TRUE(wamp::is_valid_id(w.session));
    ASSERT_TRUE(w.details.contains("roles"));
    const wamp::Value& roles = w.details.at("roles");
    ASSERT_NE(roles.find("broker"), nullptr);
    ASSERT_NE(roles.find("dealer"), nullptr);
    EXPECT_EQ(roles.at("dealer").at("features").at("call_canceling"), wamp::Value(true));
    EXPECT_EQ(w.details.at("authmethod"), wamp::Value("anonymous"));
    EXPECT_EQ(w.details.at("authrole"), wamp::Value("anonymous"));
    EXPECT_TRUE(w.details.at("authid").is_string());
    EXPECT_EQ(router().session_count(), 1u);
}

TEST_F(Session, SessionIdsDiffer) {
    wamp::Id a = joined().session();
    wamp::Id b = joined().session();
    EXPECT_NE(a, b);
}

TEST_F(Session, UnknownRealmIsAborted) {
    TestClient& c = client();
    c.send(hello("no.such.realm"));
    auto a = c.expect<wamp::Abort>();
    EXPECT_EQ(a.reason, wamp::errors::no_such_realm);
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(router().session_count(), 0u);
}

TEST_F(Session, InvalidRealmUriIsAborted) {
    TestClient& c = client();
    c.send(hello("bad..realm"));
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::invalid_uri);
}

TEST_F(Session, HelloWithoutRolesIsAborted) {
    TestClient& c = client();
    c.send(wamp::Hello{"realm1", {{"roles", wamp::Object{{"unknown_role", wamp::Object{}}}}}});
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::no_such_role);
}

TEST_F(Session, MessageBeforeHelloIsAProtocolViolation) {
    TestClient& c = client();
    c.send(wamp::Subscribe{1, {}, "com.topic"});
    auto a = c.expect<wamp::Abort>();
    EXPECT_EQ(a.reason, wamp::errors::protocol_violation);
    EXPECT_TRUE(a.details.contains("message"));
    EXPECT_TRUE(c.wait_closed());
}

TEST_F(Session, GoodbyeBeforeWelcomeIsAProtocolViolation) {
    TestClient& c = client();
    c.send(wamp::Goodbye{{}, std::string(wamp::close::goodbye_and_out)});
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::protocol_violation);
}

TEST_F(Session, SecondHelloIsAProtocolViolation) {
    TestClient& c = joined();
    c.send(hello("realm1"));
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::protocol_violation);
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(router().session_count(), 0u);
}

TEST_F(Session, AuthenticateAfterWelcomeIsAProtocolViolation) {
    TestClient& c = joined();
    c.send(wamp::Authenticate{"sig", {}});
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::protocol_violation);
}

TEST_F(Session, RouterToClientMessagesFromAClientAreViolations) {
    for (wamp::Message m :
         {wamp::Message(wamp::Welcome{1, {}}), wamp::Message(wamp::Event{1, 2, {}, {}}),
          wamp::Message(wamp::Result{1, {}, {}}),
          wamp::Message(wamp::Error{wamp::MessageType::call, 1, {}, "x.y", {}})}) {
        TestClient& c = joined();
        c.send(std::move(m));
        EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::protocol_violation);
    }
}

TEST_F(Session, GoodbyeIsEchoedAndTheTransportCanBeReused) {
    TestClient& c = joined();
    c.send(wamp::Goodbye{{{"message", "bye"}}, std::string(wamp::close::close_realm)});
    auto g = c.expect<wamp::Goodbye>();
    EXPECT_EQ(g.reason, wamp::close::goodbye_and_out);
    EXPECT_EQ(router().session_count(), 0u);
    c.send(hello("realm1"));
    c.expect<wamp::Welcome>();
    EXPECT_EQ(router().session_count(), 1u);
}

TEST_F(Session, AbortFromClientEndsTheSessionWithoutReply) {
    TestClient& c = joined();
    c.send(wamp::Abort{{}, "com.app.bye", {}});
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(c.pending(), 0u);
    EXPECT_EQ(router().session_count(), 0u);
}

TEST_F(Session, DroppedTransportLeavesTheRealm) {
    TestClient& c = joined();
    EXPECT_EQ(router().session_count(), 1u);
    c.drop();
    for (int i = 0; i < 100 && router().session_count() != 0; ++i)
        std::this_thread::sleep_for(10ms);
    EXPECT_EQ(router().session_count(), 0u);
}

TEST_F(Session, ShutdownSaysGoodbyeToEveryone) {
    TestClient& a = joined();
    TestClient& b = joined();
    router().shutdown();
    EXPECT_EQ(a.expect<wamp::Goodbye>().reason, wamp::close::system_shutdown);
    EXPECT_EQ(b.expect<wamp::Goodbye>().reason, wamp::close::system_shutdown);
    a.send(wamp::Goodbye{{}, std::string(wamp::close::goodbye_and_out)});
    EXPECT_TRUE(a.wait_closed());
    TestClient& late = client();
    late.send(hello("realm1"));
    EXPECT_EQ(late.expect<wamp::Abort>().reason, wamp::close::system_shutdown);
}

TEST_F(Session, MessagesAfterRouterGoodbyeAreIgnored) {
    TestClient& c = joined();
    router().shutdown();
    c.expect<wamp::Goodbye>();
    c.send(wamp::Subscribe{1, {}, "com.topic"});
    EXPECT_TRUE(c.nothing_for());
}

TEST_F(Session, AuthmethodsWithoutAnonymousAreRefused) {
    TestClient& c = client();
    c.send(hello("realm1", {{"authmethods", wamp::Value{"wampcra"}}, // the realm has none
                            {"roles", wamp::Object{{"caller", wamp::Object{}}}}}));
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::no_auth_method);
}

TEST_F(Session, RemovedRealmClosesItsSessions) {
    TestClient& c = joined();
    EXPECT_TRUE(router().remove_realm("realm1"));
    EXPECT_EQ(c.expect<wamp::Goodbye>().reason, wamp::close::close_realm);
    EXPECT_FALSE(router().remove_realm("realm1"));
}

namespace {

router::RouterConfig template_config() {
    router::RouterConfig config;
    router::RealmConfig t;
    t.strict_request_ids = true;
    config.realm_template = t;
    return config;
}

class TemplateRealm : public RouterFixture {
protected:
    TemplateRealm() : RouterFixture(template_config()) {}
};

router::RouterConfig quick_hello_config() {
    router::RouterConfig config = RouterFixture::default_config();
    config.hello_timeout = std::chrono::milliseconds(200);
    return config;
}

class HelloDeadline : public RouterFixture {
protected:
    HelloDeadline() : RouterFixture(quick_hello_config()) {}
};

TEST_F(HelloDeadline, SilentConnectionIsAbortedAndClosed) {
    TestClient& c = client();
    EXPECT_EQ(c.expect<wamp::Abort>(1s).reason, wamp::errors::hello_timeout);
    EXPECT_TRUE(c.wait_closed());
}

TEST_F(HelloDeadline, JoinedSessionIsNotAffected) {
    TestClient& c = joined();
    EXPECT_TRUE(c.nothing_for(400ms));
    c.send(wamp::Subscribe{c.next_request(), {}, "com.x"});
    c.expect<wamp::Subscribed>();
}

TEST_F(HelloDeadline, AppliesAgainAfterGoodbye) {
    TestClient& c = joined();
    c.send(wamp::Goodbye{{}, "wamp.close.normal"});
    c.expect<wamp::Goodbye>();
    EXPECT_EQ(c.expect<wamp::Abort>(1s).reason, wamp::errors::hello_timeout);
    EXPECT_TRUE(c.wait_closed());
}

TEST_F(HelloDeadline, AuthenticationHasItsOwnDeadline) {
    // A HELLO in time ends the HELLO deadline even while the session is not
    // yet established; the realm's auth_timeout takes over (router_auth_test).
    TestClient& c = client();
    c.send(TestClient::hello("realm1"));
    c.expect<wamp::Welcome>();
    EXPECT_TRUE(c.nothing_for(400ms));
}

} // namespace

TEST_F(TemplateRealm, UnknownRealmIsCreatedFromTheTemplate) {
    TestClient& c = client();
    c.join("com.example.anything");
    EXPECT_EQ(router().realms(), std::vector<std::string>{"com.example.anything"});
}

TEST_F(TemplateRealm, StrictRequestIdsRejectAGap) {
    TestClient& c = client();
    c.join("r");
    c.send(wamp::Subscribe{1, {}, "com.topic"});
    c.expect<wamp::Subscribed>();
    c.send(wamp::Subscribe{3, {}, "com.topic2"});
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::protocol_violation);
}

namespace {

// Ids from RouterConfig::id_generator, in the order the router asks for them.
router::RouterConfig counted_ids_config(std::shared_ptr<std::atomic<wamp::Id>> next) {
    router::RouterConfig config = RouterFixture::default_config();
    config.id_generator = [next] { return next->fetch_add(1); };
    return config;
}

class SessionWithCountedIds : public RouterFixture {
protected:
    SessionWithCountedIds() : RouterFixture(counted_ids_config(next_)) {}
    // Shared with the generator, which the router may call until it is gone.
    static inline std::shared_ptr<std::atomic<wamp::Id>> next_ =
        std::make_shared<std::atomic<wamp::Id>>(1000);
};

} // namespace

// Sessions and publications take their ids from the generator, not the CSPRNG.
TEST_F(SessionWithCountedIds, SessionAndPublicationIdsComeFromTheGenerator) {
    const wamp::Id before = next_->load();
    TestClient& a = joined();
    const wamp::Id after_join = next_->load();
    EXPECT_GE(a.session(), before);
    EXPECT_LT(a.session(), after_join);
    a.send(wamp::Publish{a.next_request(), {{"acknowledge", true}}, "com.counted", {}});
    const auto published = a.expect<wamp::Published>();
    EXPECT_GE(published.publication, after_join);
    EXPECT_LT(published.publication, next_->load());
}
