#include "router/auth/dynamic_authenticator.hpp"

#include "router/auth/attempts.hpp"
#include "router/auth/crypto.hpp"
#include "router/auth/scram_math.hpp"

namespace nexus::router {

namespace {

using wamp::Object;
using wamp::Value;

// The backend's answer as a principal, or the reason it is not one.
struct Answer {
    std::optional<Principal> principal;
    std::string error;
    /// The backend itself answered ERROR (it knows no such principal), as
    /// opposed to no answer, no procedure, or an answer that makes no sense.
    bool refused = false;
};

const std::string* string_field(const Object& o, std::string_view key) {
    auto it = o.find(key);
    return it == o.end() ? nullptr : it->second.if_string();
}

std::optional<ScramDialect> scram_dialect_of(std::string_view method) {
    if (method == scram_authmethod(ScramDialect::wamp_scram)) return ScramDialect::wamp_scram;
    if (method == scram_authmethod(ScramDialect::crossbar)) return ScramDialect::crossbar;
    return std::nullopt;
}

Answer read_answer(const wamp::Message& m, const std::string& procedure, std::string_view method,
                   const std::string& hello_authid) {
    if (auto* e = std::get_if<wamp::Error>(&m)) {
        // What the router's own call produces when nobody answered.
        const bool unanswered = e->error == "wamp.error.no_such_procedure" ||
                                e->error == "wamp.error.no_available_callee" ||
                                e->error == "wamp.error.timeout" ||
                                e->error == "wamp.error.canceled";
        // The URI and, when the backend gave one, its message: the log says
        // why (the client only ever sees wamp.error.authentication_failed).
        std::string why = procedure + " answered ERROR " + e->error;
        if (auto args = e->payload.args(); !args.empty() && args[0].if_string())
            why += " (" + *args[0].if_string() + ")";
        return {std::nullopt, std::move(why), !unanswered};
    }
    const auto& result = std::get<wamp::Result>(m);
    const wamp::Array args = result.payload.args();
    Principal p;
    p.authid = hello_authid;
    if (!args.empty() && args[0].if_string()) {
        p.authrole = *args[0].if_string();
    } else if (!args.empty() && args[0].is_object()) {
        const Object& o = args[0].as_object();
        const std::string* role = string_field(o, "authrole");
        if (!role) role = string_field(o, "role");
        if (role) p.authrole = *role;
        if (const std::string* id = string_field(o, "authid")) p.authid = *id;
        if (const std::string* secret = string_field(o, "secret")) {
            CraSecret cra;
            cra.secret = *secret;
            if (const std::string* salt = string_field(o, "salt")) cra.salt = *salt;
            for (auto [key, out] :
                 {std::pair{"iterations", &cra.iterations}, std::pair{"keylen", &cra.keylen}})
                if (auto it = o.find(key); it != o.end()) {
                    auto n = it->second.to_uint();
                    if (!n || *n < 1 || *n > 10'000'000)
                        return {std::nullopt, procedure + " answered a bad " + key};
                    *out = static_cast<int>(*n);
                }
            p.wampcra = std::move(cra);
        }
        if (auto dialect = scram_dialect_of(method)) {
            auto scram = scram_credential_from_object(o, *dialect);
            if (auto* problem = std::get_if<ScramCredentialProblem>(&scram))
                return {std::nullopt, procedure + " answered a bad credential: " + problem->key +
                                          ": expected " + problem->expected};
            p.scram = std::get<ScramCredential>(std::move(scram));
        }
    }
    if (p.authrole.empty())
        return {std::nullopt, procedure + " answered neither an authrole nor {authrole, ...}"};
    if (scram_dialect_of(method) && !p.scram)
        return {std::nullopt,
                procedure + " answered no {kdf, salt, ...} credential for " + std::string(method)};
    if (p.authid.empty()) return {std::nullopt, procedure + " answered no authid"};
    return {std::move(p), {}};
}

// What the backend learns of the transport; the HTTP request only when the
// WebSocket server was told to capture it (WebSocketOptions::capture_request).
Value transport_value(const TransportInfo& t) {
    wamp::Object v{{"type", t.type}, {"protocol", t.protocol}, {"peer", t.peer}};
    for (const char* key : {"http_headers_received", "http_path"})
        if (auto it = t.extra.find(key); it != t.extra.end()) v.insert_or_assign(key, it->second);
    if (const auto& cert = t.client_certificate) {
        wamp::Object c{{"subject", cert->subject},
                       {"issuer", cert->issuer},
                       {"sha256", cert->sha256},
                       {"serial", cert->serial}};
        if (!cert->common_name.empty()) c.emplace("cn", cert->common_name);
        v.emplace("client_certificate", Value(std::move(c)));
    }
    return Value(std::move(v));
}

// The shape (kdf, costs, salt length) of an unknown authid's WAMP-SCRAM
// challenge: one of nexus-scram's defaults, picked by a keyed hash of the
// authid. It depends on nothing else: not on the accounts the backend has
// served (a shape learnt from the last login would tell about other accounts
// and would change between two attempts for the same authid).
ScramCredential decoy_shape(ScramDialect dialect, const std::string& authid,
                            const std::string& secret) {
    ScramCredential shape;
    shape.dialect = dialect;
    shape.salt = auth::to_base64(auth::Bytes(scram_default_salt_octets));
    shape.kdf = ScramKdf::argon2id13;
    shape.iterations = scram_default_argon2_iterations;
    shape.memory = scram_default_argon2_memory;
    // The crossbar dialect has Argon2id only.
    if (dialect == ScramDialect::wamp_scram &&
        auth::hmac_sha256(secret, "scram decoy shape\n" + authid)[0] & 1) {
        shape.kdf = ScramKdf::pbkdf2;
        shape.iterations = scram_default_pbkdf2_iterations;
        shape.memory = 0;
    }
    return shape;
}

class DynamicAttempt final : public AuthAttempt {
public:
    DynamicAttempt(std::string method, const DynamicAuthenticatorConfig& config,
                   ProcedureCaller call, const AuthRequest& request, std::string secret)
        : shared_(std::make_shared<Shared>()) {
        shared_->method = std::move(method);
        shared_->config = config;
        shared_->call = std::move(call);
        shared_->request = request;
        shared_->secret = std::move(secret);
    }

