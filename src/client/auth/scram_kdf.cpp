// WAMP-SCRAM's key derivation (advanced/authentication_scram.md, "Key
// Derivation Functions"): Argon2id 1.3 with one lane, or PBKDF2-HMAC-SHA256,
// 32 octets either way. Only clients and nexus-scram derive; routers keep
// the derived keys.
#include <argon2.h>

#include <stdexcept>

#include <nexus/client/auth.hpp>

#include "router/auth/crypto.hpp"
#include "router/auth/saslprep.hpp"
#include "router/auth/scram_math.hpp"

namespace nexus::client::auth {

namespace crypto = router::auth;

std::vector<std::uint8_t> scram_salted_password(router::ScramDialect dialect, router::ScramKdf kdf,
                                                std::string_view password, std::string_view salt,
                                                std::uint32_t iterations, std::uint32_t memory) {
    const auto salt_octets = crypto::from_base64(salt);
    if (!salt_octets) throw std::invalid_argument("scram: the salt is not canonical base64");
    std::string normalized(password);
    if (dialect == router::ScramDialect::wamp_scram) {
        // Normalize(password): the same octets whichever Unicode form the
        // user's keyboard produced.
        auto prepped = crypto::saslprep(password);
        if (!prepped) throw std::invalid_argument("scram: the password does not pass SASLprep");
        normalized = std::move(*prepped);
    }
    if (kdf == router::ScramKdf::pbkdf2) {
        if (dialect == router::ScramDialect::crossbar)
            throw std::invalid_argument("scram: the crossbar dialect has no PBKDF2");
        if (iterations == 0 || iterations > 0x7FFF'FFFFu)
            throw std::invalid_argument("scram: PBKDF2 iterations out of range");
        auto key = crypto::pbkdf2_sha256(normalized, crypto::as_text(*salt_octets),
                                         static_cast<int>(iterations), 32);
        if (key.empty()) throw std::runtime_error("scram: PBKDF2 failed");
        return key;
    }
    std::vector<std::uint8_t> hash(32);
    const int rc =
        argon2id_hash_raw(iterations, memory, 1, normalized.data(), normalized.size(),
                          salt_octets->data(), salt_octets->size(), hash.data(), hash.size());
    if (rc != ARGON2_OK)
        throw std::invalid_argument(std::string("scram: Argon2id refused: ") +
                                    argon2_error_message(rc));
    if (dialect == router::ScramDialect::wamp_scram) return hash;
    // autobahn-python keys its HMACs with the hash's text from Argon2's
    // encoded form: base64 without padding.
    std::string text = crypto::to_base64(hash);
    while (!text.empty() && text.back() == '=')
        text.pop_back();
    return {text.begin(), text.end()};
}

router::ScramCredential scram_derive_credential(std::string_view password, router::ScramKdf kdf,
                                                std::uint32_t iterations, std::uint32_t memory,
                                                router::ScramDialect dialect, std::string salt) {
    router::ScramCredential c;
    c.kdf = kdf;
    c.dialect = dialect;
    c.iterations = iterations;
    c.memory = kdf == router::ScramKdf::argon2id13 ? memory : 0;
    c.salt = salt.empty()
                 ? crypto::to_base64(crypto::random_bytes(router::scram_default_salt_octets))
                 : std::move(salt);
    if (std::string problem = router::scram_credential_problem([&] {
            // Checked before the (possibly long) derivation; the keys are
            // not known yet.
            router::ScramCredential shape = c;
            shape.stored_key.assign(32, 0);
            shape.server_key.assign(32, 0);
            return shape;
        }());
        !problem.empty())
        throw std::invalid_argument("scram: " + problem);
    const auto keys = crypto::scram::keys_of(
        scram_salted_password(dialect, kdf, password, c.salt, c.iterations, c.memory));
    c.stored_key = keys.stored_key;
    c.server_key = keys.server_key;
    return c;
}

} // namespace nexus::client::auth
