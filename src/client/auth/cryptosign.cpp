// WAMP-Cryptosign (advanced/authentication_cryptosign.md, CHECKLIST §13.5):
// Ed25519 through OpenSSL; keys, challenges and signatures travel as hex.
// The signature is hex(Ed25519(challenge) || challenge), 96 bytes.
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

#include <nexus/client/auth.hpp>
#include <nexus/client/transport.hpp>

namespace nexus::client {

namespace {

struct PkeyDeleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

Pkey private_key(const std::array<std::uint8_t, 32>& seed) {
    Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
    if (!key) throw std::runtime_error("Ed25519: cannot load the private key");
    return key;
}

} // namespace

CryptosignKey CryptosignKey::from_seed(std::span<const std::uint8_t, 32> seed) {
    CryptosignKey k;
    std::copy(seed.begin(), seed.end(), k.seed_.begin());
    Pkey key = private_key(k.seed_);
    std::size_t length = k.public_.size();
    if (EVP_PKEY_get_raw_public_key(key.get(), k.public_.data(), &length) != 1 || length != 32)
        throw std::runtime_error("Ed25519: cannot derive the public key");
    return k;
}

CryptosignKey CryptosignKey::from_hex(std::string_view seed_hex) {
    auto bytes = auth::from_hex(seed_hex);
    if (bytes.size() != 32)
        throw std::invalid_argument("an Ed25519 private key is 32 bytes (64 hex characters)");
    return from_seed(std::span<const std::uint8_t, 32>(bytes.data(), 32));
}

CryptosignKey CryptosignKey::generate() {
    std::array<std::uint8_t, 32> seed{};
    if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1)
        throw std::runtime_error("no randomness for a new key");
    return from_seed(seed);
}

std::string CryptosignKey::public_key_hex() const { return auth::to_hex(public_); }

std::array<std::uint8_t, 64> CryptosignKey::sign(std::span<const std::uint8_t> message) const {
    Pkey key = private_key(seed_);
    std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
    std::array<std::uint8_t, 64> signature{};
    std::size_t length = signature.size();
    // Ed25519 is a one-shot signature: no digest is configured.
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), signature.data(), &length, message.data(), message.size()) != 1 ||
        length != signature.size())
        throw std::runtime_error("Ed25519 signing failed");
    return signature;
}

namespace auth {

std::string cryptosign_sign(const CryptosignKey& key, std::string_view challenge_hex) {
    return cryptosign_sign(key, challenge_hex, {});
}

std::string cryptosign_sign(const CryptosignKey& key, std::string_view challenge_hex,
                            std::span<const std::uint8_t> channel_id) {
    auto message = from_hex(challenge_hex);
    if (message.size() != 32)
        throw std::invalid_argument("cryptosign: the challenge must be 32 bytes");
    if (!channel_id.empty()) {
        if (channel_id.size() != 32)
            throw std::invalid_argument("cryptosign: a channel id must be 32 bytes");
        for (std::size_t i = 0; i < message.size(); ++i)
            message[i] ^= channel_id[i];
    }
    const auto signature = key.sign(message);
    return to_hex(signature) + to_hex(message);
}

} // namespace auth

namespace {

class Cryptosign final : public Authenticator {
public:
    /// `channel_binding` empty: none requested.
    Cryptosign(CryptosignKey key, std::string channel_binding)
        : key_(std::move(key)), channel_binding_(std::move(channel_binding)) {}
    std::string method() const override { return "cryptosign"; }
    wamp::Object authextra() const override {
        wamp::Object extra{{"pubkey", key_.public_key_hex()}};
        if (!channel_binding_.empty()) extra.emplace("channel_binding", channel_binding_);
        return extra;
    }

    wamp::Authenticate respond(const wamp::Challenge& challenge) override {
        if (!channel_binding_.empty())
            throw std::invalid_argument("cryptosign: channel binding needs the transport");
        return answer(challenge, {});
    }

    wamp::Authenticate respond_on(const wamp::Challenge& challenge,
                                  const Transport& transport) override {
        if (channel_binding_.empty()) return answer(challenge, {});
        // The spec makes the client check that the router binds as asked: a
        // router that answers unbound may be a man in the middle relaying.
        const std::string* echoed = nullptr;
        if (auto cb = challenge.extra.find("channel_binding"); cb != challenge.extra.end())
            echoed = cb->second.if_string();
        if (!echoed || *echoed != channel_binding_)
            throw std::invalid_argument("cryptosign: the router did not confirm channel binding " +
                                        channel_binding_);
        const auto id = transport.channel_id(channel_binding_);
        if (id.size() != 32)
            throw std::invalid_argument("cryptosign: channel binding " + channel_binding_ +
                                        " needs TLS (1.3, or 1.2 with the extended master secret)");
        return answer(challenge, id);
    }

private:
    wamp::Authenticate answer(const wamp::Challenge& challenge,
                              std::span<const std::uint8_t> channel_id) const {
        if (channel_id.empty())
            if (auto cb = challenge.extra.find("channel_binding");
                cb != challenge.extra.end() && !cb->second.is_null())
                throw std::invalid_argument(
                    "cryptosign: the router asks for channel binding, which we did not request");
        auto it = challenge.extra.find("challenge");
        if (it == challenge.extra.end() || !it->second.is_string())
            throw std::invalid_argument("cryptosign: the CHALLENGE has no challenge");
        return wamp::Authenticate{auth::cryptosign_sign(key_, it->second.as_string(), channel_id),
                                  {}};
    }

    CryptosignKey key_;
    std::string channel_binding_;
};

} // namespace

std::shared_ptr<Authenticator> cryptosign_authenticator(CryptosignKey key) {
    return std::make_shared<Cryptosign>(std::move(key), std::string());
}

std::shared_ptr<Authenticator> cryptosign_authenticator(CryptosignKey key,
                                                        std::string channel_binding) {
    if (channel_binding != "tls-unique" && channel_binding != "tls-exporter")
        throw std::invalid_argument("cryptosign: unknown channel binding \"" + channel_binding +
                                    "\" (tls-unique or tls-exporter)");
    return std::make_shared<Cryptosign>(std::move(key), std::move(channel_binding));
}

} // namespace nexus::client
