// Standard base64 (RFC 4648 section 4, with padding): how JSON carries WAMP
// binary values ("\u0000" + base64, spec advanced/serialization_binary_json.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nexus::serialize::detail {

/// Appends the padded base64 text of `size` bytes at `data` to `out`.
void base64_append(const std::uint8_t* data, std::size_t size, std::string& out);

/// Decodes padded base64 into `out` (replacing its contents). False on any
/// character outside the alphabet, misplaced padding or a length that is not
/// a multiple of four; `out` is then unspecified.
bool base64_decode(std::string_view text, std::vector<std::uint8_t>& out);

/// The same checks as base64_decode without producing the bytes.
bool base64_valid(std::string_view text) noexcept;

} // namespace nexus::serialize::detail
