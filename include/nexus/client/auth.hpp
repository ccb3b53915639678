// Client-side authentication (advanced/authentication*.md): an Authenticator
// per method names it in HELLO.Details.authmethods and answers the router's
// CHALLENGE. Ticket, WAMP-CRA (plain and salted secrets), WAMP-Cryptosign
// (Ed25519), WAMP-SCRAM (Argon2id, PBKDF2) and TLS client certificates are
// provided; the computations are exposed for tests and routers.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nexus/router/auth.hpp>
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
    /// What the session merges into HELLO.Details.authextra, given the
    /// HELLO's authid: authextra() unless a method starts its exchange here
    /// (SCRAM's client nonce, and the authid its proof covers). Called once
    /// per join; an authenticator serves one join at a time.
    virtual wamp::Object hello_authextra(const std::string& authid) {
        (void)authid;
        return authextra();
    }
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
    /// The router's WELCOME.Details when this method answered the router's
    /// CHALLENGE (whatever WELCOME.Details.authmethod says), or, with no
    /// CHALLENGE answered, when WELCOME names this method. Throws to refuse
    /// the router (SCRAM checks the router's signature: mutual
    /// authentication): the session closes the transport and the join fails
    /// with wamp.error.authentication_failed.
    virtual void on_welcome(const wamp::Object& details) { (void)details; }
    /// Whether a WELCOME is acceptable only after this method answered a
    /// CHALLENGE (true for mutual authentication: SCRAM). When every method a
    /// join offers requires it and the router sends WELCOME without having
    /// challenged (a router that would skip the proof of its own identity),
    /// the session sends ABORT and the join fails with
    /// wamp.error.authentication_failed.
    virtual bool requires_challenge() const { return false; }
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

/// "tls": the router knows the client by the certificate it presented in
/// the TLS handshake (TlsOptions::certificate_file and private_key_file on
/// a wss:// or tcps:// transport); nothing is exchanged in WAMP, and the
/// router's WELCOME names the authid the certificate maps to (an authid in
/// JoinOptions is a wish the router does not take). A CHALLENGE for it is
/// refused. Without a certificate the router skips the method: offer
/// another after it to fall back on.
std::shared_ptr<Authenticator> tls_authenticator();

/// What a WAMP-SCRAM client accepts of a router's CHALLENGE. The spec wants
/// clients to refuse unusually low costs (a rogue router fishing for a hash
/// that is cheap to crack), and a client also refuses costs so high that the
/// derivation itself would be a denial of service: the router chooses them,
/// and the derivation runs on the session's strand (it blocks that strand,
/// and the thread running it, for as long as it takes). The maxima admit
/// nexus-scram's defaults (Argon2id 3 x 64 MiB, PBKDF2 600000) with room to
/// spare; raise them for a router known to use more.
struct ScramOptions {
    /// Speak autobahn-python's earlier draft (authmethod "scram", Argon2id
    /// only; see router::ScramDialect::crossbar) instead of the spec's
    /// "wamp-scram".
    bool crossbar_dialect = false;
    std::uint32_t min_pbkdf2_iterations = 4096; // RFC 7677 section 4
    std::uint32_t max_pbkdf2_iterations = 1'000'000;
    std::uint32_t min_argon2_iterations = 1;
    std::uint32_t max_argon2_iterations = 10;
    std::uint32_t min_argon2_memory = 512;        // KiB; autobahn-python's own default
    std::uint32_t max_argon2_memory = 256 * 1024; // KiB (256 MiB)
    /// TLS channel binding (the spec's dialect only): "tls-unique" or
    /// "tls-exporter" (RFC 9266), requested in HELLO; the proof then covers
    /// the transport's channel id, so it is worthless on any other
    /// connection. Empty: none. Authentication is abandoned (ABORT) when the
    /// transport has no TLS channel id of that type.
    std::string channel_binding;
};

/// "wamp-scram" (or "scram"): proves knowledge of `password` without sending
/// it (RFC 5802/7677 with Argon2id or PBKDF2, as the router's CHALLENGE
/// says), and checks the router's signature in WELCOME (a WELCOME without a
/// CHALLENGE answered is refused: requires_challenge()). JoinOptions::authid
/// is required. Channel binding as ScramOptions says. The SaltedPassword is kept
/// for the last (kdf, salt, costs) seen, so that joining again (a reconnect)
/// does not derive it again.
/// Throws std::invalid_argument for an unknown channel binding type, or one
/// asked for in the crossbar dialect.
std::shared_ptr<Authenticator> scram_authenticator(std::string password, ScramOptions options = {});

namespace auth {
/// SaltedPassword = KDF(password, salt, costs) for WAMP-SCRAM, `salt` as
/// CHALLENGE carries it (base64; decoded for the KDF). In the spec's dialect
/// the password is SASLprep'ed and the result is the KDF's 32 octets; in the
/// crossbar dialect (Argon2id only) the password is used as given and the
/// result is the unpadded base64 text of the hash, as autobahn-python
/// computes it. Throws std::invalid_argument for a salt that is not base64,
/// a password SASLprep refuses or costs the KDF refuses.
std::vector<std::uint8_t> scram_salted_password(router::ScramDialect dialect, router::ScramKdf kdf,
                                                std::string_view password, std::string_view salt,
                                                std::uint32_t iterations, std::uint32_t memory);
/// The credential a router keeps for `password`: `salt` (base64), or 16
/// random octets when empty; StoredKey and ServerKey. What nexus-scram prints.
router::ScramCredential scram_derive_credential(
    std::string_view password, router::ScramKdf kdf, std::uint32_t iterations, std::uint32_t memory,
    router::ScramDialect dialect = router::ScramDialect::wamp_scram, std::string salt = {});

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
