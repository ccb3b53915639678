// A minimal, bounds-checked reader for the messages wampbench receives in its
// hot loops (RESULT, INVOCATION, EVENT and, against the forwarder, CALL, YIELD,
// PUBLISH). It only finds the items of a list and reads unsigned integers:
// the bench never needs more, and a full decode would make the load generator
// as expensive as the router it measures.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include <nexus/wamp/format.hpp>

namespace wampbench {

using nexus::wamp::Format;

/// The first items of a list, each as its encoded bytes.
struct ListItems {
    static constexpr std::size_t max_items = 8;
    std::array<std::string_view, max_items> item{};
    std::size_t count = 0; // items seen (at most max_items are kept)
};

/// Splits the list `encoded` (which must be exactly one list) into its items.
/// False if it is not a well-formed list.
bool split_list(Format format, std::string_view encoded, ListItems& out);

/// The unsigned integer `encoded` holds, if it is one.
std::optional<std::uint64_t> read_uint(Format format, std::string_view encoded);

} // namespace wampbench
