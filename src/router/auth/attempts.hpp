// The built-in challenge/response exchanges, for authenticators that find the
// principal some other way (the dynamic authenticator asks a WAMP procedure).
#pragma once

#include <memory>
#include <vector>

#include <nexus/router/auth.hpp>

namespace nexus::router {

/// WAMP-CRA against `principal`'s secret (salted if it has a salt).
std::unique_ptr<AuthAttempt> make_wampcra_attempt(Principal principal, const AuthRequest& request);
/// Cryptosign against the keys of `principals`; they are only read in start().
std::unique_ptr<AuthAttempt> make_cryptosign_attempt(const std::vector<Principal>& principals,
                                                     const AuthRequest& request);

} // namespace nexus::router
