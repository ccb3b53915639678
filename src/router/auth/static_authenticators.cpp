// The built-in authenticators over statically configured principals:
// ticket (advanced/authentication_ticket.md), WAMP-CRA with optional salted
// secrets (authentication_cra.md) and WAMP-Cryptosign (authentication_cryptosign.md).
//
// An unknown authid is not refused at HELLO: it gets a challenge like anyone
// and fails at AUTHENTICATE, so probing cannot tell which authids exist.
#include <algorithm>

#include <nexus/router/auth.hpp>
#include <nexus/serialize/serializer.hpp>

#include "router/auth/attempts.hpp"
#include "router/auth/crypto.hpp"
#include "router/timestamp.hpp"

namespace nexus::router {

namespace {

using auth::Bytes;

const Principal* find_principal(const std::vector<Principal>& principals, std::string_view authid) {
    auto it = std::find_if(principals.begin(), principals.end(),
                           [&](const Principal& p) { return p.authid == authid; });
    return it == principals.end() ? nullptr : &*it;
}

Identity identity_of(const Principal& p, std::string_view method) {
    Identity id;
    id.authid = p.authid;
    id.authrole = p.authrole;
    id.authmethod = std::string(method);
    id.authprovider = "static";
    return id;
}

// --- ticket ------------------------------------------------------------------

std::optional<Principal> copy_of(const Principal* p) {
    return p ? std::optional<Principal>(*p) : std::nullopt;
}

class TicketAttempt final : public AuthAttempt {
public:
    TicketAttempt(std::optional<Principal> principal, std::string authid)
        : principal_(std::move(principal)), authid_(std::move(authid)) {}

    void start(AuthReply reply) override { reply(Challenge{}); }

    void respond(const std::string& signature, const wamp::Object&, AuthReply reply) override {
        if (!principal_ || !principal_->ticket)
            return reply(Rejection{"ticket: unknown authid \"" + authid_ + "\""});
        if (!auth::constant_time_equal(signature, *principal_->ticket))
            return reply(Rejection{"ticket: wrong ticket for \"" + authid_ + "\""});
        reply(identity_of(*principal_, "ticket"));
    }

private:
    std::optional<Principal> principal_;
    std::string authid_;
};

// --- WAMP-CRA ----------------------------------------------------------------

std::string json_text(const wamp::Value& value) {
    std::string out;
    // Encoding a string/int object cannot fail.
    (void)serialize::encode_value_into(wamp::Format::json, value, out);
    return out;
}

// What an unknown authid's challenge looks like: the shape of a real account
// picked by a keyed hash of the authid, with a salt derived the same way, so
// that the same authid always gets the same one and none differs in kind from
// a real account's.
Principal decoy_principal(const std::vector<Principal>& all, const std::string& authid,
                          const std::string& secret) {
    const Bytes h = auth::hmac_sha256(secret, "wampcra decoy\n" + authid);
    std::uint64_t pick = 0;
    for (std::size_t i = 0; i < 8; ++i)
        pick = (pick << 8) | h[i];
    const Principal& model = all[pick % all.size()];
    Principal decoy;
    decoy.authrole = model.authrole;
    if (model.wampcra && model.wampcra->salt) {
        CraSecret cra = *model.wampcra;
        const std::size_t length = cra.salt->size();
        std::string salt;
        for (std::uint32_t round = 0; salt.size() < length; ++round)
            salt += auth::to_base64(auth::hmac_sha256(
                secret, "wampcra salt\n" + std::to_string(round) + "\n" + authid));
        std::erase_if(salt, [](char c) { return c == '=' || c == '+' || c == '/'; });
        while (salt.size() < length)
            salt += salt;
        salt.resize(length);
        cra.salt = std::move(salt);
        cra.secret.clear();
        decoy.wampcra = std::move(cra);
    }
    return decoy;
}

class CraAttempt final : public AuthAttempt {
public:
    /// `decoy`: what to show when `principal` is unknown.
    CraAttempt(std::optional<Principal> principal, const AuthRequest& request,
               std::optional<Principal> decoy = std::nullopt)
        : principal_(std::move(principal)), decoy_(std::move(decoy)), request_(request) {}

