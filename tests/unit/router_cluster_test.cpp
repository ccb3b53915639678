// A realm served by several routers joined through a bus (docs/CLUSTER.md):
// every case puts the parties on different nodes and checks that they see one
// router. The bus is the in-memory fabric (with its injected faults);
// router_cluster_nats_test.cpp runs routers over real NATS servers.
#include "support/cluster_fixture.hpp"
#include "support/fake_peer.hpp"

#include "router/cluster/envelope.hpp"

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

using namespace nexus;
using namespace nexus::test;
using wamp::Array;
using wamp::Object;
using wamp::Payload;
using wamp::Value;

namespace {
using Cluster = ClusterFixture;

// What a WebSocket server puts into TransportInfo: its tracking cookie.
router::TransportInfo with_cookie(const std::string& cookie) {
    router::TransportInfo info{"websocket", "wamp.2.json", "tcp4:127.0.0.1:1", {}, {}};
    info.extra.emplace("cookie", cookie);
    return info;
}

} // namespace

TEST_F(Cluster, SessionIdsAndCountsCoverEveryNode) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& ca = a.joined();
    TestClient& cb = b.joined();
    EXPECT_NE(ca.session(), cb.session());
    ASSERT_TRUE(eventually([&] { return session_count(ca) == 2 && session_count(cb) == 2; }));

    // wamp.session.get on a session of the other node.
    auto m = call(ca, "wamp.session.get", Array{cb.session()});
    auto* r = std::get_if<wamp::Result>(&m);
    ASSERT_TRUE(r) << TestClient::describe(m);
    const Object details = r->payload.args().at(0).as_object();
    EXPECT_EQ(details.at("session"), Value(cb.session()));

    // wamp.session.list lists both.
    m = call(cb, "wamp.session.list");
    r = std::get_if<wamp::Result>(&m);
    ASSERT_TRUE(r);
    EXPECT_EQ(ids_of(r->payload.args().at(0).as_array()),
              (std::set<wamp::Id>{ca.session(), cb.session()}));
}

TEST_F(Cluster, EventReachesEverySubscriberOnEveryNodeOnce) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    ClusterNode& c = add_node();
    TestClient& pub = a.joined();
    TestClient& sa = a.joined();
    TestClient& sb1 = b.joined();
    TestClient& sb2 = b.joined();
    TestClient& sc = c.joined();
    const wamp::Id id = subscribe(sa, "com.example.t");
    EXPECT_EQ(subscribe(sb1, "com.example.t"), id) << "subscription ids agree cluster-wide";
    subscribe(sb2, "com.example.t");
    subscribe(sc, "com.example.t");
    ASSERT_TRUE(subscribers(pub, "com.example.t", 4));

    publish(pub, "com.example.t", {}, Payload(Array{1, "two"}, Object{{"k", true}}));
    for (TestClient* s : {&sa, &sb1, &sb2, &sc}) {
        auto e = s->expect<wamp::Event>();
        EXPECT_EQ(e.subscription, id);
        EXPECT_EQ(e.payload.args(), (Array{1, "two"}));
        EXPECT_EQ(e.payload.kwargs(), (Object{{"k", true}}));
    }
    for (TestClient* s : {&pub, &sa, &sb1, &sb2, &sc})
        EXPECT_TRUE(s->nothing_for(50ms));
}

TEST_F(Cluster, PrefixAndWildcardSubscriptionsAcrossNodes) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& pub = a.joined();
    TestClient& prefix = b.joined();
    TestClient& wildcard = b.joined();
    const wamp::Id pid = subscribe(prefix, "com.example", {{"match", "prefix"}});
    const wamp::Id wid = subscribe(wildcard, "com..t", {{"match", "wildcard"}});
    ASSERT_TRUE(subscribers(pub, "com.example.t", 2));
    publish(pub, "com.example.t");
    auto e = prefix.expect<wamp::Event>();
    EXPECT_EQ(e.subscription, pid);
    EXPECT_EQ(e.details.at("topic"), Value("com.example.t"));
    e = wildcard.expect<wamp::Event>();
    EXPECT_EQ(e.subscription, wid);
    publish(pub, "com.other.t");
    EXPECT_EQ(wildcard.expect<wamp::Event>().details.at("topic"), Value("com.other.t"));
    EXPECT_TRUE(prefix.nothing_for(50ms));
}

TEST_F(Cluster, ExclusionEligibilityAndDisclosureAcrossNodes) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& pub = a.client();
    pub.join_as("alice");
    TestClient& bob = b.client();
    bob.join_as("bob");
    TestClient& carol = b.client();
    carol.join_as("carol");
    subscribe(pub, "com.t");
    subscribe(bob, "com.t");
    subscribe(carol, "com.t");
    ASSERT_TRUE(subscribers(pub, "com.t", 3));

    publish(pub, "com.t", {{"exclude_authid", Array{"bob"}}, {"exclude_me", false}});
    pub.expect<wamp::Event>(); // exclude_me: false
    EXPECT_EQ(carol.expect<wamp::Event>().payload.args(), (Array{"hello"}));
    EXPECT_TRUE(bob.nothing_for(50ms));

    publish(pub, "com.t", {{"eligible", Array{bob.session()}}});
    bob.expect<wamp::Event>();
    EXPECT_TRUE(carol.nothing_for(50ms));

    publish(pub, "com.t", {{"exclude", Array{bob.session()}}, {"disclose_me", true}});
    auto e = carol.expect<wamp::Event>();
    EXPECT_EQ(e.details.at("publisher"), Value(pub.session()));
    EXPECT_EQ(e.details.at("publisher_authid"), Value("alice"));
    EXPECT_TRUE(bob.nothing_for(50ms));
    EXPECT_TRUE(pub.nothing_for(0ms));
}

