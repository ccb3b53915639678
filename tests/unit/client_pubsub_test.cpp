// Publisher and subscriber through the embedded router: events with payload
// and details over every transport and serializer; acknowledgement,
// exclusion, black/white lists, disclosure, retention, patterns, several
// handlers on one topic, unsubscribing.
#include "support/client_fixture.hpp"

#include <nexus/wamp/uris.hpp>

#include <mutex>

namespace nexus::test {
namespace {

using client::Event;
using client::PublishOptions;

/// Collects events from any thread.
class Inbox {
public:
    client::EventHandler handler() {
        return [this](const Event& e) {
            std::lock_guard lock(mutex_);
            events_.push_back(e);
        };
    }
    std::size_t size() {
        std::lock_guard lock(mutex_);
        return events_.size();
    }
    bool wait_for(std::size_t n) {
        return eventually([&] { return size() >= n; });
    }
    Event at(std::size_t i) {
        std::lock_guard lock(mutex_);
        return events_.at(i);
    }

private:
    std::mutex mutex_;
    std::vector<Event> events_;
};

class ClientPubSub : public ::testing::TestWithParam<TransportCase> {
protected:
    ClientHarness h;
};

TEST_P(ClientPubSub, EventsCarryPayloadAndDetails) {
    client::Session& sub = h.joined(GetParam());
    client::Session& pub = h.joined(GetParam());
    Inbox inbox;
    client::Subscription s = h.run(sub.subscribe("com.example.topic", inbox.handler()));
    EXPECT_EQ(s.topic, "com.example.topic");
    PublishOptions options;
    options.acknowledge = true;
    options.disclose_me = true;
    std::optional<wamp::Id> publication =
        h.run(pub.publish("com.example.topic", {1, "two"}, {{"three", 3.0}}, options));
    ASSERT_TRUE(publication);
    ASSERT_TRUE(inbox.wait_for(1));
    Event e = inbox.at(0);
    EXPECT_EQ(e.subscription, s.id);
    EXPECT_EQ(e.publication, *publication);
    EXPECT_EQ(e.args, (wamp::Array{1, "two"}));
    EXPECT_EQ(e.kwargs.at("three"), wamp::Value(3.0));
    EXPECT_EQ(e.topic, "com.example.topic");
    EXPECT_EQ(e.publisher(), pub.info()->session);

    // Unacknowledged publishing completes without a publication id.
    EXPECT_FALSE(h.run(pub.publish("com.example.topic", {2})));
    ASSERT_TRUE(inbox.wait_for(2));
    EXPECT_FALSE(inbox.at(1).publisher());

    h.run(sub.unsubscribe(s));
    options.disclose_me = false;
    h.run(pub.publish("com.example.topic", {3}, {}, options));
    std::this_thread::sleep_for(30ms);
    EXPECT_EQ(inbox.size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(AllTransports, ClientPubSub, ::testing::ValuesIn(all_transports()),
                         case_name);

class ClientPubSubLocal : public ::testing::Test {
protected:
    ClientHarness h;
    TransportCase local{"local"};
    PublishOptions acknowledged() {
        PublishOptions o;
        o.acknowledge = true;
        return o;
    }
};

TEST_F(ClientPubSubLocal, ExcludeMeDecidesWhetherThePublisherHearsItself) {
    client::Session& s = h.joined(local);
    Inbox inbox;
    h.run(s.subscribe("com.example.self", inbox.handler()));
    h.run(s.publish("com.example.self", {"excluded"}, {}, acknowledged()));
    PublishOptions include = acknowledged();
    include.exclude_me = false;
    h.run(s.publish("com.example.self", {"included"}, {}, include));
    ASSERT_TRUE(inbox.wait_for(1));
    std::this_thread::sleep_for(30ms);
    ASSERT_EQ(inbox.size(), 1u);
    EXPECT_EQ(inbox.at(0).args.at(0), wamp::Value("included"));
}

TEST_F(ClientPubSubLocal, BlackAndWhiteListsSelectReceivers) {
    client::Session& a = h.joined(local);
    client::Session& b = h.joined(local);
    client::Session& pub = h.joined(local);
    Inbox in_a, in_b;
    h.run(a.subscribe("com.example.lists", in_a.handler()));
    h.run(b.subscribe("com.example.lists", in_b.handler()));
    PublishOptions exclude = acknowledged();
    exclude.exclude = {a.info()->session};
    h.run(pub.publish("com.example.lists", {"not a"}, {}, exclude));
    PublishOptions eligible = acknowledged();
    eligible.eligible = {a.info()->session};
    h.run(pub.publish("com.example.lists", {"only a"}, {}, eligible));
    ASSERT_TRUE(in_a.wait_for(1));
    ASSERT_TRUE(in_b.wait_for(1));
    std::this_thread::sleep_for(30ms);
    ASSERT_EQ(in_a.size(), 1u);
    ASSERT_EQ(in_b.size(), 1u);
    EXPECT_EQ(in_a.at(0).args.at(0), wamp::Value("only a"));
    EXPECT_EQ(in_b.at(0).args.at(0), wamp::Value("not a"));
}

TEST_F(ClientPubSubLocal, RetainedEventReachesLaterSubscribers) {
    client::Session& pub = h.joined(local);
    PublishOptions retain = acknowledged();
    retain.retain = true;
    h.run(pub.publish("com.example.state", {"latest"}, {}, retain));
    client::Session& sub = h.joined(local);
    Inbox inbox;
    client::SubscribeOptions options;
    options.get_retained = true;
    h.run(sub.subscribe("com.example.state", inbox.handler(), options));
    ASSERT_TRUE(inbox.wait_for(1));
    EXPECT_EQ(inbox.at(0).args.at(0), wamp::Value("latest"));
    EXPECT_TRUE(inbox.at(0).retained());
}

TEST_F(ClientPubSubLocal, PatternSubscriptionsSeeTheActualTopic) {
    client::Session& sub = h.joined(local);
    client::Session& pub = h.joined(local);
    Inbox prefix, wildcard;
    client::SubscribeOptions p;
    p.match = wamp::MatchPolicy::prefix;
    client::SubscribeOptions w;
    w.match = wamp::MatchPolicy::wildcard;
    h.run(sub.subscribe("com.example.sensors", prefix.handler(), p));
    h.run(sub.subscribe("com.example..temp", wildcard.handler(), w));
    h.run(pub.publish("com.example.sensors.temp", {21}, {}, acknowledged()));
    ASSERT_TRUE(prefix.wait_for(1));
    EXPECT_EQ(prefix.at(0).topic, "com.example.sensors.temp");
    ASSERT_TRUE(wildcard.wait_for(1));
    EXPECT_EQ(wildcard.at(0).topic, "com.example.sensors.temp");
}

TEST_F(ClientPubSubLocal, HandlersOnOneTopicShareTheSubscription) {
    client::Session& sub = h.joined(local);
    client::Session& pub = h.joined(local);
    Inbox first, second;
    client::Subscription s1 = h.run(sub.subscribe("com.example.shared", first.handler()));
    client::Subscription s2 = h.run(sub.subscribe("com.example.shared", second.handler()));
    EXPECT_EQ(s1.id, s2.id);
    EXPECT_NE(s1.handler, s2.handler);
    h.run(pub.publish("com.example.shared", {1}, {}, acknowledged()));
    ASSERT_TRUE(first.wait_for(1));
    ASSERT_TRUE(second.wait_for(1));

    h.run(sub.unsubscribe(s1)); // the router subscription stays for s2
    h.run(pub.publish("com.example.shared", {2}, {}, acknowledged()));
    ASSERT_TRUE(second.wait_for(2));
    EXPECT_EQ(first.size(), 1u);

    h.run(sub.unsubscribe(s2));
    try {
        h.run(sub.unsubscribe(s2));
        FAIL() << "unsubscribed twice";
    } catch (const client::WampError& e) {
        EXPECT_EQ(e.uri(), wamp::errors::no_such_subscription);
    }
}

TEST_F(ClientPubSubLocal, PublishingToAReservedTopicFailsWhenAcknowledged) {
    client::Session& pub = h.joined(local);
    try {
        h.run(pub.publish("wamp.reserved", {}, {}, acknowledged()));
        FAIL() << "published to wamp.*";
    } catch (const client::WampError& e) {
        EXPECT_EQ(e.uri(), wamp::errors::invalid_uri);
    }
}

} // namespace
} // namespace nexus::test
