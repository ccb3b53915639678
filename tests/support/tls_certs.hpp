// Test support for TLS: self-signed certificates made at run time with
// OpenSSL (no private key is kept in the repository), written to a
// per-process temporary directory, and what a client sees of a server's
// certificate.
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
