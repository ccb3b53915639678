// Authentication: how a HELLO becomes a WELCOME (spec advanced/authentication*.md).
//
// A realm has one Authenticator per method ("ticket", "wampcra", "cryptosign",
// "wamp-scram", "scram", "tls", or your own). The router picks the first method
// in the client's HELLO.Details.authmethods that the realm offers ("tls" only
// on a connection with a verified client certificate), asks that
// authenticator to begin() an attempt, and drives it:
//
//   start()    -> Challenge  -> CHALLENGE to the client; its AUTHENTICATE goes to respond()
//              -> Identity   -> WELCOME at once (no challenge)
//              -> Rejection  -> ABORT
//   respond()  -> Identity | Rejection (| another Challenge for a second round)
//
// Replies may come synchronously or later from any thread (an authenticator
// may ask a database or another WAMP session); the router enforces a deadline
// (RealmConfig::auth_timeout) and ignores replies that arrive after it.
// Whatever the reason of a Rejection, the client only sees
// wamp.error.authentication_failed: the reason goes to the router's log, so a
// client learns nothing about which part was wrong.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nexus/router/peer.hpp>
#include <nexus/wamp/id.hpp>
#include <nexus/wamp/value.hpp>

namespace nexus::router {

/// What the router knows when authentication begins.
struct AuthRequest {
    std::string realm;
    /// The session id WELCOME will carry (wampcra puts it in its challenge).
    wamp::Id session = 0;
    /// HELLO.Details.authid, empty when absent.
    std::string authid;
    /// HELLO.Details.authextra (an empty object when absent).
    wamp::Object authextra;
    wamp::Object hello_details;
    TransportInfo transport;
};

/// Who the client turned out to be.
struct Identity {
    std::string authid;
    std::string authrole;
    /// Defaults to the authenticator's method.
    std::string authmethod;
    /// "static", "dynamic", or anything the authenticator likes.
    std::string authprovider = "static";
    /// WELCOME.Details.authextra, when not empty.
    wamp::Object authextra;
};

/// Ask the client: CHALLENGE [authmethod, extra].
struct Challenge {
    wamp::Object extra;
};

/// Authentication failed. `log_reason` is for the router's log only (it may
/// name the authid but must never carry a secret).
struct Rejection {
    std::string log_reason;
};

using AuthStep = std::variant<Challenge, Identity, Rejection>;
using AuthReply = std::function<void(AuthStep)>;

/// One client's authentication with one method; lives from HELLO to WELCOME/ABORT.
class AuthAttempt {
public:
    virtual ~AuthAttempt() = default;
    /// Reply exactly once.
    virtual void start(AuthReply reply) = 0;
    /// The client's AUTHENTICATE [signature, extra]. Reply exactly once.
    virtual void respond(const std::string& signature, const wamp::Object& extra,
                         AuthReply reply) = 0;
};

class Authenticator {
public:
    virtual ~Authenticator() = default;
    /// The authmethod this authenticator handles, e.g. "ticket".
    virtual std::string_view method() const = 0;
    virtual std::unique_ptr<AuthAttempt> begin(const AuthRequest& request) = 0;
};

// --- Static principals (nexusd's config "principals") ----------------------

/// WAMP-CRA secret. With `salt` set, the client derives its key with PBKDF2
/// (HMAC-SHA256, `iterations`, `keylen`) and the router announces those
/// parameters in the CHALLENGE (advanced/authentication_cra.md).
struct CraSecret {
    std::string secret;
    std::optional<std::string> salt;
    int iterations = 1000;
    int keylen = 32;
};

/// Which SCRAM exchange a credential was derived for. The two differ in the
/// key derivation, so one credential serves one of them only.
enum class ScramDialect {
    /// authmethod "wamp-scram": advanced/authentication_scram.md (RFC 5802/7677
    /// message syntax, the KDF's 32 raw octets as SaltedPassword).
    wamp_scram,
    /// authmethod "scram": the earlier draft that autobahn-python (22.x) and
    /// Crossbar speak. Argon2id only (kdf "argon2id-13" on the wire): the
    /// SaltedPassword is the unpadded base64 text of the Argon2 hash, the
    /// authid is SASLprep'ed but not escaped in the AuthMessage, whose channel
    /// binding part is "c=" (empty), and WELCOME.authextra carries
    /// scram_server_signature (plain base64).
    crossbar,
};

enum class ScramKdf {
    argon2id13, ///< Argon2id version 1.3, parallelism 1, 32-byte output
    pbkdf2,     ///< PBKDF2-HMAC-SHA256, 32-byte output
};

/// What the router keeps of a WAMP-SCRAM password (authentication_scram.md,
/// "Data Stored on the Server"): never the password itself. `nexus-scram`
/// derives these from a password.
struct ScramCredential {
    ScramKdf kdf = ScramKdf::argon2id13;
    /// The salt exactly as CHALLENGE carries it: canonical base64 of random
    /// octets (at least 8), decoded before it goes into the KDF.
    std::string salt;
    /// The KDF's time cost (Argon2 passes or PBKDF2 iterations).
    std::uint32_t iterations = 0;
    /// Argon2's memory cost in KiB; 0 with PBKDF2.
    std::uint32_t memory = 0;
    /// SHA-256(HMAC(SaltedPassword, "Client Key")), 32 octets.
    std::vector<std::uint8_t> stored_key;
    /// HMAC(SaltedPassword, "Server Key"), 32 octets.
    std::vector<std::uint8_t> server_key;
    ScramDialect dialect = ScramDialect::wamp_scram;
};

/// nexus-scram's defaults (Argon2id with RFC 9106's second recommended
/// memory, one lane as WAMP-SCRAM fixes it), and the shapes of a dynamic
/// authenticator's decoy challenges.
inline constexpr std::uint32_t scram_default_argon2_iterations = 3;
inline constexpr std::uint32_t scram_default_argon2_memory = 65536; // KiB
inline constexpr std::uint32_t scram_default_pbkdf2_iterations = 600'000;
inline constexpr std::size_t scram_default_salt_octets = 16;

/// What is wrong with `credential` (a salt that is not canonical base64 or
/// shorter than 8 octets, keys that are not 32 octets, costs out of range, a
/// PBKDF2 credential for the crossbar dialect), or an empty string.
std::string scram_credential_problem(const ScramCredential& credential);

/// The authmethod of a dialect: "wamp-scram" or "scram".
std::string_view scram_authmethod(ScramDialect dialect);

/// A credential as an object: {authmethod, kdf, salt, iterations, memory
/// (Argon2id only), stored_key, server_key}, the keys in base64. The one
/// format of what nexus-scram prints, a nexus.json principal's "scram" holds
/// and a dynamic authenticator's procedure answers.
wamp::Object scram_credential_to_object(const ScramCredential& credential);
/// Why an object is not a credential: the key at fault and what it should hold.
struct ScramCredentialProblem {
    std::string key;
    std::string expected;
};
/// The credential an object holds (see scram_credential_to_object). Its
/// dialect is `dialect` when given (the key "authmethod" is not read then),
/// otherwise the object's "authmethod" ("wamp-scram" when absent). Other keys
/// are ignored.
std::variant<ScramCredential, ScramCredentialProblem>
scram_credential_from_object(const wamp::Object& object,
                             std::optional<ScramDialect> dialect = std::nullopt);

/// A TLS client certificate that authenticates a principal (authmethod
/// "tls"): what the certificate must carry. At least one is set; with both,
/// both must match.
struct TlsCertificateMatch {
    /// The subject's common name, exactly (ClientCertificate::common_name).
    std::string common_name;
    /// The SHA-256 fingerprint of the DER certificate: 64 hex digits, in
    /// either case, with or without ':' between bytes (as `openssl x509
    /// -fingerprint -sha256` prints it).
    std::string sha256;
};

/// A fingerprint in ClientCertificate::sha256's form (64 lower-case hex
/// digits) from any form TlsCertificateMatch::sha256 accepts; empty when
/// `text` is not a SHA-256 fingerprint.
std::string normalize_sha256_fingerprint(std::string_view text);

/// The credentials have initializers, so that designated initializers may
/// name only the ones a principal has.
struct Principal {
    std::string authid;
    std::string authrole;
    /// Ticket authentication: the ticket the client must present.
    std::optional<std::string> ticket{};
    /// WAMP-CRA.
    std::optional<CraSecret> wampcra{};
    /// Cryptosign: Ed25519 public keys (64 hex characters each) the client may use.
    std::vector<std::string> cryptosign_keys{};
    /// WAMP-SCRAM, for the authmethod of its dialect.
    std::optional<ScramCredential> scram{};
    /// TLS client certificates (authmethod "tls") that authenticate as this
    /// principal.
    std::vector<TlsCertificateMatch> tls_certificates{};
};

/// A dynamic authenticator: the router asks a WAMP procedure of the realm,
/// registered by a trusted backend session, who a client is
/// (advanced/authentication_dynamic.md leaves the API open; this is ours, close
/// to Crossbar's). The router calls `procedure(realm, authid|null, details)` where
/// details = {authmethod, authextra, session, transport: {type, protocol, peer}}:
///  - ticket: after the client's AUTHENTICATE, with details.ticket. Answer with
///    the authrole (a string) or {authrole, authid?, authextra?}.
///  - wampcra: at HELLO. Answer {secret, authrole, authid?, salt?, iterations?,
///    keylen?}; the router runs the challenge itself.
///  - cryptosign: at HELLO, details.authextra.pubkey is the client's key.
///    Answer {authrole, authid?} to accept that key (without an authid from
///    HELLO or the answer, the key's hex is the authid); the router checks the
///    signature itself.
///  - tls: at HELLO, on a connection whose TLS handshake verified a client
///    certificate (without one the method is skipped, as with no
///    authenticator): details.transport.client_certificate is {cn, subject,
///    issuer, sha256, serial} (see ClientCertificate; cn absent when the
///    subject has no single CN). Answer {authrole, authid?}; without an
///    authid in the answer, the certificate's CN is the authid (none: the
///    authentication fails). The authid argument is HELLO's, a claim the
///    backend may weigh but the router never takes on its own.
///  - wamp-scram and scram: at HELLO. Answer {authrole, authid?, kdf
///    ("argon2id13" or "pbkdf2"), salt, iterations, memory?, stored_key,
///    server_key} (the keys in base64), as `nexus-scram` prints them; the
///    router runs the exchange itself (scram_credential_from_object). An
///    ERROR answer (no such user) gets a challenge of one of nexus-scram's
///    default shapes, picked by a hash of the authid keyed with the router's
///    auth_secret (the same for an authid every time), and fails at
///    AUTHENTICATE, so that a client cannot tell which authids exist.
/// The transport's client_certificate reaches the procedure for every method
/// (when the connection has a verified one), not only for tls.
/// An ERROR answer, a malformed one, no registered procedure or no answer in
/// `timeout` all fail the authentication.
struct DynamicAuthenticatorConfig {
    std::string procedure;
    /// Of "ticket", "wampcra", "cryptosign", "wamp-scram", "scram", "tls".
    std::vector<std::string> methods;
    std::chrono::milliseconds timeout{std::chrono::seconds(5)};
};

/// The built-in authenticators over a list of principals. Each returns nullptr
/// when no principal has a credential for its method.
std::shared_ptr<Authenticator> make_ticket_authenticator(std::vector<Principal> principals);
/// An unknown authid gets a challenge shaped like a real account's (its
/// authrole, and salt, iterations and keylen when that account is salted),
/// derived from `secret` so that it is the same every time: a client cannot
/// tell which authids exist. Empty `secret`: a random one.
std::shared_ptr<Authenticator> make_wampcra_authenticator(std::vector<Principal> principals,
                                                          std::string secret = {});
std::shared_ptr<Authenticator> make_cryptosign_authenticator(std::vector<Principal> principals);
/// WAMP-SCRAM over the principals whose credential has `dialect` (method
/// "wamp-scram" or "scram"). Channel binding is refused (the router has no
/// tls-unique data in RFC 5929's form). An unknown authid gets a challenge
/// like a real account's (its kdf and costs, a salt of the same length that
/// is always the same for that authid), derived from `secret`, and fails at
/// AUTHENTICATE. Empty `secret`: a random one.
std::shared_ptr<Authenticator> make_scram_authenticator(std::vector<Principal> principals,
                                                        ScramDialect dialect,
                                                        std::string secret = {});

/// Authmethod "tls": a client whose TLS handshake verified a certificate
/// (transport::ClientCertificates, TransportInfo::client_certificate) is
/// welcomed at HELLO, without a challenge, as
///  - the principal whose tls_certificates match it, when any principal has
///    some (an entry with a fingerprint is tried before entries with a
///    common name only); a certificate that matches none is refused;
///  - otherwise, with `default_authrole` set: the authid is the
///    certificate's common name (a certificate without a single CN is
///    refused), the authrole `default_authrole`.
/// HELLO's authid is never taken: the certificate says who the client is.
/// nullptr when no principal has a certificate and `default_authrole` is empty.
std::shared_ptr<Authenticator> make_tls_authenticator(std::vector<Principal> principals,
                                                      std::string default_authrole = {});

} // namespace nexus::router
