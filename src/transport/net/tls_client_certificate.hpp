// What the router learns of a TLS client certificate (authmethod "tls").
#pragma once

#include <optional>

#include <nexus/router/peer.hpp>

using SSL = struct ssl_st;

namespace nexus::transport {

/// The client's certificate after a finished server-side handshake, only
/// when one was sent and OpenSSL verified it against the client CA file
/// (a fresh handshake, or the session it resumed); nullopt otherwise.
std::optional<router::ClientCertificate> verified_client_certificate(SSL* ssl);

} // namespace nexus::transport
