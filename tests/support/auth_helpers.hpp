// Test support: what a WAMP client computes to authenticate, written straight
// against OpenSSL (independently of the router's own crypto helpers).
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nexus::test {

inline std::string hex(const std::vector<std::uint8_t>& bytes) {
    static constexpr char d[] = "0123456789abcdef";
    std::string out;
    for (auto b : bytes) {
        out.push_back(d[b >> 4]);
        out.push_back(d[b & 15]);
    }
    return out;
}

inline std::vector<std::uint8_t> unhex(std::string_view h) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2)
        out.push_back(
            static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    return out;
}

inline std::string base64(const unsigned char* data, std::size_t n) {
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    const int len =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
    out.resize(static_cast<std::size_t>(len));
    return out;
}

/// WAMP-CRA signature: base64(HMAC-SHA256(key, challenge)).
inline std::string cra_sign(std::string_view key, std::string_view challenge) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(challenge.data()), challenge.size(), mac, &len);
    return base64(mac, len);
}

/// The salted WAMP-CRA key: base64(PBKDF2-HMAC-SHA256(secret, salt, iterations, keylen)).
inline std::string cra_derive_key(std::string_view secret, std::string_view salt, int iterations,
                                  int keylen) {
    std::vector<unsigned char> dk(static_cast<std::size_t>(keylen));
    PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), iterations, EVP_sha256(), keylen, dk.data());
    return base64(dk.data(), dk.size());
}

/// An Ed25519 key pair from a 32-byte seed (hex).
class Ed25519Key {
public:
    explicit Ed25519Key(std::string_view private_hex) {
        auto seed = unhex(private_hex);
        key_.reset(
            EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
    }
    std::string public_hex() const {
        std::vector<std::uint8_t> pub(32);
        std::size_t n = pub.size();
        EVP_PKEY_get_raw_public_key(key_.get(), pub.data(), &n);
        return hex(pub);
    }
    /// The cryptosign AUTHENTICATE signature: hex(sign(msg) || msg).
    std::string sign_challenge(std::string_view challenge_hex) const {
        auto msg = unhex(challenge_hex);
        std::vector<std::uint8_t> sig(64);
        std::size_t n = sig.size();
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
        EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get());
        EVP_DigestSign(ctx.get(), sig.data(), &n, msg.data(), msg.size());
        sig.insert(sig.end(), msg.begin(), msg.end());
        return hex(sig);
    }

private:
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_{nullptr, &EVP_PKEY_free};
};

} // namespace nexus::test
