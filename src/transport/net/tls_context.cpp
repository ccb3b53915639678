#include "transport/net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cctype>
#include <string>
#include <system_error>

namespace nexus::transport {

namespace asio = boost::asio;

namespace {

// TLS 1.2: forward secrecy (ECDHE) and AEAD only, the strongest of each
// first. Named one by one rather than with OpenSSL's selectors ("ECDHE+AESGCM")
// so that no PSK, anonymous or CBC suite can slip in with a library update.
constexpr const char* tls12_ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:"
                                      "ECDHE-RSA-AES128-GCM-SHA256:"
                                      "ECDHE-ECDSA-AES256-GCM-SHA384:"
                                      "ECDHE-RSA-AES256-GCM-SHA384:"
                                      "ECDHE-ECDSA-CHACHA20-POLY1305:"
                                      "ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* tls13_suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

std::string lower(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// Everything OpenSSL queued for this thread, as text; empties the queue so
// that a later, unrelated operation does not see these errors.
std::string openssl_reason() {
    std::string out;
    while (const unsigned long e = ERR_get_error()) {
        const int code = ERR_GET_REASON(e);
        // "system lib", "PEM lib" (ERR_R_<library>_LIB): only point at the
        // library whose own, more telling, error is also in the queue.
        if (!ERR_SYSTEM_ERROR(e) && (code & ERR_RFLAG_COMMON) != 0 &&
            (code & ~(ERR_RFLAG_COMMON | ERR_RFLAG_FATAL)) < 256)
            continue;
        std::string item;
        if (ERR_SYSTEM_ERROR(e)) {
            // The errno of a failed open or read ("No such file or directory").
            item = std::system_category().message(ERR_GET_REASON(e));
        } else if (const char* reason = ERR_reason_error_string(e)) {
            item = reason;
        } else {
            char buffer[256];
            ERR_error_string_n(e, buffer, sizeof buffer);
            item = buffer;
        }
        // OpenSSL often stacks the same reason at several levels, in
        // different case ("No such file or directory"; "no such file").
        if (lower(out).find(lower(item)) != std::string::npos) continue;
        out += (out.empty() ? "" : "; ") + item;
    }
    return out;
}

[[noreturn]] void fail(const std::string& what) {
    const std::string reason = openssl_reason();
    throw TlsError("TLS: " + what + (reason.empty() ? "" : ": " + reason));
}

// An encrypted key would make OpenSSL prompt for a passphrase on the
// terminal, which blocks a service; refuse it instead, noting that it was
// asked for so that the error can say why.
int no_passphrase(char*, int, int, void* asked) {
    *static_cast<bool*>(asked) = true;
    return 0;
}

// Client certificates are checked by OpenSSL during the handshake against
// the CAs of client_ca_file only (not the system's trust store: a public CA
// must not vouch for who may log in), with the "ssl_client" purpose (an
// extended key usage, when present, must allow client authentication).
void ask_for_client_certificates(SSL_CTX* ctx, const TlsServerOptions& options) {
    const std::string& ca = options.client_ca_file;
    if (ca.empty())
        throw TlsError("TLS: client certificates are asked for, but no client CA file is given");
    if (SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != 1)
        fail("cannot load the client CA file " + ca);
    // The CertificateRequest names these CAs, so that a client holding
    // several certificates can pick one that will verify.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca.c_str());
    if (!names) fail("no CA certificate in the client CA file " + ca);
    SSL_CTX_set_client_CA_list(ctx, names);
    int mode = SSL_VERIFY_PEER;
    if (options.client_certificates == ClientCertificates::require)
        mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, nullptr);
    // OpenSSL refuses to resume a session of a context that verifies peers
    // unless the context has an id; a resumed session carries the
    // certificate verified when it was made (by this context: a reload makes
    // a new one, whose cache and ticket keys are its own).
    static constexpr unsigned char session_context[] = "nexus client certificates";
    SSL_CTX_set_session_id_context(ctx, session_context, sizeof session_context - 1);
}

} // namespace

std::shared_ptr<asio::ssl::context> make_server_tls_context(const TlsServerOptions& options) {
    ERR_clear_error();
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    SSL_CTX* ctx = context->native_handle();
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
        fail("cannot require TLS 1.2 or later");
    SSL_CTX_set_options(ctx, SSL_OP_ALL | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1) fail("cannot set the TLS 1.2 ciphers");
    if (SSL_CTX_set_ciphersuites(ctx, tls13_suites) != 1) fail("cannot set the TLS 1.3 suites");

    const std::string& cert = options.certificate_file;
    const bool key_apart = !options.private_key_file.empty();
    const std::string& key = key_apart ? options.private_key_file : options.certificate_file;
    if (cert.empty()) throw TlsError("TLS: no certificate file given");
    // asio::ssl::context deletes a non-null callback userdata as its own
    // type when destroyed, so ours is set only while the files are read.
    bool passphrase_asked = false;
    SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, &passphrase_asked);
    const bool chain_loaded = SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) == 1;
    // OpenSSL checks a key against the certificate already loaded, so a
    // mismatch fails here ("key values mismatch").
    const bool key_loaded =
        chain_loaded && SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) == 1;
    SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
    if (!chain_loaded) fail("cannot load the certificate chain from " + cert);
    if (!key_loaded) {
        if (passphrase_asked) ERR_clear_error(); // decryption noise; the reason is ours
        fail("cannot load the private key from " + key +
             (key_apart ? " (for the certificate in " + cert + ")"
                        : " (no key file given, so the key must be in the certificate file)") +
             (passphrase_asked ? ": the key is encrypted, and a service cannot be asked for its "
                                 "passphrase; store it unencrypted, readable by this service only"
                               : ""));
    }
    if (SSL_CTX_check_private_key(ctx) != 1)
        fail("the private key in " + key + " does not match the certificate in " + cert);
    if (options.client_certificates != ClientCertificates::none)
        ask_for_client_certificates(ctx, options);
    return context;
}

} // namespace nexus::transport
