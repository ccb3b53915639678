// UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above
// U+10FFFF), shared by the serializers.
#pragma once

#include <cstddef>
#include <string_view>

namespace nexus::serialize::detail {

/// Length of the well-formed UTF-8 sequence starting at p, whose first byte
/// is >= 0x80, or 0 if it is malformed.
inline std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end) noexcept {
    const unsigned char c = *p;
    const std::size_t avail = static_cast<std::size_t>(end - p);
    auto cont = [p](std::size_t i) { return (p[i] & 0xc0) == 0x80; };
    if (c >= 0xc2 && c <= 0xdf) return avail >= 2 && cont(1) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (avail < 3 || !cont(1) || !cont(2)) return 0;
        if (c == 0xe0 && p[1] < 0xa0) return 0; // overlong
        if (c == 0xed && p[1] > 0x9f) return 0; // UTF-16 surrogate
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (avail < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
        if (c == 0xf0 && p[1] < 0x90) return 0; // overlong
        if (c == 0xf4 && p[1] > 0x8f) return 0; // above U+10FFFF
        return 4;
    }
    return 0;
}

inline bool utf8_valid(std::string_view s) noexcept {
    auto p = reinterpret_cast<const unsigned char*>(s.data());
    const auto end = p + s.size();
    while (p < end) {
        // ASCII runs dominate WAMP traffic: skip them eight bytes at a time.
        while (end - p >= 8) {
            unsigned long long word;
            __builtin_memcpy(&word, p, 8);
            if (word & 0x8080808080808080ull) break;
            p += 8;
        }
        if (p == end) break;
        if (*p < 0x80) {
            ++p;
            continue;
        }
        const std::size_t n = utf8_sequence(p, end);
        if (n == 0) return false;
        p += n;
    }
    return true;
}

} // namespace nexus::serialize::detail
