// Test support: the client's side of WAMP-SCRAM written straight against
// OpenSSL (independently of src/router/auth/scram_math), and vectors computed
// outside this project:
//  - RFC 7677 section 3 (SCRAM-SHA-256, PBKDF2): its proof and server
//    signature are the ones the spec's examples show
//    (advanced/authentication_scram.md, AUTHENTICATE and WELCOME);
//  - Argon2id (the spec has no vector): computed with Debian's python3-argon2
//    (argon2-cffi) and hashlib, and for autobahn-python's draft ("scram") with
//    autobahn.wamp.auth.AuthScram itself. The script:
//      from argon2.low_level import hash_secret_raw, Type
//      raw = hash_secret_raw(b"pencil", b"scram-test-salt!", time_cost=2,
//                            memory_cost=1024, parallelism=1, hash_len=32,
//                            type=Type.ID, version=19)
//      # then ClientKey/StoredKey/ServerKey/proof as in RFC 5802 with the
//      # nonces below; AuthScram(authid="user", password="pencil") with
//      # _client_nonce = client nonce, challenge {nonce, kdf: "argon2id-13",
//      # salt, iterations: 2, memory: 1024}.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "support/auth_helpers.hpp"

namespace nexus::test::scram {

using Bytes = std::vector<std::uint8_t>;

inline std::string b64(const Bytes& b) { return base64(b.data(), b.size()); }

inline Bytes unb64(std::string_view text) {
    Bytes out(text.size() / 4 * 3 + 3);
    const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n < 0) return {};
    std::size_t size = static_cast<std::size_t>(n);
    for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it)
        --size; // EVP_DecodeBlock counts the padding's zero octets
    out.resize(size);
    return out;
}

inline Bytes hmac(const Bytes& key, std::string_view message) {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &len);
    out.resize(len);
    return out;
}

inline Bytes sha256(const Bytes& data) {
    Bytes out(32);
    EVP_Digest(data.data(), data.size(), out.data(), nullptr, EVP_sha256(), nullptr);
    return out;
}

inline Bytes pbkdf2(std::string_view password, const Bytes& salt, int iterations) {
    Bytes out(32);
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                      static_cast<int>(salt.size()), iterations, EVP_sha256(), 32, out.data());
    return out;
}

inline Bytes text_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

/// The client's computations for one exchange, from the SaltedPassword.
struct Client {
    Bytes salted_password;

    Bytes client_key() const { return hmac(salted_password, "Client Key"); }
    Bytes stored_key() const { return sha256(client_key()); }
    Bytes server_key() const { return hmac(salted_password, "Server Key"); }

    std::string proof(std::string_view auth_message) const {
        Bytes p = client_key();
        const Bytes signature = hmac(stored_key(), auth_message);
        for (std::size_t i = 0; i < p.size(); ++i)
            p[i] ^= signature[i];
        return b64(p);
    }
    std::string server_signature(std::string_view auth_message) const {
        return b64(hmac(server_key(), auth_message));
    }
};

/// The spec's AuthMessage; without channel binding c=biws (base64 of "n,,"),
/// with one c=base64("p=" type ",," data).
inline std::string auth_message(std::string_view authid, std::string_view client_nonce,
                                std::string_view nonce, std::string_view salt, int iterations,
                                std::string_view binding = {}, const Bytes& cbind_data = {}) {
    Bytes cbind_input = text_bytes(binding.empty() ? "n,," : "p=" + std::string(binding) + ",,");
    cbind_input.insert(cbind_input.end(), cbind_data.begin(), cbind_data.end());
    return "n=" + std::string(authid) + ",r=" + std::string(client_nonce) +
           ",r=" + std::string(nonce) + ",s=" + std::string(salt) +
           ",i=" + std::to_string(iterations) + ",c=" + b64(cbind_input) +
           ",r=" + std::string(nonce);
}

/// autobahn-python's draft: "c=" empty.
inline std::string crossbar_auth_message(std::string_view authid, std::string_view client_nonce,
                                         std::string_view nonce, std::string_view salt,
                                         int iterations) {
    return "n=" + std::string(authid) + ",r=" + std::string(client_nonce) +
           ",r=" + std::string(nonce) + ",s=" + std::string(salt) +
           ",i=" + std::to_string(iterations) + ",c=,r=" + std::string(nonce);
}

// RFC 7677 section 3.
namespace rfc7677 {
inline constexpr std::string_view password = "pencil";
inline constexpr std::string_view salt = "W22ZaJ0SNY7soEsUEjb6gQ==";
inline constexpr int iterations = 4096;
inline constexpr std::string_view client_nonce = "rOprNGfwEbeRWgbNEkqO";
inline constexpr std::string_view server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
inline constexpr std::string_view proof = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
inline constexpr std::string_view server_signature = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
inline constexpr std::string_view stored_key = "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=";
inline constexpr std::string_view server_key = "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
} // namespace rfc7677

// Argon2id, t=2, m=1024 KiB, p=1, of "pencil" with salt "scram-test-salt!".
namespace argon2 {
inline constexpr std::string_view password = "pencil";
inline constexpr std::string_view salt = "c2NyYW0tdGVzdC1zYWx0IQ==";
inline constexpr int iterations = 2;
inline constexpr int memory = 1024;
inline constexpr std::string_view salted_password_hex =
    "2c6a0ed808d8a3c93d2d64b77634f18ed504550bd9e35ef0f035509c99b41990";
inline constexpr std::string_view stored_key = "b4XOLhdppEvK0yaACjczSyRjmZZzbFteioodzPM5MOE=";
inline constexpr std::string_view server_key = "IyuIpns/0ZmTySGsxXps5w1dIgOj0EfBMes8rnCT5O4=";
inline constexpr std::string_view client_nonce = "Y2xpZW50LW5vbmNlLTEyMw==";
inline constexpr std::string_view server_nonce = "c2VydmVyLW5vbmNlLTQ1Ng==";
// authid "user", the spec's dialect.
inline constexpr std::string_view proof = "89Quj3i8LQ0oTsVG+S2B/mR/E1uRdQYblrRIvhNpwys=";
inline constexpr std::string_view server_signature = "VWljEZeqHCrN9rrG4zWV6Tavdo9oegbCU8ZfhlOh+Kc=";
} // namespace argon2

// The same Argon2id hash in autobahn-python's draft: SaltedPassword is the
// hash's unpadded base64 text; values from AuthScram itself.
namespace crossbar {
inline constexpr std::string_view salted_password = "LGoO2AjYo8k9LWS3djTxjtUEVQvZ417w8DVQnJm0GZA";
inline constexpr std::string_view stored_key = "yVDztGgeAjrDWr3/SCXelhtYxj+HvFf7fpmJvW3AKbg=";
inline constexpr std::string_view server_key = "uA1NRcdg9JpKmsmAIPFy8zTZdRnU8vnpmVy8awGHORI=";
inline constexpr std::string_view proof = "77OLNVKZFdFbYuO2RxETCdw+fcXRrNEUvTrLDrM09Eg=";
inline constexpr std::string_view server_signature = "NW2JQRvtq5/FTwkZ6wtJWMk3T7OTxk1zIXYI2xjL14k=";
} // namespace crossbar

} // namespace nexus::test::scram
