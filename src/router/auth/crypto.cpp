#include "router/auth/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

#include "serialize/base64.hpp"

namespace nexus::router::auth {

Bytes hmac_sha256(std::string_view key, std::string_view message) {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(),
              &len))
        return {};
    out.resize(len);
    return out;
}

Bytes sha256(std::string_view message) {
    Bytes out(EVP_MAX_MD_SIZE);
    unsigned int len = 0;
    if (EVP_Digest(message.data(), message.size(), out.data(), &len, EVP_sha256(), nullptr) != 1)
        return {};
    out.resize(len);
    return out;
}

Bytes pbkdf2_sha256(std::string_view password, std::string_view salt, int iterations, int keylen) {
    if (iterations < 1 || keylen < 1 || keylen > 1024) return {};
    Bytes out(static_cast<std::size_t>(keylen));
    if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                          reinterpret_cast<const unsigned char*>(salt.data()),
                          static_cast<int>(salt.size()), iterations, EVP_sha256(), keylen,
                          out.data()) != 1)
        return {};
    return out;
}

bool ed25519_verify(const Bytes& public_key, const Bytes& signature, const Bytes& message) {
    if (public_key.size() != 32 || signature.size() != 64) return false;
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(),
                                    public_key.size()),
        &EVP_PKEY_free);
    if (!key) return false;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1)
        return false;
    return EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                            message.size()) == 1;
}

Bytes random_bytes(std::size_t n) {
    Bytes out(n);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1)
        throw std::runtime_error("RAND_bytes failed: no entropy for an authentication challenge");
    return out;
}

std::string to_hex(const Bytes& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::uint8_t b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 0xF]);
    }
    return out;
}

std::optional<Bytes> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    const auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    Bytes out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

std::string to_base64(const Bytes& bytes) {
    std::string out;
    serialize::detail::base64_append(bytes.data(), bytes.size(), out);
    return out;
}

std::optional<Bytes> from_base64(std::string_view text) {
    Bytes out;
    if (!serialize::detail::base64_decode(text, out)) return std::nullopt;
    // Canonical only: the unused bits of the last character must be zero, so
    // that one octet string has exactly one text (salts are compared as text).
    if (to_base64(out) != text) return std::nullopt;
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace nexus::router::auth
