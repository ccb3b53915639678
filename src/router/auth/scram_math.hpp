// The computations of WAMP-SCRAM (advanced/authentication_scram.md, "SCRAM
// Algorithms"; RFC 5802 section 3), shared by the router's authenticator, the
// client library and nexus-scram so that both ends run one implementation.
// Only the key derivation itself (Argon2id, PBKDF2) lives in the client
// library: the router never sees a password.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nexus/router/auth.hpp>

#include "router/auth/crypto.hpp"

namespace nexus::router::auth::scram {

/// The attributes of one exchange that enter the AuthMessage.
struct Exchange {
    std::string authid;       ///< HELLO.Details.authid
    std::string client_nonce; ///< HELLO.Details.authextra.nonce
    std::string nonce;        ///< CHALLENGE.Details.nonce (client nonce + server nonce)
    std::string salt;         ///< CHALLENGE.Details.salt
    std::uint64_t iterations = 0;
    /// HELLO's channel_binding ("tls-unique", "tls-exporter"); empty: none
    /// (the spec's dialect only).
    std::string channel_binding;
    /// The channel binding data: the connection's channel id of that type.
    Bytes cbind_data;
};

/// The channel binding types of WAMP-SCRAM this implementation speaks: the
/// spec's tls-unique, and RFC 9266's tls-exporter (what TLS 1.3 defines in
/// its place); both as TransportInfo::channel_ids names them.
bool known_channel_binding(std::string_view type);

/// The client key, stored key and server key of a SaltedPassword.
struct Keys {
    Bytes client_key;
    Bytes stored_key;
    Bytes server_key;
};
Keys keys_of(const Bytes& salted_password);

/// Escape(): "," -> "=2C" and "=" -> "=3D" (RFC 5802 section 5.1, saslname).
std::string escape(std::string_view name);

/// ClientFirstBare "," ServerFirst "," ClientFinalNoProof. In the spec's
/// dialect the channel binding part is "c=" base64("n,,") without a binding
/// ("c=biws") and base64("p=" type ",," data) with one; nullopt only for the
/// crossbar dialect, whose authid must pass SASLprep.
std::optional<std::string> auth_message(ScramDialect dialect, const Exchange& exchange);

/// ClientKey XOR HMAC(StoredKey, AuthMessage).
Bytes client_proof(const Keys& keys, std::string_view auth_message);
/// Whether SHA-256(HMAC(StoredKey, AuthMessage) XOR proof) equals StoredKey,
/// compared in constant time.
bool proof_valid(const Bytes& stored_key, std::string_view auth_message, const Bytes& proof);
/// HMAC(ServerKey, AuthMessage).
Bytes server_signature(const Bytes& server_key, std::string_view auth_message);

/// The kdf type string CHALLENGE carries: "argon2id13" or "pbkdf2" in the
/// spec's dialect, "argon2id-13" in the crossbar dialect.
std::string_view kdf_name(ScramKdf kdf, ScramDialect dialect);
/// The inverse; both spellings of Argon2id are accepted.
std::optional<ScramKdf> parse_kdf(std::string_view name);

} // namespace nexus::router::auth::scram
