#include "transport/net/tls_client_certificate.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace nexus::transport {
namespace {

template <auto Free> struct Deleter {
    template <class T> void operator()(T* p) const { Free(p); }
};

std::string rfc2253(const X509_NAME* name) {
    std::unique_ptr<BIO, Deleter<BIO_free>> bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

// The subject's CN when there is exactly one; several would leave the choice
// of identity to whoever made the certificate's name.
std::string only_common_name(const X509_NAME* name) {
    const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, index) >= 0) return {};
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char* utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, value);
    if (length < 0) return {};
    std::string cn(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(length));
    OPENSSL_free(utf8);
    // An embedded NUL would make the name compare equal to a shorter one in
    // C string code (a classic certificate trick): no CN then.
    if (cn.find('\0') != std::string::npos) return {};
    return cn;
}

std::string hex(const unsigned char* bytes, unsigned int length) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 0xf];
    }
    return out;
}

std::string serial_hex(const X509* cert) {
    std::unique_ptr<BIGNUM, Deleter<BN_free>> n(
        ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
    if (!n) return {};
    char* text = BN_bn2hex(n.get());
    if (!text) return {};
    std::string out(text);
    OPENSSL_free(text);
    return out;
}

} // namespace

std::optional<router::ClientCertificate> verified_client_certificate(SSL* ssl) {
    if (!ssl || !SSL_is_init_finished(ssl)) return std::nullopt;
    X509* cert = SSL_get0_peer_certificate(ssl);
    // Only what OpenSSL verified: with SSL_VERIFY_PEER a certificate that
    // fails verification ends the handshake, and this is checked again so
    // that a context set up differently can never let one through.
    if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
    router::ClientCertificate out;
    out.common_name = only_common_name(X509_get_subject_name(cert));
    out.subject = rfc2253(X509_get_subject_name(cert));
    out.issuer = rfc2253(X509_get_issuer_name(cert));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (X509_digest(cert, EVP_sha256(), digest, &length) != 1 || length != 32) return std::nullopt;
    out.sha256 = hex(digest, length);
    out.serial = serial_hex(cert);
    return out;
}

} // namespace nexus::transport
