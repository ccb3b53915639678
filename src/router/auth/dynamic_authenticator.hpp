// The dynamic authenticator (see DynamicAuthenticatorConfig in auth.hpp).
#pragma once

#include <functional>
#include <memory>

#include <nexus/router/auth.hpp>
#include <nexus/wamp/message.hpp>

namespace nexus::router {

/// Calls `procedure` with positional `args` as the router; `done` gets the
/// RESULT or ERROR (an ERROR also on timeout or when nobody registered it).
using ProcedureCaller = std::function<void(const std::string& procedure, wamp::Array args,
                                           std::chrono::milliseconds timeout,
                                           std::function<void(const wamp::Message&)> done)>;

/// `secret` keys the decoy challenges of unknown WAMP-SCRAM authids (random
/// when empty).
std::shared_ptr<Authenticator> make_dynamic_authenticator(std::string method,
                                                          DynamicAuthenticatorConfig config,
                                                          ProcedureCaller call,
                                                          std::string secret = {});

} // namespace nexus::router
