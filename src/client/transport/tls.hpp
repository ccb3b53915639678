// TLS for the client transports (wss://, tcps://) on Asio's OpenSSL binding.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include <nexus/client/transport.hpp>

namespace nexus::client::detail {

/// A client context: TLS 1.2+, the trust store and client certificate of
/// `options`. Throws TransportError naming the file that could not be used.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsOptions& options);

/// Per connection: SNI and the name (or IP address) the certificate must carry.
void prepare_tls_client(SSL* ssl, const TlsOptions& options, const std::string& url_host);

/// An error's message; for TLS failures, with OpenSSL's reason.
std::string describe_error(const boost::system::error_code& ec);

} // namespace nexus::client::detail
