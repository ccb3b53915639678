// Listener caps (max_connections, max_connections_per_address) on the
// RawSocket and WebSocket servers, over real 127.0.0.1 connections: TCP, a
// Unix socket and TLS. A connection over a cap is closed at accept, logged
// and counted in the router's metrics.
#include <nexus/router/router.hpp>
#include <nexus/transport/rawsocket_server.hpp>
#include <nexus/transport/websocket_server.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <mutex>
#include <thread>

#include "support/tls_client.hpp"

using namespace nexus;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// A blocking client: to 127.0.0.1 from a loopback address of its own
// choosing (another address makes another peer), or to a Unix socket.
using Client = test::PlainConnection;
using test::rawsocket_join;
using test::websocket_upgrade;

class ListenerLimits : public ::testing::Test {
protected:
    ListenerLimits() : work_(io_.get_executor()) {
        // A TLS client writing its ClientHello to a refused connection.
        ::signal(SIGPIPE, SIG_IGN);
        router::RouterConfig c;
        router::RealmConfig r;
        r.uri = "realm1";
        c.realms.push_back(r);
        c.logger = [this](router::RouterLogLevel level, std::string_view line) {
            if (level != router::RouterLogLevel::warning) return;
            std::lock_guard lock(mutex_);
            log_.emplace_back(line);
        };
        router_.emplace(io_.get_executor(), c);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~ListenerLimits() override {
        if (raw_) raw_->stop();
        if (ws_) ws_->stop();
        router_->shutdown();
        work_.reset();
        io_.stop();
        thread_.join();
    }

    void start(transport::RawSocketOptions o) {
        raw_ = std::make_unique<transport::RawSocketServer>(io_.get_executor(), *router_, o);
        raw_->start();
    }
    void start(transport::WebSocketOptions o) {
        ws_ = std::make_unique<transport::WebSocketServer>(io_.get_executor(), *router_, o);
        ws_->start();
    }

    // A certificate for localhost, its files in the fixture's directory.
    transport::TlsServerOptions test_tls() {
        const auto cert = test::make_test_cert("localhost", 1);
        transport::TlsServerOptions tls;
        tls.certificate_file = dir_.write("cert.pem", cert.certificate);
        tls.private_key_file = dir_.write("key.pem", cert.key);
        return tls;
    }

    std::uint64_t refused(const std::string& listener, const std::string& reason) {
        const auto m = router_->metrics();
        auto it = m.connections_refused.find({listener, reason});
        return it == m.connections_refused.end() ? 0 : it->second;
    }
    std::vector<std::string> log() {
        std::lock_guard lock(mutex_);
        return log_;
    }
    // The router notices a closed connection on its own thread.
    void wait_for_sessions(std::size_t n) {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (router_->session_count() != n && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(2ms);
        ASSERT_EQ(router_->session_count(), n);
    }

    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::optional<router::Router> router_;
    std::unique_ptr<transport::RawSocketServer> raw_;
    std::unique_ptr<transport::WebSocketServer> ws_;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<std::string> log_;
    test::TempDir dir_;
};

TEST_F(ListenerLimits, RawSocketTcpMaxConnections) {
    transport::RawSocketOptions o;
    o.tcp_address = "127.0.0.1:0";
    o.max_connections = 2;
    start(o);
    const std::uint16_t port = raw_->tcp_port();
    const std::string listener = "tcp://127.0.0.1:" + std::to_string(port);

    auto a = std::make_unique<Client>(port);
    Client b(port);
    ASSERT_TRUE(rawsocket_join(*a));
    ASSERT_TRUE(rawsocket_join(b));
    Client over(port);
    EXPECT_TRUE(over.refused());
    EXPECT_EQ(refused(listener, "max_connections"), 1u);
    const auto lines = log();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find(listener + ": refused a connection from tcp4:127.0.0.1:"),
              std::string::npos)
        << lines[0];
    EXPECT_NE(lines[0].find("2 connections open (max_connections)"), std::string::npos) << lines[0];

    // A closed connection gives its place back.
    a.reset();
    wait_for_sessions(1);
    Client again(port);
    EXPECT_TRUE(rawsocket_join(again));
    EXPECT_EQ(refused(listener, "max_connections"), 1u);
}

TEST_F(ListenerLimits, RawSocketTcpMaxConnectionsPerAddress) {
    transport::RawSocketOptions o;
    o.tcp_address = "127.0.0.1:0";
    o.max_connections_per_address = 1;
    start(o);
    const std::uint16_t port = raw_->tcp_port();

    Client a(port, "127.0.0.1");
    ASSERT_TRUE(rawsocket_join(a));
    Client same(port, "127.0.0.1");
    EXPECT_TRUE(same.refused());
    Client other(port, "127.0.0.2"); // another peer address
    EXPECT_TRUE(rawsocket_join(other));
    EXPECT_EQ(refused("tcp://127.0.0.1:" + std::to_string(port), "max_connections_per_address"),
              1u);
    const auto lines = log();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("1 connections from 127.0.0.1 open (max_connections_per_address)"),
              std::string::npos)
        << lines[0];
}

