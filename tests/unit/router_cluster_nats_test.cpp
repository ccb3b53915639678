// Routers joined through real NATS servers (nats-server with JetStream,
// started by the test on loopback ports): what the in-memory fabric cannot
// show. The registration race on JetStream's compare-and-set, a NATS server
// restarted under a running cluster, a node that vanishes, and fan-out that
// sends one NATS message per event and interested node, never one per
// subscriber (counted by the server's own monitoring).
#include "support/cluster_fixture.hpp"
#include "support/nats_server.hpp"

#include <nexus/cluster/nats.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <filesystem>
#include <fstream>
#include <regex>

using namespace nexus;
using namespace nexus::test;

namespace {

class ClusterNats : public ClusterFixture {
protected:
    ClusterNats() : ClusterNats(monitored()) {}
    explicit ClusterNats(NatsServerOptions options) : server_(std::move(options)) {}
    // The nodes leave while NATS still runs.
    ~ClusterNats() override {
        while (!nodes_.empty())
            nodes_.pop_back();
    }

    static NatsServerOptions monitored() {
        NatsServerOptions o;
        o.monitoring = true;
        return o;
    }

    static std::shared_ptr<cluster::Bus>
    connect(const std::string& name, std::vector<std::string> urls, int kv_replicas = 1) {
        cluster::NatsOptions o;
        o.urls = std::move(urls);
        o.name = name;
        o.reconnect_wait = std::chrono::milliseconds(100);
        o.kv_replicas = kv_replicas;
        return cluster::connect_nats(std::move(o));
    }

    ClusterNode& add_nats_node(std::chrono::milliseconds heartbeat = 100ms,
                               std::chrono::milliseconds node_timeout = 1000ms) {
        const std::string name = "node" + std::to_string(nodes_.size() + 1);
        nodes_.push_back(std::make_unique<ClusterNode>(connect(name, {server_.url()}), name,
                                                       RouterFixture::default_config(), 2,
                                                       heartbeat, node_timeout));
        return *nodes_.back();
    }

    /// A page of the NATS server's monitoring.
    std::string monitoring(const std::string& path) {
        namespace asio = boost::asio;
        asio::io_context io;
        asio::ip::tcp::socket socket(io);
        socket.connect({asio::ip::make_address("127.0.0.1"),
                        static_cast<unsigned short>(server_.monitor_port())});
        const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        asio::write(socket, asio::buffer(request));
        std::string response;
        boost::system::error_code ec;
        asio::read(socket, asio::dynamic_buffer(response), ec);
        return response;
    }

    /// Messages clients published into the NATS server so far (its /varz).
    std::uint64_t nats_in_msgs() {
        const std::string response = monitoring("/varz");
        std::smatch m;
        if (!std::regex_search(response, m, std::regex("\"in_msgs\":\\s*(\\d+)"))) {
            ADD_FAILURE() << "no in_msgs in /varz: " << response.substr(0, 200);
            return 0;
        }
        return std::stoull(m[1]);
    }

    /// Messages the NATS server delivered so far to the connection named
    /// `name` (/connz: each connection's entry is a flat object).
    std::uint64_t nats_out_msgs_to(const std::string& name) {
        const std::string response = monitoring("/connz");
        std::smatch m;
        const std::regex entry("\\{[^{}]*\"name\":\\s*\"" + name + "\"[^{}]*\\}");
        const std::regex out("\"out_msgs\":\\s*(\\d+)");
        std::smatch count;
        if (!std::regex_search(response, m, entry) ||
            !std::regex_search(m[0].first, m[0].second, count, out)) {
            ADD_FAILURE() << "no connection " << name << " in /connz: " << response.substr(0, 400);
            return 0;
        }
        return std::stoull(count[1]);
    }

    // REGISTER until it is answered with REGISTERED: while JetStream has no
    // leader for the bucket (just created, or its server lost) the answer is that
    // the cluster's store is unavailable (try again), and nothing else.
    static bool registered_once_the_store_answers(TestClient& callee, const std::string& uri) {
        return eventually(
            [&] {
                callee.send(wamp::Register{callee.next_request(), {}, uri});
                auto m = callee.next(15s);
                if (!m) return false;
                if (auto* e = std::get_if<wamp::Error>(&*m)) {
                    EXPECT_EQ(e->error, wamp::errors::cluster_unavailable);
                    return false;
                }
                return std::holds_alternative<wamp::Registered>(*m);
            },
            30s);
    }

