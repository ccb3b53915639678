// The WebSocket framer of the server's data path
// (src/transport/net/websocket_frames.hpp) against RFC 6455 section 5, and
// the server's use of it over a socket.
#include <nexus/router/router.hpp>
#include <nexus/transport/websocket_server.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "transport/net/websocket_frames.hpp"

using namespace nexus::transport::wsframe;

namespace {

constexpr std::uint8_t rfc_mask[4] = {0x37, 0xfa, 0x21, 0x3d}; // RFC 6455 5.7's key

std::string bytes(std::initializer_list<int> octets) {
    std::string s;
    for (int o : octets)
        s.push_back(static_cast<char>(o));
    return s;
}

enum class Len { shortest, bits16, bits64 };

// A client frame: `first` is FIN/RSV/opcode, the payload is masked with
// `mask` and its length written in the shortest form unless told otherwise.
std::string frame(std::uint8_t first, std::string_view payload, const std::uint8_t* mask = rfc_mask,
                  Len len = Len::shortest) {
    std::string f(1, static_cast<char>(first));
    const std::uint8_t mask_bit = mask ? 0x80 : 0;
    const std::uint64_t n = payload.size();
    if (len == Len::bits64 || (len == Len::shortest && n > 0xffff)) {
        f.push_back(static_cast<char>(mask_bit | 127));
        for (int i = 7; i >= 0; --i)
            f.push_back(static_cast<char>(n >> (8 * i)));
    } else if (len == Len::bits16 || n >= 126) {
        f.push_back(static_cast<char>(mask_bit | 126));
        f.push_back(static_cast<char>(n >> 8));
        f.push_back(static_cast<char>(n));
    } else {
        f.push_back(static_cast<char>(mask_bit | n));
    }
    if (!mask) return f + std::string(payload);
    f.append(reinterpret_cast<const char*>(mask), 4);
    for (std::size_t i = 0; i < payload.size(); ++i)
        f.push_back(static_cast<char>(payload[i] ^ static_cast<char>(mask[i % 4])));
    return f;
}

constexpr std::uint8_t fin = 0x80;
constexpr std::uint8_t op_cont = 0x0, op_text = 0x1, op_binary = 0x2, op_close = 0x8, op_ping = 0x9,
                       op_pong = 0xA;

std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
    return bytes({code >> 8, code & 0xff}) + std::string(reason);
}

// An event with its data copied out, so that it outlives the buffer.
struct Got {
    Event::Kind kind;
    bool text;
    std::uint16_t code;
    std::string data;
    bool operator==(const Got&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Got& g) {
    return os << "{kind " << int(g.kind) << ", text " << g.text << ", code " << g.code << ", "
              << g.data.size() << " bytes}";
}

bool finished(const std::vector<Got>& out) {
    return !out.empty() && (out.back().kind == Event::close || out.back().kind == Event::error);
}

// Feeds `buffer` to the parser as a read loop would: every event until more
// bytes are needed; consumed bytes are dropped from the front. Like a
// session, stops for good at a close or an error.
void drain(Parser& parser, std::string& buffer, std::vector<Got>& out) {
    if (finished(out)) return;
    for (;;) {
        Event e = parser.next(buffer.data(), buffer.size());
        ASSERT_LE(e.consumed, buffer.size());
        Got g{e.kind, e.text, e.code, std::string(e.kind == Event::error ? "" : e.data)};
        if (e.kind == Event::message && e.assembled) {
            const std::string taken = parser.take_message();
            EXPECT_EQ(taken, g.data);
        }
        buffer.erase(0, e.consumed);
        if (e.kind == Event::need_more) return;
        out.push_back(std::move(g));
        if (e.kind == Event::close || e.kind == Event::error) return;
    }
}

std::vector<Got> parse(std::string_view wire, std::size_t max_message = 1 << 20,
                       std::size_t max_buffered = 64 * 1024) {
    Parser parser(max_message, max_buffered);
    std::string buffer(wire);
    std::vector<Got> out;
    drain(parser, buffer, out);
    return out;
}

// The same bytes arriving in pieces of `chunk` (the last one shorter).
std::vector<Got> parse_in_chunks(std::string_view wire, std::size_t chunk,
                                 std::size_t max_message = 1 << 20,
                                 std::size_t max_buffered = 64 * 1024) {
    Parser parser(max_message, max_buffered);
    std::string buffer;
    std::vector<Got> out;
    for (std::size_t at = 0; at < wire.size(); at += chunk) {
        buffer.append(wire.substr(at, chunk));
        drain(parser, buffer, out);
        if (finished(out)) break;
    }
    return out;
}

Got message(std::string_view data, bool text = true) {
    return {Event::message, text, 0, std::string(data)};
}
Got ping(std::string_view data) { return {Event::ping, false, 0, std::string(data)}; }
Got pong(std::string_view data) { return {Event::pong, false, 0, std::string(data)}; }
Got closed(std::uint16_t code, std::string_view reason = {}) {
    return {Event::close, false, code, std::string(reason)};
}
Got error(std::uint16_t code) { return {Event::error, false, code, {}}; }

std::string flatten(Writer& w) {
    std::string out;
    for (const auto& b : w.buffers())
        out.append(static_cast<const char*>(b.data()), b.size());
    return out;
}

} // namespace

// --- RFC 6455 5.7 examples ------------------------------------------------

TEST(WebSocketFrames, RfcMaskedHello) {
    const std::string wire =
        bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
    Parser parser(1024);
    std::string buffer = wire;
    Event e = parser.next(buffer.data(), buffer.size());
    EXPECT_EQ(e.kind, Event::message);
    EXPECT_TRUE(e.text);
    EXPECT_FALSE(e.assembled); // handed out in place
    EXPECT_EQ(e.data, "Hello");
    EXPECT_EQ(e.consumed, wire.size());
    EXPECT_EQ(e.data.data(), buffer.data() + 6);
    EXPECT_EQ(frame(fin | op_text, "Hello"), wire); // the test's own framing agrees
}

