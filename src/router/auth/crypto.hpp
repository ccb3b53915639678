// The few cryptographic primitives authentication needs, over OpenSSL 3's libcrypto.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nexus::router::auth {

using Bytes = std::vector<std::uint8_t>;

Bytes hmac_sha256(std::string_view key, std::string_view message);
Bytes sha256(std::string_view message);
/// The bytes as a string_view (keys and messages that are octets, not text).
inline std::string_view as_text(const Bytes& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
/// PBKDF2 with HMAC-SHA256. Empty on failure (e.g. keylen out of range).
Bytes pbkdf2_sha256(std::string_view password, std::string_view salt, int iterations, int keylen);
/// Verifies an Ed25519 (RFC 8032) signature.
bool ed25519_verify(const Bytes& public_key, const Bytes& signature, const Bytes& message);
/// Cryptographically strong random bytes (RAND_bytes).
Bytes random_bytes(std::size_t n);

std::string to_hex(const Bytes& bytes);
/// Lower- or upper-case hex; nullopt on odd length or a non-hex character.
std::optional<Bytes> from_hex(std::string_view hex);
std::string to_base64(const Bytes& bytes);
/// Canonical padded base64 (RFC 4648 section 4) only; nullopt otherwise.
std::optional<Bytes> from_base64(std::string_view text);

/// Equality that takes the same time wherever the first difference is
/// (only the lengths may leak).
bool constant_time_equal(std::string_view a, std::string_view b);

} // namespace nexus::router::auth
