// RawSocket handshake and framing (src/transport/rawsocket_wire.hpp), as the
// server reads them: the input is what a client sends on a fresh connection,
// i.e. the 4-octet handshake request followed by length-prefixed frames.
//
// The router's answer must be one the client side accepts with the same
// limits (or recognises as a refusal); every frame header is read as the
// server reads it, every regular frame decoded with the negotiated serializer
// (which validates it into a wamp::Message) and re-encoded. The socket I/O
// around these functions (buffering, partial frames) is covered by the
// RawSocket unit tests rather than here.
#include <nexus/serialize/serializer.hpp>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "transport/rawsocket_wire.hpp"

namespace {

using namespace nexus;
using namespace nexus::transport::rawsocket;

void check(bool condition) {
    if (!condition) std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return 0;
    const std::array<std::uint8_t, 4> request{data[0], data[1], data[2], data[3]};
    // The router's own limit follows the client's length nibble so that inputs
    // reach both "too long" and "fits" with small frames.
    const std::size_t max_message_size = std::size_t{1} << (9 + (request[1] >> 4));
    const HandshakeAnswer answer = answer_handshake(request, max_message_size);

    check((answer.kind == HandshakeAnswer::not_rawsocket) == (request[0] != magic));
    if (answer.kind == HandshakeAnswer::not_rawsocket) return 0;
    const std::uint8_t code = request[1] & 0x0F;
    const HandshakeReply seen = read_handshake_reply(answer.reply, code);
    if (answer.kind == HandshakeAnswer::refuse) {
        check(!seen.accepted && !seen.error.empty());
        return 0;
    }
    // Accepted: the client reads back the serializer it asked for and our limit.
    check(seen.accepted);
    check(seen.peer_max == answer.our_max);
    check(answer.our_max >= 512 && answer.our_max < (std::size_t{1} << 24));
    check(answer.peer_max >= 512 && answer.peer_max < (std::size_t{1} << 24));
    check(wamp::rawsocket_serializer_code(answer.format) == code);

    std::size_t pos = 4;
    while (size - pos >= 4) {
        const FrameHeader header = parse_frame_header(data + pos, answer.our_max);
        if (header.problem != FrameProblem::none) break; // the server closes
        check(header.length <= answer.our_max);
        // The header we would write for this frame reads back the same.
        const auto written = frame_header(header.type, header.length);
        const FrameHeader again = parse_frame_header(written.data(), header.length);
        check(again.problem == FrameProblem::none && again.type == header.type &&
              again.length == header.length);
        pos += 4;
        if (size - pos < header.length) break; // the rest never arrives
        const std::string_view body(reinterpret_cast<const char*>(data + pos), header.length);
        pos += header.length;
        if (header.type != regular) continue; // PING is echoed, PONG ignored
        auto message = serialize::decode(answer.format, body);
        if (!message) continue; // the router answers ABORT protocol_violation
        auto bytes = serialize::encode(answer.format, *message);
        check(bytes.ok());
        auto back = serialize::decode(answer.format, *bytes);
        check(back.ok() && wamp::message_type(*back) == wamp::message_type(*message));
    }
    return 0;
}
