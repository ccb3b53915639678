// Fault tests of a cluster of nexusd processes (issue #15): a nats-server
// (tests/support/nats_server.hpp) and two or three nexusd nodes joined through
// it, on 127.0.0.1 with their listeners on port 0, driven by plain RawSocket
// clients (tests/support/net_fault.hpp).
//  - A node killed with SIGKILL: the call in flight to its callee ends with an
//    error for the caller on another node (never a hang), wamp.session.on_leave
//    comes for its sessions, its registration goes (no_such_procedure) and the
//    URI can be registered on another node.
//  - A node stopped with SIGTERM: the others forget it at once, not after
//    node_timeout.
//  - The NATS server restarted: each node keeps serving its local clients
//    while it is gone, and cross-node calls work again once it is back.
#include "support/nats_server.hpp"
#include "support/net_fault.hpp"
#include "support/nexusd_process.hpp"

#include <poll.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

namespace nexus::test {
namespace {

using wamp::Value;
using clock = std::chrono::steady_clock;

double seconds_since(clock::time_point t) {
    return std::chrono::duration<double>(clock::now() - t).count();
}

struct NodeSettings {
    std::string name;
    std::string nats_url;
    double heartbeat = 0.2;
    double node_timeout = 2;
};

// One nexusd process, a node of the cluster: its configuration in a
// temporary directory, RawSocket on a port the kernel picked.
class ClusterNexusd {
public:
    explicit ClusterNexusd(NodeSettings s) : settings_(std::move(s)), dir_(config_dir(settings_)) {
        process_.emplace(std::vector<std::string>{"--config", (dir_ / "nexus.json").string(),
                                                  "--rawsocket", "127.0.0.1:0", "--websocket",
                                                  "127.0.0.1:0", "--threads", "2"});
        port_ = process_->port("RawSocket", 20s);
    }
    ~ClusterNexusd() {
        process_.reset();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    ClusterNexusd(const ClusterNexusd&) = delete;
    ClusterNexusd& operator=(const ClusterNexusd&) = delete;

    const std::string& name() const { return settings_.name; }
    std::uint16_t port() const { return port_; }
    LineReader& log() { return process_->log(); }

    /// SIGKILL, as a crash or the OOM killer would, and reap it.
    void kill_hard() { process_->kill_hard(); }
    /// SIGTERM (a clean stop: it drains); does not wait for the exit.
    void terminate() { process_->signal(SIGTERM); }
    /// The exit status once it exited within `timeout`, else -1.
    int wait_exit(std::chrono::milliseconds timeout) { return process_->wait(timeout); }

private:
    static std::filesystem::path config_dir(const NodeSettings& s) {
        char dir[] = "/tmp/nexus-cluster-node-XXXXXX";
        if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp");
        std::ofstream(std::filesystem::path(dir) / "nexus.json")
            << R"({
    "cluster": {"nats": ")"
            << s.nats_url << R"(", "node_name": ")" << s.name << R"(", "heartbeat": )"
            << s.heartbeat << R"(, "node_timeout": )" << s.node_timeout
            << R"(, "reconnect_wait": 0.2},
    "router": {"realms": [{"uri": "realm1", "anonymous_auth": true}]}
})";
        return dir;
    }

