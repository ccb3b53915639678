// WAMP-CRA (advanced/authentication_cra.md, CHECKLIST §13.3): HMAC-SHA256 of
// the challenge string; salted secrets go through PBKDF2-HMAC-SHA256 first,
// and the Base64 text of the derived key is the HMAC key (as autobahn and
// the Go nexus do).
#include <stdexcept>

#include <nexus/client/auth.hpp>
#include <nexus/client/error.hpp>

#include "router/auth/crypto.hpp"

namespace nexus::client {

namespace auth {

// The primitives are the router's (src/router/auth/crypto.hpp): one audited
// path for both ends.
std::string wampcra_sign(std::string_view key, std::string_view challenge) {
    const auto mac = router::auth::hmac_sha256(key, challenge);
    if (mac.empty()) throw std::runtime_error("HMAC-SHA256 failed");
    return router::auth::to_base64(mac);
}

std::string wampcra_derive_key(std::string_view secret, std::string_view salt,
                               std::uint32_t iterations, std::uint32_t keylen) {
    if (iterations == 0 || keylen == 0 || keylen > 1024)
        throw std::invalid_argument("wampcra: iterations and keylen must be positive");
    const auto key = router::auth::pbkdf2_sha256(secret, salt, static_cast<int>(iterations),
                                                 static_cast<int>(keylen));
    if (key.empty()) throw std::runtime_error("PBKDF2 failed");
    return router::auth::to_base64(key);
}

} // namespace auth

namespace {

class WampCra final : public Authenticator {
public:
    explicit WampCra(std::string secret) : secret_(std::move(secret)) {}
    std::string method() const override { return "wampcra"; }

    wamp::Authenticate respond(const wamp::Challenge& challenge) override {
        const auto find = [&](const char* key) -> const wamp::Value* {
            auto it = challenge.extra.find(key);
            return it == challenge.extra.end() ? nullptr : &it->second;
        };
        const wamp::Value* text = find("challenge");
        if (!text || !text->is_string())
            throw std::invalid_argument("wampcra: the CHALLENGE has no challenge string");
        std::string key = secret_;
        if (const wamp::Value* salt = find("salt"); salt && salt->is_string()) {
            // The spec leaves the defaults open (CHECKLIST ⚠A21); autobahn's are these.
            const wamp::Value* iterations = find("iterations");
            const wamp::Value* keylen = find("keylen");
            const auto number = [](const wamp::Value* v, std::uint64_t fallback) {
                if (!v) return fallback;
                auto n = v->to_uint();
                if (!n || *n > 100'000'000)
                    throw std::invalid_argument("wampcra: bad iterations/keylen");
                return *n;
            };
            key = auth::wampcra_derive_key(secret_, salt->as_string(),
                                           static_cast<std::uint32_t>(number(iterations, 1000)),
                                           static_cast<std::uint32_t>(number(keylen, 32)));
        }
        return wamp::Authenticate{auth::wampcra_sign(key, text->as_string()), {}};
    }

private:
    std::string secret_;
};

class Ticket final : public Authenticator {
public:
    explicit Ticket(std::string ticket) : ticket_(std::move(ticket)) {}
    std::string method() const override { return "ticket"; }
    wamp::Authenticate respond(const wamp::Challenge&) override {
        return wamp::Authenticate{ticket_, {}};
    }

private:
    std::string ticket_;
};

} // namespace

std::shared_ptr<Authenticator> wampcra_authenticator(std::string secret) {
    return std::make_shared<WampCra>(std::move(secret));
}

std::shared_ptr<Authenticator> ticket_authenticator(std::string ticket) {
    return std::make_shared<Ticket>(std::move(ticket));
}

} // namespace nexus::client