TEST_F(ListenerLimits, RawSocketUnixMaxConnections) {
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("nexus-limits-" + std::to_string(::getpid()) + ".sock"))
                                 .string();
    transport::RawSocketOptions o;
    o.unix_path = path;
    o.max_connections = 1;
    o.max_connections_per_address = 1; // Unix peers have no address: only the total counts
    start(o);
    auto a = std::make_unique<Client>(path);
    ASSERT_TRUE(rawsocket_join(*a));
    Client over(path);
    EXPECT_TRUE(over.refused());
    EXPECT_EQ(refused("unix://" + path, "max_connections"), 1u);
    a.reset();
    wait_for_sessions(0);
    Client again(path);
    EXPECT_TRUE(rawsocket_join(again));
}

TEST_F(ListenerLimits, RawSocketTlsMaxConnections) {
    transport::RawSocketOptions o;
    o.tcp_address = "127.0.0.1:0";
    o.tls = test_tls();
    o.max_connections = 1;
    start(o);
    const std::uint16_t port = raw_->tcp_port();
    test::TlsClient a(port);
    ASSERT_TRUE(a.connected()) << a.error();
    ASSERT_TRUE(a.rawsocket_join());
    test::TlsClient over(port);
    EXPECT_FALSE(over.connected()); // closed before the TLS handshake
    EXPECT_EQ(refused("tcps://127.0.0.1:" + std::to_string(port), "max_connections"), 1u);
}

TEST_F(ListenerLimits, WebSocketMaxConnectionsAndPerAddress) {
    transport::WebSocketOptions o;
    o.address = "127.0.0.1:0";
    o.max_connections = 2;
    o.max_connections_per_address = 1;
    start(o);
    const std::uint16_t port = ws_->port();
    const std::string listener = "ws://127.0.0.1:" + std::to_string(port);

    Client a(port, "127.0.0.1");
    EXPECT_EQ(websocket_upgrade(a), "HTTP/1.1 101 Switching Protocols");
    Client same(port, "127.0.0.1");
    EXPECT_TRUE(same.refused());
    EXPECT_EQ(refused(listener, "max_connections_per_address"), 1u);
    Client b(port, "127.0.0.2");
    EXPECT_EQ(websocket_upgrade(b), "HTTP/1.1 101 Switching Protocols");
    Client over(port, "127.0.0.3");
    EXPECT_TRUE(over.refused());
    EXPECT_EQ(refused(listener, "max_connections"), 1u);
}

TEST_F(ListenerLimits, WebSocketTlsMaxConnections) {
    transport::WebSocketOptions o;
    o.address = "127.0.0.1:0";
    o.tls = test_tls();
    o.max_connections = 1;
    start(o);
    const std::uint16_t port = ws_->port();
    test::TlsClient a(port);
    ASSERT_TRUE(a.connected()) << a.error();
    EXPECT_EQ(a.websocket_upgrade(), "HTTP/1.1 101 Switching Protocols");
    test::TlsClient over(port);
    EXPECT_FALSE(over.connected());
    EXPECT_EQ(refused("wss://127.0.0.1:" + std::to_string(port), "max_connections"), 1u);
}

// A flood of refusals is counted one by one but logged in summary: the first
// at once, the rest at most once a second with how many there were.
TEST_F(ListenerLimits, RefusalsAreCountedEachButNotLoggedEach) {
    transport::RawSocketOptions o;
    o.tcp_address = "127.0.0.1:0";
    o.max_connections = 1;
    start(o);
    const std::uint16_t port = raw_->tcp_port();
    Client a(port);
    ASSERT_TRUE(rawsocket_join(a));
    constexpr int flood = 20;
    for (int i = 0; i < flood; ++i) {
        Client over(port);
        EXPECT_TRUE(over.refused());
    }
    EXPECT_EQ(refused("tcp://127.0.0.1:" + std::to_string(port), "max_connections"),
              std::uint64_t{flood});
    const auto lines = log();
    ASSERT_GE(lines.size(), 1u);
    EXPECT_LT(lines.size(), std::size_t{flood});
}

// Without caps nothing is refused (and nothing counted).
TEST_F(ListenerLimits, NoCapsByDefault) {
    transport::RawSocketOptions o;
    o.tcp_address = "127.0.0.1:0";
    start(o);
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 8; ++i) {
        clients.push_back(std::make_unique<Client>(raw_->tcp_port()));
        EXPECT_TRUE(rawsocket_join(*clients.back()));
    }
    EXPECT_TRUE(router_->metrics().connections_refused.empty());
}

} // namespace