    NatsServer server_;
};

/// A NATS server whose max_payload (set in its configuration file) is 8 KiB.
class ClusterNatsSmallPayload : public ClusterNats {
protected:
    ClusterNatsSmallPayload() : ClusterNats(small_payload()) {}
    ~ClusterNatsSmallPayload() override { std::filesystem::remove(config_file()); }

    static std::string config_file() {
        return (std::filesystem::temp_directory_path() /
                ("nexus-nats-small-payload-" + std::to_string(::getpid()) + ".conf"))
            .string();
    }
    static NatsServerOptions small_payload() {
        std::ofstream(config_file()) << "max_payload: 8192\n";
        NatsServerOptions o = monitored();
        o.extra_args = {"-c", config_file()};
        return o;
    }
};

} // namespace

TEST_F(ClusterNats, PubSubAndCallsAcrossNodes) {
    ClusterNode& a = add_nats_node();
    ClusterNode& b = add_nats_node();
    TestClient& pub = a.joined();
    TestClient& sub = b.joined();
    TestClient& callee = b.joined();
    subscribe(sub, "com.t", {{"match", "prefix"}});
    register_(callee, "com.add");
    ASSERT_TRUE(subscribers(pub, "com.t.x", 1));
    ASSERT_TRUE(callable(pub, "com.add"));

    for (int i = 0; i < 100; ++i)
        publish(pub, "com.t.x", {}, Payload(Array{i}));
    for (int i = 0; i < 100; ++i)
        ASSERT_EQ(sub.expect<wamp::Event>().payload.args(), (Array{i}));

    const wamp::Id req = pub.next_request();
    pub.send(wamp::Call{req, {{"receive_progress", true}}, "com.add", Payload(Array{2, 3})});
    auto inv = callee.expect<wamp::Invocation>();
    callee.send(wamp::Yield{inv.request, {{"progress", true}}, Payload(Array{"half"})});
    callee.send(wamp::Yield{inv.request, {}, Payload(Array{5})});
    EXPECT_EQ(pub.expect<wamp::Result>().payload.args(), (Array{"half"}));
    auto last = pub.expect<wamp::Result>();
    EXPECT_EQ(last.request, req);
    EXPECT_EQ(last.payload.args(), (Array{5}));
}

TEST_F(ClusterNats, ConcurrentRegistrationsExactlyOneWins) {
    ClusterNode& a = add_nats_node();
    ClusterNode& b = add_nats_node();
    ClusterNode& c = add_nats_node();
    for (int round = 0; round < 5; ++round) {
        const std::string uri = "com.race." + std::to_string(round);
        std::vector<TestClient*> racers{&a.joined(), &b.joined(), &c.joined()};
        for (TestClient* r : racers)
            r->send(wamp::Register{r->next_request(), {}, uri});
        int won = 0;
        for (TestClient* r : racers) {
            auto m = r->next(5s);
            ASSERT_TRUE(m);
            if (std::holds_alternative<wamp::Registered>(*m))
                ++won;
            else
                EXPECT_EQ(std::get<wamp::Error>(*m).error, wamp::errors::procedure_already_exists)
                    << TestClient::describe(*m);
        }
        EXPECT_EQ(won, 1) << "round " << round;
    }
}

