// WAMP-SCRAM (advanced/authentication_scram.md) over stored credentials:
// HELLO (client-first) -> CHALLENGE (server-first) -> AUTHENTICATE
// (client-final) -> WELCOME with the server's signature (server-final).
//
// The router keeps salt, costs, StoredKey and ServerKey only, and never runs
// the key derivation: checking a proof is two HMACs and a hash, the same work
// for every authid, known or not.
#include <algorithm>

#include <nexus/router/auth.hpp>

#include "router/auth/attempts.hpp"
#include "router/auth/crypto.hpp"
#include "router/auth/scram_math.hpp"

namespace nexus::router {

namespace {

using auth::Bytes;
namespace scram = auth::scram;

// A nonce of the client's longer than this is refused: it is copied into
// every message of the exchange.
constexpr std::size_t max_client_nonce = 256;

std::string label(ScramDialect dialect) { return std::string(scram_authmethod(dialect)) + ": "; }

const wamp::Value* find(const wamp::Object& o, std::string_view key) {
    auto it = o.find(key);
    return it == o.end() ? nullptr : &it->second;
}

// Absent and null both mean "none", as the spec's IfNull() reads them.
bool absent_or_null(const wamp::Object& o, std::string_view key) {
    const wamp::Value* v = find(o, key);
    return !v || v->is_null();
}

class ScramAttempt final : public AuthAttempt {
public:
    ScramAttempt(ScramDialect dialect, std::optional<Identity> who, ScramCredential shown,
                 const AuthRequest& request, std::string server_nonce)
        : dialect_(dialect), who_(std::move(who)), shown_(std::move(shown)), request_(request),
          server_nonce_(std::move(server_nonce)) {}

    void start(AuthReply reply) override {
        if (request_.authid.empty())
            return reply(Rejection{label(dialect_) + "HELLO carries no authid"});
        const wamp::Value* nonce = find(request_.authextra, "nonce");
        const std::string* client_nonce = nonce ? nonce->if_string() : nullptr;
        if (!client_nonce || client_nonce->empty() || client_nonce->size() > max_client_nonce ||
            !auth::from_base64(*client_nonce))
            return reply(Rejection{label(dialect_) +
                                   "HELLO.authextra.nonce is missing or not canonical base64"});
        // A binding asked for is done or refused, never silently left out.
        // autobahn-python's draft sends "" for none and has no binding.
        if (const wamp::Value* binding = find(request_.authextra, "channel_binding");
            binding && !binding->is_null() &&
            !(dialect_ == ScramDialect::crossbar && binding->if_string() &&
              binding->if_string()->empty())) {
            const std::string* type = binding->if_string();
            if (dialect_ != ScramDialect::wamp_scram || !type ||
                !scram::known_channel_binding(*type))
                return reply(Rejection{label(dialect_) + "channel binding " +
                                       (type ? "\"" + *type + "\"" : std::string("of that kind")) +
                                       " is not supported (tls-unique, tls-exporter are)"});
            auto id = request_.transport.channel_ids.find(*type);
            if (id == request_.transport.channel_ids.end())
                return reply(Rejection{label(dialect_) + "channel binding " + *type +
                                       " needs a TLS connection (TLS 1.3, or 1.2 with the "
                                       "extended master secret)"});
            exchange_.channel_binding = *type;
            exchange_.cbind_data = Bytes(id->second.begin(), id->second.end());
        }
        exchange_.authid = request_.authid;
        exchange_.client_nonce = *client_nonce;
        if (server_nonce_.empty()) server_nonce_ = auth::to_base64(auth::random_bytes(16));
        exchange_.nonce = *client_nonce + server_nonce_;
        exchange_.salt = shown_.salt;
        exchange_.iterations = shown_.iterations;
        auto message = scram::auth_message(dialect_, exchange_);
        if (!message)
            return reply(Rejection{label(dialect_) + "the authid does not pass SASLprep"});
        // Only ClientFinalNoProof's nonce is still to come, and it must be ours.
        auth_message_ = std::move(*message);
        wamp::Object extra{
            {"nonce", exchange_.nonce},
            {"salt", shown_.salt},
            {"kdf", std::string(scram::kdf_name(shown_.kdf, dialect_))},
            {"iterations", static_cast<std::uint64_t>(shown_.iterations)},
        };
        if (shown_.kdf == ScramKdf::argon2id13)
            extra.emplace("memory", static_cast<std::uint64_t>(shown_.memory));
        else if (dialect_ == ScramDialect::wamp_scram)
            extra.emplace("memory", wamp::Value()); // as the spec's example shows it
        reply(Challenge{std::move(extra)});
    }

