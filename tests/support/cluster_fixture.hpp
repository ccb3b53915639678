// Test support: several routers in one process joined into a cluster through
// a MemoryFabric (each router its own io_context, threads and bus endpoint),
// with the synchronous in-process clients of router_fixture.hpp.
#pragma once

#include "support/router_fixture.hpp"

#include <nexus/cluster/memory_bus.hpp>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <set>

namespace nexus::test {

/// One router of the cluster, on any bus.
class ClusterNode {
public:
    ClusterNode(std::shared_ptr<cluster::Bus> bus, std::string name, router::RouterConfig config,
                int threads, std::chrono::milliseconds heartbeat = 50ms,
                std::chrono::milliseconds node_timeout = 400ms)
        : bus_(std::move(bus)), name_(std::move(name)), work_(io_.get_executor()) {
        router::ClusterConfig cluster;
        cluster.bus = bus_;
        cluster.node_name = name_;
        cluster.heartbeat = heartbeat;
        cluster.node_timeout = node_timeout;
        config.cluster = std::move(cluster);
        // NEXUS_TEST_LOG=1 shows every node's log lines (what the cluster did).
        if (std::getenv("NEXUS_TEST_LOG"))
            config.logger = [name = name_](router::RouterLogLevel, std::string_view line) {
                std::fprintf(stderr, "[%s] %.*s\n", name.c_str(), int(line.size()), line.data());
            };
        router_ = std::make_unique<router::Router>(io_.get_executor(), std::move(config));
        for (int i = 0; i < threads; ++i)
            threads_.emplace_back([this] { io_.run(); });
    }
    ClusterNode(std::shared_ptr<cluster::MemoryBus> bus, router::RouterConfig config, int threads)
        : ClusterNode(bus, bus->name(), std::move(config), threads) {}

    ~ClusterNode() { stop(); }

    /// Shuts the router down as a stopping process would (it says goodbye).
    void stop() {
        if (!router_) return;
        clients_.clear();
        router_.reset();
        work_.reset();
        // The router's last messages leave through the node's strand.
        for (auto& t : threads_)
            t.join();
        threads_.clear();
        bus_->close();
    }

    /// As if the process were killed: nothing more reaches the bus (a
    /// MemoryBus endpoint is lost, another bus closed before the router can
    /// say goodbye) and its clients are gone.
    void kill() {
        if (!router_) return;
        if (auto* memory = dynamic_cast<cluster::MemoryBus*>(bus_.get()))
            memory->lose();
        else
            bus_->close();
        for (auto& c : clients_)
            c->drop();
        clients_.clear();
        router_.reset();
        work_.reset();
        io_.stop();
        for (auto& t : threads_)
            t.join();
        threads_.clear();
    }

    TestClient& client() {
        clients_.push_back(std::make_unique<TestClient>(*router_, io_.get_executor()));
        return *clients_.back();
    }
    TestClient& joined(const std::string& realm = "realm1") {
        TestClient& c = client();
        c.join(realm);
        return c;
    }

    router::Router& router() { return *router_; }
    /// The in-memory bus (for its faults); only for nodes on a MemoryFabric.
    cluster::MemoryBus& bus() { return dynamic_cast<cluster::MemoryBus&>(*bus_); }
    /// The bus, whichever it is.
    cluster::Bus& any_bus() { return *bus_; }

private:
    std::shared_ptr<cluster::Bus> bus_;
    std::string name_;
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::unique_ptr<router::Router> router_;
    std::vector<std::thread> threads_;
    std::vector<std::unique_ptr<TestClient>> clients_;
};

class ClusterFixture : public ::testing::Test {
protected:
    using Array = wamp::Array;
    using Object = wamp::Object;
    using Payload = wamp::Payload;
    using Value = wamp::Value;

    ~ClusterFixture() override {
        // Stop in reverse order of start, each saying goodbye to the rest.
        while (!nodes_.empty())
            nodes_.pop_back();
    }

    ClusterNode& add_node(router::RouterConfig config = RouterFixture::default_config(),
                          int threads = 2) {
        const std::string name = "node" + std::to_string(nodes_.size() + 1);
        nodes_.push_back(
            std::make_unique<ClusterNode>(fabric_->connect(name), std::move(config), threads));
        return *nodes_.back();
    }

    ClusterNode& node(std::size_t i) { return *nodes_.at(i); }

    /// Polls `condition` until it holds or `timeout` passes (for what the
    /// cluster settles on asynchronously, e.g. a join seen by every node).
    static bool eventually(const std::function<bool()>& condition,
                           std::chrono::milliseconds timeout = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!condition()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(5ms);
        }
        return true;
    }

    /// Calls `procedure` from `c` and returns its RESULT or ERROR.
    static wamp::Message call(TestClient& c, const std::string& procedure, wamp::Array args = {},
                              wamp::Object options = {}) {
        const wamp::Id req = c.next_request();
        c.send(wamp::Call{req, std::move(options), procedure, wamp::Payload(std::move(args))});
        for (;;) {
            auto m = c.next();
            if (!m) {
                ADD_FAILURE() << "no answer to " << procedure;
                return wamp::Error{};
            }
            if (auto* r = std::get_if<wamp::Result>(&*m); r && r->request == req) return *m;
            if (auto* e = std::get_if<wamp::Error>(&*m); e && e->request == req) return *m;
        }
    }

    /// wamp.session.count as seen from `c`'s node.
    static std::uint64_t session_count(TestClient& c) {
        auto m = call(c, "wamp.session.count");
        auto* r = std::get_if<wamp::Result>(&m);
        if (!r || r->payload.args().empty()) return 0;
        return r->payload.args()[0].to_uint().value_or(0);
    }

