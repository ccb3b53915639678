// Wall-clock timestamps as the meta API writes them (ISO 8601 / RFC 3339,
// UTC, millisecond precision: "2026-11-25T04:35:12.123Z").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nexus::router {

/// Milliseconds since the Unix epoch, now.
std::int64_t now_ms();
std::string format_timestamp(std::int64_t ms_since_epoch);
/// Parses RFC 3339 ("2026-11-25T04:35:12Z", optional fraction, "Z" or
/// "+hh:mm"/"-hh:mm" offset) into milliseconds since the epoch.
std::optional<std::int64_t> parse_timestamp(std::string_view text);

} // namespace nexus::router