TEST_F(Cluster, EventsFromOnePublisherArriveInOrder) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& pub = a.joined();
    TestClient& sub = b.joined();
    subscribe(sub, "com.seq");
    ASSERT_TRUE(subscribers(pub, "com.seq", 1));
    constexpr int n = 500;
    for (int i = 0; i < n; ++i)
        publish(pub, "com.seq", {}, Payload(Array{i}));
    for (int i = 0; i < n; ++i)
        ASSERT_EQ(sub.expect<wamp::Event>().payload.args(), (Array{i}));
}

TEST_F(Cluster, AcknowledgedPublicationToRemoteSubscribers) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& pub = a.joined();
    TestClient& sub = b.joined();
    subscribe(sub, "com.ack");
    ASSERT_TRUE(subscribers(pub, "com.ack", 1));
    const wamp::Id req = pub.next_request();
    pub.send(wamp::Publish{req, {{"acknowledge", true}}, "com.ack", {}});
    auto ack = pub.expect<wamp::Published>();
    EXPECT_EQ(ack.request, req);
    EXPECT_EQ(sub.expect<wamp::Event>().publication, ack.publication);
}

TEST_F(Cluster, CallAProcedureRegisteredOnAnotherNode) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& caller = a.joined();
    TestClient& callee = b.joined();
    const wamp::Id reg = register_(callee, "com.example.add");
    ASSERT_TRUE(callable(caller, "com.example.add"));

    const wamp::Id req = caller.next_request();
    caller.send(wamp::Call{
        req, {{"disclose_me", true}}, "com.example.add", Payload(Array{2, 3}, Object{{"k", "v"}})});
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_EQ(inv.registration, reg);
    EXPECT_EQ(inv.payload.args(), (Array{2, 3}));
    EXPECT_EQ(inv.payload.kwargs(), (Object{{"k", "v"}}));
    EXPECT_EQ(inv.details.at("caller"), Value(caller.session()));
    callee.send(wamp::Yield{inv.request, {}, Payload(Array{5})});
    auto res = caller.expect<wamp::Result>();
    EXPECT_EQ(res.request, req);
    EXPECT_EQ(res.payload.args(), (Array{5}));

    // An error with its arguments comes back as it was sent.
    const wamp::Id req2 = caller.next_request();
    caller.send(wamp::Call{req2, {}, "com.example.add", Payload(Array{1})});
    inv = callee.expect<wamp::Invocation>();
    callee.send(wamp::Error{wamp::MessageType::invocation,
                            inv.request,
                            {},
                            "com.example.oops",
                            Payload(Array{"why"}, Object{{"code", 7}})});
    auto err = caller.expect<wamp::Error>();
    EXPECT_EQ(err.request, req2);
    EXPECT_EQ(err.error, "com.example.oops");
    EXPECT_EQ(err.payload.args(), (Array{"why"}));
    EXPECT_EQ(err.payload.kwargs(), (Object{{"code", 7}}));
}

TEST_F(Cluster, ProcedureAlreadyExistsHoldsClusterWide) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& first = a.joined();
    TestClient& second = b.joined();
    register_(first, "com.only");
    ASSERT_TRUE(callable(second, "com.only"));
    const wamp::Id req = second.next_request();
    second.send(wamp::Register{req, {}, "com.only"});
    auto err = second.expect<wamp::Error>();
    EXPECT_EQ(err.error, wamp::errors::procedure_already_exists);
}

TEST_F(Cluster, ConcurrentRegistrationsOnTwoNodesExactlyOneWins) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    for (int round = 0; round < 10; ++round) {
        TestClient& x = a.joined();
        TestClient& y = b.joined();
        const std::string uri = "com.race." + std::to_string(round);
        x.send(wamp::Register{x.next_request(), {}, uri});
        y.send(wamp::Register{y.next_request(), {}, uri});
        auto mx = x.next();
        auto my = y.next();
        ASSERT_TRUE(mx && my);
        const bool x_won = std::holds_alternative<wamp::Registered>(*mx);
        const bool y_won = std::holds_alternative<wamp::Registered>(*my);
        EXPECT_NE(x_won, y_won) << "round " << round;
        const wamp::Message& lost = x_won ? *my : *mx;
        ASSERT_TRUE(std::holds_alternative<wamp::Error>(lost));
        EXPECT_EQ(std::get<wamp::Error>(lost).error, wamp::errors::procedure_already_exists);
    }
}

