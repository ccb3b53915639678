// Where calls and events go beyond the basic profile: call re-routing after
// wamp.error.unavailable (rpc_call_rerouting.md), partitioned calls of sharded
// registrations and sharded subscriptions (router/sharding.hpp), and trust
// levels in INVOCATION and EVENT details.
#include "router/sharding.hpp"

#include "support/router_fixture.hpp"

#include <map>
#include <set>

namespace nexus::test {
namespace {

using wamp::Array;
using wamp::Object;
using wamp::Payload;
using wamp::Value;

Object reroute_features() {
    Object f = TestClient::default_features();
    f.emplace("call_reroute", true);
    return f;
}

class Routing : public RouterFixture {
protected:
    explicit Routing(router::RouterConfig config = default_config())
        : RouterFixture(std::move(config)) {}

    TestClient& callee(bool reroute = true) {
        TestClient& c = client();
        c.join("realm1", {}, reroute ? reroute_features() : TestClient::default_features());
        return c;
    }
    static wamp::Id register_(TestClient& c, const std::string& uri, Object options) {
        c.send(wamp::Register{c.next_request(), std::move(options), uri});
        return c.expect<wamp::Registered>().registration;
    }
    static void unavailable(TestClient& c, const wamp::Invocation& inv) {
        c.send(wamp::Error{wamp::MessageType::invocation,
                           inv.request,
                           {},
                           std::string(wamp::errors::unavailable),
                           {}});
    }
};

TEST_F(Routing, TheRouterAnnouncesTheFeatures) {
    TestClient& c = client();
    c.send(TestClient::hello("realm1"));
    auto roles = c.expect<wamp::Welcome>().details.at("roles").as_object();
    const auto& dealer = roles.at("dealer").as_object().at("features").as_object();
    const auto& broker = roles.at("broker").as_object().at("features").as_object();
    for (const char* f : {"call_reroute", "sharded_registration", "call_trustlevels"})
        EXPECT_EQ(dealer.at(f), Value(true)) << f;
    for (const char* f : {"sharded_subscription", "publication_trustlevels"})
        EXPECT_EQ(broker.at(f), Value(true)) << f;
}

TEST_F(Routing, AnUnavailableCalleeIsSkippedInRegistrationOrderForFirst) {
    TestClient& a = callee();
    TestClient& b = callee();
    TestClient& c = callee();
    for (TestClient* x : {&a, &b, &c})
        register_(*x, "com.work", {{"invoke", "first"}});
    TestClient& caller = joined();
    const wamp::Id req = caller.next_request();
    caller.send(wamp::Call{req, {}, "com.work", Payload(Array{7}, Object{{"k", 1}})});
    unavailable(a, a.expect<wamp::Invocation>());
    auto second = b.expect<wamp::Invocation>();
    EXPECT_EQ(second.payload.args(), (Array{7})); // the same arguments reach the next one
    EXPECT_EQ(second.payload.kwargs(), (Object{{"k", 1}}));
    unavailable(b, second);
    auto third = c.expect<wamp::Invocation>();
    c.send(wamp::Yield{third.request, {}, Payload(Array{"done by c"})});
    auto result = caller.expect<wamp::Result>();
    EXPECT_EQ(result.request, req);
    EXPECT_EQ(result.payload.args(), (Array{"done by c"}));
}

TEST_F(Routing, WhenEveryCalleeIsUnavailableTheCallerHearsNoAvailableCallee) {
    TestClient& a = callee();
    TestClient& b = callee();
    for (TestClient* x : {&a, &b})
        register_(*x, "com.work", {{"invoke", "roundrobin"}});
    TestClient& caller = joined();
    caller.send(wamp::Call{caller.next_request(), {}, "com.work", {}});
    unavailable(a, a.expect<wamp::Invocation>());
    unavailable(b, b.expect<wamp::Invocation>());
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::no_available_callee);
    EXPECT_TRUE(a.nothing_for(10ms));
    // A single registration's callee being unavailable is the same answer.
    TestClient& only = callee();
    register_(only, "com.single", {});
    caller.send(wamp::Call{caller.next_request(), {}, "com.single", {}});
    unavailable(only, only.expect<wamp::Invocation>());
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::no_available_callee);
}

