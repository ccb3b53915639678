#include "client/transport/tls.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

#include <nexus/client/error.hpp>

namespace nexus::client::detail {

namespace asio = boost::asio;

std::shared_ptr<asio::ssl::context> make_tls_context(const TlsOptions& options) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    boost::system::error_code ec;
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                         asio::ssl::context::no_tlsv1_1,
                     ec);
    const auto fail = [&](const std::string& what) {
        throw TransportError("TLS: " + what + ": " + ec.message());
    };
    if (ec) fail("cannot set the protocol versions");
    if (options.ca_file.empty())
        ctx->set_default_verify_paths(ec);
    else
        ctx->load_verify_file(options.ca_file, ec);
    if (ec) fail(options.ca_file.empty() ? "no default trust store" : "CA file " + options.ca_file);
    if (!options.certificate_file.empty()) {
        ctx->use_certificate_chain_file(options.certificate_file, ec);
        if (ec) fail("certificate file " + options.certificate_file);
        const std::string& key =
            options.private_key_file.empty() ? options.certificate_file : options.private_key_file;
        ctx->use_private_key_file(key, asio::ssl::context::pem, ec);
        if (ec) fail("private key file " + key);
    }
    ctx->set_verify_mode(options.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none);
    return ctx;
}

void prepare_tls_client(SSL* ssl, const TlsOptions& options, const std::string& url_host) {
    const std::string& name = options.server_name.empty() ? url_host : options.server_name;
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(name, ec);
    const bool is_ip = !ec;
    // SNI carries host names only (RFC 6066).
    if (!is_ip) SSL_set_tlsext_host_name(ssl, name.c_str());
    if (!options.verify_peer) return;
    // OpenSSL checks the name during the handshake, as part of verification.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, ip.to_string().c_str())
                         : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    if (ok != 1) throw TransportError("TLS: cannot verify against the name \"" + name + "\"");
}

std::string describe_error(const boost::system::error_code& ec) {
    if (ec.category() == asio::error::get_ssl_category()) return "TLS: " + ec.message();
    return ec.message();
}

} // namespace nexus::client::detail