TEST_F(Cluster, SharedRegistrationRoundRobinsOverEveryNodesCallees) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& caller = a.joined();
    TestClient& ca = a.joined();
    TestClient& cb = b.joined();
    register_(ca, "com.shared", {{"invoke", "roundrobin"}});
    register_(cb, "com.shared", {{"invoke", "roundrobin"}});
    ASSERT_TRUE(eventually([&] {
        auto m = call(caller, "wamp.registration.lookup", Array{"com.shared"});
        auto* r = std::get_if<wamp::Result>(&m);
        if (!r || r->payload.args().empty() || r->payload.args()[0].is_null()) return false;
        auto n = call(caller, "wamp.registration.count_callees", Array{r->payload.args()[0]});
        auto* rn = std::get_if<wamp::Result>(&n);
        return rn && rn->payload.args().at(0) == Value(2);
    }));
    std::map<TestClient*, int> served;
    for (int i = 0; i < 6; ++i) {
        caller.send(wamp::Call{caller.next_request(), {}, "com.shared", {}});
        TestClient* who = nullptr;
        for (TestClient* c : {&ca, &cb}) {
            if (auto m = c->next(i == 0 ? 2s : 500ms)) {
                auto* inv = std::get_if<wamp::Invocation>(&*m);
                ASSERT_TRUE(inv);
                c->send(wamp::Yield{inv->request, {}, {}});
                who = c;
                break;
            }
        }
        ASSERT_TRUE(who) << "call " << i << " reached no callee";
        ++served[who];
        caller.expect<wamp::Result>();
    }
    EXPECT_EQ(served[&ca], 3);
    EXPECT_EQ(served[&cb], 3);
}

TEST_F(Cluster, ProgressiveResultsAndCancelAcrossNodes) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& caller = a.joined();
    TestClient& callee = b.joined();
    register_(callee, "com.stream");
    ASSERT_TRUE(callable(caller, "com.stream"));

    const wamp::Id req = caller.next_request();
    caller.send(wamp::Call{req, {{"receive_progress", true}}, "com.stream", {}});
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_EQ(inv.details.at("receive_progress"), Value(true));
    for (int i = 1; i <= 3; ++i)
        callee.send(wamp::Yield{inv.request, {{"progress", true}}, Payload(Array{i})});
    callee.send(wamp::Yield{inv.request, {}, Payload(Array{100})});
    for (int i = 1; i <= 3; ++i) {
        auto r = caller.expect<wamp::Result>();
        EXPECT_EQ(r.details.at("progress"), Value(true));
        EXPECT_EQ(r.payload.args(), (Array{i}));
    }
    auto last = caller.expect<wamp::Result>();
    EXPECT_FALSE(last.details.contains("progress"));
    EXPECT_EQ(last.payload.args(), (Array{100}));

    // Cancel (kill): the callee gets INTERRUPT, the caller the callee's answer.
    const wamp::Id req2 = caller.next_request();
    caller.send(wamp::Call{req2, {}, "com.stream", {}});
    inv = callee.expect<wamp::Invocation>();
    caller.send(wamp::Cancel{req2, {{"mode", "kill"}}});
    auto interrupt = callee.expect<wamp::Interrupt>();
    EXPECT_EQ(interrupt.request, inv.request);
    callee.send(wamp::Error{
        wamp::MessageType::invocation, inv.request, {}, std::string(wamp::errors::canceled), {}});
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::canceled);

    // skip: the caller gets canceled at once, the callee hears nothing.
    const wamp::Id req3 = caller.next_request();
    caller.send(wamp::Call{req3, {}, "com.stream", {}});
    inv = callee.expect<wamp::Invocation>();
    caller.send(wamp::Cancel{req3, {{"mode", "skip"}}});
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::canceled);
    callee.send(wamp::Yield{inv.request, {}, {}});
    EXPECT_TRUE(caller.nothing_for(100ms));
}

TEST_F(Cluster, CallTimeoutAcrossNodes) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& caller = a.joined();
    TestClient& callee = b.joined();
    register_(callee, "com.slow");
    ASSERT_TRUE(callable(caller, "com.slow"));
    const wamp::Id req = caller.next_request();
    caller.send(wamp::Call{req, {{"timeout", 100}}, "com.slow", {}});
    callee.expect<wamp::Invocation>();
    auto err = caller.expect<wamp::Error>();
    EXPECT_EQ(err.request, req);
    EXPECT_EQ(err.error, wamp::errors::timeout);
}

TEST_F(Cluster, KillASessionOnAnotherNode) {
    auto config = RouterFixture::default_config();
    config.realms[0].enable_meta_kill = true;
    ClusterNode& a = add_node(config);
    ClusterNode& b = add_node(config);
    TestClient& admin = a.joined();
    TestClient& victim = b.joined();
    ASSERT_TRUE(eventually([&] { return session_count(admin) == 2; }));
    auto m = call(admin, "wamp.session.kill", Array{victim.session()}, Object{});
    ASSERT_TRUE(std::holds_alternative<wamp::Result>(m)) << TestClient::describe(m);
    auto bye = victim.expect<wamp::Goodbye>();
    EXPECT_EQ(bye.reason, wamp::close::killed);
    ASSERT_TRUE(eventually([&] { return session_count(admin) == 1; }));
}

