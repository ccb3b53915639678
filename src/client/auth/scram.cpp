// The client side of WAMP-SCRAM (advanced/authentication_scram.md): a nonce
// in HELLO, the proof answering CHALLENGE, the router's signature checked in
// WELCOME (mutual authentication).
#include <mutex>
#include <optional>
#include <stdexcept>

#include <nexus/client/auth.hpp>
#include <nexus/client/transport.hpp>

#include "router/auth/crypto.hpp"
#include "router/auth/scram_math.hpp"

namespace nexus::client {

namespace {

namespace crypto = router::auth;
namespace scram = router::auth::scram;
using router::ScramDialect;
using router::ScramKdf;

class Scram final : public Authenticator {
public:
    Scram(std::string password, ScramOptions options)
        : password_(std::move(password)), options_(options),
          dialect_(options.crossbar_dialect ? ScramDialect::crossbar : ScramDialect::wamp_scram) {
        if (options_.channel_binding.empty()) return;
        if (dialect_ != ScramDialect::wamp_scram)
            throw std::invalid_argument("scram: the crossbar dialect has no channel binding");
        if (!scram::known_channel_binding(options_.channel_binding))
            throw std::invalid_argument("scram: unknown channel binding \"" +
                                        options_.channel_binding + "\" (tls-unique, tls-exporter)");
    }

    std::string method() const override { return std::string(router::scram_authmethod(dialect_)); }
    bool requires_challenge() const override { return true; }

    wamp::Object hello_authextra(const std::string& authid) override {
        std::lock_guard lock(mutex_);
        exchange_ = {};
        exchange_.authid = authid;
        exchange_.client_nonce = crypto::to_base64(crypto::random_bytes(16));
        server_signature_.clear();
        wamp::Object extra{{"nonce", exchange_.client_nonce}};
        if (dialect_ == ScramDialect::wamp_scram)
            extra.emplace("channel_binding", options_.channel_binding.empty()
                                                 ? wamp::Value()
                                                 : wamp::Value(options_.channel_binding));
        return extra;
    }

    wamp::Authenticate respond(const wamp::Challenge& challenge) override {
        if (!options_.channel_binding.empty())
            throw std::invalid_argument("scram: channel binding " + options_.channel_binding +
                                        " needs the transport (respond_on)");
        return answer(challenge, {});
    }

    wamp::Authenticate respond_on(const wamp::Challenge& challenge,
                                  const Transport& transport) override {
        if (options_.channel_binding.empty()) return answer(challenge, {});
        const auto id = transport.channel_id(options_.channel_binding);
        if (id.empty())
            throw std::invalid_argument("scram: channel binding " + options_.channel_binding +
                                        " needs TLS (1.3, or 1.2 with the extended master secret)");
        return answer(challenge, crypto::Bytes(id.begin(), id.end()));
    }

    // The proof for `challenge`, over `cbind_data` when bound.
    wamp::Authenticate answer(const wamp::Challenge& challenge, crypto::Bytes cbind_data) {
        std::lock_guard lock(mutex_);
        if (exchange_.client_nonce.empty())
            throw std::logic_error("scram: a CHALLENGE before the HELLO was built");
        if (exchange_.authid.empty())
            throw std::invalid_argument("scram: JoinOptions::authid is required");
        const auto text = [&](const char* key) -> const std::string& {
            auto it = challenge.extra.find(key);
            if (it == challenge.extra.end() || !it->second.is_string())
                throw std::invalid_argument(std::string("scram: the CHALLENGE has no ") + key);
            return it->second.as_string();
        };
        const auto number = [&](const char* key) -> std::optional<std::uint64_t> {
            auto it = challenge.extra.find(key);
            if (it == challenge.extra.end() || it->second.is_null()) return std::nullopt;
            auto n = it->second.to_uint();
            if (!n) throw std::invalid_argument(std::string("scram: a bad ") + key);
            return n;
        };
        exchange_.nonce = text("nonce");
        // Our nonce, extended by the router's: anything else is another
        // exchange's challenge, or a router choosing the whole nonce.
        if (exchange_.nonce.size() <= exchange_.client_nonce.size() ||
            exchange_.nonce.compare(0, exchange_.client_nonce.size(), exchange_.client_nonce) != 0)
            throw std::invalid_argument("scram: the CHALLENGE's nonce does not extend ours");
        exchange_.salt = text("salt");
        const auto kdf = scram::parse_kdf(text("kdf"));
        if (!kdf) throw std::invalid_argument("scram: the CHALLENGE names an unknown kdf");
        if (dialect_ == ScramDialect::crossbar && *kdf != ScramKdf::argon2id13)
            throw std::invalid_argument("scram: the crossbar dialect has Argon2id only");
        const std::uint64_t iterations = number("iterations").value_or(0);
        const std::uint64_t memory = number("memory").value_or(0);
        check_costs(*kdf, iterations, memory);
        exchange_.iterations = iterations;
        exchange_.channel_binding = options_.channel_binding;
        exchange_.cbind_data = std::move(cbind_data);
        const auto message = scram::auth_message(dialect_, exchange_);
        if (!message) throw std::invalid_argument("scram: the authid does not pass SASLprep");
        const auto keys = scram::keys_of(salted_password(
            *kdf, static_cast<std::uint32_t>(iterations), static_cast<std::uint32_t>(memory)));
        server_signature_ = scram::server_signature(keys.server_key, *message);
        const std::string proof = crypto::to_base64(scram::client_proof(keys, *message));
        if (dialect_ == ScramDialect::crossbar) return wamp::Authenticate{proof, {}};
        if (exchange_.channel_binding.empty())
            return wamp::Authenticate{proof,
                                      {{"nonce", exchange_.nonce},
                                       {"channel_binding", wamp::Value()},
                                       {"cbind_data", wamp::Value()}}};
        return wamp::Authenticate{proof,
                                  {{"nonce", exchange_.nonce},
                                   {"channel_binding", exchange_.channel_binding},
                                   {"cbind_data", crypto::to_base64(exchange_.cbind_data)}}};
    }

