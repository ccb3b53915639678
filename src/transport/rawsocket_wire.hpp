// The RawSocket wire format (spec advanced/transport_rawsocket.md), shared by
// the server (src/transport/net) and the client (src/client/transport).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

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

} // namespace nexus::transport::rawsocket