TEST_F(Cluster, MetaEventsForSessionsOfOtherNodes) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& watcher = a.joined();
    subscribe(watcher, "wamp.session.on_join");
    subscribe(watcher, "wamp.session.on_leave");
    TestClient& remote = b.joined();
    auto join = watcher.expect<wamp::Event>();
    EXPECT_EQ(join.payload.args().at(0).as_object().at("session"), Value(remote.session()));
    remote.send(wamp::Goodbye{{}, std::string(wamp::close::normal)});
    remote.expect<wamp::Goodbye>();
    auto leave = watcher.expect<wamp::Event>();
    EXPECT_EQ(leave.payload.args().at(0), Value(remote.session()));
}

TEST_F(Cluster, AKilledNodesSessionsAndRegistrationsGoAndItsCallsFail) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& caller = a.joined();
    TestClient& callee = b.joined();
    const wamp::Id req = call_in_flight(caller, callee, "com.doomed");
    ASSERT_NE(req, 0u);
    const wamp::Id gone = callee.session();
    b.kill();

    // The call in flight ends with an error, the session leaves, the
    // registration goes: all within node_timeout (400 ms here).
    const auto lost = callee_gone(caller, 3s);
    ASSERT_TRUE(lost);
    EXPECT_EQ(lost->error.request, req);
    EXPECT_EQ(lost->error.error, wamp::errors::canceled);
    EXPECT_EQ(lost->leave.payload.args().at(0), Value(gone));
    auto m = call(caller, "com.doomed");
    ASSERT_TRUE(std::holds_alternative<wamp::Error>(m));
    EXPECT_EQ(std::get<wamp::Error>(m).error, wamp::errors::no_such_procedure);
    EXPECT_EQ(session_count(caller), 1u);
}

TEST_F(Cluster, TestamentOfASessionOnAKilledNode) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& listener = a.joined();
    subscribe(listener, "com.last.words");
    TestClient& dying = b.joined();
    auto m =
        call(dying, "wamp.session.add_testament", Array{"com.last.words", Array{"bye"}, Object{}});
    ASSERT_TRUE(std::holds_alternative<wamp::Result>(m)) << TestClient::describe(m);
    // Node b's changes arrive in order: once node a has its later
    // subscription, it has the testament too.
    subscribe(dying, "com.marker");
    ASSERT_TRUE(subscribers(listener, "com.marker", 1));
    b.kill();
    auto e = listener.expect<wamp::Event>(3s);
    EXPECT_EQ(e.payload.args(), (Array{"bye"}));
}

TEST_F(Cluster, RegistrationsComeBackAfterTheBusReconnects) {
    auto [a, b, caller, callee] = call_across("com.survivor");
    b.bus().disconnect();
    // While cut off, node b serves its own clients.
    TestClient& local = b.joined();
    caller.next(0ms);
    EXPECT_EQ(answered_call(local, callee, "com.survivor", "local"), (Array{"local"}));
    b.bus().reconnect();
    ASSERT_TRUE(callable(caller, "com.survivor"));
    EXPECT_EQ(answered_call(caller, callee, "com.survivor", "remote"), (Array{"remote"}));
}

TEST_F(Cluster, ACallWhoseInvocationTheBusLostFailsInsteadOfWaiting) {
    auto [a, b, caller, callee] = call_across("com.far");
    // Node b is cut off for less than node_timeout: nobody counts it gone,
    // and the INVOCATION sent meanwhile never reaches it.
    b.bus().disconnect();
    const wamp::Id req = caller.next_request();
    caller.send(wamp::Call{req, {}, "com.far", {}});
    // Node a has routed the CALL once a later request of the caller's is
    // answered; its INVOCATION leaves (into the void) right after.
    EXPECT_EQ(session_count(caller), 2u);
    EXPECT_TRUE(caller.nothing_for(100ms));
    b.bus().reconnect();
    auto err = caller.expect<wamp::Error>(2s);
    EXPECT_EQ(err.request, req);
    EXPECT_EQ(err.error, wamp::errors::cluster_unavailable);
    EXPECT_TRUE(callee.nothing_for(100ms));
    // The next call goes through.
    caller.send(wamp::Call{caller.next_request(), {}, "com.far", {}});
    auto inv = callee.expect<wamp::Invocation>();
    callee.send(wamp::Yield{inv.request, {}, Payload(Array{"here"})});
    EXPECT_EQ(caller.expect<wamp::Result>().payload.args(), (Array{"here"}));
}

TEST_F(Cluster, ACallWhoseResultTheBusLostFailsInsteadOfWaiting) {
    auto [a, b, caller, callee] = call_across("com.far");
    const wamp::Id req = caller.next_request();
    caller.send(wamp::Call{req, {}, "com.far", {}});
    auto inv = callee.expect<wamp::Invocation>();
    // The callee answers while the caller's node is cut off: the RESULT is lost.
    a.bus().disconnect();
    callee.send(wamp::Yield{inv.request, {}, Payload(Array{"late"})});
    // Node b has taken the YIELD once a later request of the callee's is answered.
    EXPECT_EQ(session_count(callee), 2u);
    EXPECT_TRUE(caller.nothing_for(100ms));
    a.bus().reconnect();
    auto err = caller.expect<wamp::Error>(2s);
    EXPECT_EQ(err.request, req);
    EXPECT_EQ(err.error, wamp::errors::cluster_unavailable);
}