    /// The ids in a list of them (a meta procedure's answer).
    static std::set<wamp::Id> ids_of(const Array& list) {
        std::set<wamp::Id> ids;
        for (const Value& v : list)
            ids.insert(v.to_uint().value_or(0));
        return ids;
    }

    static wamp::Id subscribe(TestClient& c, const std::string& topic, Object options = {}) {
        const wamp::Id req = c.next_request();
        c.send(wamp::Subscribe{req, std::move(options), topic});
        auto s = c.expect<wamp::Subscribed>();
        EXPECT_EQ(s.request, req);
        return s.subscription;
    }
    static wamp::Id register_(TestClient& c, const std::string& procedure, Object options = {}) {
        const wamp::Id req = c.next_request();
        c.send(wamp::Register{req, std::move(options), procedure});
        auto r = c.expect<wamp::Registered>();
        EXPECT_EQ(r.request, req);
        return r.registration;
    }
    static void publish(TestClient& c, const std::string& topic, Object options = {},
                        Payload payload = Payload(Array{"hello"})) {
        c.send(wamp::Publish{c.next_request(), std::move(options), topic, std::move(payload)});
    }

    /// `caller` calls `procedure` and `callee`, its callee, answers `result`:
    /// the arguments of the RESULT that reaches the caller.
    static Array answered_call(TestClient& caller, TestClient& callee, const std::string& procedure,
                               Value result, std::chrono::milliseconds timeout = 3s) {
        caller.send(wamp::Call{caller.next_request(), {}, procedure, {}});
        auto inv = callee.expect<wamp::Invocation>(timeout);
        callee.send(wamp::Yield{inv.request, {}, Payload(Array{std::move(result)})});
        return caller.expect<wamp::Result>(timeout).payload.args();
    }

    /// How a test of a vanishing node begins: `caller` subscribes to
    /// wamp.session.on_leave, `callee` (on the other node) registers
    /// `procedure`, and a call from `caller` reaches it and stays unanswered.
    /// The call's request id, 0 if the registration never reached the
    /// caller's node.
    static wamp::Id call_in_flight(TestClient& caller, TestClient& callee,
                                   const std::string& procedure) {
        subscribe(caller, "wamp.session.on_leave");
        register_(callee, procedure);
        if (!callable(caller, procedure)) return 0;
        const wamp::Id req = caller.next_request();
        caller.send(wamp::Call{req, {}, procedure, {}});
        callee.expect<wamp::Invocation>();
        return req;
    }

    /// What the caller of call_in_flight() hears once the callee's node is
    /// gone: the call's ERROR and the callee's on_leave EVENT, in either order.
    struct CalleeGone {
        wamp::Error error;
        wamp::Event leave;
    };
    static std::optional<CalleeGone> callee_gone(TestClient& caller,
                                                 std::chrono::milliseconds timeout) {
        std::optional<wamp::Error> error;
        std::optional<wamp::Event> leave;
        while (!(error && leave)) {
            auto m = caller.next(timeout);
            if (!m) {
                ADD_FAILURE() << "answered " << bool(error) << " left " << bool(leave);
                return std::nullopt;
            }
            if (auto* e = std::get_if<wamp::Error>(&*m); e && !error)
                error = *e;
            else if (auto* ev = std::get_if<wamp::Event>(&*m); ev && !leave)
                leave = *ev;
        }
        return CalleeGone{*error, *leave};
    }

    /// Waits until `c`'s node knows a registration that `procedure` matches
    /// (it reached that node).
    static bool callable(TestClient& c, const std::string& procedure) {
        return eventually([&] {
            auto m = call(c, "wamp.registration.lookup", Array{procedure});
            auto* r = std::get_if<wamp::Result>(&m);
            return r && !r->payload.args().empty() && !r->payload.args()[0].is_null();
        });
    }

    /// Two nodes: a callee on b that registered `procedure`, and a caller on
    /// a whose node knows it (the setup of the cross-node call cases).
    struct CallAcross {
        ClusterNode& a;
        ClusterNode& b;
        TestClient& caller;
        TestClient& callee;
    };
    CallAcross call_across(const std::string& procedure) {
        ClusterNode& a = add_node();
        ClusterNode& b = add_node();
        TestClient& caller = a.joined();
        TestClient& callee = b.joined();
        register_(callee, procedure);
        EXPECT_TRUE(callable(caller, procedure));
        return {a, b, caller, callee};
    }

    /// Waits until `c`'s node counts `n` subscribers over the subscriptions
    /// `topic` matches.
    static bool subscribers(TestClient& c, const std::string& topic, std::size_t n) {
        return eventually([&] {
            auto m = call(c, "wamp.subscription.match", Array{topic});
            auto* r = std::get_if<wamp::Result>(&m);
            if (!r || r->payload.args().empty()) return false;
            const Value ids = r->payload.args()[0];
            if (!ids.is_array()) return n == 0;
            std::size_t subscribers = 0;
            for (const Value& id : ids.as_array()) {
                auto list = call(c, "wamp.subscription.count_subscribers", Array{id});
                auto* lr = std::get_if<wamp::Result>(&list);
                if (lr && !lr->payload.args().empty())
                    subscribers += lr->payload.args()[0].to_uint().value_or(0);
            }
            return subscribers == n;
        });
    }

    std::shared_ptr<cluster::MemoryFabric> fabric_ = cluster::MemoryFabric::create();
    std::vector<std::unique_ptr<ClusterNode>> nodes_;
};

} // namespace nexus::test
