// The RawSocket wire functions (src/transport/rawsocket_wire.hpp) that both
// the server and the client use, and the server's use of them.
#include <nexus/router/router.hpp>
#include <nexus/transport/rawsocket_server.hpp>

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <poll.h>

#include <array>
#include <thread>

#include "transport/rawsocket_wire.hpp"

using namespace nexus;
using namespace nexus::transport::rawsocket;

TEST(RawSocketWire, FrameHeader) {
    const std::uint8_t regular_frame[4] = {0x00, 0x01, 0x02, 0x03};
    auto h = parse_frame_header(regular_frame, 1 << 20);
    EXPECT_EQ(h.problem, FrameProblem::none);
    EXPECT_EQ(h.type, regular);
    EXPECT_EQ(h.length, 0x010203u);

    const std::uint8_t ping_frame[4] = {0x01, 0, 0, 5};
    EXPECT_EQ(parse_frame_header(ping_frame, 5).type, ping);
    EXPECT_EQ(parse_frame_header(ping_frame, 5).problem, FrameProblem::none);
    EXPECT_EQ(parse_frame_header(ping_frame, 4).problem, FrameProblem::too_long);

    const std::uint8_t pong_frame[4] = {0x02, 0, 0, 0};
    EXPECT_EQ(parse_frame_header(pong_frame, 0).type, pong);

    for (std::uint8_t type = 3; type < 8; ++type) {
        const std::uint8_t reserved_type[4] = {type, 0, 0, 0};
        EXPECT_EQ(parse_frame_header(reserved_type, 100).problem, FrameProblem::bad_type);
    }
}

// The server used to check only the upper four of the five reserved bits
// (RRRR RTTT), so 0x08 passed as a regular frame (found while factoring the
// header parsing out for fuzz/rawsocket_fuzz; the client checked all five).
TEST(RawSocketWire, EveryReservedBitIsRefused) {
    for (int bit = 3; bit < 8; ++bit) {
        const std::uint8_t octets[4] = {static_cast<std::uint8_t>(1u << bit), 0, 0, 1};
        EXPECT_EQ(parse_frame_header(octets, 100).problem, FrameProblem::bad_type) << bit;
    }
}

TEST(RawSocketWire, RouterAnswersTheHandshake) {
    auto a = answer_handshake({0x7F, 0xF2, 0, 0}, 1 << 16);
    ASSERT_EQ(a.kind, HandshakeAnswer::accept);
    EXPECT_EQ(a.format, wamp::Format::msgpack);
    EXPECT_EQ(a.peer_max, (std::size_t{1} << 24) - 1); // 2^24 cannot be framed
    EXPECT_EQ(a.our_max, std::size_t{1} << 16);
    EXPECT_EQ(a.reply, (std::array<std::uint8_t, 4>{0x7F, 0x72, 0, 0}));

    a = answer_handshake({0x7F, 0x03, 0, 0}, 100); // below 512: we still take 512
    ASSERT_EQ(a.kind, HandshakeAnswer::accept);
    EXPECT_EQ(a.format, wamp::Format::cbor);
    EXPECT_EQ(a.peer_max, 512u);
    EXPECT_EQ(a.our_max, 512u);

    a = answer_handshake({0x7F, 0xF9, 0, 0}, 1 << 16);
    EXPECT_EQ(a.kind, HandshakeAnswer::refuse);
    EXPECT_EQ(a.reply, (std::array<std::uint8_t, 4>{0x7F, 0x10, 0, 0}));
    a = answer_handshake({0x7F, 0xF0, 0, 0}, 1 << 16); // serializer 0 is illegal
    EXPECT_EQ(a.kind, HandshakeAnswer::refuse);
    EXPECT_EQ(a.reply[1], 0x10);
    a = answer_handshake({0x7F, 0xF1, 1, 0}, 1 << 16);
    EXPECT_EQ(a.kind, HandshakeAnswer::refuse);
    EXPECT_EQ(a.reply[1], 0x30);

    EXPECT_EQ(answer_handshake({'G', 'E', 'T', ' '}, 1 << 16).kind, HandshakeAnswer::not_rawsocket);
}

TEST(RawSocketWire, ClientReadsTheReply) {
    auto r = read_handshake_reply({0x7F, 0x71, 0, 0}, 1);
    EXPECT_TRUE(r.accepted);
    EXPECT_EQ(r.peer_max, std::size_t{1} << 16);
    r = read_handshake_reply({0x7F, 0x72, 0, 0}, 1);
    EXPECT_FALSE(r.accepted);
    EXPECT_EQ(r.error, "the router answered with another serializer");
    r = read_handshake_reply({0x7F, 0x40, 0, 0}, 1);
    EXPECT_FALSE(r.accepted);
    EXPECT_EQ(r.error, "the router refused the handshake: maximum connection count reached");
    r = read_handshake_reply({'H', 'T', 'T', 'P'}, 1);
    EXPECT_FALSE(r.accepted);
    EXPECT_EQ(r.error, "not a WAMP RawSocket router");
}

// The server side of the reserved-bit fix: a frame whose first octet is 0x08
// closes the connection instead of being read as a regular message.
TEST(RawSocketWire, ServerClosesOnAReservedFrameBit) {
    namespace asio = boost::asio;
    using asio::ip::tcp;
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    config.realms.push_back(realm);
    router::Router router(io.get_executor(), config);
    transport::RawSocketOptions options;
    options.tcp_address = "127.0.0.1:0";
    transport::RawSocketServer server(io.get_executor(), router, options);
    server.start();
    std::thread thread([&] { io.run(); });

    asio::io_context client_io;
    tcp::socket s(client_io);
    s.connect({asio::ip::make_address("127.0.0.1"), server.tcp_port()});
    const std::array<std::uint8_t, 4> hello{0x7F, 0xF1, 0, 0};
    asio::write(s, asio::buffer(hello));
    std::array<std::uint8_t, 4> reply{};
    asio::read(s, asio::buffer(reply));
    EXPECT_EQ(reply[1] & 0x0F, 1); // json

    // A HELLO the router would welcome, in a frame with reserved bit 3 set.
    const std::string body =
        R"([1,"realm1",{"roles":{"caller":{},"callee":{},"publisher":{},"subscriber":{}}}])";
    std::string frame{char(0x08), char(0), char(body.size() >> 8), char(body.size())};
    asio::write(s, asio::buffer(frame + body));
    // Read until the server closes, giving up after 3 s without anything.
    std::array<char, 64> buf;
    boost::system::error_code ec;
    std::size_t received = 0;
    for (int i = 0; i < 100 && !ec; ++i) {
        pollfd p{s.native_handle(), POLLIN, 0};
        if (::poll(&p, 1, 3000) <= 0) break;
        received += s.read_some(asio::buffer(buf), ec);
    }
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
    EXPECT_EQ(received, 0u); // no WELCOME, no ABORT: closed

    server.stop();
    router.shutdown();
    work.reset();
    io.stop();
    thread.join();
}
