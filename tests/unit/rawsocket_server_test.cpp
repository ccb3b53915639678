// The RawSocket server against a hand-driven client socket.
#include <nexus/router/router.hpp>
#include <nexus/serialize/serializer.hpp>
#include <nexus/transport/rawsocket_server.hpp>
#include <nexus/wamp/uris.hpp>

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <filesystem>
#include <thread>

using namespace nexus;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

router::RouterConfig config() {
    router::RouterConfig c;
    router::RealmConfig r;
    r.uri = "realm1";
    c.realms.push_back(r);
    return c;
}

class RawSocket : public ::testing::Test {
protected:
    RawSocket() : work_(io_.get_executor()), router_(io_.get_executor(), config()) {
        transport::RawSocketOptions o;
        o.tcp_address = "127.0.0.1:0";
        o.handshake_timeout = std::chrono::milliseconds(300);
        o.max_message_size = 1 << 16;
        server_ = std::make_unique<transport::RawSocketServer>(io_.get_executor(), router_, o);
        server_->start();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~RawSocket() override {
        server_->stop();
        router_.shutdown();
        work_.reset();
        io_.stop();
        thread_.join();
    }

    // A blocking client socket (the test thread), with a receive timeout.
    tcp::socket connect() {
        tcp::socket s(client_io_);
        s.connect({asio::ip::make_address("127.0.0.1"), server_->tcp_port()});
        timeval tv{3, 0};
        setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        return s;
    }

    static std::array<std::uint8_t, 4> handshake(tcp::socket& s,
                                                 std::array<std::uint8_t, 4> hello) {
        asio::write(s, asio::buffer(hello));
        std::array<std::uint8_t, 4> reply{};
        boost::system::error_code ec;
        asio::read(s, asio::buffer(reply), ec);
        return reply;
    }

    static void send(tcp::socket& s, wamp::Format f, const wamp::Message& m,
                     std::uint8_t type = 0) {
        auto bytes = serialize::encode(f, m);
        ASSERT_TRUE(bytes.ok());
        send_raw(s, *bytes, type);
    }
    static void send_raw(tcp::socket& s, const std::string& body, std::uint8_t type = 0) {
        const std::size_t n = body.size();
        std::array<std::uint8_t, 4> h{type, std::uint8_t(n >> 16), std::uint8_t(n >> 8),
                                      std::uint8_t(n)};
        asio::write(s, std::array<asio::const_buffer, 2>{asio::buffer(h), asio::buffer(body)});
    }
    static std::pair<std::uint8_t, std::string> receive_raw(tcp::socket& s) {
        std::array<std::uint8_t, 4> h{};
        boost::system::error_code ec;
        asio::read(s, asio::buffer(h), ec);
        if (ec) return {0xff, ""};
        std::string body((std::size_t{h[1]} << 16) | (std::size_t{h[2]} << 8) | h[3], '\0');
        asio::read(s, asio::buffer(body), ec);
        return {h[0], body};
    }
    static wamp::Message receive(tcp::socket& s, wamp::Format f) {
        auto [type, body] = receive_raw(s);
        EXPECT_EQ(type, 0);
        auto m = serialize::decode(f, body);
        EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
        return m.ok() ? *m : wamp::Message{};
    }
    static bool closed_by_peer(tcp::socket& s) {
        std::array<char, 64> buf;
        boost::system::error_code ec;
        for (int i = 0; i < 100 && !ec; ++i)
            s.read_some(asio::buffer(buf), ec);
        return ec == asio::error::eof || ec == asio::error::connection_reset;
    }

    wamp::Hello hello() {
        return wamp::Hello{"realm1",
                           {{"roles", wamp::Object{{"caller", wamp::Object{}},
                                                   {"callee", wamp::Object{}},
                                                   {"publisher", wamp::Object{}},
                                                   {"subscriber", wamp::Object{}}}}}};
    }

    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    router::Router router_;
    std::unique_ptr<transport::RawSocketServer> server_;
    std::thread thread_;
    asio::io_context client_io_;
};

} // namespace

TEST_F(RawSocket, HandshakeAndSessionInEveryFormat) {
    for (wamp::Format f : wamp::all_formats) {
        tcp::socket s = connect();
        const std::uint8_t code = wamp::rawsocket_serializer_code(f);
        auto reply = handshake(s, {0x7F, std::uint8_t(0xF0 | code), 0, 0});
        EXPECT_EQ(reply[0], 0x7F);
        EXPECT_EQ(reply[1] & 0x0F, code);
        EXPECT_EQ(reply[1] >> 4, 7); // 2^(9+7) = 64 KiB, our configured limit
        send(s, f, hello());
        auto w = receive(s, f);
        ASSERT_TRUE(std::holds_alternative<wamp::Welcome>(w)) << wamp::format_name(f);
    }
}

TEST_F(RawSocket, CallAcrossTwoConnectionsWithDifferentSerializers) {
    tcp::socket callee = connect(), caller = connect();
    handshake(callee, {0x7F, 0xF2, 0, 0}); // msgpack
    handshake(caller, {0x7F, 0xF1, 0, 0}); // json
    send(callee, wamp::Format::msgpack, hello());
    receive(callee, wamp::Format::msgpack);
    send(caller, wamp::Format::json, hello());
    receive(caller, wamp::Format::json);
    send(callee, wamp::Format::msgpack, wamp::Register{1, {}, "com.echo"});
    ASSERT_TRUE(std::holds_alternative<wamp::Registered>(receive(callee, wamp::Format::msgpack)));
    send(caller, wamp::Format::json,
         wamp::Call{1, {}, "com.echo", wamp::Payload(wamp::Array{"hi", wamp::Bytes{1, 2}})});
    auto inv = std::get<wamp::Invocation>(receive(callee, wamp::Format::msgpack));
    EXPECT_EQ(inv.payload.args(), (wamp::Array{"hi", wamp::Bytes{1, 2}}));
    send(callee, wamp::Format::msgpack, wamp::Yield{inv.request, {}, inv.payload});
    auto res = std::get<wamp::Result>(receive(caller, wamp::Format::json));
    EXPECT_EQ(res.payload.args(), (wamp::Array{"hi", wamp::Bytes{1, 2}}));
}