TEST_F(ClusterNats, OneNatsMessagePerEventAndInterestedNode) {
    // Slow heartbeats: the count below is the events' (a few heartbeats at most).
    ClusterNode& a = add_nats_node(2000ms, 10000ms);
    ClusterNode& b = add_nats_node(2000ms, 10000ms);
    add_nats_node(2000ms, 10000ms); // a third node with no subscriber
    TestClient& pub = a.joined();
    std::vector<TestClient*> subs;
    for (int i = 0; i < 20; ++i) {
        subs.push_back(&b.joined());
        subscribe(*subs.back(), "com.fan");
    }
    ASSERT_TRUE(subscribers(pub, "com.fan", 20));
    constexpr int events = 200;
    const std::uint64_t before = nats_in_msgs();
    const std::uint64_t to_c_before = nats_out_msgs_to("node3");
    for (int i = 0; i < events; ++i)
        publish(pub, "com.fan", {}, Payload(Array{i}));
    for (TestClient* s : subs)
        for (int i = 0; i < events; ++i)
            ASSERT_EQ(s->expect<wamp::Event>().payload.args(), (Array{i}));
    const std::uint64_t sent = nats_in_msgs() - before;
    // At most one per event to node b (fewer when node a batched events
    // published together); never one per subscriber (4000); nothing for
    // node c but the others' heartbeats.
    EXPECT_GE(sent, std::uint64_t{1});
    EXPECT_LE(sent, std::uint64_t{events + 10});
    EXPECT_LE(nats_out_msgs_to("node3") - to_c_before, std::uint64_t{10});
}

TEST_F(ClusterNatsSmallPayload, BatchesSplitAtTheServersMaxPayload) {
    // The server's limit, not a default: this one takes 8 KiB at most, so a
    // burst of 3 KiB events goes out two to a batch.
    ClusterNode& a = add_nats_node();
    ClusterNode& b = add_nats_node();
    TestClient& pub = a.joined();
    TestClient& sub = b.joined();
    subscribe(sub, "com.big");
    ASSERT_TRUE(subscribers(pub, "com.big", 1));
    const std::string filler(3000, 'x');
    constexpr int events = 300;
    const std::uint64_t before = nats_in_msgs();
    for (int i = 0; i < events; ++i)
        publish(pub, "com.big", {}, Payload(Array{i, filler}));
    for (int i = 0; i < events; ++i)
        ASSERT_EQ(sub.expect<wamp::Event>().payload.args().at(0), Value(i)) << i;
    EXPECT_EQ(a.router().metrics().cluster->dropped, 0u);
    EXPECT_EQ(a.any_bus().max_payload(), 8192u);
    // Two events a message at best: the limit was the server's.
    EXPECT_GE(nats_in_msgs() - before, std::uint64_t{events / 2});
}

TEST_F(ClusterNats, AVanishedNodesSessionsCallsAndRegistrationsGo) {
    ClusterNode& a = add_nats_node();
    ClusterNode& b = add_nats_node();
    TestClient& caller = a.joined();
    TestClient& callee = b.joined();
    const wamp::Id req = call_in_flight(caller, callee, "com.doomed");
    ASSERT_NE(req, 0u);
    b.kill();
    const auto lost = callee_gone(caller, 5s);
    ASSERT_TRUE(lost);
    EXPECT_EQ(lost->error.request, req);
    // Its claim in the store is gone too: another node may register the URI.
    TestClient& heir = a.joined();
    ASSERT_TRUE(eventually([&] {
        heir.send(wamp::Register{heir.next_request(), {}, "com.doomed"});
        auto m = heir.next();
        return m && std::holds_alternative<wamp::Registered>(*m);
    }));
}

