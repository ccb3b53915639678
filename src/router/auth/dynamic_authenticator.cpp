#include "router/auth/dynamic_authenticator.hpp"

#include <mutex>

#include "router/auth/attempts.hpp"

namespace nexus::router {

namespace {

using wamp::Object;
using wamp::Value;

// The backend's answer as a principal, or the reason it is not one.
struct Answer {
    std::optional<Principal> principal;
    std::string error;
};

const std::string* string_field(const Object& o, std::string_view key) {
    auto it = o.find(key);
    return it == o.end() ? nullptr : it->second.if_string();
}

Answer read_answer(const wamp::Message& m, const std::string& procedure,
                   const std::string& hello_authid) {
    if (auto* e = std::get_if<wamp::Error>(&m))
        return {std::nullopt, procedure + " answered " + e->error};
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
    }
    if (p.authrole.empty())
        return {std::nullopt, procedure + " answered neither an authrole nor {authrole, ...}"};
    if (p.authid.empty()) return {std::nullopt, procedure + " answered no authid"};
    return {std::move(p), {}};
}

// What the backend learns of the transport; the HTTP request only when the
// WebSocket server was told to capture it (WebSocketOptions::capture_request).
Value transport_value(const TransportInfo& t) {
    wamp::Object v{{"type", t.type}, {"protocol", t.protocol}, {"peer", t.peer}};
    for (const char* key : {"http_headers_received", "http_path"})
        if (auto it = t.extra.find(key); it != t.extra.end()) v.insert_or_assign(key, it->second);
    return Value(std::move(v));
}

class DynamicAttempt final : public AuthAttempt {
public:
    DynamicAttempt(std::string method, const DynamicAuthenticatorConfig& config,
                   ProcedureCaller call, const AuthRequest& request)
        : shared_(std::make_shared<Shared>()) {
        shared_->method = std::move(method);
        shared_->config = config;
        shared_->call = std::move(call);
        shared_->request = request;
    }

    void start(AuthReply reply) override {
        if (shared_->method == "ticket") return reply(Challenge{});
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
            return shared_->inner->respond(signature, extra, std::move(reply));
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
    };

    void ask(Object extra_details, std::function<void(Answer)> then) {
        const AuthRequest& r = shared_->request;
        // Cryptosign may come without an authid: the key names the client then.
        std::string authid = r.authid;
        if (authid.empty() && shared_->method == "cryptosign")
            authid = *r.authextra.at("pubkey").if_string();
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
                      [procedure = shared_->config.procedure, authid, then = std::move(then)](
                          const wamp::Message& m) { then(read_answer(m, procedure, authid)); });
    }

    std::shared_ptr<Shared> shared_;
};

class DynamicAuthenticator final : public Authenticator {
public:
    DynamicAuthenticator(std::string method, DynamicAuthenticatorConfig config,
                         ProcedureCaller call)
        : method_(std::move(method)), config_(std::move(config)), call_(std::move(call)) {}
    std::string_view method() const override { return method_; }
    std::unique_ptr<AuthAttempt> begin(const AuthRequest& request) override {
        return std::make_unique<DynamicAttempt>(method_, config_, call_, request);
    }

private:
    std::string method_;
    DynamicAuthenticatorConfig config_;
    ProcedureCaller call_;
};

} // namespace

std::shared_ptr<Authenticator> make_dynamic_authenticator(std::string method,
                                                          DynamicAuthenticatorConfig config,
                                                          ProcedureCaller call) {
    return std::make_shared<DynamicAuthenticator>(std::move(method), std::move(config),
                                                  std::move(call));
}

} // namespace nexus::router