    void start(AuthReply reply) override {
        const Principal* shown = principal_ ? &*principal_ : decoy_ ? &*decoy_ : nullptr;
        // The challenge is a JSON object serialised to a string; `session`
        // must equal the id WELCOME will carry (authentication_cra.md).
        challenge_ = json_text(wamp::Value{{"authid", request_.authid},
                                           {"authrole", shown ? shown->authrole : "user"},
                                           {"authmethod", "wampcra"},
                                           {"authprovider", "static"},
                                           {"nonce", auth::to_base64(auth::random_bytes(24))},
                                           {"timestamp", format_timestamp(now_ms())},
                                           {"session", request_.session}});
        wamp::Object extra{{"challenge", challenge_}};
        if (shown && shown->wampcra && shown->wampcra->salt) {
            const CraSecret& s = *shown->wampcra;
            extra.emplace("salt", *s.salt);
            extra.emplace("iterations", static_cast<std::int64_t>(s.iterations));
            extra.emplace("keylen", static_cast<std::int64_t>(s.keylen));
        }
        reply(Challenge{std::move(extra)});
    }

    void respond(const std::string& signature, const wamp::Object&, AuthReply reply) override {
        if (!principal_ || !principal_->wampcra)
            return reply(Rejection{"wampcra: unknown authid \"" + request_.authid + "\""});
        const CraSecret& s = *principal_->wampcra;
        std::string key = s.secret;
        if (s.salt) {
            // The HMAC key is the base64 text of the PBKDF2-derived key.
            key = auth::to_base64(auth::pbkdf2_sha256(s.secret, *s.salt, s.iterations, s.keylen));
        }
        const std::string expected = auth::to_base64(auth::hmac_sha256(key, challenge_));
        if (!auth::constant_time_equal(signature, expected))
            return reply(Rejection{"wampcra: wrong signature from \"" + request_.authid + "\""});
        reply(identity_of(*principal_, "wampcra"));
    }

private:
    std::optional<Principal> principal_;
    std::optional<Principal> decoy_;
    AuthRequest request_;
    std::string challenge_;
};

// --- Cryptosign --------------------------------------------------------------

class CryptosignAttempt final : public AuthAttempt {
public:
    CryptosignAttempt(const std::vector<Principal>& principals, const AuthRequest& request)
        : principals_(&principals), request_(request) {}

    void start(AuthReply reply) override {
        wamp::Value binding; // null: not asked for
        if (auto it = request_.authextra.find("channel_binding"); it != request_.authextra.end())
            binding = it->second;
        if (!binding.is_null()) {
            const std::string* type = binding.if_string();
            if (!type || (*type != "tls-unique" && *type != "tls-exporter"))
                return reply(Rejection{"cryptosign: unsupported channel binding requested"});
            auto id = request_.transport.channel_ids.find(*type);
            // Without TLS (or with TLS 1.2 lacking the extended master secret)
            // there is no channel to bind to; going on unbound would silently
            // weaken what the client asked for.
            if (id == request_.transport.channel_ids.end() || id->second.size() != 32)
                return reply(Rejection{"cryptosign: channel binding " + *type +
                                       " requested, not available on this transport"});
            channel_id_ = id->second;
        }
        const std::string* pubkey = nullptr;
        if (auto it = request_.authextra.find("pubkey"); it != request_.authextra.end())
            pubkey = it->second.if_string();
        if (!pubkey) return reply(Rejection{"cryptosign: HELLO.authextra.pubkey missing"});
        pubkey_ = lower(*pubkey);
        principal_ = copy_of(owner_of_key());
        principals_ = nullptr; // not used past start(): the attempt may outlive them
        challenge_ = auth::random_bytes(32);
        // What the client signs: the challenge, XORed with the channel id
        // when bound (so the signature is worthless on any other connection).
        signed_ = challenge_;
        for (std::size_t i = 0; i < channel_id_.size(); ++i)
            signed_[i] ^= channel_id_[i];
        reply(Challenge{wamp::Object{{"challenge", auth::to_hex(challenge_)},
                                     {"channel_binding", std::move(binding)}}});
    }

