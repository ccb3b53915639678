// TLS for the router's listeners (wss://, and tcps:// RawSocket over TCP).
#pragma once

#include <stdexcept>
#include <string>

namespace nexus::transport {

/// A certificate or key that cannot be used; the message names the file and
/// OpenSSL's reason (never the file's contents).
class TlsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Whether a listener asks its clients for a certificate (authmethod "tls").
enum class ClientCertificates {
    /// None is asked for.
    none,
    /// Asked for: a client may send none, but one it sends must verify
    /// against the client CA file, or the TLS handshake fails.
    request,
    /// Required: a client without a certificate that verifies fails the TLS
    /// handshake.
    require,
};

/// Server-side TLS. The protocol settings are fixed, not options, because
/// every one of them is what a router should do anyway: TLS 1.2 or later;
/// for TLS 1.2 only ECDHE key exchange with AEAD ciphers (AES-GCM,
/// ChaCha20-Poly1305), for TLS 1.3 its standard suites; the server's cipher
/// preference; no compression; no renegotiation.
struct TlsServerOptions {
    /// PEM file with the certificate chain, the router's own certificate
    /// first, then the intermediates. Empty = TLS off.
    std::string certificate_file;
    /// PEM file with the unencrypted private key; empty = the key is in
    /// certificate_file.
    std::string private_key_file{};
    /// Client certificates: with request or require, a certificate a client
    /// sends must chain to a CA of client_ca_file (PEM, one or more CA
    /// certificates), and the verified certificate reaches the router in
    /// TransportInfo::client_certificate. Reloaded with the certificate.
    ClientCertificates client_certificates = ClientCertificates::none;
    std::string client_ca_file{};

    bool enabled() const { return !certificate_file.empty(); }
};

} // namespace nexus::transport