TEST_F(Routing, LastGoesBackwardsAndACalleeWithoutTheFeatureIsAnsweredAsItSaid) {
    TestClient& a = callee();
    TestClient& b = callee();
    for (TestClient* x : {&a, &b})
        register_(*x, "com.work", {{"invoke", "last"}});
    TestClient& caller = joined();
    caller.send(wamp::Call{caller.next_request(), {}, "com.work", {}});
    unavailable(b, b.expect<wamp::Invocation>());
    auto inv = a.expect<wamp::Invocation>();
    a.send(wamp::Yield{inv.request, {}, {}});
    caller.expect<wamp::Result>();

    // unavailable from a callee that did not announce call_reroute is just its answer.
    TestClient& plain = callee(false);
    register_(plain, "com.plain", {});
    caller.send(wamp::Call{caller.next_request(), {}, "com.plain", {}});
    unavailable(plain, plain.expect<wamp::Invocation>());
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::unavailable);
}

TEST_F(Routing, PartitionedCallsGoToTheNodeTheKeyHashesTo) {
    const std::vector<std::string> nodes{"db-a", "db-b", "db-c"};
    std::map<std::string, TestClient*> by_node;
    for (const std::string& n : nodes) {
        TestClient& c = callee();
        register_(c, "com.db.get", {{"invoke", "roundrobin"}, {"nkey", n}});
        by_node[n] = &c;
    }
    TestClient& caller = joined();
    std::set<std::string> used;
    for (int i = 0; i < 12; ++i) {
        const std::string rkey = "customer-" + std::to_string(i);
        std::string expected = nodes[0];
        for (const std::string& n : nodes)
            if (router::shard_wins(rkey, n, expected)) expected = n;
        used.insert(expected);
        caller.send(wamp::Call{
            caller.next_request(), {{"runmode", "partition"}, {"rkey", rkey}}, "com.db.get", {}});
        auto inv = by_node[expected]->expect<wamp::Invocation>();
        by_node[expected]->send(wamp::Yield{inv.request, {}, {}});
        caller.expect<wamp::Result>();
    }
    EXPECT_GT(used.size(), 1u); // the keys spread over the nodes
    for (auto& [n, c] : by_node)
        EXPECT_TRUE(c->nothing_for(10ms)) << n;
    // Without runmode the registration's policy applies over every callee.
    caller.send(wamp::Call{caller.next_request(), {}, "com.db.get", {}});
    bool someone = false;
    for (auto& [n, c] : by_node)
        if (auto m = c->next(200ms)) {
            someone = true;
            c->send(wamp::Yield{std::get<wamp::Invocation>(*m).request, {}, {}});
        }
    EXPECT_TRUE(someone);
    caller.expect<wamp::Result>();
    // Malformed partitioned calls.
    for (const Object& options :
         {Object{{"runmode", "partition"}}, Object{{"runmode", "partition"}, {"rkey", 5}},
          Object{{"runmode", "all"}}, Object{{"runmode", "sideways"}}}) {
        caller.send(wamp::Call{caller.next_request(), options, "com.db.get", {}});
        EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::invalid_argument);
    }
}

TEST_F(Routing, APartitionIsReroutedOnlyWithinItsNode) {
    TestClient& a1 = callee();
    TestClient& a2 = callee();
    TestClient& b = callee();
    register_(a1, "com.db.get", {{"invoke", "first"}, {"nkey", "a"}});
    register_(a2, "com.db.get", {{"invoke", "first"}, {"nkey", "a"}});
    register_(b, "com.db.get", {{"invoke", "first"}, {"nkey", "b"}});
    std::string rkey;
    for (int i = 0; rkey.empty(); ++i)
        if (router::shard_wins("k" + std::to_string(i), "a", "b")) rkey = "k" + std::to_string(i);
    TestClient& caller = joined();
    caller.send(wamp::Call{
        caller.next_request(), {{"runmode", "partition"}, {"rkey", rkey}}, "com.db.get", {}});
    unavailable(a1, a1.expect<wamp::Invocation>());
    unavailable(a2, a2.expect<wamp::Invocation>());
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::no_available_callee);
    EXPECT_TRUE(b.nothing_for(10ms));
}