TEST_F(RawSocket, PingIsAnsweredWithPong) {
    tcp::socket s = connect();
    handshake(s, {0x7F, 0xF1, 0, 0});
    send_raw(s, "are you there", 1);
    auto [type, body] = receive_raw(s);
    EXPECT_EQ(type, 2);
    EXPECT_EQ(body, "are you there");
}

TEST_F(RawSocket, HandshakeErrors) {
    {
        tcp::socket s = connect();
        auto reply = handshake(s, {0x7F, 0xF9, 0, 0}); // serializer 9
        EXPECT_EQ(reply[0], 0x7F);
        EXPECT_EQ(reply[1], 0x10); // error 1: serializer unsupported
        EXPECT_TRUE(closed_by_peer(s));
    }
    {
        tcp::socket s = connect();
        auto reply = handshake(s, {0x7F, 0xF1, 0, 1}); // reserved bits
        EXPECT_EQ(reply[1], 0x30);
    }
    {
        tcp::socket s = connect();
        asio::write(s, asio::buffer(std::string("GET / HTTP/1.1\r\n\r\n")));
        EXPECT_TRUE(closed_by_peer(s)); // not RawSocket: closed without a reply
    }
}

TEST_F(RawSocket, SilentClientIsClosedAfterTheHandshakeTimeout) {
    tcp::socket s = connect();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(closed_by_peer(s));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(RawSocket, OversizeFrameClosesAndGarbageAborts) {
    {
        tcp::socket s = connect();
        handshake(s, {0x7F, 0xF1, 0, 0});
        // The server may close while the body is still being written: ignore that.
        const std::string body((1 << 16) + 1, 'x');
        const std::size_t n = body.size();
        std::array<std::uint8_t, 4> h{0, std::uint8_t(n >> 16), std::uint8_t(n >> 8),
                                      std::uint8_t(n)};
        boost::system::error_code ec;
        asio::write(s, std::array<asio::const_buffer, 2>{asio::buffer(h), asio::buffer(body)}, ec);
        EXPECT_TRUE(ec || closed_by_peer(s));
    }
    {
        tcp::socket s = connect();
        handshake(s, {0x7F, 0xF1, 0, 0});
        send_raw(s, "[1, \"realm1\", {\"roles\": ");
        auto m = receive(s, wamp::Format::json);
        ASSERT_TRUE(std::holds_alternative<wamp::Abort>(m));
        EXPECT_EQ(std::get<wamp::Abort>(m).reason, wamp::errors::protocol_violation);
        EXPECT_TRUE(closed_by_peer(s));
    }
    // The server still serves a fresh session.
    tcp::socket s = connect();
    handshake(s, {0x7F, 0xF1, 0, 0});
    send(s, wamp::Format::json, hello());
    EXPECT_TRUE(std::holds_alternative<wamp::Welcome>(receive(s, wamp::Format::json)));
}

TEST(RawSocketUnix, SessionOverAUnixSocket) {
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    router::Router router(io.get_executor(), config());
    const auto path = std::filesystem::temp_directory_path() /
                      ("nexus-test-" + std::to_string(::getpid()) + ".sock");
    transport::RawSocketOptions o;
    o.unix_path = path.string();
    transport::RawSocketServer server(io.get_executor(), router, o);
    server.start();
    std::thread t([&] { io.run(); });
    {
        asio::io_context cio;
        asio::local::stream_protocol::socket s(cio);
        s.connect(asio::local::stream_protocol::endpoint(path.string()));
        std::array<std::uint8_t, 4> hs{0x7F, 0xF3, 0, 0}, reply{};
        asio::write(s, asio::buffer(hs));
        asio::read(s, asio::buffer(reply));
        EXPECT_EQ(reply[1] & 0x0F, 3);
        auto bytes = serialize::encode(
            wamp::Format::cbor,
            wamp::Hello{"realm1", {{"roles", wamp::Object{{"caller", wamp::Object{}}}}}});
        const std::size_t n = bytes->size();
        std::array<std::uint8_t, 4> h{0, std::uint8_t(n >> 16), std::uint8_t(n >> 8),
                                      std::uint8_t(n)};
        asio::write(s, std::array<asio::const_buffer, 2>{asio::buffer(h), asio::buffer(*bytes)});
        asio::read(s, asio::buffer(h));
        std::string body((std::size_t{h[1]} << 16) | (std::size_t{h[2]} << 8) | h[3], '\0');
        asio::read(s, asio::buffer(body));
        auto m = serialize::decode(wamp::Format::cbor, body);
        ASSERT_TRUE(m.ok());
        EXPECT_TRUE(std::holds_alternative<wamp::Welcome>(*m));
    }
    server.stop();
    router.shutdown();
    work.reset();
    io.stop();
    t.join();
    EXPECT_FALSE(std::filesystem::exists(path));
}
