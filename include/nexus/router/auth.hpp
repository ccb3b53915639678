// Authentication: how a HELLO becomes a WELCOME (spec advanced/authentication*.md).
//
// A realm has one Authenticator per method ("ticket", "wampcra", "cryptosign",
// or your own). The router picks the first method in the client's
// HELLO.Details.authmethods that the realm offers, asks that authenticator to
// begin() an attempt, and drives it:
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

struct Principal {
    std::string authid;
    std::string authrole;
    /// Ticket authentication: the ticket the client must present.
    std::optional<std::string> ticket;
    /// WAMP-CRA.
    std::optional<CraSecret> wampcra;
    /// Cryptosign: Ed25519 public keys (64 hex characters each) the client may use.
    std::vector<std::string> cryptosign_keys;
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
/// An ERROR answer, a malformed one, no registered procedure or no answer in
/// `timeout` all fail the authentication.
struct DynamicAuthenticatorConfig {
    std::string procedure;
    std::vector<std::string> methods; // of "ticket", "wampcra", "cryptosign"
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

} // namespace nexus::router