TEST_F(Cluster, ALongCallOnAnotherNodeOutlivesTheProbes) {
    auto [a, b, caller, callee] = call_across("com.slow");
    const wamp::Id req = caller.next_request();
    caller.send(wamp::Call{req, {{"receive_progress", true}}, "com.slow", {}});
    auto inv = callee.expect<wamp::Invocation>();
    // Ten heartbeats: node a asks about the call each one, node b holds it.
    EXPECT_TRUE(caller.nothing_for(500ms));
    callee.send(wamp::Yield{inv.request, {{"progress", true}}, Payload(Array{1})});
    EXPECT_EQ(caller.expect<wamp::Result>().payload.args(), (Array{1}));
    EXPECT_TRUE(caller.nothing_for(200ms));
    callee.send(wamp::Yield{inv.request, {}, Payload(Array{2})});
    auto res = caller.expect<wamp::Result>();
    EXPECT_EQ(res.request, req);
    EXPECT_EQ(res.payload.args(), (Array{2}));
}

TEST_F(Cluster, ATrackingCookieAuthenticatesOnEveryNode) {
    router::RouterConfig config = RouterFixture::default_config();
    config.realms[0].cookie_auth = true;
    config.realms[0].anonymous_auth = false;
    ClusterNode& a = add_node(config);
    ClusterNode& b = add_node(config);
    {
        // A browser authenticates with a ticket on node a...
        FakePeer first(a.router(), with_cookie("cookie-1"));
        first.send(TestClient::hello(
            "realm1", {{"authmethods", Array{"cookie", "ticket"}}, {"authid", "carol"}}));
        auto challenge = first.next();
        ASSERT_TRUE(challenge && std::holds_alternative<wamp::Challenge>(*challenge));
        first.send(wamp::Authenticate{"ticket-carol", {}});
        auto welcome = first.next();
        ASSERT_TRUE(welcome && std::holds_alternative<wamp::Welcome>(*welcome));
    }
    // ...and its cookie alone is carol on node b, once b heard of it.
    const auto cookie_join = [&](const std::string& cookie) {
        FakePeer again(b.router(), with_cookie(cookie));
        again.send(TestClient::hello("realm1", {{"authmethods", Array{"cookie"}}}));
        return again.next();
    };
    std::optional<wamp::Message> m;
    ASSERT_TRUE(eventually([&] {
        m = cookie_join("cookie-1");
        return m && std::holds_alternative<wamp::Welcome>(*m);
    }));
    const auto& details = std::get<wamp::Welcome>(*m).details;
    EXPECT_EQ(details.at("authid"), Value("carol"));
    EXPECT_EQ(details.at("authrole"), Value("user"));
    EXPECT_EQ(details.at("authmethod"), Value("cookie"));
    auto stranger = cookie_join("cookie-2");
    ASSERT_TRUE(stranger && std::holds_alternative<wamp::Abort>(*stranger));
    EXPECT_EQ(std::get<wamp::Abort>(*stranger).reason, wamp::errors::no_auth_method);
}

TEST_F(Cluster, KillByAuthidReachesEveryNode) {
    auto config = RouterFixture::default_config();
    config.realms[0].enable_meta_kill = true;
    ClusterNode& a = add_node(config);
    ClusterNode& b = add_node(config);
    TestClient& admin = a.client();
    admin.join_as("root");
    TestClient& here = a.client();
    here.join_as("victim");
    TestClient& there = b.client();
    there.join_as("victim");
    TestClient& bystander = b.client();
    bystander.join_as("bob");
    ASSERT_TRUE(eventually([&] { return session_count(admin) == 4; }));
    auto m = call(admin, "wamp.session.kill_by_authid", Array{"victim"});
    auto* r = std::get_if<wamp::Result>(&m);
    ASSERT_TRUE(r) << TestClient::describe(m);
    const Array killed = r->payload.args().at(0).as_array();
    EXPECT_EQ(ids_of(killed), (std::set<wamp::Id>{here.session(), there.session()}));
    EXPECT_EQ(here.expect<wamp::Goodbye>().reason, wamp::close::killed);
    EXPECT_EQ(there.expect<wamp::Goodbye>().reason, wamp::close::killed);
    EXPECT_TRUE(bystander.nothing_for(50ms));
    ASSERT_TRUE(eventually([&] { return session_count(admin) == 2; }));
}

