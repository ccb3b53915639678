#include "serialize/base64.hpp"

#include <array>

namespace nexus::serialize::detail {

namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t invalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_sextets() {
    std::array<std::uint8_t, 256> t{};
    for (auto& e : t)
        e = invalid;
    for (std::uint8_t i = 0; i < 64; ++i)
        t[static_cast<unsigned char>(alphabet[i])] = i;
    return t;
}

constexpr std::array<std::uint8_t, 256> sextets = make_sextets();

// One pass for both decode and validation so that they can never disagree on
// what is acceptable. `Sink` receives each decoded byte.
template <class Sink> bool decode_into(std::string_view text, Sink&& sink) noexcept {
    if (text.size() % 4 != 0) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t groups = text.size() / 4;
    for (std::size_t g = 0; g < groups; ++g, p += 4) {
        const bool last = g + 1 == groups;
        // Padding may only end the final group, as "xx==" or "xxx=".
        const int pad = (last && p[3] == '=') ? (p[2] == '=' ? 2 : 1) : 0;
        const std::uint8_t a = sextets[p[0]], b = sextets[p[1]];
        const std::uint8_t c = pad == 2 ? 0 : sextets[p[2]];
        const std::uint8_t d = pad >= 1 ? 0 : sextets[p[3]];
        if (a == invalid || b == invalid || c == invalid || d == invalid) return false;
        const std::uint32_t bits = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) |
                                   (std::uint32_t{c} << 6) | std::uint32_t{d};
        sink(static_cast<std::uint8_t>(bits >> 16));
        if (pad < 2) sink(static_cast<std::uint8_t>(bits >> 8));
        if (pad < 1) sink(static_cast<std::uint8_t>(bits));
    }
    return true;
}

} // namespace

void base64_append(const std::uint8_t* data, std::size_t size, std::string& out) {
    const std::size_t start = out.size();
    out.resize(start + (size + 2) / 3 * 4);
    char* o = out.data() + start;
    std::size_t i = 0;
    for (; i + 3 <= size; i += 3) {
        const std::uint32_t bits =
            (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
        *o++ = alphabet[(bits >> 18) & 63];
        *o++ = alphabet[(bits >> 12) & 63];
        *o++ = alphabet[(bits >> 6) & 63];
        *o++ = alphabet[bits & 63];
    }
    if (const std::size_t rest = size - i; rest > 0) {
        std::uint32_t bits = std::uint32_t{data[i]} << 16;
        if (rest == 2) bits |= std::uint32_t{data[i + 1]} << 8;
        *o++ = alphabet[(bits >> 18) & 63];
        *o++ = alphabet[(bits >> 12) & 63];
        *o++ = rest == 2 ? alphabet[(bits >> 6) & 63] : '=';
        *o++ = '=';
    }
}

bool base64_decode(std::string_view text, std::vector<std::uint8_t>& out) {
    out.clear();
    out.reserve(text.size() / 4 * 3);
    return decode_into(text, [&out](std::uint8_t b) { out.push_back(b); });
}

bool base64_valid(std::string_view text) noexcept {
    return decode_into(text, [](std::uint8_t) {});
}

} // namespace nexus::serialize::detail
