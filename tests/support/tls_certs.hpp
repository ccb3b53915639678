// Test support for TLS: self-signed certificates, and CAs with client
// certificates signed by them, made at run time with OpenSSL (no private
// key is kept in the repository), written to a per-process temporary
// directory, and what a client sees of a server's certificate.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nexus::test {

struct TestCert {
    std::string certificate;   // PEM
    std::string key;           // PEM, unencrypted
    std::string encrypted_key; // the same key, PEM, AES-encrypted with "secret"
};

namespace tls_detail {

inline std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

} // namespace tls_detail

/// A P-256 certificate, self-signed, for "localhost" and 127.0.0.1, valid for
/// an hour, with the given common name and serial number.
inline TestCert make_test_cert(const std::string& common_name, long serial) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    if (!key || !cert) throw std::runtime_error("cannot make a test key");
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    X509_sign(cert, key, EVP_sha256());
    BIO* c = BIO_new(BIO_s_mem());
    BIO* k = BIO_new(BIO_s_mem());
    BIO* e = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(c, cert);
    PEM_write_bio_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
    static char passphrase[] = "secret";
    PEM_write_bio_PrivateKey(e, key, EVP_aes_128_cbc(), nullptr, 0, nullptr, passphrase);
    TestCert out{tls_detail::bio_text(c), tls_detail::bio_text(k), tls_detail::bio_text(e)};
    BIO_free(c);
    BIO_free(k);
    BIO_free(e);
    X509_free(cert);
    EVP_PKEY_free(key);
    return out;
}

namespace tls_detail {

inline X509* read_cert(const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!cert) throw std::runtime_error("not a PEM certificate");
    return cert;
}

inline EVP_PKEY* read_key(const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!key) throw std::runtime_error("not a PEM private key");
    return key;
}

inline void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext) throw std::runtime_error("cannot make a certificate extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// A P-256 certificate valid for an hour whose subject has one CN per entry of
// `common_names`: a CA (self-signed) when `ca` is null, else a certificate
// signed by it for `usage` (an extended key usage).
inline TestCert issue(const std::vector<std::string>& common_names, long serial, const TestCert* ca,
                      const char* usage = "clientAuth") {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    if (!key || !cert) throw std::runtime_error("cannot make a test key");
    X509_set_version(cert, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("nexus tests"), -1, -1, 0);
    for (const std::string& cn : common_names)
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509* issuer = ca ? read_cert(ca->certificate) : cert;
    EVP_PKEY* signer = ca ? read_key(ca->key) : key;
    X509_set_issuer_name(cert, X509_get_subject_name(issuer));
    if (ca) {
        add_extension(cert, issuer, NID_basic_constraints, "critical,CA:FALSE");
        add_extension(cert, issuer, NID_key_usage, "critical,digitalSignature");
        add_extension(cert, issuer, NID_ext_key_usage, usage);
    } else {
        add_extension(cert, issuer, NID_basic_constraints, "critical,CA:TRUE");
        add_extension(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    add_extension(cert, issuer, NID_subject_key_identifier, "hash");
    X509_sign(cert, signer, EVP_sha256());
    BIO* c = BIO_new(BIO_s_mem());
    BIO* k = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(c, cert);
    PEM_write_bio_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
    TestCert out{bio_text(c), bio_text(k), {}};
    BIO_free(c);
    BIO_free(k);
    if (ca) {
        X509_free(issuer);
        EVP_PKEY_free(signer);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return out;
}

} // namespace tls_detail

/// A certificate authority for client certificates: self-signed, P-256,
/// valid for an hour, subject "CN=<name>,O=nexus tests".
inline TestCert make_test_ca(const std::string& name) {
    return tls_detail::issue({name}, 1, nullptr);
}

/// A client certificate (extended key usage clientAuth) signed by `ca`, valid
/// for an hour, with one subject CN per entry of `common_names` (none, or
/// several, for tests of names that identify nobody).
inline TestCert make_client_cert(const TestCert& ca, const std::vector<std::string>& common_names,
                                 long serial) {
    return tls_detail::issue(common_names, serial, &ca);
}

/// Signed by `ca` like a client certificate, but for servers only (extended
/// key usage serverAuth).
inline TestCert make_server_only_cert(const TestCert& ca, const std::string& common_name,
                                      long serial) {
    return tls_detail::issue({common_name}, serial, &ca, "serverAuth");
}

/// The SHA-256 fingerprint of a PEM certificate as `openssl x509
/// -fingerprint -sha256` prints it ("AB:CD:...").
inline std::string cert_fingerprint(const std::string& pem) {
    X509* cert = tls_detail::read_cert(pem);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    X509_digest(cert, EVP_sha256(), digest, &length);
    X509_free(cert);
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        if (i) out += ':';
        out += digits[digest[i] >> 4];
        out += digits[digest[i] & 0xf];
    }
    return out;
}

/// A directory of its own under /tmp, removed with everything in it.
class TempDir {
public:
    TempDir() {
        static int counter = 0;
        path_ = std::filesystem::temp_directory_path() /
                ("nexus-tls-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    /// Writes `content` to `name` in the directory (replacing it whole:
    /// written aside, then renamed, as a certificate tool would) and returns
    /// the file's path.
    std::string write(const std::string& name, const std::string& content) const {
        const auto file = path_ / name;
        const auto aside = path_ / (name + ".new");
        std::ofstream(aside, std::ios::binary | std::ios::trunc) << content;
        std::filesystem::rename(aside, file);
        return file.string();
    }
    std::string path(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

/// The serial number and common name of a certificate.
inline long cert_serial(X509* cert) { return ASN1_INTEGER_get(X509_get0_serialNumber(cert)); }
inline std::string cert_common_name(X509* cert) {
    char buffer[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer, sizeof buffer);
    return buffer;
}

} // namespace nexus::test