TEST_F(Cluster, RegistrationMetaListsCalleesOfEveryNode) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& asker = a.joined();
    TestClient& ca = a.joined();
    TestClient& cb = b.joined();
    const wamp::Id reg = register_(cb, "com.meta.p", {{"invoke", "random"}});
    ASSERT_TRUE(callable(asker, "com.meta.p"));
    EXPECT_EQ(register_(ca, "com.meta.p", {{"invoke", "random"}}), reg)
        << "registration ids agree cluster-wide";
    ASSERT_TRUE(eventually([&] {
        auto m = call(cb, "wamp.registration.list_callees", Array{reg});
        auto* r = std::get_if<wamp::Result>(&m);
        if (!r) return false;
        const Array callees = r->payload.args().at(0).as_array();
        return ids_of(callees) == std::set<wamp::Id>{ca.session(), cb.session()};
    }));
    // A different invocation policy is refused cluster-wide.
    TestClient& odd = b.joined();
    odd.send(wamp::Register{odd.next_request(), {{"invoke", "first"}}, "com.meta.p"});
    EXPECT_EQ(odd.expect<wamp::Error>().error, wamp::errors::procedure_already_exists);
}

TEST_F(Cluster, PatternRegistrationsFollowThePrecedenceAcrossNodes) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& caller = a.joined();
    TestClient& exact = b.joined();
    TestClient& prefix = a.joined();
    TestClient& wildcard = b.joined();
    register_(wildcard, "com..op", {{"match", "wildcard"}});
    register_(prefix, "com.app", {{"match", "prefix"}});
    register_(exact, "com.app.op");
    ASSERT_TRUE(callable(caller, "com.app.op"));
    ASSERT_TRUE(eventually([&] {
        auto m = call(caller, "wamp.registration.match", Array{"com.other.op"});
        auto* r = std::get_if<wamp::Result>(&m);
        return r && !r->payload.args().empty() && !r->payload.args()[0].is_null();
    }));
    const auto served_by = [&](const std::string& procedure) -> TestClient* {
        caller.send(wamp::Call{caller.next_request(), {}, procedure, {}});
        for (int round = 0; round < 100; ++round)
            for (TestClient* c : {&exact, &prefix, &wildcard})
                if (auto m = c->next(10ms)) {
                    auto* inv = std::get_if<wamp::Invocation>(&*m);
                    if (!inv) return nullptr;
                    c->send(wamp::Yield{inv->request, {}, {}});
                    caller.expect<wamp::Result>();
                    return c;
                }
        return nullptr;
    };
    EXPECT_EQ(served_by("com.app.op"), &exact);
    EXPECT_EQ(served_by("com.app.other"), &prefix);
    EXPECT_EQ(served_by("com.other.op"), &wildcard);
}

TEST_F(Cluster, RetainedEventsAndHistoryAreClusterWide) {
    auto config = RouterFixture::default_config();
    config.realms[0].event_history.push_back({"com.hist", wamp::MatchPolicy::prefix, 5});
    ClusterNode& a = add_node(config);
    ClusterNode& b = add_node(config);
    TestClient& pub = a.joined();
    TestClient& probe = b.joined();
    ASSERT_TRUE(eventually([&] { return session_count(probe) == 2; }));
    pub.send(
        wamp::Publish{pub.next_request(), {{"retain", true}}, "com.kept", Payload(Array{"kept"})});
    for (int i = 0; i < 3; ++i)
        publish(pub, "com.hist.t", {}, Payload(Array{i}));
    // A subscriber joining later on the other node gets the retained event.
    TestClient& late = b.joined();
    ASSERT_TRUE(eventually([&] {
        late.send(wamp::Subscribe{late.next_request(), {{"get_retained", true}}, "com.kept"});
        late.expect<wamp::Subscribed>();
        auto m = late.next(100ms);
        return m && std::holds_alternative<wamp::Event>(*m) &&
               std::get<wamp::Event>(*m).payload.args() == Array{"kept"};
    }));
    const wamp::Id sub = subscribe(probe, "com.hist", {{"match", "prefix"}});
    ASSERT_TRUE(eventually([&] {
        auto m = call(probe, "wamp.subscription.get_events", Array{sub, 10});
        auto* r = std::get_if<wamp::Result>(&m);
        return r && !r->payload.args().empty() && r->payload.args()[0].is_array() &&
               r->payload.args()[0].as_array().size() == 3;
    }));
}

TEST_F(Cluster, AResyncAfterMissedChangesRestoresTheDirectory) {
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& pub = a.joined();
    TestClient& early = b.joined();
    subscribe(early, "com.before");
    ASSERT_TRUE(subscribers(pub, "com.before", 1));
    // Node a misses what node b announces meanwhile; its next heartbeats show
    // the gap and node a asks for a snapshot.
    ASSERT_TRUE(eventually([&] {
        auto m = a.router().metrics();
        return m.cluster && m.cluster->connected && m.cluster->peers == 1;
    }));
    a.bus().disconnect();
    ASSERT_TRUE(eventually([&] { return !a.router().metrics().cluster->connected; }));
    TestClient& later = b.joined();
    subscribe(later, "com.after");
    early.send(wamp::Unsubscribe{early.next_request(), subscribe(early, "com.gone")});
    early.expect<wamp::Unsubscribed>();
    a.bus().reconnect();
    ASSERT_TRUE(subscribers(pub, "com.after", 1));
    ASSERT_TRUE(subscribers(pub, "com.gone", 0));
    publish(pub, "com.after");
    later.expect<wamp::Event>();
    EXPECT_EQ(session_count(pub), 3u);
}

