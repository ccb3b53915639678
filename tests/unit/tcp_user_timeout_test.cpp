// TCP_USER_TIMEOUT on the sockets the RawSocket and WebSocket servers
// accept, twice their write timeout: read back with getsockopt on the
// server's own end of a real 127.0.0.1 connection (found among this
// process's descriptors by its peer address).
#include <nexus/router/router.hpp>
#include <nexus/transport/rawsocket_server.hpp>
#include <nexus/transport/websocket_server.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <thread>

#include "support/router_fixture.hpp"
#include "support/socket_lookup.hpp"

using namespace nexus;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

using nexus::test::socket_with;
using nexus::test::SocketEnd;
using nexus::test::tcp_user_timeout;

// This process's descriptor whose TCP peer is `client` (the server's end of
// that connection), or -1.
int server_end_of(const tcp::socket& client) {
    return socket_with(SocketEnd::peer, client.local_endpoint());
}

class TcpUserTimeout : public ::testing::Test {
protected:
    TcpUserTimeout()
        : work_(io_.get_executor()),
          router_(io_.get_executor(), nexus::test::RouterFixture::default_config()) {
        thread_ = std::thread([this] { io_.run(); });
    }
    ~TcpUserTimeout() override {
        if (raw_) raw_->stop();
        if (ws_) ws_->stop();
        router_.shutdown();
        work_.reset();
        io_.stop();
        thread_.join();
    }

    // A connection the server has certainly accepted: it answered.
    tcp::socket rawsocket_client() {
        tcp::socket s(client_io_);
        s.connect({asio::ip::make_address("127.0.0.1"), raw_->tcp_port()});
        const std::array<std::uint8_t, 4> hello{0x7F, 0xF1, 0, 0};
        asio::write(s, asio::buffer(hello));
        std::array<std::uint8_t, 4> reply{};
        asio::read(s, asio::buffer(reply));
        EXPECT_EQ(reply[0], 0x7F);
        return s;
    }
    tcp::socket websocket_client() {
        tcp::socket s(client_io_);
        s.connect({asio::ip::make_address("127.0.0.1"), ws_->port()});
        // The upgrade (answered: the server has accepted the connection,
        // and keeps it).
        asio::write(
            s, asio::buffer(std::string(
                   "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                   "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n")));
        std::array<char, 12> status{};
        asio::read(s, asio::buffer(status));
        EXPECT_EQ(std::string(status.data(), 12), "HTTP/1.1 101");
        return s;
    }

    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    router::Router router_;
    std::unique_ptr<transport::RawSocketServer> raw_;
    std::unique_ptr<transport::WebSocketServer> ws_;
    std::thread thread_;
    asio::io_context client_io_;
};

TEST_F(TcpUserTimeout, RawSocketSetsItFromTheWriteTimeout) {
    transport::RawSocketOptions o;
    o.tcp_address = "127.0.0.1:0";
    o.write_timeout = 7500ms;
    o.tcp_keepalive = 60s;
    raw_ = std::make_unique<transport::RawSocketServer>(io_.get_executor(), router_, o);
    raw_->start();
    tcp::socket client = rawsocket_client();
    const int fd = server_end_of(client);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(tcp_user_timeout(fd), 15000); // twice the write timeout
}

TEST_F(TcpUserTimeout, WebSocketSetsItFromTheWriteTimeout) {
    transport::WebSocketOptions o;
    o.address = "127.0.0.1:0";
    o.write_timeout = 4s;
    ws_ = std::make_unique<transport::WebSocketServer>(io_.get_executor(), router_, o);
    ws_->start();
    tcp::socket client = websocket_client();
    const int fd = server_end_of(client);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(tcp_user_timeout(fd), 8000);
}

// write_timeout 0 (never) leaves the kernel's default (0: TCP's own retries).
TEST_F(TcpUserTimeout, NoWriteTimeoutLeavesTheKernelDefault) {
    transport::RawSocketOptions o;
    o.tcp_address = "127.0.0.1:0";
    o.write_timeout = 0ms;
    raw_ = std::make_unique<transport::RawSocketServer>(io_.get_executor(), router_, o);
    raw_->start();
    tcp::socket client = rawsocket_client();
    const int fd = server_end_of(client);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(tcp_user_timeout(fd), 0);
}

} // namespace
