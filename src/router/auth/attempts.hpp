// The built-in challenge/response exchanges, for authenticators that find the
// principal some other way (the dynamic authenticator asks a WAMP procedure).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nexus/router/auth.hpp>

namespace nexus::router {

/// WAMP-CRA against `principal`'s secret (salted if it has a salt).
std::unique_ptr<AuthAttempt> make_wampcra_attempt(Principal principal, const AuthRequest& request);
/// Cryptosign against the keys of `principals`; they are only read in start().
std::unique_ptr<AuthAttempt> make_cryptosign_attempt(const std::vector<Principal>& principals,
                                                     const AuthRequest& request);

/// WAMP-SCRAM against `shown`. `who` is whom a valid proof authenticates;
/// nullopt for an unknown authid, whose `shown` is a decoy (every proof
/// fails). `server_nonce`: the router's half of the nonce, random when empty
/// (tests fix it to replay a published exchange).
std::unique_ptr<AuthAttempt> make_scram_attempt(ScramDialect dialect, std::optional<Identity> who,
                                                ScramCredential shown, const AuthRequest& request,
                                                std::string server_nonce = {});
/// A credential shaped like `model` (kdf, costs, salt length) for an authid
/// that has none: its salt comes from `secret` and `authid` (the same every
/// time), its keys match no password.
ScramCredential scram_decoy_credential(const ScramCredential& model, const std::string& authid,
                                       const std::string& secret);

} // namespace nexus::router