TEST_F(Cluster, ARestartedNodeReplacesItsEarlierSelf) {
    ClusterNode& a = add_node();
    auto bus_b = fabric_->connect("node2");
    auto b = std::make_unique<ClusterNode>(bus_b, RouterFixture::default_config(), 1);
    TestClient& watcher = a.joined();
    TestClient& old_callee = b->joined();
    register_(old_callee, "com.restart");
    ASSERT_TRUE(callable(watcher, "com.restart"));
    b->kill();
    // The same name comes back at once (before node_timeout): a new
    // incarnation, whose empty directory replaces the old one.
    b = std::make_unique<ClusterNode>(fabric_->connect("node2"), RouterFixture::default_config(),
                                      1);
    ASSERT_TRUE(eventually([&] {
        auto m = call(watcher, "com.restart");
        auto* e = std::get_if<wamp::Error>(&m);
        return e && e->error == wamp::errors::no_such_procedure;
    }));
    TestClient& new_callee = b->joined();
    register_(new_callee, "com.restart");
    ASSERT_TRUE(callable(watcher, "com.restart"));
    EXPECT_EQ(answered_call(watcher, new_callee, "com.restart", "new"), (Array{"new"}));
    b.reset();
}

TEST_F(Cluster, EventsTheBusCannotTakeAreDroppedAndCounted) {
    // Events of 1 KB on a bus that takes 2 KB at most: one event per bus
    // message, batched or not, so the reconnect buffer below counts events.
    cluster::MemoryFabricOptions options;
    options.max_payload = 2048;
    fabric_ = cluster::MemoryFabric::create(options);
    const std::string filler(1000, 'x');
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& pub = a.joined();
    TestClient& sub = b.joined();
    subscribe(sub, "com.flood");
    ASSERT_TRUE(subscribers(pub, "com.flood", 1));
    // Cut off, node a keeps what it publishes up to the bus's reconnect
    // buffer (1024 messages in the fabric) and drops the rest, counted.
    a.bus().disconnect();
    constexpr int events = 3000;
    for (int i = 0; i < events; ++i)
        publish(pub, "com.flood", {}, Payload(Array{i, filler}));
    ASSERT_TRUE(eventually([&] { return a.router().metrics().cluster->dropped > 0; }));
    a.bus().reconnect();
    // What was kept arrives, in order, and nothing is delivered twice.
    int last = -1;
    while (auto m = sub.next(500ms)) {
        auto* e = std::get_if<wamp::Event>(&*m);
        ASSERT_TRUE(e);
        const int i = static_cast<int>(e->payload.args().at(0).to_uint().value_or(0));
        EXPECT_GT(i, last);
        last = i;
    }
    EXPECT_GE(last, 0);
    EXPECT_LT(a.router().metrics().cluster->dropped, std::uint64_t{events});
}

namespace {

/// A node's log lines, for tests that check what it said.
struct LogLines {
    std::mutex mutex;
    std::vector<std::string> lines;
    std::size_t count(const std::string& part) {
        std::lock_guard lock(mutex);
        return static_cast<std::size_t>(
            std::count_if(lines.begin(), lines.end(),
                          [&](const std::string& l) { return l.find(part) != std::string::npos; }));
    }
};

router::RouterConfig logged_into(const std::shared_ptr<LogLines>& log) {
    router::RouterConfig config = RouterFixture::default_config();
    config.logger = [log](router::RouterLogLevel, std::string_view line) {
        std::lock_guard lock(log->mutex);
        log->lines.emplace_back(line);
    };
    return config;
}

std::string envelope(router::cluster::Kind kind, const Array& head) {
    auto bytes = router::cluster::encode(kind, head);
    EXPECT_TRUE(bytes);
    return bytes ? *bytes : std::string();
}

/// A heartbeat of a node `name` that does not exist: handled, it makes the
/// receiver count one more node.
std::string ghost_heartbeat(const std::string& name) {
    return envelope(router::cluster::Kind::heartbeat,
                    {Value(name), Value(std::uint64_t{7}), Value(std::uint64_t{0}), Value(false),
                     Value(router::cluster::batch_version)});
}

} // namespace

TEST_F(Cluster, EventsKeepTheirOrderInBatchesSplitAtTheBusLimit) {
    // A small limit: a batch holds three of these events at most, so every
    // burst node a sends is split.
    cluster::MemoryFabricOptions options;
    options.max_payload = 4096;
    fabric_ = cluster::MemoryFabric::create(options);
    ClusterNode& a = add_node();
    ClusterNode& b = add_node();
    TestClient& pub = a.joined();
    TestClient& sub = b.joined();
    TestClient& callee = b.joined();
    subscribe(sub, "com.burst");
    register_(callee, "com.after");
    ASSERT_TRUE(subscribers(pub, "com.burst", 1));
    ASSERT_TRUE(callable(pub, "com.after"));
    const std::string filler(1000, 'x');
    constexpr int events = 600;
    for (int i = 0; i < events; ++i)
        publish(pub, "com.burst", {}, Payload(Array{i, filler}));
    for (int i = 0; i < events; ++i) {
        auto e = sub.expect<wamp::Event>();
        ASSERT_EQ(e.payload.args().at(0), Value(i));
    }
    // Nothing was too big for the bus, and the node still answers.
    EXPECT_EQ(a.router().metrics().cluster->dropped, 0u);
    EXPECT_EQ(answered_call(pub, callee, "com.after", "ok"), (Array{"ok"}));
}

