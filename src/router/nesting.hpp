// How deeply a value nests lists and dicts, measured as the decoders measure
// it (serialize::DecodeLimits::max_depth counts the message list as 1).
//
// The router must not send what the receiving peer's decoder refuses: where
// it puts a client's value deeper into a message than the client sent it
// (HELLO.Details in the session meta API, published payloads in the event
// history), the value must leave room for the extra levels.
#pragma once

#include <algorithm>
#include <cstddef>

#include <nexus/serialize/serializer.hpp>
#include <nexus/wamp/value.hpp>

namespace nexus::router {

/// 0 for a scalar, 1 for a list or dict of scalars (or an empty one), and so on.
inline std::size_t nesting_depth(const wamp::Value& v) {
    std::size_t inner = 0;
    if (const wamp::Array* a = v.if_array()) {
        for (const wamp::Value& e : *a)
            inner = std::max(inner, nesting_depth(e));
    } else if (const wamp::Object* o = v.if_object()) {
        for (const auto& [key, e] : *o)
            inner = std::max(inner, nesting_depth(e));
    } else {
        return 0;
    }
    return inner + 1;
}

inline std::size_t nesting_depth(const wamp::Object& o) {
    std::size_t inner = 0;
    for (const auto& [key, e] : o)
        inner = std::max(inner, nesting_depth(e));
    return inner + 1;
}

/// The deepest a message may nest for peers that decode with the default limits.
inline constexpr std::size_t max_message_depth = serialize::DecodeLimits{}.max_depth;

} // namespace nexus::router