    void start(AuthReply reply) override {
        if (shared_->method == "ticket") return reply(Challenge{});
        if (shared_->method == "tls") return start_tls(std::move(reply));
        if (auto dialect = scram_dialect_of(shared_->method)) return start_scram(*dialect, reply);
        if (shared_->method == "cryptosign") {
            auto it = shared_->request.authextra.find("pubkey");
            if (it == shared_->request.authextra.end() || !it->second.if_string())
                return reply(Rejection{"cryptosign: HELLO.authextra.pubkey missing"});
        }
        // wampcra and cryptosign: ask who this is, then run the exchange.
        ask({}, [shared = shared_, reply](Answer answer) mutable {
            if (!answer.principal) return reply(Rejection{answer.error});
            Principal& p = *answer.principal;
            if (shared->method == "wampcra") {
                if (!p.wampcra)
                    return reply(
                        Rejection{shared->config.procedure + " answered no secret for wampcra"});
                shared->inner = make_wampcra_attempt(std::move(p), shared->request);
            } else {
                p.cryptosign_keys = {*shared->request.authextra.at("pubkey").if_string()};
                shared->principals = {std::move(p)};
                AuthRequest request = shared->request;
                request.authid = shared->principals[0].authid;
                shared->inner = make_cryptosign_attempt(shared->principals, request);
            }
            shared->inner->start(std::move(reply));
        });
    }

    void respond(const std::string& signature, const Object& extra, AuthReply reply) override {
        if (shared_->method != "ticket") {
            if (!shared_->inner) return reply(Rejection{"no exchange in progress"});
            if (shared_->refusal.empty())
                return shared_->inner->respond(signature, extra, std::move(reply));
            // A decoy: its rejection also says what the backend answered.
            return shared_->inner->respond(signature, extra,
                                           [reply, refusal = shared_->refusal](AuthStep step) {
                                               if (auto* r = std::get_if<Rejection>(&step))
                                                   r->log_reason += " (" + refusal + ")";
                                               reply(std::move(step));
                                           });
        }
        ask({{"ticket", signature}}, [shared = shared_, reply](Answer answer) {
            if (!answer.principal) return reply(Rejection{answer.error});
            Identity id;
            id.authid = answer.principal->authid;
            id.authrole = answer.principal->authrole;
            id.authprovider = "dynamic";
            reply(std::move(id));
        });
    }

private:
    struct Shared {
        std::string method;
        DynamicAuthenticatorConfig config;
        ProcedureCaller call;
        AuthRequest request;
        std::unique_ptr<AuthAttempt> inner;
        std::vector<Principal> principals;
        std::string secret;
        /// Why the backend knows no such principal, for a decoy's rejection.
        std::string refusal;
    };