TEST_F(Cluster, AMalformedBatchIsDroppedWholeAndLogged) {
    using router::cluster::Kind;
    ClusterNode& a = add_node();
    auto log = std::make_shared<LogLines>();
    ClusterNode& b = add_node(logged_into(log));
    TestClient& caller = a.joined();
    TestClient& callee = b.joined();
    register_(callee, "com.still");
    ASSERT_TRUE(callable(caller, "com.still"));

    // Batches for node2 from someone else on the bus; each begins with a
    // heartbeat of a ghost node that node2 would count, if it handled it.
    auto intruder = fabric_->connect("intruder");
    auto batch = [](std::vector<std::string> envelopes) {
        std::vector<std::string_view> views(envelopes.begin(), envelopes.end());
        return router::cluster::encode_batch(views);
    };
    const std::string garbage("\x00\x00\x00\x01\xc1", 5);
    const std::vector<std::string> malformed = {
        // a garbage envelope after a good one
        batch({ghost_heartbeat("ghost1"), garbage}),
        // a batch inside the batch
        batch({ghost_heartbeat("ghost2"), batch({ghost_heartbeat("ghost2b")})}),
        // truncated in its last envelope
        [&] {
            std::string b = batch({ghost_heartbeat("ghost3"), ghost_heartbeat("ghost3b")});
            return b.substr(0, b.size() - 5);
        }(),
        // a version this node does not read
        envelope(Kind::batch, {Value(router::cluster::batch_version + 1)}) +
            batch({ghost_heartbeat("ghost4")}).substr(router::cluster::batch_header_size()),
    };
    for (const std::string& m : malformed)
        ASSERT_TRUE(intruder->publish("nexus.node.node2", m));
    // Then a well-formed one: once its ghost is counted, every batch before
    // it was handled (one publisher's messages keep their order).
    ASSERT_TRUE(intruder->publish("nexus.node.node2",
                                  batch({ghost_heartbeat("ghost"), ghost_heartbeat("ghost0")})));
    ASSERT_TRUE(eventually([&] { return log->count("node ghost0 joined") == 1; }));
    EXPECT_EQ(log->count("node ghost joined"), 1u);
    EXPECT_EQ(log->count("malformed batch on nexus.node.node2 dropped"), malformed.size());
    for (const char* ghost : {"ghost1", "ghost2", "ghost3", "ghost4"})
        EXPECT_EQ(log->count(std::string("node ") + ghost + " joined"), 0u) << ghost;
    EXPECT_EQ(answered_call(caller, callee, "com.still", "ok"), (Array{"ok"}));
}

TEST_F(Cluster, ANodeThatReadsNoBatchesGetsNone) {
    ClusterNode& a = add_node();
    // A node of an earlier version: its heartbeats do not say it reads
    // batches. It listens to the directory and its own subject.
    auto old = fabric_->connect("old");
    std::mutex mutex;
    std::vector<std::string> kinds_heard;
    auto hear = [&](std::string_view, std::string_view payload, std::string_view) {
        auto e = router::cluster::decode(std::make_shared<const std::string>(payload));
        std::lock_guard lock(mutex);
        kinds_heard.push_back(e ? std::to_string(static_cast<int>(e->kind)) : "undecodable");
    };
    auto s1 = old->subscribe("nexus.dir", hear);
    auto s2 = old->subscribe("nexus.node.old", hear);
    // Its heartbeats go on throughout: silent, it would be forgotten.
    std::jthread beating([&](std::stop_token stop) {
        const std::string beat =
            envelope(router::cluster::Kind::heartbeat,
                     {Value("old"), Value(std::uint64_t{3}), Value(std::uint64_t{0})});
        while (!stop.stop_requested()) {
            old->publish("nexus.hb", beat);
            std::this_thread::sleep_for(20ms);
        }
    });
    // A burst of directory changes (a session subscribing to many topics at
    // once) while a node that reads batches listens too.
    ClusterNode& b = add_node();
    ASSERT_TRUE(eventually([&] {
        return a.router().metrics().cluster->peers == 2 && b.router().metrics().cluster->peers == 2;
    }));
    TestClient& busy = a.joined();
    constexpr int topics = 200;
    for (int i = 0; i < topics; ++i)
        busy.send(wamp::Subscribe{busy.next_request(), {}, "com.many." + std::to_string(i)});
    for (int i = 0; i < topics; ++i)
        busy.expect<wamp::Subscribed>();
    TestClient& watcher = b.joined();
    ASSERT_TRUE(subscribers(watcher, "com.many." + std::to_string(topics - 1), 1));
    std::lock_guard lock(mutex);
    EXPECT_GE(kinds_heard.size(), std::size_t{topics});
    for (const std::string& k : kinds_heard)
        EXPECT_NE(k, std::to_string(static_cast<int>(router::cluster::Kind::batch)));
}
