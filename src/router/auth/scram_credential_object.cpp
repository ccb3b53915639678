// A WAMP-SCRAM credential as an object: the one format nexus-scram prints,
// nexusd's configuration reads and the dynamic authenticator's procedure
// answers, so that the three cannot drift apart.
#include <nexus/router/auth.hpp>

#include "router/auth/crypto.hpp"
#include "router/auth/scram_math.hpp"

namespace nexus::router {

wamp::Object scram_credential_to_object(const ScramCredential& c) {
    // The spec's spelling of the KDF in either dialect: the crossbar
    // spelling ("argon2id-13") is only what its CHALLENGE carries.
    wamp::Object o{
        {"authmethod", std::string(scram_authmethod(c.dialect))},
        {"kdf", std::string(auth::scram::kdf_name(c.kdf, ScramDialect::wamp_scram))},
        {"salt", c.salt},
        {"iterations", static_cast<std::uint64_t>(c.iterations)},
    };
    if (c.kdf == ScramKdf::argon2id13) o.emplace("memory", static_cast<std::uint64_t>(c.memory));
    o.emplace("stored_key", auth::to_base64(c.stored_key));
    o.emplace("server_key", auth::to_base64(c.server_key));
    return o;
}

std::variant<ScramCredential, ScramCredentialProblem>
scram_credential_from_object(const wamp::Object& o, std::optional<ScramDialect> dialect) {
    const auto text = [&](const char* key) -> const std::string* {
        auto it = o.find(key);
        return it == o.end() ? nullptr : it->second.if_string();
    };
    ScramCredential c;
    if (dialect) {
        c.dialect = *dialect;
    } else if (auto it = o.find("authmethod"); it != o.end()) {
        const std::string* method = it->second.if_string();
        if (method && *method == scram_authmethod(ScramDialect::crossbar))
            c.dialect = ScramDialect::crossbar;
        else if (!method || *method != scram_authmethod(ScramDialect::wamp_scram))
            return ScramCredentialProblem{
                "authmethod", "\"wamp-scram\" (the spec) or \"scram\" (autobahn-python's draft)"};
    }
    const std::string* kdf = text("kdf");
    auto parsed = kdf ? auth::scram::parse_kdf(*kdf) : std::nullopt;
    if (!parsed) return ScramCredentialProblem{"kdf", "\"argon2id13\" or \"pbkdf2\""};
    c.kdf = *parsed;
    const std::string* salt = text("salt");
    if (!salt) return ScramCredentialProblem{"salt", "the salt in base64 (a string)"};
    c.salt = *salt;
    for (auto [key, out] : {std::pair{"iterations", &c.iterations}, std::pair{"memory", &c.memory}})
        if (auto it = o.find(key); it != o.end() && !it->second.is_null()) {
            auto n = it->second.to_uint();
            if (!n || *n > 0xFFFF'FFFFu)
                return ScramCredentialProblem{key, "an integer from 0 to 4294967295"};
            *out = static_cast<std::uint32_t>(*n);
        }
    for (auto [key, out] :
         {std::pair{"stored_key", &c.stored_key}, std::pair{"server_key", &c.server_key}}) {
        const std::string* value = text(key);
        auto bytes = value ? auth::from_base64(*value) : std::nullopt;
        if (!bytes || bytes->size() != 32)
            return ScramCredentialProblem{key, "32 octets in base64 (nexus-scram prints them)"};
        *out = std::move(*bytes);
    }
    // scram_credential_problem says "key: what is wrong".
    if (std::string problem = scram_credential_problem(c); !problem.empty()) {
        const auto colon = problem.find(':');
        return ScramCredentialProblem{problem.substr(0, colon),
                                      "a valid value (" + problem.substr(colon + 2) + ")"};
    }
    return c;
}

} // namespace nexus::router