TEST(WebSocketFrames, RfcUnmaskedHelloFromAClientIsAProtocolError) {
    const std::string wire = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
    EXPECT_EQ(parse(wire), std::vector<Got>{error(1002)});
}

TEST(WebSocketFrames, RfcFragmentedHello) {
    // The RFC's unmasked "Hel" + "lo", masked as a client must send them.
    const std::string wire = frame(op_text, "Hel") + frame(fin | op_cont, "lo");
    EXPECT_EQ(parse(wire), std::vector<Got>{message("Hello")});
    // The unmasked form, as in the RFC, is refused at its first frame.
    EXPECT_EQ(parse(bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f})),
              std::vector<Got>{error(1002)});
}

TEST(WebSocketFrames, RfcPingAndMaskedPong) {
    const std::string pong_wire =
        bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
    EXPECT_EQ(parse(pong_wire), std::vector<Got>{pong("Hello")});
    EXPECT_EQ(parse(frame(fin | op_ping, "Hello")), std::vector<Got>{ping("Hello")});
    EXPECT_EQ(parse(bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f})),
              std::vector<Got>{error(1002)}); // unmasked ping
}

TEST(WebSocketFrames, RfcServerFrames) {
    Writer w;
    w.add_message(Opcode::text, std::make_shared<const std::string>("Hello"));
    EXPECT_EQ(flatten(w), bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    w.clear();
    w.add_control(Opcode::ping, "Hello");
    EXPECT_EQ(flatten(w), bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    w.clear();
    w.add_control(Opcode::pong, "Hello");
    EXPECT_EQ(flatten(w), bytes({0x8a, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
    w.clear();

    // 256 bytes binary in a single unmasked frame: 0x82 0x7E 0x0100.
    w.add_message(Opcode::binary, std::make_shared<const std::string>(256, 'x'));
    auto wire = flatten(w);
    EXPECT_EQ(wire.substr(0, 4), bytes({0x82, 0x7e, 0x01, 0x00}));
    EXPECT_EQ(wire.size(), 4u + 256);
    w.clear();
    // 64 KiB: 0x82 0x7F 0x0000000000010000.
    auto big = std::make_shared<const std::string>(65536, 'y');
    w.add_message(Opcode::binary, big);
    wire = flatten(w);
    EXPECT_EQ(wire.substr(0, 10), bytes({0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0}));
    EXPECT_EQ(wire.substr(10), *big);
}

// --- Data messages --------------------------------------------------------

TEST(WebSocketFrames, ManyFramesInOneBuffer) {
    const std::string wire = frame(fin | op_text, "[1]") + frame(fin | op_binary, "\x01\x02") +
                             frame(fin | op_ping, "") + frame(fin | op_text, "");
    EXPECT_EQ(parse(wire), (std::vector<Got>{message("[1]"), message("\x01\x02", false), ping(""),
                                             message("")}));
}

TEST(WebSocketFrames, FragmentsWithInterleavedControlFrames) {
    const std::string wire = frame(op_text, "[48,1,") + frame(fin | op_ping, "p1") +
                             frame(op_cont, "{},") + frame(fin | op_pong, "") + frame(op_cont, "") +
                             frame(fin | op_cont, "\"a\"]") + frame(fin | op_binary, "next");
    EXPECT_EQ(parse(wire), (std::vector<Got>{ping("p1"), pong(""), message("[48,1,{},\"a\"]"),
                                             message("next", false)}));
}

TEST(WebSocketFrames, FragmentedBinaryKeepsItsType) {
    const std::string wire =
        frame(op_binary, "\xff\xfe") + frame(fin | op_cont, std::string(1, '\0'));
    EXPECT_EQ(parse(wire), std::vector<Got>{message(std::string("\xff\xfe\x00", 3), false)});
}

TEST(WebSocketFrames, TakeMessageHandsOverTheAssembledBytes) {
    Parser parser(1024);
    std::string wire = frame(op_binary, "ab") + frame(fin | op_cont, "cd");
    Event e = parser.next(wire.data(), wire.size());
    ASSERT_EQ(e.kind, Event::message);
    EXPECT_TRUE(e.assembled);
    EXPECT_EQ(parser.take_message(), "abcd");
}

TEST(WebSocketFrames, LengthEncodings) {
    const std::string p125(125, 'a'), p126(126, 'b'), p65535(65535, 'c'), p65536(65536, 'd');
    const std::string wire = frame(fin | op_binary, p125) + frame(fin | op_binary, p126) +
                             frame(fin | op_binary, p65535) + frame(fin | op_binary, p65536);
    EXPECT_EQ(frame(fin | op_binary, p126)[1], char(0x80 | 126));
    EXPECT_EQ(frame(fin | op_binary, p65536)[1], char(0x80 | 127));
    const std::vector<Got> want{message(p125, false), message(p126, false), message(p65535, false),
                                message(p65536, false)};
    EXPECT_EQ(parse(wire, 1 << 20, 1 << 20), want);
    EXPECT_EQ(parse(wire), want); // the 64 KiB frames go through the parser's own buffer
}

TEST(WebSocketFrames, NeedTellsHowLargeTheIncompleteFrameIs) {
    Parser parser(1 << 20);
    std::string wire = frame(fin | op_text, "ok") + frame(fin | op_binary, std::string(300, 'x'));
    std::string buffer = wire.substr(0, wire.size() - 10);
    Event e = parser.next(buffer.data(), buffer.size());
    ASSERT_EQ(e.kind, Event::message);
    const std::size_t first = e.consumed;
    e = parser.next(buffer.data() + first, buffer.size() - first);
    EXPECT_EQ(e.kind, Event::need_more);
    EXPECT_EQ(e.consumed, 0u);
    EXPECT_EQ(e.need, 2u + 2 + 4 + 300);
    // A header cut short asks for the header.
    e = parser.next(buffer.data() + first, 3);
    EXPECT_EQ(e.kind, Event::need_more);
    EXPECT_EQ(e.need, 8u);
    e = parser.next(buffer.data() + first, 1);
    EXPECT_EQ(e.need, 2u);
}

TEST(WebSocketFrames, FramesLargerThanTheReadBufferAreStreamed) {
    const std::string payload(200000, 'z');
    const std::string wire = frame(fin | op_text, payload) + frame(fin | op_text, "after");
    Parser parser(1 << 20, 4096);
    std::string buffer = wire.substr(0, 4096);
    Event e = parser.next(buffer.data(), buffer.size());
    // The header and what has come of the payload are taken at once, so the
    // read buffer never has to hold the frame.
    EXPECT_EQ(e.kind, Event::need_more);
    EXPECT_EQ(e.consumed, 4096u);
    EXPECT_EQ(e.need, 0u);
    EXPECT_EQ(parse_in_chunks(wire, 4096, 1 << 20, 4096),
              (std::vector<Got>{message(payload), message("after")}));
    EXPECT_EQ(parse_in_chunks(wire, 1000, 1 << 20, 4096),
              (std::vector<Got>{message(payload), message("after")}));
}

// --- Partial frames at every byte offset ----------------------------------

TEST(WebSocketFrames, SplitAtEveryOffset) {
    // "é" (C3 A9) and "€" (E2 82 AC) cut between fragments; a 16-bit length;
    // control frames between fragments; an empty final fragment.
    const std::string wire =
        frame(fin | op_text, "[1,\"hi\"]") + frame(op_text, "caf\xc3") +
        frame(fin | op_ping, "pp") + frame(op_cont, "\xa9 \xe2") + frame(op_cont, "\x82") +
        frame(fin | op_cont, "\xac") + frame(fin | op_binary, std::string(300, '\x07')) +
        frame(op_binary, "b1") + frame(fin | op_pong, "") + frame(fin | op_cont, "") +
        frame(fin | op_close, close_payload(1000, "bye"));
    const std::vector<Got> want{message("[1,\"hi\"]"),
                                ping("pp"),
                                message("caf\xc3\xa9 \xe2\x82\xac"),
                                message(std::string(300, '\x07'), false),
                                pong(""),
                                message("b1", false),
                                closed(1000, "bye")};
    ASSERT_EQ(parse(wire), want);
    for (std::size_t split = 0; split <= wire.size(); ++split) {
        Parser parser(1 << 20);
        std::string buffer = wire.substr(0, split);
        std::vector<Got> got;
        drain(parser, buffer, got);
        buffer.append(wire.substr(split));
        drain(parser, buffer, got);
        ASSERT_EQ(got, want) << "split at " << split;
    }
    EXPECT_EQ(parse_in_chunks(wire, 1), want);
    // With a read buffer smaller than the 300-byte frame, that frame is
    // streamed, so its payload is cut at every offset too.
    for (std::size_t chunk : {1, 2, 3, 5, 7, 64})
        EXPECT_EQ(parse_in_chunks(wire, chunk, 1 << 20, 16), want) << "chunk " << chunk;
}

TEST(WebSocketFrames, SplitAtEveryOffsetOfA64BitLengthFrame) {
    const std::string payload(70000, 'q');
    const std::string wire = frame(fin | op_binary, payload) + frame(fin | op_ping, "x");
    const std::vector<Got> want{message(payload, false), ping("x")};
    // Every cut in the header and the first and last payload bytes.
    std::vector<std::size_t> splits;
    for (std::size_t i = 0; i < 40; ++i) {
        splits.push_back(i);
        splits.push_back(wire.size() - i);
    }
    for (std::size_t max_buffered : {std::size_t{1} << 20, std::size_t{64} * 1024}) {
        for (std::size_t split : splits) {
            Parser parser(1 << 20, max_buffered);
            std::string buffer = wire.substr(0, split);
            std::vector<Got> got;
            drain(parser, buffer, got);
            buffer.append(wire.substr(split));
            drain(parser, buffer, got);
            ASSERT_EQ(got, want) << "split at " << split << ", buffer " << max_buffered;
        }
    }
}

// --- UTF-8 ----------------------------------------------------------------

TEST(WebSocketFrames, TextMustBeUtf8) {
    EXPECT_EQ(parse(frame(fin | op_text, "\xc3\x28")), std::vector<Got>{error(1007)});
    EXPECT_EQ(parse(frame(fin | op_text, "\xed\xa0\x80")),
              std::vector<Got>{error(1007)});                                          // surrogate
    EXPECT_EQ(parse(frame(fin | op_text, "\xc0\xaf")), std::vector<Got>{error(1007)}); // overlong
    EXPECT_EQ(parse(frame(fin | op_text, "\xf4\x90\x80\x80")), std::vector<Got>{error(1007)});
    EXPECT_EQ(parse(frame(fin | op_text, "ok\xe2\x82")), std::vector<Got>{error(1007)}); // cut
    // Binary messages are not text.
    EXPECT_EQ(parse(frame(fin | op_binary, "\xc3\x28")),
              std::vector<Got>{message("\xc3\x28", false)});
}

TEST(WebSocketFrames, Utf8SplitAcrossFragments) {
    // U+10348 (F0 90 8D 88) cut after every byte.
    const std::string cp = "\xf0\x90\x8d\x88";
    for (std::size_t cut = 1; cut < 4; ++cut) {
        const std::string wire =
            frame(op_text, "a" + cp.substr(0, cut)) + frame(fin | op_cont, cp.substr(cut) + "b");
        EXPECT_EQ(parse(wire), std::vector<Got>{message("a" + cp + "b")}) << cut;
    }
    // Byte by byte, in as many fragments.
    std::string wire = frame(op_text, "");
    const std::string text = "z\xc3\xa9\xe2\x82\xac" + cp;
    for (char c : text)
        wire += frame(op_cont, std::string(1, c));
    wire += frame(fin | op_cont, "");
    EXPECT_EQ(parse(wire), std::vector<Got>{message(text)});
}

TEST(WebSocketFrames, InvalidUtf8FailsAtTheFragmentThatShowsIt) {
    // E0 80 can never become valid (overlong): no need to wait for FIN.
    EXPECT_EQ(parse(frame(op_text, "ab\xe0") + frame(op_cont, "\x80")),
              std::vector<Got>{error(1007)});
    // ED A0 is a surrogate's start.
    EXPECT_EQ(parse(frame(op_text, "\xed") + frame(op_cont, "\xa0")),
              std::vector<Got>{error(1007)});
    // A lone continuation byte, a byte never valid.
    EXPECT_EQ(parse(frame(op_text, "\x80")), std::vector<Got>{error(1007)});
    EXPECT_EQ(parse(frame(op_text, "a\xff")), std::vector<Got>{error(1007)});
    EXPECT_EQ(parse(frame(op_text, "\xf5")), std::vector<Got>{error(1007)});
    EXPECT_EQ(parse(frame(op_text, "\xc1")), std::vector<Got>{error(1007)});
    // A valid start cut off by FIN.
    EXPECT_EQ(parse(frame(op_text, "a\xf0\x90") + frame(fin | op_cont, "")),
              std::vector<Got>{error(1007)});
    // A streamed frame fails as soon as the bad bytes arrive, not at its end.
    const std::string big = frame(fin | op_text, "\xff" + std::string(100000, 'a'));
    EXPECT_EQ(parse_in_chunks(big, 4096, 1 << 20, 4096), std::vector<Got>{error(1007)});
    Parser parser(1 << 20, 4096);
    std::string buffer = big.substr(0, 4096);
    EXPECT_EQ(parser.next(buffer.data(), buffer.size()).kind, Event::error);
}

// --- Protocol errors ------------------------------------------------------

TEST(WebSocketFrames, ReservedBitsWithoutAnExtension) {
    for (std::uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
        EXPECT_EQ(parse(frame(fin | rsv | op_text, "x")), std::vector<Got>{error(1002)}) << +rsv;
        EXPECT_EQ(parse(frame(fin | rsv | op_ping, "")), std::vector<Got>{error(1002)}) << +rsv;
        EXPECT_EQ(parse(frame(op_binary, "x") + frame(fin | rsv | op_cont, "y")),
                  std::vector<Got>{error(1002)})
            << +rsv;
    }
}

TEST(WebSocketFrames, ReservedOpcodes) {
    for (std::uint8_t op : {3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf})
        EXPECT_EQ(parse(frame(fin | op, "")), std::vector<Got>{error(1002)}) << +op;
}

TEST(WebSocketFrames, ControlFramesAreShortAndWhole) {
    EXPECT_EQ(parse(frame(op_ping, "x")), std::vector<Got>{error(1002)}); // fragmented
    EXPECT_EQ(parse(frame(op_close, "")), std::vector<Got>{error(1002)});
    EXPECT_EQ(parse(frame(fin | op_ping, std::string(125, 'p'))),
              std::vector<Got>{ping(std::string(125, 'p'))});
    EXPECT_EQ(parse(frame(fin | op_ping, std::string(126, 'p'))), std::vector<Got>{error(1002)});
    EXPECT_EQ(parse(frame(fin | op_pong, std::string(126, 'p'))), std::vector<Got>{error(1002)});
    // Short, but with an extended length: also refused, from the first two bytes.
    EXPECT_EQ(parse(frame(fin | op_ping, "p", rfc_mask, Len::bits16).substr(0, 2)),
              std::vector<Got>{error(1002)});
}

TEST(WebSocketFrames, FragmentSequence) {
    EXPECT_EQ(parse(frame(fin | op_cont, "x")), std::vector<Got>{error(1002)});
    EXPECT_EQ(parse(frame(op_cont, "x")), std::vector<Got>{error(1002)});
    EXPECT_EQ(parse(frame(op_text, "a") + frame(fin | op_text, "b")),
              std::vector<Got>{error(1002)});
    EXPECT_EQ(parse(frame(op_text, "a") + frame(fin | op_binary, "b")),
              std::vector<Got>{error(1002)});
    // A continuation after a finished message.
    EXPECT_EQ(parse(frame(op_text, "a") + frame(fin | op_cont, "b") + frame(fin | op_cont, "c")),
              (std::vector<Got>{message("ab"), error(1002)}));
}

TEST(WebSocketFrames, UnmaskedFrames) {
    for (std::uint8_t first :
         {fin | op_text, fin | op_binary, fin | op_ping, fin | op_close, 0 | op_text})
        EXPECT_EQ(parse(frame(static_cast<std::uint8_t>(first), "x", nullptr)),
                  std::vector<Got>{error(1002)});
    // A masked fragment followed by an unmasked one.
    EXPECT_EQ(parse(frame(op_text, "a") + frame(fin | op_cont, "b", nullptr)),
              std::vector<Got>{error(1002)});
}

TEST(WebSocketFrames, SixtyFourBitLengthWithTheTopBitSet) {
    std::string wire = bytes({0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0}) + bytes({1, 2, 3, 4});
    EXPECT_EQ(parse(wire, 0), std::vector<Got>{error(1002)}); // even with no size limit
    wire[2] = static_cast<char>(0xff);
    EXPECT_EQ(parse(wire, 0), std::vector<Got>{error(1002)});
    // The largest legal length only meets the size limit.
    wire[2] = 0x7f;
    EXPECT_EQ(parse(wire), std::vector<Got>{error(1009)});
}

TEST(WebSocketFrames, LengthsMustBeInTheirShortestForm) {
    EXPECT_EQ(parse(frame(fin | op_binary, "abc", rfc_mask, Len::bits16)),
              std::vector<Got>{error(1002)});
    EXPECT_EQ(parse(frame(fin | op_binary, std::string(125, 'a'), rfc_mask, Len::bits16)),
              std::vector<Got>{error(1002)});
    EXPECT_EQ(parse(frame(fin | op_binary, std::string(126, 'a'), rfc_mask, Len::bits16)),
              std::vector<Got>{message(std::string(126, 'a'), false)});
    EXPECT_EQ(parse(frame(fin | op_binary, std::string(65535, 'a'), rfc_mask, Len::bits64)),
              std::vector<Got>{error(1002)});
}

TEST(WebSocketFrames, MaximumMessageSize) {
    EXPECT_EQ(parse(frame(fin | op_text, std::string(100, 'a')), 100),
              std::vector<Got>{message(std::string(100, 'a'))});
    EXPECT_EQ(parse(frame(fin | op_text, std::string(101, 'a')), 100),
              std::vector<Got>{error(1009)});
    // Refused from the header alone, before the payload has come.
    EXPECT_EQ(parse(frame(fin | op_binary, std::string(70000, 'a')).substr(0, 14), 65536),
              std::vector<Got>{error(1009)});
    // Summed over fragments, control frames not counted.
    const std::string fifty(50, 'a');
    EXPECT_EQ(parse(frame(op_text, fifty) + frame(fin | op_ping, "0123456789") +
                        frame(fin | op_cont, fifty),
                    100),
              (std::vector<Got>{ping("0123456789"), message(fifty + fifty)}));
    EXPECT_EQ(parse(frame(op_text, fifty) + frame(op_cont, fifty) + frame(fin | op_cont, "a"), 100),
              std::vector<Got>{error(1009)});
    // 0: no limit.
    EXPECT_EQ(parse(frame(fin | op_binary, std::string(70000, 'a')), 0),
              std::vector<Got>{message(std::string(70000, 'a'), false)});
}

// --- Close frames ---------------------------------------------------------

TEST(WebSocketFrames, CloseFrames) {
    EXPECT_EQ(parse(frame(fin | op_close, "")), std::vector<Got>{closed(1005)});
    EXPECT_EQ(parse(frame(fin | op_close, close_payload(1000))), std::vector<Got>{closed(1000)});
    EXPECT_EQ(parse(frame(fin | op_close, close_payload(4000, "d\xc3\xa9j\xc3\xa0"))),
              std::vector<Got>{closed(4000, "d\xc3\xa9j\xc3\xa0")});
    EXPECT_EQ(parse(frame(fin | op_close, "\x03")), std::vector<Got>{error(1002)});
    EXPECT_EQ(parse(frame(fin | op_close, close_payload(1000, "\xc3\x28"))),
              std::vector<Got>{error(1007)});
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                     3999, 4000, 4999})
        EXPECT_EQ(parse(frame(fin | op_close, close_payload(static_cast<std::uint16_t>(code)))),
                  std::vector<Got>{closed(static_cast<std::uint16_t>(code))})
            << code;
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535})
        EXPECT_EQ(parse(frame(fin | op_close, close_payload(static_cast<std::uint16_t>(code)))),
                  std::vector<Got>{error(1002)})
            << code;
}

TEST(WebSocketFrames, CloseMayComeBetweenFragments) {
    EXPECT_EQ(parse(frame(op_text, "half") + frame(fin | op_close, close_payload(1001))),
              std::vector<Got>{closed(1001)});
}

TEST(WebSocketFrames, TheParserIsDoneAfterACloseOrAnError) {
    Parser parser(1024);
    std::string wire = frame(fin | op_close, close_payload(1000)) + frame(fin | op_text, "late");
    Event e = parser.next(wire.data(), wire.size());
    EXPECT_EQ(e.kind, Event::close);
    e = parser.next(wire.data() + e.consumed, wire.size() - e.consumed);
    EXPECT_EQ(e.kind, Event::close);
    EXPECT_EQ(e.consumed, 0u);

    Parser bad(1024);
    wire = frame(fin | op_text, "x", nullptr) + frame(fin | op_text, "y");
    e = bad.next(wire.data(), wire.size());
    EXPECT_EQ(e.kind, Event::error);
    EXPECT_EQ(e.code, 1002);
    EXPECT_FALSE(e.data.empty()); // says why
    e = bad.next(wire.data(), wire.size());
    EXPECT_EQ(e.kind, Event::error);
    EXPECT_EQ(e.consumed, 0u);
}

// --- Writer ---------------------------------------------------------------

TEST(WebSocketFrames, WriterBatchesHeadersAndSmallPayloadsIntoOneBuffer) {
    Writer w(1024);
    auto a = std::make_shared<const std::string>("[50,1,{}]");
    auto b = std::make_shared<const std::string>(2000, 'B');
    auto c = std::make_shared<const std::string>("[36,2,3,{}]");
    auto d = std::make_shared<const std::string>(70000, 'D');
    w.add_control(Opcode::pong, "hb");
    w.add_message(Opcode::text, a);
    w.add_message(Opcode::text, b);
    w.add_message(Opcode::binary, c);
    w.add_message(Opcode::binary, d);
    EXPECT_EQ(w.frames(), 5u);
    const auto& buffers = w.buffers();
    ASSERT_EQ(buffers.size(), 4u);           // staged, b, staged, d
    EXPECT_EQ(buffers[1].data(), b->data()); // not copied
    EXPECT_EQ(buffers[3].data(), d->data());
    const std::string want = bytes({0x8a, 2}) + "hb" + bytes({0x81, 9}) + *a +
                             bytes({0x81, 126, 2000 >> 8, 2000 & 0xff}) + *b + bytes({0x82, 11}) +
                             *c + bytes({0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70}) + *d;
    EXPECT_EQ(flatten(w), want);
    EXPECT_EQ(w.bytes(), want.size());

    // The writer holds the large payloads until clear().
    const std::weak_ptr<const std::string> weak = d;
    d.reset();
    EXPECT_FALSE(weak.expired());
    w.clear();
    EXPECT_TRUE(weak.expired());
    EXPECT_TRUE(w.empty());
    EXPECT_TRUE(w.buffers().empty());
}

TEST(WebSocketFrames, WriterClose) {
    Writer w;
    w.add_close(1000);
    EXPECT_EQ(flatten(w), bytes({0x88, 2, 0x03, 0xe8}));
    w.clear();
    w.add_close(1005);
    EXPECT_EQ(flatten(w), bytes({0x88, 0}));
    w.clear();
    w.add_close(1002, "bad");
    EXPECT_EQ(flatten(w), bytes({0x88, 5, 0x03, 0xea}) + "bad");
    w.clear();
    // 61 two-byte characters are 122 bytes; one more would be cut in half.
    std::string reason;
    for (int i = 0; i < 62; ++i)
        reason += "\xc3\xa9";
    w.add_close(1001, reason);
    const std::string wire = flatten(w);
    ASSERT_EQ(wire.size(), 2u + 2 + 122);
    EXPECT_EQ(wire.substr(4), reason.substr(0, 122));
    w.clear();
    // What the writer sends the parser accepts once masked.
    w.add_close(4001, "r");
    std::string sent = flatten(w);
    EXPECT_EQ(parse(frame(fin | op_close, sent.substr(2))), std::vector<Got>{closed(4001, "r")});
}

TEST(WebSocketFrames, WriterCopiesEverythingWhenToldTo) {
    Writer w(std::numeric_limits<std::size_t>::max()); // as over TLS
    auto big = std::make_shared<const std::string>(100000, 'x');
    w.add_message(Opcode::binary, big);
    w.add_message(Opcode::text, std::make_shared<const std::string>("[1]"));
    ASSERT_EQ(w.buffers().size(), 1u);
    EXPECT_EQ(flatten(w).size(), 10u + 100000 + 2 + 3);
    w.clear();
    // A small batch after the burst: the staging buffer is let go of.
    w.add_control(Opcode::ping, "");
    EXPECT_EQ(flatten(w), bytes({0x89, 0}));
    w.clear();
    w.add_control(Opcode::ping, "");
    EXPECT_EQ(flatten(w), bytes({0x89, 0}));
}

TEST(WebSocketFrames, WriterCutsControlPayloads) {
    Writer w;
    w.add_control(Opcode::ping, std::string(200, 'p'));
    EXPECT_EQ(flatten(w), bytes({0x89, 125}) + std::string(125, 'p'));
}

TEST(WebSocketFrames, WriteHeader) {
    char h[max_header_size];
    EXPECT_EQ(write_header(h, Opcode::text, 0), 2u);
    EXPECT_EQ(std::string(h, 2), bytes({0x81, 0}));
    EXPECT_EQ(write_header(h, Opcode::binary, 125), 2u);
    EXPECT_EQ(write_header(h, Opcode::binary, 126), 4u);
    EXPECT_EQ(write_header(h, Opcode::binary, 65535), 4u);
    EXPECT_EQ(std::string(h, 4), bytes({0x82, 126, 0xff, 0xff}));
    EXPECT_EQ(write_header(h, Opcode::binary, 65536), 10u);
    EXPECT_EQ(write_header(h, Opcode::binary, 0x0102030405060708ull), 10u);
    EXPECT_EQ(std::string(h, 10), bytes({0x82, 127, 1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(WebSocketFrames, UnmaskAtEveryOffsetAndLength) {
    const std::uint8_t mask[4] = {0x01, 0x22, 0x44, 0x88};
    for (std::size_t offset = 0; offset < 8; ++offset) {
        for (std::size_t n = 0; n < 40; ++n) {
            std::string data(n, '\0');
            for (std::size_t i = 0; i < n; ++i)
                data[i] = static_cast<char>(i * 7);
            std::string want = data;
            for (std::size_t i = 0; i < n; ++i)
                want[i] = static_cast<char>(want[i] ^ static_cast<char>(mask[(i + offset) % 4]));
            unmask(data.data(), n, mask, offset);
            ASSERT_EQ(data, want) << offset << " " << n;
        }
    }
}

// --- The server's data path over a socket --------------------------------
//
// A hand-made client: frames are built by frame() above, so that fragments,
// pings between them and broken frames can be sent exactly as wanted.

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

const std::string hello_json =
    R"([1,"realm1",{"roles":{"caller":{},"publisher":{},"subscriber":{}}}])";

class WsServer : public ::testing::Test {
protected:
    void start(nexus::transport::WebSocketOptions o = {}) {
        nexus::router::RouterConfig c;
        nexus::router::RealmConfig r;
        r.uri = "realm1";
        c.realms.push_back(r);
        router_ = std::make_unique<nexus::router::Router>(io_.get_executor(), c);
        o.address = "127.0.0.1:0";
        server_ =
            std::make_unique<nexus::transport::WebSocketServer>(io_.get_executor(), *router_, o);
        server_->start();
        for (int i = 0; i < 2; ++i)
            threads_.emplace_back([this] { io_.run(); });
    }
    ~WsServer() override {
        if (server_) server_->stop();
        if (router_) router_->shutdown();
        work_.reset();
        io_.stop();
        for (auto& t : threads_)
            t.join();
    }

    tcp::socket connect() {
        tcp::socket s(client_io_);
        s.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
        return s;
    }

    static std::string upgrade_request(std::string_view protocol = "wamp.2.json") {
        return "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " +
               std::string(protocol) + "\r\n\r\n";
    }

    // Reads the response head byte by byte, so no frame after it is taken.
    static std::string read_response(tcp::socket& s) {
        std::string head;
        char c;
        while (!head.ends_with("\r\n\r\n") && asio::read(s, asio::buffer(&c, 1)) == 1)
            head.push_back(c);
        return head;
    }

    tcp::socket upgraded() {
        tcp::socket s = connect();
        asio::write(s, asio::buffer(upgrade_request()));
        const std::string head = read_response(s);
        EXPECT_TRUE(head.starts_with("HTTP/1.1 101")) << head;
        // RFC 6455 1.3's example key and answer.
        EXPECT_NE(head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;
        return s;
    }

    struct ServerFrame {
        int opcode = -1; // -1: the connection ended instead
        std::string payload;
        std::uint16_t close_code() const {
            return payload.size() < 2
                       ? 0
                       : static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                                    static_cast<unsigned char>(payload[1]));
        }
    };

    // One message or control frame from the server, data fragments joined.
    static ServerFrame read_frame(tcp::socket& s) {
        ServerFrame f;
        boost::system::error_code ec;
        for (;;) {
            unsigned char h[2];
            if (asio::read(s, asio::buffer(h), ec) != 2) return {};
            EXPECT_EQ(h[0] & 0x70, 0) << "no reserved bits";
            EXPECT_EQ(h[1] & 0x80, 0) << "server frames are not masked";
            std::uint64_t n = h[1] & 0x7f;
            if (n >= 126) {
                unsigned char ext[8];
                const std::size_t k = n == 126 ? 2 : 8;
                if (asio::read(s, asio::buffer(ext, k), ec) != k) return {};
                n = 0;
                for (std::size_t i = 0; i < k; ++i)
                    n = (n << 8) | ext[i];
            }
            std::string payload(n, '\0');
            if (asio::read(s, asio::buffer(payload), ec) != n) return {};
            const int opcode = h[0] & 0x0f;
            if (opcode != op_cont) f.opcode = opcode;
            f.payload += payload;
            if (h[0] & 0x80) return f;
        }
    }

    // True once the server has ended the connection (EOF or reset).
    static bool ended(tcp::socket& s) {
        char c;
        boost::system::error_code ec;
        asio::read(s, asio::buffer(&c, 1), ec);
        return ec == asio::error::eof || ec == asio::error::connection_reset;
    }

    static void send(tcp::socket& s, const std::string& wire) {
        asio::write(s, asio::buffer(wire));
    }

    static void join(tcp::socket& s) {
        send(s, frame(fin | op_text, hello_json));
        const ServerFrame welcome = read_frame(s);
        EXPECT_EQ(welcome.opcode, op_text);
        EXPECT_TRUE(welcome.payload.starts_with("[2,")) << welcome.payload;
    }

    bool eventually_no_sessions() {
        for (int i = 0; i < 300; ++i) {
            if (router_->session_count() == 0) return true;
            std::this_thread::sleep_for(10ms);
        }
        return false;
    }

    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
    std::unique_ptr<nexus::router::Router> router_;
    std::unique_ptr<nexus::transport::WebSocketServer> server_;
    std::vector<std::thread> threads_;
    asio::io_context client_io_;
};

} // namespace

TEST_F(WsServer, FragmentedHelloWithAPingBetweenInOneWrite) {
    start();
    tcp::socket s = upgraded();
    const std::size_t cut = hello_json.size() / 2;
    send(s, frame(op_text, hello_json.substr(0, cut)) + frame(fin | op_ping, "are you there") +
                frame(fin | op_cont, hello_json.substr(cut)));
    const ServerFrame pong_frame = read_frame(s);
    EXPECT_EQ(pong_frame.opcode, op_pong);
    EXPECT_EQ(pong_frame.payload, "are you there");
    const ServerFrame welcome = read_frame(s);
    EXPECT_EQ(welcome.opcode, op_text);
    EXPECT_TRUE(welcome.payload.starts_with("[2,")) << welcome.payload;
}

TEST_F(WsServer, ManyMessagesInOneWriteAreAllAnswered) {
    start();
    tcp::socket s = upgraded();
    join(s);
    std::string burst;
    for (int i = 1; i <= 200; ++i)
        burst += frame(fin | op_text, "[48," + std::to_string(i) + ",{},\"com.none\"]");
    send(s, burst);
    for (int i = 1; i <= 200; ++i) {
        const ServerFrame error_frame = read_frame(s);
        ASSERT_EQ(error_frame.opcode, op_text);
        EXPECT_TRUE(error_frame.payload.starts_with("[8,48," + std::to_string(i) + ","))
            << error_frame.payload;
    }
}

// RFC 6455 4.1 has the client wait for the 101 before sending frames; one
// that does not loses nothing.
TEST_F(WsServer, FramesRightBehindTheUpgradeRequest) {
    start();
    tcp::socket s = connect();
    send(s, upgrade_request() + frame(fin | op_text, hello_json));
    EXPECT_TRUE(read_response(s).starts_with("HTTP/1.1 101"));
    const ServerFrame welcome = read_frame(s);
    EXPECT_TRUE(welcome.payload.starts_with("[2,")) << welcome.payload;
}

TEST_F(WsServer, ProtocolErrorsCloseWithTheirCode) {
    nexus::transport::WebSocketOptions o;
    o.max_message_size = 4096;
    start(o);
    const std::pair<std::string, std::uint16_t> cases[] = {
        {frame(fin | op_text, hello_json, nullptr), 1002},      // unmasked
        {frame(fin | 0x40 | op_text, hello_json), 1002},        // RSV1, no extension
        {frame(fin | 0x3, ""), 1002},                           // reserved opcode
        {frame(fin | op_cont, "x"), 1002},                      // nothing to continue
        {frame(op_ping, "x"), 1002},                            // fragmented control
        {frame(fin | op_text, "[1,\"\xc3\x28\"]"), 1007},       // not UTF-8
        {frame(fin | op_binary, std::string(4097, 'x')), 1009}, // too big
        {frame(op_binary, std::string(4000, 'x')) + frame(fin | op_cont, std::string(97, 'x')),
         1009},
        {frame(fin | op_close, "\x03\xed"), 1002}, // close code 1005 on the wire
    };
    for (const auto& [wire, code] : cases) {
        tcp::socket s = upgraded();
        join(s);
        send(s, wire);
        const ServerFrame close_frame = read_frame(s);
        EXPECT_EQ(close_frame.opcode, op_close) << code;
        EXPECT_EQ(close_frame.close_code(), code);
        EXPECT_TRUE(ended(s)) << code;
        s.close();
    }
    EXPECT_TRUE(eventually_no_sessions());
}

TEST_F(WsServer, ClientCloseIsEchoedAndTheSessionEnds) {
    start();
    tcp::socket s = upgraded();
    join(s);
    EXPECT_EQ(router_->session_count(), 1u);
    send(s, frame(fin | op_close, close_payload(1000, "bye")));
    const ServerFrame close_frame = read_frame(s);
    EXPECT_EQ(close_frame.opcode, op_close);
    EXPECT_EQ(close_frame.close_code(), 1000);
    EXPECT_TRUE(ended(s));
    s.close();
    EXPECT_TRUE(eventually_no_sessions());
}

TEST_F(WsServer, RouterCloseComesAfterTheQueuedMessages) {
    start();
    tcp::socket s = upgraded();
    // A CALL before HELLO: ABORT, then the router closes the transport.
    send(s, frame(fin | op_text, "[48,1,{},\"com.x\"]"));
    const ServerFrame abort_frame = read_frame(s);
    EXPECT_EQ(abort_frame.opcode, op_text);
    EXPECT_TRUE(abort_frame.payload.starts_with("[3,")) << abort_frame.payload;
    const ServerFrame close_frame = read_frame(s);
    EXPECT_EQ(close_frame.opcode, op_close);
    EXPECT_EQ(close_frame.close_code(), 1000);
    send(s, frame(fin | op_close, close_payload(1000)));
    EXPECT_TRUE(ended(s));
}

TEST_F(WsServer, LargeMessagesBothWays) {
    start();
    tcp::socket s = upgraded();
    join(s);
    send(s, frame(fin | op_text, R"([32,1,{},"big"])"));
    const ServerFrame subscribed = read_frame(s);
    ASSERT_TRUE(subscribed.payload.starts_with("[33,1,")) << subscribed.payload;
    // 1 MiB of text in three fragments, with a ping between them.
    const std::string blob(1 << 20, 'b');
    const std::string publish =
        R"([16,2,{"exclude_me":false,"acknowledge":true},"big",[")" + blob + "\"]]";
    send(s, frame(op_text, publish.substr(0, 1000)) + frame(fin | op_ping, "") +
                frame(op_cont, publish.substr(1000, 600000)) +
                frame(fin | op_cont, publish.substr(601000)));
    bool event = false, published = false, ponged = false;
    for (int i = 0; i < 3; ++i) {
        const ServerFrame f = read_frame(s);
        if (f.opcode == op_pong) ponged = true;
        if (f.payload.starts_with("[17,2,")) published = true;
        if (f.payload.starts_with("[36,")) {
            event = true;
            EXPECT_NE(f.payload.find(blob), std::string::npos);
        }
    }
    EXPECT_TRUE(event && published && ponged);
}

// A client that negotiated permessage-deflate is served by Beast's own
// data path (the framer here has no extensions).
TEST_F(WsServer, DeflateConnectionsWork) {
    nexus::transport::WebSocketOptions o;
    o.enable_compression = true;
    start(o);
    namespace websocket = boost::beast::websocket;
    websocket::stream<tcp::socket> ws(connect());
    websocket::permessage_deflate pmd;
    pmd.client_enable = true;
    ws.set_option(pmd);
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
        req.set(boost::beast::http::field::sec_websocket_protocol, "wamp.2.json");
    }));
    websocket::response_type res;
    ws.handshake(res, "127.0.0.1", "/ws");
    EXPECT_NE(res[boost::beast::http::field::sec_websocket_extensions].find("permessage-deflate"),
              boost::beast::string_view::npos);
    ws.text(true);
    ws.write(asio::buffer(hello_json));
    boost::beast::flat_buffer buffer;
    ws.read(buffer);
    EXPECT_TRUE(boost::beast::buffers_to_string(buffer.data()).starts_with("[2,"));
    ws.write(asio::buffer(std::string(R"([32,1,{},"z"])")));
    buffer.clear();
    ws.read(buffer);
    const std::string blob(200000, 'z');
    ws.write(asio::buffer(R"([16,2,{"exclude_me":false},"z",[")" + blob + "\"]]"));
    buffer.clear();
    ws.read(buffer);
    EXPECT_NE(boost::beast::buffers_to_string(buffer.data()).find(blob), std::string::npos);
    ws.close(websocket::close_code::normal);
}