    void respond(const std::string& signature, const wamp::Object& extra,
                 AuthReply reply) override {
        if (auth_message_.empty()) return reply(Rejection{label(dialect_) + "no challenge sent"});
        if (dialect_ == ScramDialect::wamp_scram) {
            const wamp::Value* nonce = find(extra, "nonce");
            if (!nonce || !nonce->if_string() || *nonce->if_string() != exchange_.nonce)
                return reply(Rejection{label(dialect_) +
                                       "AUTHENTICATE.nonce is not the nonce of the CHALLENGE"});
            if (exchange_.channel_binding.empty()) {
                if (!absent_or_null(extra, "channel_binding") ||
                    !absent_or_null(extra, "cbind_data"))
                    return reply(Rejection{label(dialect_) +
                                           "AUTHENTICATE names a channel binding HELLO did not"});
            } else {
                const wamp::Value* type = find(extra, "channel_binding");
                if (!type || !type->if_string() || *type->if_string() != exchange_.channel_binding)
                    return reply(Rejection{label(dialect_) +
                                           "AUTHENTICATE.channel_binding is not HELLO's " +
                                           exchange_.channel_binding});
                // Data of another connection: the exchange is being relayed.
                const wamp::Value* data = find(extra, "cbind_data");
                const auto bytes = data && data->if_string() ? auth::from_base64(*data->if_string())
                                                             : std::nullopt;
                if (!bytes || !auth::constant_time_equal(auth::as_text(*bytes),
                                                         auth::as_text(exchange_.cbind_data)))
                    return reply(Rejection{label(dialect_) +
                                           "AUTHENTICATE.cbind_data is not this "
                                           "connection's " +
                                           exchange_.channel_binding + " data"});
            }
        }
        const Bytes proof = auth::from_base64(signature).value_or(Bytes{});
        // Checked against the decoy's keys too, so that an unknown authid
        // costs the same as a wrong password.
        const bool valid = scram::proof_valid(shown_.stored_key, auth_message_, proof);
        if (!who_)
            return reply(Rejection{label(dialect_) + "unknown authid \"" + request_.authid + "\""});
        if (!valid)
            return reply(Rejection{label(dialect_) + "wrong proof from \"" + request_.authid +
                                   "\" (wrong password, or a replayed AUTHENTICATE)"});
        const std::string verifier =
            auth::to_base64(scram::server_signature(shown_.server_key, auth_message_));
        Identity id = *who_;
        id.authmethod = std::string(scram_authmethod(dialect_));
        // The spec's example writes RFC 5802's verifier production ("v=" base64);
        // autobahn-python reads plain base64 under its own key.
        if (dialect_ == ScramDialect::wamp_scram)
            id.authextra.insert_or_assign("verifier", "v=" + verifier);
        else
            id.authextra.insert_or_assign("scram_server_signature", verifier);
        reply(std::move(id));
    }

private:
    ScramDialect dialect_;
    std::optional<Identity> who_;
    ScramCredential shown_;
    AuthRequest request_;
    std::string server_nonce_;
    scram::Exchange exchange_;
    std::string auth_message_;
};

const Principal* find_principal(const std::vector<Principal>& principals, std::string_view authid) {
    auto it = std::find_if(principals.begin(), principals.end(),
                           [&](const Principal& p) { return p.authid == authid; });
    return it == principals.end() ? nullptr : &*it;
}

class StaticScramAuthenticator final : public Authenticator {
public:
    StaticScramAuthenticator(std::vector<Principal> principals, ScramDialect dialect,
                             std::string secret)
        : principals_(std::move(principals)), dialect_(dialect), secret_(std::move(secret)) {}

