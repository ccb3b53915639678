// Publish & subscribe through the full router (the broker's own unit tests
// cover each rule in isolation; these prove the wiring end to end).
#include "support/router_fixture.hpp"

using namespace nexus;
using namespace nexus::test;
using wamp::Array;
using wamp::Object;
using wamp::Payload;
using wamp::Value;

namespace {

class PubSub : public RouterFixture {
protected:
    wamp::Id subscribe(TestClient& c, const std::string& topic, Object options = {}) {
        const wamp::Id req = c.next_request();
        c.send(wamp::Subscribe{req, std::move(options), topic});
        auto s = c.expect<wamp::Subscribed>();
        EXPECT_EQ(s.request, req);
        return s.subscription;
    }
    void publish(TestClient& c, const std::string& topic, Object options = {},
                 Payload payload = Payload(Array{"hello"})) {
        c.send(wamp::Publish{c.next_request(), std::move(options), topic, std::move(payload)});
    }
};

} // namespace

TEST_F(PubSub, EventReachesSubscribersButNotThePublisher) {
    TestClient& sub = joined();
    TestClient& pub = joined();
    const wamp::Id sid = subscribe(sub, "com.example.topic");
    subscribe(pub, "com.example.topic");
    publish(pub, "com.example.topic", {}, Payload(Array{1, "two"}, Object{{"k", true}}));
    auto e = sub.expect<wamp::Event>();
    EXPECT_EQ(e.subscription, sid);
    EXPECT_TRUE(wamp::is_valid_id(e.publication));
    EXPECT_EQ(e.payload.args(), (Array{1, "two"}));
    EXPECT_EQ(e.payload.kwargs(), (Object{{"k", true}}));
    EXPECT_TRUE(pub.nothing_for());
}

TEST_F(PubSub, PayloadPassthruOptionsReachTheEvent) {
    wamp::Object ppt = TestClient::default_features();
    ppt.emplace("payload_passthru_mode", true);
    TestClient& sub = joined();
    TestClient& pub = client();
    pub.join("realm1", {}, ppt);
    subscribe(sub, "com.e2e");
    publish(pub, "com.e2e", {{"ppt_scheme", "x_test"}, {"ppt_cipher", "none"}, {"ppt_other", true}},
            Payload(Array{wamp::Bytes{9}}));
    auto e = sub.expect<wamp::Event>();
    EXPECT_EQ(e.details.at("ppt_scheme"), Value("x_test"));
    EXPECT_EQ(e.details.at("ppt_cipher"), Value("none"));
    EXPECT_FALSE(e.details.contains("ppt_other"));
    EXPECT_EQ(e.payload.args(), (Array{wamp::Bytes{9}}));
    // Without the feature announced, ppt_* options are a protocol violation.
    TestClient& plain = joined();
    plain.send(wamp::Publish{plain.next_request(), {{"ppt_keyid", "k"}}, "com.e2e", {}});
    EXPECT_EQ(plain.expect<wamp::Abort>().reason, wamp::errors::protocol_violation);
}

TEST_F(PubSub, AcknowledgeAndExcludeMeFalse) {
    TestClient& c = joined();
    subscribe(c, "com.t");
    const wamp::Id req = c.next_request();
    c.send(wamp::Publish{req, {{"acknowledge", true}, {"exclude_me", false}}, "com.t", {}});
    // PUBLISHED and EVENT may come in either order; collect both.
    auto first = c.next();
    auto second = c.next();
    ASSERT_TRUE(first && second);
    const wamp::Published* ack = std::get_if<wamp::Published>(&*first);
    const wamp::Event* ev = std::get_if<wamp::Event>(&*second);
    if (!ack) {
        ack = std::get_if<wamp::Published>(&*second);
        ev = std::get_if<wamp::Event>(&*first);
    }
    ASSERT_TRUE(ack && ev);
    EXPECT_EQ(ack->request, req);
    EXPECT_EQ(ack->publication, ev->publication);
}

TEST_F(PubSub, SameTopicSharesOneSubscriptionId) {
    TestClient& a = joined();
    TestClient& b = joined();
    EXPECT_EQ(subscribe(a, "com.shared"), subscribe(b, "com.shared"));
    EXPECT_NE(subscribe(a, "com.shared", {{"match", "prefix"}}), subscribe(a, "com.shared"));
}

TEST_F(PubSub, PatternSubscriptionsCarryTheTopic) {
    TestClient& sub = joined();
    TestClient& pub = joined();
    const wamp::Id prefix = subscribe(sub, "com.example", {{"match", "prefix"}});
    const wamp::Id wild = subscribe(sub, "com..topic", {{"match", "wildcard"}});
    publish(pub, "com.example.topic");
    std::map<wamp::Id, wamp::Event> got;
    for (int i = 0; i < 2; ++i) {
        auto e = sub.expect<wamp::Event>();
        got[e.subscription] = e;
    }
    ASSERT_TRUE(got.contains(prefix) && got.contains(wild));
    EXPECT_EQ(got[prefix].details.at("topic"), Value("com.example.topic"));
    EXPECT_EQ(got[wild].details.at("topic"), Value("com.example.topic"));
    EXPECT_EQ(got[prefix].publication, got[wild].publication);
}

TEST_F(PubSub, PublisherDisclosure) {
    TestClient& sub = joined();
    TestClient& pub = joined();
    subscribe(sub, "com.t");
    publish(pub, "com.t", {{"disclose_me", true}});
    auto e = sub.expect<wamp::Event>();
    EXPECT_EQ(e.details.at("publisher"), Value(pub.session()));
}