    NodeSettings settings_;
    std::filesystem::path dir_;
    std::optional<NexusdProcess> process_;
    std::uint16_t port_ = 0;
};

/// Something to read on `c`'s socket within `timeout` (a whole message then
/// follows at once on loopback: receive() is never cut off mid-frame).
bool readable(const RawClient& c, std::chrono::milliseconds timeout) {
    pollfd p{c.fd(), POLLIN, 0};
    return ::poll(&p, 1, int(timeout.count())) == 1;
}

/// Joins realm1; the session id (0 on failure).
wamp::Id join(RawClient& c) {
    return c.connected() ? c.join(hello_with_roles("realm1", rpc_features())) : 0;
}

wamp::Id subscribe(RawClient& c, const std::string& topic) {
    c.send(wamp::Subscribe{c.next_request(), {}, topic});
    return c.expect<wamp::Subscribed>().subscription;
}

/// REGISTER; the error URI, or empty when REGISTERED.
std::string try_register(RawClient& c, const std::string& procedure) {
    c.send(wamp::Register{c.next_request(), {}, procedure});
    auto m = c.receive();
    if (m && std::holds_alternative<wamp::Registered>(*m)) return {};
    if (m && std::holds_alternative<wamp::Error>(*m)) return std::get<wamp::Error>(*m).error;
    return "no answer: " + describe(m);
}

/// Calls `procedure` from `caller` until the call reaches `callee` (the
/// registration, made on another node, has reached the caller's node): the
/// INVOCATION, left unanswered; `request` is the caller's request id.
std::optional<wamp::Invocation> invoke_when_known(RawClient& caller, RawClient& callee,
                                                  const std::string& procedure, wamp::Id& request,
                                                  std::chrono::milliseconds limit = 15s) {
    const auto give_up = clock::now() + limit;
    int unknown = 0; // answers no_such_procedure
    bool unanswered = false;
    while (clock::now() < give_up) {
        request = caller.next_request();
        caller.send(wamp::Call{request, {}, procedure, {}});
        for (bool answered = false; !answered;) {
            if (readable(callee, 5ms)) {
                auto m = callee.receive();
                if (m && std::holds_alternative<wamp::Invocation>(*m))
                    return std::get<wamp::Invocation>(std::move(*m));
                ADD_FAILURE() << "the callee got " << describe(m);
                return std::nullopt;
            }
            if (readable(caller, 5ms)) {
                auto m = caller.receive();
                auto* e = m ? std::get_if<wamp::Error>(&*m) : nullptr;
                if (!e || e->error != wamp::errors::no_such_procedure) {
                    ADD_FAILURE() << "the caller got " << describe(m);
                    return std::nullopt;
                }
                answered = true;
                ++unknown;
            } else if (clock::now() > give_up) {
                unanswered = true;
                break;
            }
        }
        std::this_thread::sleep_for(20ms); // the next try, once the directory moved on
    }
    ADD_FAILURE() << procedure << " never reached its callee: " << unknown
                  << " calls answered no_such_procedure"
                  << (unanswered ? ", the last one never answered" : "");
    return std::nullopt;
}

/// A whole call across nodes, once the registration is known: CALL,
/// INVOCATION, YIELD, RESULT; true if the RESULT echoes the arguments.
bool round_trip(RawClient& caller, RawClient& callee, const std::string& procedure) {
    wamp::Id request = 0;
    auto inv = invoke_when_known(caller, callee, procedure, request);
    if (!inv) return false;
    callee.send(wamp::Yield{inv->request, {}, wamp::Payload(wamp::Array{Value("pong")})});
    auto result = caller.expect<wamp::Result>();
    return result.request == request && result.payload.args() == wamp::Array{Value("pong")};
}

/// The sessions named by the wamp.session.on_leave events `watcher` receives
/// until `ids` all left or `limit` passed.
std::set<wamp::Id> await_leaves(RawClient& watcher, const std::set<wamp::Id>& ids,
                                std::chrono::milliseconds limit) {
    std::set<wamp::Id> left;
    const auto give_up = clock::now() + limit;
    while (!std::includes(left.begin(), left.end(), ids.begin(), ids.end()) &&
           clock::now() < give_up) {
        if (!readable(watcher, 20ms)) continue;
        auto m = watcher.receive();
        auto* event = m ? std::get_if<wamp::Event>(&*m) : nullptr;
        if (!event) {
            ADD_FAILURE() << "the watcher got " << describe(m);
            break;
        }
        const wamp::Array args = event->payload.args();
        if (!args.empty())
            if (auto id = args[0].to_uint()) left.insert(*id);
    }
    return left;
}

// The cluster of these tests: NATS and `n` nodes, "node-a", "node-b", ...
struct Cluster {
    explicit Cluster(int n, double node_timeout = 2) {
        for (int i = 0; i < n; ++i)
            nodes.push_back(std::make_unique<ClusterNexusd>(
                NodeSettings{std::string("node-") + char('a' + i), nats.url(), 0.2, node_timeout}));
    }
    ClusterNexusd& operator[](std::size_t i) { return *nodes[i]; }
    NatsServer nats;
    std::vector<std::unique_ptr<ClusterNexusd>> nodes;
};

TEST(ClusterNexusdFault, SigkillEndsCallsInFlightAndFreesRegistrations) {
    Cluster cluster(3);
    auto &a = cluster[0], &b = cluster[1], &c = cluster[2];
    for (auto* n : {&a, &b, &c})
        ASSERT_NE(n->port(), 0) << n->name() << " did not start:\n" << n->log().all();

    RawClient watcher(a.port()), caller(a.port());
    RawClient callee_b(b.port()), subscriber_b(b.port()), callee_c(c.port());
    ASSERT_NE(join(watcher), 0u);
    ASSERT_NE(join(caller), 0u);
    const wamp::Id callee_b_id = join(callee_b);
    const wamp::Id subscriber_b_id = join(subscriber_b);
    ASSERT_NE(callee_b_id, 0u);
    ASSERT_NE(subscriber_b_id, 0u);
    ASSERT_NE(join(callee_c), 0u);
    subscribe(watcher, "wamp.session.on_leave");
    ASSERT_EQ(try_register(callee_b, "com.fault.b"), "");
    subscribe(subscriber_b, "com.fault.topic");
    ASSERT_EQ(try_register(callee_c, "com.fault.c"), "");

    // A call in flight from A to B's callee, which never answers.
    wamp::Id in_flight = 0;
    ASSERT_TRUE(invoke_when_known(caller, callee_b, "com.fault.b", in_flight));
    ASSERT_TRUE(round_trip(caller, callee_c, "com.fault.c"));

    const auto killed = clock::now();
    b.kill_hard();

    // Within node_timeout (2 s) and a margin for a busy machine, never a hang.
    auto answer = caller.receive(10s);
    const double error_after = seconds_since(killed);
    ASSERT_TRUE(answer && std::holds_alternative<wamp::Error>(*answer))
        << "the call in flight got " << describe(answer) << " after " << error_after << " s\n"
        << a.log().all();
    const auto& error = std::get<wamp::Error>(*answer);
    EXPECT_EQ(error.request, in_flight);
    EXPECT_EQ(error.request_type, wamp::MessageType::call);

    const auto left = await_leaves(watcher, {callee_b_id, subscriber_b_id}, 10s);
    const double leaves_after = seconds_since(killed);
    EXPECT_TRUE(left.count(callee_b_id)) << a.log().all();
    EXPECT_TRUE(left.count(subscriber_b_id)) << a.log().all();
    EXPECT_TRUE(eventually([&] { return a.log().count("node node-b is gone") >= 1; }, 5s))
        << a.log().all();

    // B's registration is gone everywhere; A can take the URI over once the
    // shared store has dropped B's claim (the elected node does that).
    auto gone = caller.call("com.fault.b");
    ASSERT_TRUE(gone && std::holds_alternative<wamp::Error>(*gone)) << describe(gone);
    EXPECT_EQ(std::get<wamp::Error>(*gone).error, wamp::errors::no_such_procedure);
    RawClient callee_a(a.port());
    ASSERT_NE(join(callee_a), 0u);
    std::string refused;
    EXPECT_TRUE(eventually(
        [&] {
            refused = try_register(callee_a, "com.fault.b");
            return refused.empty();
        },
        10s))
        << "register on node-a still refused: " << refused;
    const double registered_after = seconds_since(killed);
    ASSERT_TRUE(round_trip(caller, callee_a, "com.fault.b"));
    // The survivors still reach each other.
    ASSERT_TRUE(round_trip(caller, callee_c, "com.fault.c"));
    std::cout << "SIGKILL of node-b: the call in flight ended with " << error.error << " after "
              << error_after << " s, on_leave after " << leaves_after
              << " s, the URI registered again on node-a after " << registered_after << " s\n";
}

TEST(ClusterNexusdFault, SigtermIsForgottenAtOnce) {
    // A long node_timeout: forgetting a node that said goodbye must not wait for it.
    Cluster cluster(2, 20);
    auto &a = cluster[0], &b = cluster[1];
    for (auto* n : {&a, &b})
        ASSERT_NE(n->port(), 0) << n->name() << " did not start:\n" << n->log().all();
    RawClient watcher(a.port()), caller(a.port()), callee_b(b.port());
    ASSERT_NE(join(watcher), 0u);
    ASSERT_NE(join(caller), 0u);
    const wamp::Id callee_b_id = join(callee_b);
    ASSERT_NE(callee_b_id, 0u);
    subscribe(watcher, "wamp.session.on_leave");
    ASSERT_EQ(try_register(callee_b, "com.fault.b"), "");
    ASSERT_TRUE(round_trip(caller, callee_b, "com.fault.b"));

    const auto stopped = clock::now();
    b.terminate();
    // The callee answers its GOODBYE and hangs up, as a polite client does.
    EXPECT_EQ(callee_b.expect<wamp::Goodbye>(5s).reason, wamp::close::system_shutdown);
    callee_b.send(wamp::Goodbye{{}, std::string(wamp::close::goodbye_and_out)});
    callee_b.close();

    const auto left = await_leaves(watcher, {callee_b_id}, 10s);
    EXPECT_TRUE(left.count(callee_b_id)) << a.log().all();
    EXPECT_TRUE(eventually([&] { return a.log().count("node node-b left") >= 1; }, 10s))
        << a.log().all();
    const double forgotten_after = seconds_since(stopped);
    EXPECT_EQ(a.log().count("node node-b is gone"), 0) << a.log().all();
    EXPECT_LT(forgotten_after, 10.0) << "half the node_timeout";
    auto gone = caller.call("com.fault.b");
    ASSERT_TRUE(gone && std::holds_alternative<wamp::Error>(*gone)) << describe(gone);
    EXPECT_EQ(std::get<wamp::Error>(*gone).error, wamp::errors::no_such_procedure);
    EXPECT_EQ(b.wait_exit(10s), 0) << b.log().all();
    std::cout << "SIGTERM of node-b: node-a forgot it after " << forgotten_after
              << " s (node_timeout 20 s)\n";
}

TEST(ClusterNexusdFault, NatsRestartKeepsLocalServiceAndRestoresTheCluster) {
    Cluster cluster(2);
    auto &a = cluster[0], &b = cluster[1];
    for (auto* n : {&a, &b})
        ASSERT_NE(n->port(), 0) << n->name() << " did not start:\n" << n->log().all();
    RawClient caller(a.port()), callee_a(a.port()), callee_b(b.port()), caller_b(b.port());
    for (auto* c : {&caller, &callee_a, &callee_b, &caller_b})
        ASSERT_NE(join(*c), 0u);
    ASSERT_EQ(try_register(callee_a, "com.local.a"), "");
    ASSERT_EQ(try_register(callee_b, "com.remote.b"), "");
    ASSERT_TRUE(round_trip(caller, callee_b, "com.remote.b"));

    cluster.nats.stop();
    ASSERT_TRUE(eventually([&] { return a.log().count("lost the bus") >= 1; }, 10s))
        << a.log().all();
    ASSERT_TRUE(eventually([&] { return b.log().count("lost the bus") >= 1; }, 10s))
        << b.log().all();
    // Without NATS each node still serves its own clients, for longer than
    // node_timeout: the nodes must not count each other gone for a silence
    // that was the bus's.
    const auto outage = clock::now();
    int local_calls = 0;
    while (clock::now() - outage < 2500ms && !::testing::Test::HasFailure()) {
        EXPECT_TRUE(round_trip(caller, callee_a, "com.local.a"));
        EXPECT_TRUE(round_trip(caller_b, callee_b, "com.remote.b"));
        local_calls += 2;
    }

    const auto restarted = clock::now();
    cluster.nats.start();
    // Once both nodes are back on the bus (a message one sends before the
    // other has subscribed again is lost: NATS keeps nothing for absent
    // subscribers), across nodes again, both ways.
    for (auto* n : {&a, &b})
        ASSERT_TRUE(eventually([&] { return n->log().count("connected to the bus") >= 2; }, 15s))
            << n->log().all();
    ASSERT_TRUE(round_trip(caller, callee_b, "com.remote.b")) << a.log().all() << b.log().all();
    const double back_after = seconds_since(restarted);
    ASSERT_TRUE(round_trip(caller_b, callee_a, "com.local.a")) << b.log().all();
    EXPECT_EQ(a.log().count("node node-b is gone"), 0) << a.log().all();
    EXPECT_EQ(b.log().count("node node-a is gone"), 0) << b.log().all();
    // Nothing registered twice: the URIs are still claimed cluster-wide.
    RawClient intruder(a.port());
    ASSERT_NE(join(intruder), 0u);
    EXPECT_EQ(try_register(intruder, "com.remote.b"), wamp::errors::procedure_already_exists);
    EXPECT_EQ(try_register(intruder, "com.local.a"), wamp::errors::procedure_already_exists);
    std::cout << "NATS restart: " << local_calls << " local calls during the outage; cross-node "
              << "calls again " << back_after << " s after the server came back\n";
}

} // namespace
} // namespace nexus::test
