// CBOR item heads (RFC 8949 §3): the initial byte plus its 0-8 argument
// bytes. Inline because every item of every message goes through them.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace nexus::serialize::detail::cbor {

enum Major : std::uint8_t {
    major_uint = 0,
    major_negint = 1,
    major_bytes = 2,
    major_text = 3,
    major_array = 4,
    major_map = 5,
    major_tag = 6,
    major_simple = 7, // simple values, floats and the break code
};

/// Additional information 31: indefinite length (majors 2-5) or break (major 7).
inline constexpr std::uint8_t info_indefinite = 31;

inline constexpr std::uint8_t simple_false = 20;
inline constexpr std::uint8_t simple_true = 21;
inline constexpr std::uint8_t simple_null = 22;
inline constexpr std::uint8_t simple_undefined = 23;
inline constexpr std::uint8_t info_half = 25;
inline constexpr std::uint8_t info_single = 26;
inline constexpr std::uint8_t info_double = 27;

struct Head {
    std::uint8_t major = 0;
    std::uint8_t info = 0; // additional information, 0-31
    /// The argument: value, length, tag number, simple value or float bits;
    /// 0 when info is 31.
    std::uint64_t arg = 0;
};

enum class HeadStatus : std::uint8_t { ok, truncated, reserved };

namespace head_detail {

// Wire order is big-endian.
template <class U> inline U load_be(const std::uint8_t* p) noexcept {
    U v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::little && sizeof(U) > 1) {
        if constexpr (sizeof(U) == 2) v = static_cast<U>(__builtin_bswap16(v));
        if constexpr (sizeof(U) == 4) v = __builtin_bswap32(v);
        if constexpr (sizeof(U) == 8) v = __builtin_bswap64(v);
    }
    return v;
}

template <class U> inline void store_be(char* p, U v) noexcept {
    if constexpr (std::endian::native == std::endian::little && sizeof(U) > 1) {
        if constexpr (sizeof(U) == 2) v = static_cast<U>(__builtin_bswap16(v));
        if constexpr (sizeof(U) == 4) v = __builtin_bswap32(v);
        if constexpr (sizeof(U) == 8) v = __builtin_bswap64(v);
    }
    std::memcpy(p, &v, sizeof v);
}

} // namespace head_detail

/// Reads one head at `p` and advances `p` past it. Leaves `p` alone on
/// failure. Never reads at or beyond `end`.
inline HeadStatus read_head(const std::uint8_t*& p, const std::uint8_t* end, Head& h) noexcept {
    using head_detail::load_be;
    if (p == end) return HeadStatus::truncated;
    const std::uint8_t initial = *p;
    h.major = static_cast<std::uint8_t>(initial >> 5);
    h.info = static_cast<std::uint8_t>(initial & 0x1f);
    const std::size_t avail = static_cast<std::size_t>(end - p) - 1;
    switch (h.info) {
    case 24:
        if (avail < 1) return HeadStatus::truncated;
        h.arg = p[1];
        p += 2;
        return HeadStatus::ok;
    case 25:
        if (avail < 2) return HeadStatus::truncated;
        h.arg = load_be<std::uint16_t>(p + 1);
        p += 3;
        return HeadStatus::ok;
    case 26:
        if (avail < 4) return HeadStatus::truncated;
        h.arg = load_be<std::uint32_t>(p + 1);
        p += 5;
        return HeadStatus::ok;
    case 27:
        if (avail < 8) return HeadStatus::truncated;
        h.arg = load_be<std::uint64_t>(p + 1);
        p += 9;
        return HeadStatus::ok;
    case 28:
    case 29:
    case 30: return HeadStatus::reserved;
    case 31:
        h.arg = 0;
        ++p;
        return HeadStatus::ok;
    default:
        h.arg = h.info;
        ++p;
        return HeadStatus::ok;
    }
}

/// IEEE 754 binary16 to double (RFC 8949 Appendix D); exact for every input.
inline double half_to_double(std::uint16_t half) noexcept {
    const int exponent = (half >> 10) & 0x1f;
    const std::uint64_t mantissa = half & 0x3ff;
    std::uint64_t bits;
    if (exponent == 0) {
        // Zero or subnormal: mantissa * 2^-24 is exact in a double.
        const double v = static_cast<double>(mantissa) * 0x1p-24;
        bits = std::bit_cast<std::uint64_t>(v);
    } else if (exponent == 31) {
        // Infinity or NaN; keep the NaN payload bits in the top of the mantissa.
        bits = (std::uint64_t{0x7ff} << 52) | (mantissa << 42);
    } else {
        bits = (static_cast<std::uint64_t>(exponent - 15 + 1023) << 52) | (mantissa << 42);
    }
    if (half & 0x8000) bits |= std::uint64_t{1} << 63;
    return std::bit_cast<double>(bits);
}

/// Appends the smallest head for (major, arg), as RFC 8949 §4.2.1 prefers.
inline void append_head(std::string& out, std::uint8_t major, std::uint64_t arg) {
    using head_detail::store_be;
    const auto m = static_cast<char>(major << 5);
    if (arg < 24) {
        out.push_back(static_cast<char>(m | static_cast<char>(arg)));
        return;
    }
    char buf[9];
    std::size_t n;
    if (arg <= 0xff) {
        buf[0] = static_cast<char>(m | 24);
        buf[1] = static_cast<char>(arg);
        n = 2;
    } else if (arg <= 0xffff) {
        buf[0] = static_cast<char>(m | 25);
        store_be(buf + 1, static_cast<std::uint16_t>(arg));
        n = 3;
    } else if (arg <= 0xffffffffu) {
        buf[0] = static_cast<char>(m | 26);
        store_be(buf + 1, static_cast<std::uint32_t>(arg));
        n = 5;
    } else {
        buf[0] = static_cast<char>(m | 27);
        store_be(buf + 1, arg);
        n = 9;
    }
    out.append(buf, n);
}

/// Doubles always go out as float64 so that they decode bit-identical everywhere.
inline void append_double(std::string& out, double d) {
    char buf[9];
    buf[0] = static_cast<char>((major_simple << 5) | info_double);
    head_detail::store_be(buf + 1, std::bit_cast<std::uint64_t>(d));
    out.append(buf, sizeof buf);
}

} // namespace nexus::serialize::detail::cbor