TEST_F(Routing, ShardedSubscribersGetTheEventsOfTheirNodeOnly) {
    TestClient& x = joined();
    TestClient& y = joined();
    TestClient& everything = joined();
    for (auto [c, nkey] : {std::pair{&x, "node-x"}, std::pair{&y, "node-y"}}) {
        c->send(wamp::Subscribe{c->next_request(), {{"nkey", nkey}}, "com.sensor.temp"});
        c->expect<wamp::Subscribed>();
    }
    everything.send(wamp::Subscribe{everything.next_request(), {}, "com.sensor.temp"});
    everything.expect<wamp::Subscribed>();
    TestClient& pub = joined();
    int to_x = 0, to_y = 0;
    for (int i = 0; i < 10; ++i) {
        const std::string rkey = "sn" + std::to_string(i);
        pub.send(wamp::Publish{
            pub.next_request(), {{"rkey", rkey}}, "com.sensor.temp", Payload(Array{i})});
        everything.expect<wamp::Event>(); // no node key: every event
        TestClient& home = router::shard_wins(rkey, "node-x", "node-y") ? x : y;
        TestClient& other = &home == &x ? y : x;
        EXPECT_EQ(home.expect<wamp::Event>().payload.args(), (Array{i}));
        EXPECT_TRUE(other.nothing_for(5ms));
        ++(&home == &x ? to_x : to_y);
    }
    EXPECT_GT(to_x, 0);
    EXPECT_GT(to_y, 0);
    // Without an rkey the event goes to everyone.
    pub.send(wamp::Publish{pub.next_request(), {}, "com.sensor.temp", {}});
    for (TestClient* c : {&x, &y, &everything})
        c->expect<wamp::Event>();
}

router::RouterConfig trust_config() {
    router::RouterConfig config = RouterFixture::default_config();
    config.realms[0].trustlevels.by_authrole = {{"user", 2}};
    config.realms[0].trustlevels.by_authmethod = {{"anonymous", 0}};
    return config;
}

class TrustLevels : public Routing {
protected:
    TrustLevels() : Routing(trust_config()) {}
};

TEST_F(TrustLevels, InvocationsAndEventsCarryTheTrustLevelOfTheirOrigin) {
    TestClient& service = joined();
    register_(service, "com.svc", {});
    service.send(wamp::Subscribe{service.next_request(), {}, "com.news"});
    service.expect<wamp::Subscribed>();
    TestClient& user = client();
    user.join_as("alice"); // authrole "user"
    TestClient& anonymous = joined();
    for (auto [c, level] : {std::pair{&user, 2}, std::pair{&anonymous, 0}}) {
        c->send(wamp::Call{c->next_request(), {}, "com.svc", {}});
        auto inv = service.expect<wamp::Invocation>();
        EXPECT_EQ(inv.details.at("trustlevel"), Value(level));
        service.send(wamp::Yield{inv.request, {}, {}});
        c->expect<wamp::Result>();
        c->send(wamp::Publish{c->next_request(), {}, "com.news", {}});
        EXPECT_EQ(service.expect<wamp::Event>().details.at("trustlevel"), Value(level));
    }
}

TEST_F(Routing, NoTrustLevelsConfiguredNoDetail) {
    TestClient& service = joined();
    register_(service, "com.svc", {});
    TestClient& c = joined();
    c.send(wamp::Call{c.next_request(), {}, "com.svc", {}});
    EXPECT_FALSE(service.expect<wamp::Invocation>().details.contains("trustlevel"));
}

} // namespace
} // namespace nexus::test
