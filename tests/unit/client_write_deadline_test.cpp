// The client library's write deadline (ConnectOptions::write_timeout): a
// router on 127.0.0.1 that welcomes the session and then never reads again.
// The client's writes stop making progress once the socket buffers are
// full; the connection is closed and the session ends saying why, instead
// of waiting forever. Also: TCP_USER_TIMEOUT on the client's TCP socket.
#include "support/client_fixture.hpp"
#include "support/socket_lookup.hpp"

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket.hpp>

#include <array>
#include <future>

namespace nexus::test {
namespace {

namespace websocket = boost::beast::websocket;
using asio::ip::tcp;

// A "router" that completes the transport handshake and the WAMP opening,
// then stops reading until the test ends. Its receive buffer is small, so
// that the client's writes stall soon.
class StuckRouter {
public:
    explicit StuckRouter(bool websocket) : websocket_(websocket) {
        acceptor_.open(tcp::v4());
        const int small = 4096;
        ::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        thread_ = std::thread([this] { serve(); });
    }
    ~StuckRouter() {
        release_.set_value();
        thread_.join();
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    /// The client's end of the connection, once accepted.
    tcp::endpoint client_endpoint() { return client_.get(); }

private:
    static std::string welcome() {
        return *serialize::encode(
            wamp::Format::json,
            wamp::Welcome{1, {{"roles", wamp::Object{{"broker", wamp::Object{}}}}}});
    }

    void serve() {
        try {
            open();
        } catch (const std::exception&) {
            // The client went away first (a test that only connects).
        }
        // Reads nothing more until the test is over.
        release_.get_future().wait();
    }

    void open() {
        tcp::socket socket = acceptor_.accept();
        client_promise_.set_value(socket.remote_endpoint());
        std::optional<websocket::stream<tcp::socket>> ws;
        if (websocket_) {
            ws.emplace(std::move(socket));
            ws->set_option(websocket::stream_base::decorator([](websocket::response_type& r) {
                r.set(boost::beast::http::field::sec_websocket_protocol, "wamp.2.json");
            }));
            ws->accept();
            boost::beast::flat_buffer hello;
            ws->read(hello); // HELLO
            ws->text(true);
            ws->write(asio::buffer(welcome()));
        } else {
            std::array<std::uint8_t, 4> handshake{};
            asio::read(socket, asio::buffer(handshake));
            const std::array<std::uint8_t, 4> reply{0x7F, 0xF1, 0, 0};
            asio::write(socket, asio::buffer(reply));
            std::array<std::uint8_t, 4> header{};
            asio::read(socket, asio::buffer(header));
            std::string hello(
                (std::size_t{header[1]} << 16) | (std::size_t{header[2]} << 8) | header[3], '\0');
            asio::read(socket, asio::buffer(hello));
            const std::string body = welcome();
            std::string frame{'\0', static_cast<char>(body.size() >> 16),
                              static_cast<char>(body.size() >> 8), static_cast<char>(body.size())};
            asio::write(socket, asio::buffer(frame + body));
        }
        connection_ = std::move(socket);
        if (ws) connection_ = std::move(ws->next_layer());
    }

    const bool websocket_;
    asio::io_context io_;
    tcp::acceptor acceptor_{io_};
    std::promise<tcp::endpoint> client_promise_;
    std::shared_future<tcp::endpoint> client_ = client_promise_.get_future().share();
    std::promise<void> release_;
    tcp::socket connection_{io_}; // kept open, never read
    std::thread thread_;
};

// Publishes large events to a router that stopped reading; the session's end.
client::CloseInfo flood(ClientHarness& h, const std::string& url,
                        std::chrono::milliseconds write_timeout) {
    client::ConnectOptions options;
    options.write_timeout = write_timeout;
    auto transport = h.run(client::async_connect(h.executor(), url, options));
    client::Session session(h.executor(), transport);
    h.run(session.join("realm1"));
    return h.run(
        [&]() -> asio::awaitable<client::CloseInfo> {
            const wamp::Array args{std::string(256 * 1024, 'x')};
            // 64 MiB: far more than the kernel buffers between the two hold.
            // Once the session has ended, publishing fails: stop there.
            for (int i = 0; i < 256 && session.is_joined(); ++i) {
                try {
                    co_await session.publish("com.example.flood", args);
                } catch (const std::exception&) {
                    break;
                }
            }
            co_return co_await session.wait_closed();
        }(),
        20s);
}

TEST(ClientWriteDeadline, RawSocketRouterThatStopsReadingEndsTheSession) {
    ClientHarness h;
    StuckRouter router(false);
    const auto info = flood(h, "tcp://127.0.0.1:" + std::to_string(router.port()), 300ms);
    EXPECT_EQ(info.cause, client::CloseInfo::Cause::transport);
    EXPECT_EQ(info.reason, "write timed out: the router took no data for 300 ms");
}

TEST(ClientWriteDeadline, WebSocketRouterThatStopsReadingEndsTheSession) {
    ClientHarness h;
    StuckRouter router(true);
    const auto info = flood(h, "ws://127.0.0.1:" + std::to_string(router.port()) + "/", 300ms);
    EXPECT_EQ(info.cause, client::CloseInfo::Cause::transport);
    EXPECT_EQ(info.reason, "write timed out: the router took no data for 300 ms");
}

TEST(ClientWriteDeadline, TcpUserTimeoutFollowsIt) {
    for (const bool ws : {false, true}) {
        ClientHarness h;
        StuckRouter router(ws);
        client::ConnectOptions options;
        options.write_timeout = 2500ms;
        const std::string url = ws ? "ws://127.0.0.1:" + std::to_string(router.port()) + "/"
                                   : "tcp://127.0.0.1:" + std::to_string(router.port());
        auto transport = h.run(client::async_connect(h.executor(), url, options));
        const int fd = socket_with(SocketEnd::local, router.client_endpoint());
        ASSERT_GE(fd, 0);
        EXPECT_EQ(tcp_user_timeout(fd), 2500) << (ws ? "ws" : "tcp");
        transport->close();
    }
}

} // namespace
} // namespace nexus::test
