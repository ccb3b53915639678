#include "router/auth/scram_math.hpp"

#include "router/auth/saslprep.hpp"

namespace nexus::router::auth::scram {

Keys keys_of(const Bytes& salted_password) {
    Keys keys;
    keys.client_key = hmac_sha256(as_text(salted_password), "Client Key");
    keys.stored_key = sha256(as_text(keys.client_key));
    keys.server_key = hmac_sha256(as_text(salted_password), "Server Key");
    return keys;
}

std::string escape(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (char c : name) {
        if (c == ',')
            out += "=2C";
        else if (c == '=')
            out += "=3D";
        else
            out.push_back(c);
    }
    return out;
}

bool known_channel_binding(std::string_view type) {
    return type == "tls-unique" || type == "tls-exporter";
}

std::optional<std::string> auth_message(ScramDialect dialect, const Exchange& e) {
    const std::string server_first =
        "r=" + e.nonce + ",s=" + e.salt + ",i=" + std::to_string(e.iterations);
    if (dialect == ScramDialect::wamp_scram) {
        std::string cbind_input = e.channel_binding.empty() ? "n" : "p=" + e.channel_binding;
        cbind_input += ",,";
        cbind_input.append(as_text(e.cbind_data));
        return "n=" + escape(e.authid) + ",r=" + e.client_nonce + "," + server_first +
               ",c=" + to_base64(Bytes(cbind_input.begin(), cbind_input.end())) + ",r=" + e.nonce;
    }
    // The draft autobahn-python implements: the authid normalized but not
    // escaped, and the channel binding attribute left empty.
    auto name = saslprep(e.authid);
    if (!name) return std::nullopt;
    return "n=" + *name + ",r=" + e.client_nonce + "," + server_first + ",c=,r=" + e.nonce;
}

namespace {

Bytes xor_of(const Bytes& a, const Bytes& b) {
    Bytes out(a.size());
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
        out[i] = a[i] ^ b[i];
    return out;
}

} // namespace

Bytes client_proof(const Keys& keys, std::string_view auth_message) {
    return xor_of(keys.client_key, hmac_sha256(as_text(keys.stored_key), auth_message));
}

bool proof_valid(const Bytes& stored_key, std::string_view auth_message, const Bytes& proof) {
    const Bytes signature = hmac_sha256(as_text(stored_key), auth_message);
    // A proof of another length is hashed all the same (and fails below), so
    // that a malformed proof takes no less time than a wrong one.
    Bytes recovered = xor_of(signature, proof);
    const Bytes recovered_stored = sha256(as_text(recovered));
    return proof.size() == signature.size() &&
           constant_time_equal(as_text(recovered_stored), as_text(stored_key));
}

Bytes server_signature(const Bytes& server_key, std::string_view auth_message) {
    return hmac_sha256(as_text(server_key), auth_message);
}

std::string_view kdf_name(ScramKdf kdf, ScramDialect dialect) {
    if (kdf == ScramKdf::pbkdf2) return "pbkdf2";
    return dialect == ScramDialect::crossbar ? "argon2id-13" : "argon2id13";
}

std::optional<ScramKdf> parse_kdf(std::string_view name) {
    if (name == "argon2id13" || name == "argon2id-13") return ScramKdf::argon2id13;
    if (name == "pbkdf2") return ScramKdf::pbkdf2;
    return std::nullopt;
}

} // namespace nexus::router::auth::scram
