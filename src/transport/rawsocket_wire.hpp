// The RawSocket wire format (spec advanced/transport_rawsocket.md), shared by
// the server (src/transport/net) and the client (src/client/transport): the
// 4-octet handshake and the 4-octet frame header, as pure functions over the
// octets received (fuzzed by fuzz/rawsocket_fuzz.cpp).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include <nexus/wamp/format.hpp>

namespace nexus::transport::rawsocket {

inline constexpr std::uint8_t magic = 0x7F;

/// Error codes of a refused handshake (upper nibble of the reply's 2nd octet).
enum HandshakeError : std::uint8_t {
    serializer_unsupported = 1,
    max_length_unacceptable = 2,
    reserved_bits_used = 3,
};

enum FrameType : std::uint8_t { regular = 0, ping = 1, pong = 2 };

/// The exponent L announcing 2^(9+L) octets, for the largest power of two <= n.
inline std::uint8_t length_exponent(std::size_t n) {
    std::uint8_t l = 0;
    while (l < 15 && (std::size_t{1} << (10 + l)) <= n)
        ++l;
    return l;
}

/// Frames carry 24 length bits, so 2^24 itself cannot be sent (CHECKLIST ⚠A25).
inline std::size_t max_frame(std::uint8_t exponent) {
    return std::min<std::size_t>(std::size_t{1} << (9 + exponent), (std::size_t{1} << 24) - 1);
}

inline std::array<std::uint8_t, 4> frame_header(FrameType type, std::size_t length) {
    return {static_cast<std::uint8_t>(type), static_cast<std::uint8_t>(length >> 16),
            static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)};
}

// --- Receiving a frame ----------------------------------------------------------

/// Why a received frame header is refused (either way: fail the connection).
enum class FrameProblem : std::uint8_t {
    none,
    /// One of the five reserved bits RRRRR of `RRRR RTTT` is set, or the type
    /// TTT is not one of regular, PING, PONG.
    bad_type,
    /// Longer than the maximum this side announced in the handshake.
    too_long,
};

struct FrameHeader {
    FrameType type = regular;
    std::size_t length = 0;
    FrameProblem problem = FrameProblem::none;
};

/// Reads the 4 octets at `octets` as a frame header, for a receiver that
/// announced `max_length`.
inline FrameHeader parse_frame_header(const std::uint8_t* octets, std::size_t max_length) {
    FrameHeader h;
    const std::uint8_t type = octets[0] & 0x07;
    h.length = (std::size_t{octets[1]} << 16) | (std::size_t{octets[2]} << 8) | octets[3];
    if ((octets[0] & 0xF8) != 0 || type > pong)
        h.problem = FrameProblem::bad_type;
    else if (h.length > max_length)
        h.problem = FrameProblem::too_long;
    else
        h.type = static_cast<FrameType>(type);
    return h;
}

// --- Handshake, router side ------------------------------------------------------

/// The router's answer to a client's handshake request.
struct HandshakeAnswer {
    enum Kind : std::uint8_t {
        not_rawsocket, // no magic octet: close without a reply
        refuse,        // send `reply` (an error reply), then close
        accept,        // send `reply`, then frames
    };
    Kind kind = not_rawsocket;
    std::array<std::uint8_t, 4> reply{};
    // accept only:
    wamp::Format format = wamp::Format::json;
    std::size_t peer_max = 0; // the longest frame the client takes
    std::size_t our_max = 0;  // the longest frame we take (announced in `reply`)
};

/// Answers `request` for a router that takes messages up to `max_message_size`.
inline HandshakeAnswer answer_handshake(const std::array<std::uint8_t, 4>& request,
                                        std::size_t max_message_size) {
    HandshakeAnswer a;
    if (request[0] != magic) return a;
    const auto format = wamp::format_from_rawsocket_code(request[1] & 0x0F);
    std::uint8_t error = 0;
    if (request[2] != 0 || request[3] != 0)
        error = reserved_bits_used;
    else if (!format)
        error = serializer_unsupported;
    if (error) {
        a.kind = HandshakeAnswer::refuse;
        a.reply = {magic, static_cast<std::uint8_t>(error << 4), 0, 0};
        return a;
    }
    const std::uint8_t ours = length_exponent(max_message_size);
    a.kind = HandshakeAnswer::accept;
    a.format = *format;
    a.peer_max = max_frame(request[1] >> 4);
    a.our_max = max_frame(ours);
    a.reply = {magic, static_cast<std::uint8_t>((ours << 4) | (request[1] & 0x0F)), 0, 0};
    return a;
}

// --- Handshake, client side ------------------------------------------------------

inline std::string handshake_error(std::uint8_t code) {
    switch (code) {
    case 0: return "illegal (error code 0)";
    case 1: return "serializer unsupported";
    case 2: return "maximum message length unacceptable";
    case 3: return "use of reserved bits (unsupported feature)";
    case 4: return "maximum connection count reached";
    default: return "error code " + std::to_string(code);
    }
}

/// The client's reading of the router's reply to a request for `serializer_code`.
struct HandshakeReply {
    bool accepted = false;
    std::size_t peer_max = 0; // accepted: the longest frame the router takes
    std::string error;        // otherwise: why not, for the user
};

inline HandshakeReply read_handshake_reply(const std::array<std::uint8_t, 4>& reply,
                                           std::uint8_t serializer_code) {
    HandshakeReply r;
    if (reply[0] != magic)
        r.error = "not a WAMP RawSocket router";
    else if ((reply[1] & 0x0F) == 0)
        r.error = "the router refused the handshake: " + handshake_error(reply[1] >> 4);
    else if ((reply[1] & 0x0F) != serializer_code)
        r.error = "the router answered with another serializer";
    else {
        r.accepted = true;
        r.peer_max = max_frame(reply[1] >> 4);
    }
    return r;
}

} // namespace nexus::transport::rawsocket