TEST_F(ClusterNats, ANatsRestartKeepsLocalServiceAndRestoresTheCluster) {
    ClusterNode& a = add_nats_node();
    ClusterNode& b = add_nats_node();
    TestClient& caller = a.joined();
    TestClient& callee = b.joined();
    TestClient& neighbour = b.joined();
    register_(callee, "com.survivor");
    ASSERT_TRUE(callable(caller, "com.survivor"));

    server_.stop();
    // Node b still serves its own clients.
    EXPECT_EQ(answered_call(neighbour, callee, "com.survivor", "local"), (Array{"local"}));

    // A call across nodes while the bus is down: its INVOCATION cannot go
    // out (or goes out before node b has subscribed again). Once the nodes are
    // back, the caller gets the result or an error, never silence.
    const wamp::Id during = caller.next_request();
    caller.send(wamp::Call{during, {}, "com.survivor", {}});

    // The server comes back: the nodes reconnect, assert their claims again
    // and resync; the procedure is callable across nodes again, and
    // registered once.
    server_.start();
    std::optional<wamp::Message> outcome;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!outcome && std::chrono::steady_clock::now() < deadline) {
        if (auto m = callee.next(25ms))
            if (auto* invocation = std::get_if<wamp::Invocation>(&*m))
                callee.send(wamp::Yield{invocation->request, {}, Payload(Array{"late"})});
        if (auto m = caller.next(25ms)) outcome = std::move(m);
    }
    ASSERT_TRUE(outcome) << "the call made during the outage was never answered";
    if (auto* err = std::get_if<wamp::Error>(&*outcome)) {
        EXPECT_EQ(err->request, during);
        EXPECT_EQ(err->error, wamp::errors::cluster_unavailable);
    } else {
        ASSERT_TRUE(std::holds_alternative<wamp::Result>(*outcome))
            << TestClient::describe(*outcome);
        EXPECT_EQ(std::get<wamp::Result>(*outcome).request, during);
    }
    const auto call_across = [&] {
        const wamp::Id r = caller.next_request();
        caller.send(wamp::Call{r, {}, "com.survivor", {}});
        for (int i = 0; i < 40; ++i) {
            if (auto m = callee.next(25ms))
                if (auto* invocation = std::get_if<wamp::Invocation>(&*m))
                    callee.send(wamp::Yield{invocation->request, {}, Payload(Array{"remote"})});
            if (auto m = caller.next(25ms)) {
                if (auto* res = std::get_if<wamp::Result>(&*m); res && res->request == r)
                    return true;
                if (auto* err = std::get_if<wamp::Error>(&*m); err && err->request == r)
                    return false;
            }
        }
        return false;
    };
    ASSERT_TRUE(eventually(call_across, 20s));
    TestClient& rival = a.joined();
    rival.send(wamp::Register{rival.next_request(), {}, "com.survivor"});
    EXPECT_EQ(rival.expect<wamp::Error>(5s).error, wamp::errors::procedure_already_exists);
}

TEST_F(ClusterNats, OneServerOfANatsClusterLost) {
    NatsCluster nats(3);
    std::vector<std::unique_ptr<ClusterNode>> nodes;
    for (const char* name : {"east", "west"})
        nodes.push_back(std::make_unique<ClusterNode>(connect(name, nats.urls(), 3), name,
                                                      RouterFixture::default_config(), 2, 100ms,
                                                      3000ms));
    TestClient& caller = nodes[0]->joined();
    TestClient& callee = nodes[1]->joined();
    TestClient& sub = nodes[1]->joined();
    // The first claim creates the bucket, replicated on three servers: until
    // JetStream has elected its leaders, REGISTER answers that the cluster's
    // store is unavailable (try again).
    ASSERT_TRUE(registered_once_the_store_answers(callee, "com.ha"));
    subscribe(sub, "com.ha.news");
    ASSERT_TRUE(callable(caller, "com.ha"));
    ASSERT_TRUE(subscribers(caller, "com.ha.news", 1));
    nats[0].stop();
    // A node that was on the lost server fails over to another; what is sent
    // to it meanwhile is lost (NATS keeps nothing for an absent subscriber,
    // and WAMP PubSub is at-most-once). Once an event gets through again...
    ASSERT_TRUE(eventually(
        [&] {
            publish(caller, "com.ha.news", {}, Payload(Array{-1}));
            auto m = sub.next(500ms);
            return m && std::holds_alternative<wamp::Event>(*m);
        },
        20s));
    while (sub.next(500ms)) {
        // (late copies of the probes)
    }
    // ...traffic goes on through the other servers, nothing lost.
    for (int i = 0; i < 3; ++i) {
        publish(caller, "com.ha.news", {}, Payload(Array{i}));
        EXPECT_EQ(sub.expect<wamp::Event>(10s).payload.args(), (Array{i}));
        EXPECT_EQ(answered_call(caller, callee, "com.ha", i, 10s), (Array{i}));
    }
    // The store answers again once JetStream has moved the bucket's leader
    // off the lost server (until then: unavailable, try again): a new
    // registration is claimed cluster-wide.
    TestClient& late = nodes[0]->joined();
    ASSERT_TRUE(registered_once_the_store_answers(late, "com.ha.late"));
    nodes.clear();
}