TEST_F(PubSub, BlackAndWhiteListsBySessionAndAuthid) {
    TestClient& a = client();
    a.join_as("alice");
    TestClient& b = client();
    b.join_as("bob");
    TestClient& pub = joined();
    subscribe(a, "com.t");
    subscribe(b, "com.t");
    publish(pub, "com.t", {{"exclude", Value{a.session()}}});
    b.expect<wamp::Event>();
    EXPECT_TRUE(a.nothing_for());
    publish(pub, "com.t", {{"eligible_authid", Value{"alice"}}});
    a.expect<wamp::Event>();
    EXPECT_TRUE(b.nothing_for());
    publish(pub, "com.t", {{"exclude_authid", Value{"alice", "bob"}}});
    EXPECT_TRUE(a.nothing_for());
    EXPECT_TRUE(b.nothing_for());
}

TEST_F(PubSub, UnsubscribeStopsEventsAndUnknownIdsFail) {
    TestClient& sub = joined();
    TestClient& pub = joined();
    const wamp::Id sid = subscribe(sub, "com.t");
    const wamp::Id req = sub.next_request();
    sub.send(wamp::Unsubscribe{req, sid});
    EXPECT_EQ(sub.expect<wamp::Unsubscribed>().request, req);
    publish(pub, "com.t");
    EXPECT_TRUE(sub.nothing_for());
    sub.send(wamp::Unsubscribe{sub.next_request(), sid});
    auto err = sub.expect<wamp::Error>();
    EXPECT_EQ(err.request_type, wamp::MessageType::unsubscribe);
    EXPECT_EQ(err.error, wamp::errors::no_such_subscription);
}

// wampy over CBOR or MessagePack sends SUBSCRIBE {"match": undefined, "get_retained": undefined},
// which the decoders read as null: unset, not invalid. A match of another type stays invalid.
TEST_F(PubSub, NullMatchIsExact) {
    TestClient& sub = joined();
    TestClient& pub = joined();
    const wamp::Id exact = subscribe(pub, "com.t");
    const wamp::Id sid = subscribe(sub, "com.t", {{"match", Value()}, {"get_retained", Value()}});
    EXPECT_EQ(sid, exact);
    publish(pub, "com.t");
    EXPECT_EQ(sub.expect<wamp::Event>().subscription, sid);
    sub.send(wamp::Subscribe{sub.next_request(), {{"match", 1}}, "com.t"});
    EXPECT_EQ(sub.expect<wamp::Error>().error, wamp::errors::invalid_argument);
}

TEST_F(PubSub, InvalidTopicsAreRefused) {
    TestClient& c = joined();
    c.send(wamp::Subscribe{c.next_request(), {}, "com..bad"});
    EXPECT_EQ(c.expect<wamp::Error>().error, wamp::errors::invalid_uri);
    c.send(wamp::Publish{c.next_request(), {{"acknowledge", true}}, "wamp.session.on_join", {}});
    EXPECT_EQ(c.expect<wamp::Error>().error, wamp::errors::invalid_uri);
}

TEST_F(PubSub, RetainedEventIsDeliveredOnSubscribe) {
    TestClient& pub = joined();
    publish(pub, "com.retained", {{"retain", true}}, Payload(Array{"kept"}));
    publish(pub, "com.retained", {{"retain", true}, {"acknowledge", true}},
            Payload(Array{"latest"}));
    pub.expect<wamp::Published>();
    TestClient& sub = joined();
    subscribe(sub, "com.retained", {{"get_retained", true}});
    auto e = sub.expect<wamp::Event>();
    EXPECT_EQ(e.details.at("retained"), Value(true));
    EXPECT_EQ(e.payload.args(), (Array{"latest"}));
    TestClient& plain = joined();
    subscribe(plain, "com.retained");
    EXPECT_TRUE(plain.nothing_for());
}

TEST_F(PubSub, EventsFromOnePublisherArriveInOrder) {
    TestClient& sub = joined();
    TestClient& pub = joined();
    subscribe(sub, "com.a");
    subscribe(sub, "com.b");
    for (int i = 0; i < 200; ++i)
        publish(pub, i % 2 ? "com.a" : "com.b", {}, Payload(Array{i}));
    for (int i = 0; i < 200; ++i)
        EXPECT_EQ(sub.expect<wamp::Event>().payload.args().at(0), Value(i));
}

TEST_F(PubSub, LeavingSessionLosesItsSubscriptions) {
    TestClient& sub = joined();
    TestClient& pub = joined();
    subscribe(sub, "com.t");
    sub.send(wamp::Goodbye{{}, std::string(wamp::close::goodbye_and_out)});
    sub.expect<wamp::Goodbye>();
    publish(pub, "com.t", {{"acknowledge", true}});
    pub.expect<wamp::Published>();
    EXPECT_TRUE(sub.nothing_for());
}

TEST_F(PubSub, EventsNeverCrossRealms) {
    router::RealmConfig realm2;
    realm2.uri = "realm2";
    ASSERT_TRUE(router().add_realm(realm2));
    TestClient& other = joined("realm2");
    TestClient& pub = joined();
    subscribe(other, "com.t");
    publish(pub, "com.t");
    EXPECT_TRUE(other.nothing_for());
}
