// Client-side authentication (advanced/authentication*.md): an Authenticator
// per method names it in HELLO.Details.authmethods and answers the router's
// CHALLENGE. Ticket, WAMP-CRA (plain and salted secrets) and WAMP-Cryptosign
// (Ed25519) are provided; the computations are exposed for tests and routers.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nexus/wamp/message.hpp>
#include <nexus/wamp/value.hpp>

namespace nexus::client {

class Transport;

class Authenticator {
public:
    virtual ~Authenticator() = default;
    /// The authmethod: "ticket", "wampcra", "cryptosign", ...
    virtual std::string method() const = 0;
    /// Merged into HELLO.Details.authextra.
    virtual wamp::Object authextra() const { return {}; }
    /// The AUTHENTICATE answering `challenge` (whose authmethod is ours).
    /// Throws (any std::exception) to give up: the session then sends ABORT.
    virtual wamp::Authenticate respond(const wamp::Challenge& challenge) = 0;
    /// What the session calls: respond(challenge) unless a method needs the
    /// transport it runs on (cryptosign's channel binding does).
    virtual wamp::Authenticate respond_on(const wamp::Challenge& challenge,
                                          const Transport& transport) {
        (void)transport;
        return respond(challenge);
    }
};

/// "ticket": sends the ticket (a shared secret in clear; use it over TLS or
/// a trusted local transport).
std::shared_ptr<Authenticator> ticket_authenticator(std::string ticket);

/// "wampcra": HMAC-SHA256 of the challenge with `secret`; when the challenge
/// carries salt/iterations/keylen, the key is first derived from the secret
/// with PBKDF2 (see wampcra_derive_key).
std::shared_ptr<Authenticator> wampcra_authenticator(std::string secret);

/// An Ed25519 key pair for WAMP-Cryptosign.
class CryptosignKey {
public:
    /// From the 32-byte private seed (RFC 8032).
    static CryptosignKey from_seed(std::span<const std::uint8_t, 32> seed);
    /// From the seed as 64 hex characters; throws std::invalid_argument otherwise.
    static CryptosignKey from_hex(std::string_view seed_hex);
    /// A new random key.
    static CryptosignKey generate();

    const std::array<std::uint8_t, 32>& public_key() const noexcept { return public_; }
    /// The public key as 64 lower-case hex characters (HELLO authextra.pubkey).
    std::string public_key_hex() const;
    /// The 64-byte Ed25519 signature of `message`.
    std::array<std::uint8_t, 64> sign(std::span<const std::uint8_t> message) const;

private:
    std::array<std::uint8_t, 32> seed_{};
    std::array<std::uint8_t, 32> public_{};
};

/// "cryptosign": signs the router's 32-byte challenge with `key`. Channel
/// binding is not requested, and a challenge that asks for it is refused.
std::shared_ptr<Authenticator> cryptosign_authenticator(CryptosignKey key);

/// "cryptosign" with TLS channel binding: `channel_binding` is "tls-unique"
/// or "tls-exporter" (RFC 9266), requested in HELLO; the signed message is
/// the challenge XOR the transport's 32-byte channel id, so the signature is
/// worthless on any other connection. Authentication is abandoned (ABORT) when
/// the router does not confirm the binding or the transport has no TLS
/// channel id. Throws std::invalid_argument for another binding type.
std::shared_ptr<Authenticator> cryptosign_authenticator(CryptosignKey key,
                                                        std::string channel_binding);

namespace auth {
/// Base64(HMAC-SHA256(key, challenge)): the WAMP-CRA signature.
std::string wampcra_sign(std::string_view key, std::string_view challenge);
/// Base64(PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen)): the key a
/// salted WAMP-CRA secret signs with (the salt's UTF-8 bytes, not decoded).
std::string wampcra_derive_key(std::string_view secret, std::string_view salt,
                               std::uint32_t iterations, std::uint32_t keylen);
/// hex(Ed25519(key, challenge) || challenge): the cryptosign signature for a
/// hex challenge of 32 bytes; throws std::invalid_argument for a bad challenge.
std::string cryptosign_sign(const CryptosignKey& key, std::string_view challenge_hex);
/// The same for a channel-bound challenge: signs challenge XOR `channel_id`
/// (32 bytes; throws std::invalid_argument otherwise).
std::string cryptosign_sign(const CryptosignKey& key, std::string_view challenge_hex,
                            std::span<const std::uint8_t> channel_id);

std::string to_hex(std::span<const std::uint8_t> bytes);
/// Throws std::invalid_argument for odd lengths or non-hex characters.
std::vector<std::uint8_t> from_hex(std::string_view hex);
} // namespace auth

} // namespace nexus::client
