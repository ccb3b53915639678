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

#include <poll.h>

#include <array>
#include <filesystem>
#include <thread>

using namespace nexus;
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

router::RouterConfig config(std::size_t out_queue_size = 4096) {
    router::RouterConfig c;
    c.out_queue_size = out_queue_size;
    router::RealmConfig r;
    r.uri = "realm1";
    c.realms.push_back(r);
    return c;
}

class RawSocket : public ::testing::Test {
protected:
    explicit RawSocket(std::size_t out_queue_size = 4096)
        : work_(io_.get_executor()), router_(io_.get_executor(), config(out_queue_size)) {
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
        asio::write(s, asio::buffer(framed(body, type)));
    }
    // A frame with its header, to be sent as it is or concatenated with others.
    static std::string framed(const std::string& body, std::uint8_t type = 0) {
        const std::size_t n = body.size();
        std::string out{char(type), char(n >> 16), char(n >> 8), char(n)};
        return out + body;
    }
    static std::string framed(wamp::Format f, const wamp::Message& m) {
        return framed(*serialize::encode(f, m));
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

// Fixtures whose router queues at most 1024 messages per peer, or (almost) any number.
class RawSocketSmallQueue : public RawSocket {
protected:
    RawSocketSmallQueue() : RawSocket(1024) {}
};
class RawSocketHugeQueue : public RawSocket {
protected:
    RawSocketHugeQueue() : RawSocket(std::size_t{1} << 20) {}
};

std::int64_t first_arg(const wamp::Message& m) {
    const auto* e = std::get_if<wamp::Event>(&m);
    return e ? e->payload.args().at(0).as_int() : -1;
}

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

// The handshake, HELLO, 50 PINGs and 50 REGISTERs in one TCP segment: every
// frame is handled, and the answers come back complete and in order.
TEST_F(RawSocket, ManyFramesInOneSegment) {
    tcp::socket s = connect();
    const auto f = wamp::Format::json;
    std::string all{char(0x7F), char(0xF1), 0, 0};
    all += framed(f, hello());
    for (int i = 1; i <= 50; ++i) {
        all += framed("ping " + std::to_string(i), 1);
        all += framed(f, wamp::Register{wamp::Id(i), {}, "com.p" + std::to_string(i)});
    }
    asio::write(s, asio::buffer(all));
    std::array<std::uint8_t, 4> reply{};
    asio::read(s, asio::buffer(reply));
    EXPECT_EQ(reply[1] & 0x0F, 1);
    int pongs = 0, registered = 0;
    bool welcome = false;
    while (pongs < 50 || registered < 50) {
        auto [type, body] = receive_raw(s);
        ASSERT_NE(type, 0xff) << "connection lost after " << pongs << " PONGs, " << registered
                              << " REGISTERED";
        if (type == 2) {
            EXPECT_EQ(body, "ping " + std::to_string(++pongs));
            continue;
        }
        auto m = serialize::decode(f, body);
        ASSERT_TRUE(m.ok());
        if (!welcome) {
            ASSERT_TRUE(std::holds_alternative<wamp::Welcome>(*m));
            welcome = true;
            continue;
        }
        ASSERT_TRUE(std::holds_alternative<wamp::Registered>(*m));
        EXPECT_EQ(std::get<wamp::Registered>(*m).request, wamp::Id(++registered));
    }
}

// Frames trickling in: a HELLO one byte at a time (header included), then
// PINGs of 30 KiB (more than the initial read buffer) and of the 64 KiB
// maximum (more than the read buffer ever holds) in uneven pieces.
TEST_F(RawSocket, FramesSplitAcrossManyReads) {
    tcp::socket s = connect();
    s.set_option(tcp::no_delay(true));
    handshake(s, {0x7F, 0xF2, 0, 0});
    const auto f = wamp::Format::msgpack;
    const auto trickle = [&](const std::string& bytes, std::size_t piece) {
        for (std::size_t at = 0; at < bytes.size(); at += piece) {
            asio::write(s, asio::buffer(bytes.data() + at, std::min(piece, bytes.size() - at)));
            std::this_thread::sleep_for(std::chrono::microseconds(300));
        }
    };
    trickle(framed(f, hello()), 1);
    EXPECT_TRUE(std::holds_alternative<wamp::Welcome>(receive(s, f)));

    std::string medium(30000, 'm'), largest(1 << 16, 'L');
    for (std::size_t i = 0; i < largest.size(); i += 7)
        largest[i] = char('a' + i % 26);
    trickle(framed(medium, 1) + framed(largest, 1) + framed(f, wamp::Subscribe{7, {}, "t"}), 7001);
    auto [t1, b1] = receive_raw(s);
    EXPECT_EQ(t1, 2);
    EXPECT_EQ(b1, medium);
    auto [t2, b2] = receive_raw(s);
    EXPECT_EQ(t2, 2);
    EXPECT_TRUE(b2 == largest) << "PONG of " << b2.size() << " bytes differs";
    auto m = receive(s, f);
    ASSERT_TRUE(std::holds_alternative<wamp::Subscribed>(m));
    EXPECT_EQ(std::get<wamp::Subscribed>(m).request, 7u);
}

// 20,000 PUBLISHes written at once (some with bodies large enough to go out
// uncopied): the subscriber gets every EVENT, intact and in order. (The queue
// is large so that how fast this test reads does not matter.)
TEST_F(RawSocketHugeQueue, LargeBurstArrivesCompleteAndInOrder) {
    const auto f = wamp::Format::msgpack;
    tcp::socket sub = connect(), pub = connect();
    handshake(sub, {0x7F, 0xF2, 0, 0});
    handshake(pub, {0x7F, 0xF2, 0, 0});
    send(sub, f, hello());
    receive(sub, f);
    send(pub, f, hello());
    receive(pub, f);
    send(sub, f, wamp::Subscribe{1, {}, "burst"});
    ASSERT_TRUE(std::holds_alternative<wamp::Subscribed>(receive(sub, f)));

    constexpr int count = 20000;
    const std::string big(3000, 'b');
    std::string all;
    for (int i = 0; i < count; ++i)
        all += framed(f, wamp::Publish{wamp::Id(i + 1),
                                       {},
                                       "burst",
                                       wamp::Payload(wamp::Array{i, i % 500 == 0 ? big : "x"})});
    int received = 0;
    std::thread reader([&] {
        for (; received < count; ++received) {
            auto [type, body] = receive_raw(sub);
            if (type != 0) return;
            auto m = serialize::decode(f, body);
            if (!m.ok() || first_arg(*m) != received) return;
            const auto args = std::get<wamp::Event>(*m).payload.args();
            if (args.at(1).as_string() != (received % 500 == 0 ? big : "x")) return;
        }
    });
    asio::write(pub, asio::buffer(all));
    reader.join();
    EXPECT_EQ(received, count);
}

// A subscriber that stops reading does not hold up the others, and what it
// still gets afterwards is bounded by the router's queue (1024 here), one
// write batch and the socket buffers: most of the 20 MB published is dropped,
// and what arrives is in order.
TEST_F(RawSocketSmallQueue, PeerThatStopsReadingIsBoundedByTheQueue) {
    const auto f = wamp::Format::msgpack;
    tcp::socket stalled(client_io_);
    stalled.open(tcp::v4());
    stalled.set_option(asio::socket_base::receive_buffer_size(4096));
    stalled.connect({asio::ip::make_address("127.0.0.1"), server_->tcp_port()});
    timeval timeout{3, 0};
    setsockopt(stalled.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    tcp::socket live = connect(), pub = connect();
    for (tcp::socket* s : {&stalled, &live, &pub}) {
        handshake(*s, {0x7F, 0xF2, 0, 0});
        send(*s, f, hello());
        ASSERT_TRUE(std::holds_alternative<wamp::Welcome>(receive(*s, f)));
    }
    for (tcp::socket* s : {&stalled, &live}) {
        send(*s, f, wamp::Subscribe{1, {}, "firehose"});
        ASSERT_TRUE(std::holds_alternative<wamp::Subscribed>(receive(*s, f)));
    }
    constexpr int count = 10048, window = 64;
    const std::string padding(2000, 'p');
    // Windows of 64 publications, each received by the live subscriber before
    // the next is sent: it is never held up by the stalled one.
    int live_received = 0;
    for (int i = 0; i < count; i += window) {
        std::string chunk;
        for (int j = i; j < i + window; ++j)
            chunk += framed(
                f, wamp::Publish{
                       wamp::Id(j + 1), {}, "firehose", wamp::Payload(wamp::Array{j, padding})});
        asio::write(pub, asio::buffer(chunk));
        for (int j = i; j < i + window; ++j) {
            auto m = receive(live, f);
            ASSERT_EQ(first_arg(m), j);
            ++live_received;
        }
    }
    EXPECT_EQ(live_received, count);

    // Now drain the stalled one (until it is silent for half a second): fewer
    // than half the events, in increasing order. Asio's blocking read turns a
    // SO_RCVTIMEO expiry into an endless poll, hence poll() here. Its tiny
    // receive buffer (no window scaling) can make the kernel drop segments and
    // send the rest one retransmission timeout at a time, depending on how
    // the frames fall against it: a larger buffer drains it at once.
    stalled.set_option(asio::socket_base::receive_buffer_size(1 << 16));
    int stalled_received = 0;
    std::int64_t last = -1;
    for (;;) {
        pollfd pfd{stalled.native_handle(), POLLIN, 0};
        if (::poll(&pfd, 1, 500) != 1) break;
        auto [type, body] = receive_raw(stalled);
        if (type != 0) break;
        auto m = serialize::decode(f, body);
        ASSERT_TRUE(m.ok());
        const std::int64_t seq = first_arg(*m);
        ASSERT_GT(seq, last);
        last = seq;
        ++stalled_received;
    }
    EXPECT_GT(stalled_received, 0);
    EXPECT_LT(stalled_received, count / 2);
    // It is still connected and served (behind events the kernel still held,
    // when a retransmission came after the half second of silence).
    send(stalled, f, wamp::Subscribe{2, {}, "other"});
    auto answer = receive(stalled, f);
    for (int i = 0; i < count && std::holds_alternative<wamp::Event>(answer); ++i)
        answer = receive(stalled, f);
    EXPECT_TRUE(std::holds_alternative<wamp::Subscribed>(answer));
}
