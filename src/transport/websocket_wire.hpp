// The WebSocket wire basics (RFC 6455 5.2, 5.3) shared by the server's frame
// code (src/transport/net/websocket_frames.*) and wampbench's client frames:
// opcodes and masking, header-only, so the bench links no router library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace nexus::transport::wsframe {

enum class Opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

/// XORs data[0, size) with `mask` starting at mask byte `offset` (mod 4).
/// Masking and unmasking are the same operation.
inline void unmask(char* data, std::size_t size, const std::uint8_t mask[4],
                   std::size_t offset) noexcept {
    // Eight bytes at a time: the pattern repeats every four, so the first
    // eight mask bytes (rotated by offset) serve for every aligned word and
    // for the tail as well.
    std::uint8_t pattern[8];
    for (std::size_t i = 0; i < 8; ++i)
        pattern[i] = mask[(i + offset) & 3];
    std::uint64_t word;
    std::memcpy(&word, pattern, 8);
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t v;
        std::memcpy(&v, data + i, 8);
        v ^= word;
        std::memcpy(data + i, &v, 8);
    }
    for (; i < size; ++i)
        data[i] = static_cast<char>(static_cast<std::uint8_t>(data[i]) ^ pattern[i & 7]);
}

} // namespace nexus::transport::wsframe