    // The certificate was verified in the handshake: the backend's answer is
    // the whole decision, and no exchange follows.
    void start_tls(AuthReply reply) {
        if (!shared_->request.transport.client_certificate)
            return reply(Rejection{"tls: the connection has no verified certificate"});
        ask({}, [shared = shared_, reply](Answer answer) {
            if (!answer.principal) return reply(Rejection{answer.error});
            Identity id;
            id.authid = answer.principal->authid;
            id.authrole = answer.principal->authrole;
            id.authprovider = "dynamic";
            reply(std::move(id));
        });
    }

    void start_scram(ScramDialect dialect, AuthReply reply) {
        if (shared_->request.authid.empty())
            return reply(Rejection{shared_->method + ": HELLO carries no authid"});
        ask({}, [shared = shared_, dialect, reply](Answer answer) mutable {
            if (answer.principal) {
                const Principal& p = *answer.principal;
                Identity who;
                who.authid = p.authid;
                who.authrole = p.authrole;
                who.authprovider = "dynamic";
                shared->inner =
                    make_scram_attempt(dialect, std::move(who), *p.scram, shared->request);
            } else if (answer.refused) {
                // No such principal: challenge like any other and fail at
                // AUTHENTICATE, or the answer's timing and shape would tell.
                shared->refusal = answer.error;
                shared->inner = make_scram_attempt(
                    dialect, std::nullopt,
                    scram_decoy_credential(
                        decoy_shape(dialect, shared->request.authid, shared->secret),
                        shared->request.authid, shared->secret),
                    shared->request);
            } else {
                return reply(Rejection{answer.error});
            }
            shared->inner->start(std::move(reply));
        });
    }

    void ask(Object extra_details, std::function<void(Answer)> then) {
        const AuthRequest& r = shared_->request;
        // Cryptosign may come without an authid: the key names the client then.
        std::string authid = r.authid;
        if (authid.empty() && shared_->method == "cryptosign")
            authid = *r.authextra.at("pubkey").if_string();
        // The certificate names the client, never HELLO (a claim).
        if (shared_->method == "tls") authid = r.transport.client_certificate->common_name;
        Object details{{"authmethod", shared_->method},
                       {"authextra", Value(r.authextra)},
                       {"session", r.session},
                       {"transport", transport_value(r.transport)}};
        for (auto& [k, v] : extra_details)
            details.insert_or_assign(k, std::move(v));
        shared_->call(shared_->config.procedure,
                      wamp::Array{Value(r.realm), r.authid.empty() ? Value() : Value(r.authid),
                                  Value(std::move(details))},
                      shared_->config.timeout,
                      [procedure = shared_->config.procedure, method = shared_->method, authid,
                       then = std::move(then)](const wamp::Message& m) {
                          then(read_answer(m, procedure, method, authid));
                      });
    }

    std::shared_ptr<Shared> shared_;
};

class DynamicAuthenticator final : public Authenticator {
public:
    DynamicAuthenticator(std::string method, DynamicAuthenticatorConfig config,
                         ProcedureCaller call, std::string secret)
        : method_(std::move(method)), config_(std::move(config)), call_(std::move(call)),
          secret_(secret.empty() ? auth::to_base64(auth::random_bytes(32)) : std::move(secret)) {}
    std::string_view method() const override { return method_; }
    std::unique_ptr<AuthAttempt> begin(const AuthRequest& request) override {
        return std::make_unique<DynamicAttempt>(method_, config_, call_, request, secret_);
    }

private:
    std::string method_;
    DynamicAuthenticatorConfig config_;
    ProcedureCaller call_;
    std::string secret_;
};

} // namespace

std::shared_ptr<Authenticator> make_dynamic_authenticator(std::string method,
                                                          DynamicAuthenticatorConfig config,
                                                          ProcedureCaller call,
                                                          std::string secret) {
    return std::make_shared<DynamicAuthenticator>(std::move(method), std::move(config),
                                                  std::move(call), std::move(secret));
}

} // namespace nexus::router
