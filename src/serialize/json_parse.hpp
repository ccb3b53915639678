// Parsing one JSON value (Boost.JSON's SAX parser underneath): into a
// wamp::Value, or only validated, for payload slices that stay encoded.
#pragma once

#include <cstddef>
#include <string_view>

#include <nexus/serialize/serializer.hpp>

namespace nexus::serialize::detail {

/// Parses exactly one JSON value filling all of `text` (whitespace around it
/// allowed). Containers may nest `max_depth` levels.
Expected<wamp::Value> json_parse_value(std::string_view text, std::size_t max_depth);

/// Accepts exactly what json_parse_value accepts, without building anything,
/// so that a validated slice is guaranteed to decode later.
Status json_validate(std::string_view text, std::size_t max_depth);

} // namespace nexus::serialize::detail
