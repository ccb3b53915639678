// SASLprep (RFC 4013), the normalization WAMP-SCRAM applies to user names and
// passwords (advanced/authentication_scram.md), through GNU libidn's stringprep.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nexus::router::auth {

/// The SASLprep'ed form of UTF-8 `text`, or nullopt when it is not valid
/// UTF-8 or holds what SASLprep prohibits (control characters, unassigned
/// code points, mixed bidirectional text, ...). ASCII without control
/// characters comes back unchanged.
std::optional<std::string> saslprep(std::string_view text);

} // namespace nexus::router::auth
