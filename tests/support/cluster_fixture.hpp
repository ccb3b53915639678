// Test support: several routers in one process joined into a cluster through
// a MemoryFabric (each router its own io_context, threads and bus endpoint),
// with the synchronous in-process clients of router_fixture.hpp.
#pragma once

#include "support/router_fixture.hpp"

#include <nexus/cluster/memory_bus.hpp>

#include <cstdio>
#include <cstdlib>
#include <functional>

namespace nexus::test {

/// One router of the cluster.
class ClusterNode {
public:
    ClusterNode(std::shared_ptr<cluster::MemoryBus> bus, router::RouterConfig config, int threads)
        : bus_(std::move(bus)), work_(io_.get_executor()) {
        router::ClusterConfig cluster;
        cluster.bus = bus_;
        cluster.node_name = bus_->name();
        cluster.heartbeat = 50ms;
        cluster.node_timeout = 400ms;
        config.cluster = std::move(cluster);
        // NEXUS_TEST_LOG=1 shows every node's log lines (what the cluster did).
        if (std::getenv("NEXUS_TEST_LOG"))
            config.logger = [name = bus_->name()](router::RouterLogLevel, std::string_view line) {
                std::fprintf(stderr, "[%s] %.*s\n", name.c_str(), int(line.size()), line.data());
            };
        router_ = std::make_unique<router::Router>(io_.get_executor(), std::move(config));
        for (int i = 0; i < threads; ++i)
            threads_.emplace_back([this] { io_.run(); });
    }

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

    /// As if the process were killed: its bus endpoint falls silent and its
    /// clients are gone, but nothing is said to the others.
    void kill() {
        bus_->lose();
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
    cluster::MemoryBus& bus() { return *bus_; }

private:
    std::shared_ptr<cluster::MemoryBus> bus_;
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::unique_ptr<router::Router> router_;
    std::vector<std::thread> threads_;
    std::vector<std::unique_ptr<TestClient>> clients_;
};

class ClusterFixture : public ::testing::Test {
protected:
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

    std::shared_ptr<cluster::MemoryFabric> fabric_ = cluster::MemoryFabric::create();
    std::vector<std::unique_ptr<ClusterNode>> nodes_;
};

} // namespace nexus::test