    void on_welcome(const wamp::Object& details) override {
        std::lock_guard lock(mutex_);
        const wamp::Value* sent = nullptr;
        if (auto extra = details.find("authextra");
            extra != details.end() && extra->second.is_object()) {
            const wamp::Object& o = extra->second.as_object();
            auto it =
                o.find(dialect_ == ScramDialect::crossbar ? "scram_server_signature" : "verifier");
            if (it != o.end()) sent = &it->second;
        }
        if (!sent || !sent->is_string())
            throw std::runtime_error("scram: the WELCOME carries no server signature");
        std::string_view text = sent->as_string();
        // The spec's example writes RFC 5802's "v=" before the base64; its
        // prose says base64 alone. Either is taken.
        if (text.starts_with("v=")) text.remove_prefix(2);
        const auto signature = crypto::from_base64(text);
        if (server_signature_.empty() || !signature ||
            !crypto::constant_time_equal(crypto::as_text(*signature),
                                         crypto::as_text(server_signature_)))
            throw std::runtime_error(
                "scram: the router's signature is wrong (it does not know this password)");
    }

private:
    // What the KDF gives for the exchange's salt and these costs; derived
    // only when they differ from the last ones (the same router asks the same
    // every time). The password never changes, so the cache needs no more key.
    const crypto::Bytes& salted_password(ScramKdf kdf, std::uint32_t iterations,
                                         std::uint32_t memory) {
        if (!cached_ || cached_->kdf != kdf || cached_->salt != exchange_.salt ||
            cached_->iterations != iterations || cached_->memory != memory)
            cached_ = Cached{kdf, exchange_.salt, iterations, memory,
                             auth::scram_salted_password(dialect_, kdf, password_, exchange_.salt,
                                                         iterations, memory)};
        return cached_->salted;
    }

    void check_costs(ScramKdf kdf, std::uint64_t iterations, std::uint64_t memory) const {
        const auto within = [](std::uint64_t v, std::uint32_t lo, std::uint32_t hi) {
            return v >= lo && v <= hi;
        };
        const bool ok =
            kdf == ScramKdf::pbkdf2
                ? within(iterations, options_.min_pbkdf2_iterations, options_.max_pbkdf2_iterations)
                : within(iterations, options_.min_argon2_iterations,
                         options_.max_argon2_iterations) &&
                      within(memory, options_.min_argon2_memory, options_.max_argon2_memory);
        if (!ok)
            throw std::invalid_argument(
                "scram: the CHALLENGE's costs (iterations " + std::to_string(iterations) +
                ", memory " + std::to_string(memory) + ") are outside what ScramOptions accepts");
    }

    std::string password_;
    ScramOptions options_;
    ScramDialect dialect_;
    std::mutex mutex_;
    scram::Exchange exchange_;
    crypto::Bytes server_signature_;
    struct Cached {
        ScramKdf kdf;
        std::string salt;
        std::uint32_t iterations, memory;
        crypto::Bytes salted;
    };
    std::optional<Cached> cached_;
};

} // namespace

std::shared_ptr<Authenticator> scram_authenticator(std::string password, ScramOptions options) {
    return std::make_shared<Scram>(std::move(password), options);
}

} // namespace nexus::client
