// Key-value names as JetStream allows them. A bucket name is kept as it is
// (letters, digits, '_' and '-', as JetStream requires); a key, which the Bus
// contract lets be any non-empty string, is escaped into the characters a
// JetStream key may hold, reversibly and readably: what is already one such
// token stays, anything else becomes "=XX" (hex), '=' included.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nexus::cluster::kv_key {

bool valid_bucket(std::string_view bucket);

/// A non-empty key's JetStream form: one subject token.
std::string encode(std::string_view key);

/// The key `encode` made `token` from; nullopt if `token` is not one of its
/// results (a key written to the bucket by someone else).
std::optional<std::string> decode(std::string_view token);

} // namespace nexus::cluster::kv_key