    std::string_view method() const override { return scram_authmethod(dialect_); }

    std::unique_ptr<AuthAttempt> begin(const AuthRequest& request) override {
        if (const Principal* p = find_principal(principals_, request.authid)) {
            Identity who;
            who.authid = p->authid;
            who.authrole = p->authrole;
            who.authprovider = "static";
            return make_scram_attempt(dialect_, std::move(who), *p->scram, request);
        }
        // Shaped like a real account picked by a keyed hash of the authid, so
        // that the same authid always meets the same one.
        const Bytes h = auth::hmac_sha256(secret_, "scram model\n" + request.authid);
        std::uint64_t pick = 0;
        for (std::size_t i = 0; i < 8; ++i)
            pick = (pick << 8) | h[i];
        const ScramCredential& model = *principals_[pick % principals_.size()].scram;
        return make_scram_attempt(dialect_, std::nullopt,
                                  scram_decoy_credential(model, request.authid, secret_), request);
    }

private:
    std::vector<Principal> principals_;
    ScramDialect dialect_;
    std::string secret_;
};

} // namespace

std::string_view scram_authmethod(ScramDialect dialect) {
    return dialect == ScramDialect::crossbar ? "scram" : "wamp-scram";
}

std::string scram_credential_problem(const ScramCredential& c) {
    const auto salt = auth::from_base64(c.salt);
    if (!salt) return "salt: not canonical base64";
    if (salt->size() < 8 || salt->size() > 1024) return "salt: not 8 to 1024 octets";
    if (c.stored_key.size() != 32) return "stored_key: not 32 octets";
    if (c.server_key.size() != 32) return "server_key: not 32 octets";
    if (c.kdf == ScramKdf::pbkdf2) {
        if (c.dialect == ScramDialect::crossbar)
            return "kdf: the \"scram\" authmethod (autobahn-python's draft) takes argon2id13 only";
        if (c.iterations < 1 || c.iterations > 100'000'000) return "iterations: not 1 to 100000000";
        if (c.memory != 0) return "memory: PBKDF2 has no memory cost";
    } else {
        if (c.iterations < 1 || c.iterations > 100'000) return "iterations: not 1 to 100000";
        // libargon2's bounds for one lane, and 4 GiB.
        if (c.memory < 8 || c.memory > 4u * 1024 * 1024) return "memory: not 8 to 4194304 KiB";
    }
    return {};
}

ScramCredential scram_decoy_credential(const ScramCredential& model, const std::string& authid,
                                       const std::string& secret) {
    ScramCredential decoy = model;
    const std::size_t length = auth::from_base64(model.salt).value_or(Bytes(16)).size();
    Bytes salt;
    for (std::uint32_t round = 0; salt.size() < length; ++round) {
        const Bytes block =
            auth::hmac_sha256(secret, "scram salt\n" + std::to_string(round) + "\n" + authid);
        salt.insert(salt.end(), block.begin(), block.end());
    }
    salt.resize(length);
    decoy.salt = auth::to_base64(salt);
    // Keys no password produces: every proof fails against them.
    decoy.stored_key = auth::random_bytes(32);
    decoy.server_key = auth::random_bytes(32);
    return decoy;
}

std::unique_ptr<AuthAttempt> make_scram_attempt(ScramDialect dialect, std::optional<Identity> who,
                                                ScramCredential shown, const AuthRequest& request,
                                                std::string server_nonce) {
    return std::make_unique<ScramAttempt>(dialect, std::move(who), std::move(shown), request,
                                          std::move(server_nonce));
}

std::shared_ptr<Authenticator> make_scram_authenticator(std::vector<Principal> principals,
                                                        ScramDialect dialect, std::string secret) {
    std::erase_if(principals,
                  [&](const Principal& p) { return !p.scram || p.scram->dialect != dialect; });
    if (principals.empty()) return nullptr;
    if (secret.empty()) secret = auth::to_base64(auth::random_bytes(32));
    return std::make_shared<StaticScramAuthenticator>(std::move(principals), dialect,
                                                      std::move(secret));
}

} // namespace nexus::router