    void respond(const std::string& signature, const wamp::Object&, AuthReply reply) override {
        const Principal* principal = principal_ ? &*principal_ : nullptr;
        if (!principal)
            return reply(Rejection{"cryptosign: public key not known for authid \"" +
                                   request_.authid + "\""});
        // hex(signature[64] || signed message[32]); the signed message must be
        // *our* challenge, or a signature captured elsewhere could be replayed.
        auto bytes = auth::from_hex(signature);
        if (!bytes || bytes->size() != 96)
            return reply(Rejection{"cryptosign: signature is not 96 bytes of hex"});
        const Bytes sig(bytes->begin(), bytes->begin() + 64);
        const Bytes signed_message(bytes->begin() + 64, bytes->end());
        if (signed_message != signed_)
            return reply(Rejection{channel_id_.empty()
                                       ? "cryptosign: signed message is not the challenge sent"
                                       : "cryptosign: signed message is not the challenge sent "
                                         "bound to this TLS channel"});
        auto key = auth::from_hex(pubkey_);
        if (!key || !auth::ed25519_verify(*key, sig, signed_))
            return reply(Rejection{"cryptosign: bad signature for \"" + principal->authid + "\""});
        Identity id = identity_of(*principal, "cryptosign");
        id.authextra = wamp::Object{{"pubkey", pubkey_}};
        reply(std::move(id));
    }

private:
    // The principal that owns the presented key; with an authid in HELLO it
    // must be that principal's key (spec: authid optional for cryptosign).
    const Principal* owner_of_key() const {
        for (const Principal& p : *principals_) {
            if (!request_.authid.empty() && p.authid != request_.authid) continue;
            for (const std::string& k : p.cryptosign_keys)
                if (lower(k) == pubkey_) return &p;
        }
        return nullptr;
    }

    static std::string lower(std::string s) {
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return s;
    }

    const std::vector<Principal>* principals_;
    AuthRequest request_;
    std::string pubkey_;
    std::optional<Principal> principal_;
    Bytes challenge_;
    Bytes channel_id_; // empty: no channel binding
    Bytes signed_;     // the 32 bytes the client must sign
};

// --- the authenticators --------------------------------------------------------

template <class Make> class StaticAuthenticator final : public Authenticator {
public:
    StaticAuthenticator(std::string_view method, std::vector<Principal> principals, Make make)
        : method_(method), principals_(std::move(principals)), make_(std::move(make)) {}
    std::string_view method() const override { return method_; }
    std::unique_ptr<AuthAttempt> begin(const AuthRequest& request) override {
        return make_(principals_, request);
    }

private:
    std::string_view method_;
    std::vector<Principal> principals_;
    Make make_;
};

template <class Has, class Make>
std::shared_ptr<Authenticator> make_static(std::string_view method,
                                           std::vector<Principal> principals, Has has, Make make) {
    std::erase_if(principals, [&](const Principal& p) { return !has(p); });
    if (principals.empty()) return nullptr;
    return std::make_shared<StaticAuthenticator<Make>>(method, std::move(principals),
                                                       std::move(make));
}

} // namespace

std::unique_ptr<AuthAttempt> make_wampcra_attempt(Principal principal, const AuthRequest& request) {
    return std::make_unique<CraAttempt>(std::move(principal), request);
}

std::unique_ptr<AuthAttempt> make_cryptosign_attempt(const std::vector<Principal>& principals,
                                                     const AuthRequest& request) {
    return std::make_unique<CryptosignAttempt>(principals, request);
}

std::shared_ptr<Authenticator> make_ticket_authenticator(std::vector<Principal> principals) {
    return make_static(
        "ticket", std::move(principals), [](const Principal& p) { return p.ticket.has_value(); },
        [](const std::vector<Principal>& all, const AuthRequest& r) {
            return std::make_unique<TicketAttempt>(copy_of(find_principal(all, r.authid)),
                                                   r.authid);
        });
}

std::shared_ptr<Authenticator> make_wampcra_authenticator(std::vector<Principal> principals,
                                                          std::string secret) {
    if (secret.empty()) secret = auth::to_base64(auth::random_bytes(32));
    return make_static(
        "wampcra", std::move(principals), [](const Principal& p) { return p.wampcra.has_value(); },
        [secret = std::move(secret)](const std::vector<Principal>& all, const AuthRequest& r) {
            const Principal* p = find_principal(all, r.authid);
            if (p) return std::make_unique<CraAttempt>(*p, r);
            return std::make_unique<CraAttempt>(std::nullopt, r,
                                                decoy_principal(all, r.authid, secret));
        });
}

std::shared_ptr<Authenticator> make_cryptosign_authenticator(std::vector<Principal> principals) {
    return make_static(
        "cryptosign", std::move(principals),
        [](const Principal& p) { return !p.cryptosign_keys.empty(); },
        [](const std::vector<Principal>& all, const AuthRequest& r) {
            return std::make_unique<CryptosignAttempt>(all, r);
        });
}

} // namespace nexus::router
