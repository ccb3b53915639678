// WAMP-SCRAM at the router (advanced/authentication_scram.md): the published
// vectors through the router's exchange, full handshakes over the router
// with right and wrong passwords and both KDFs, a replayed client-final,
// unknown authids, channel binding, autobahn-python's draft ("scram"), and
// credentials from the dynamic authenticator.
#include "support/fake_peer.hpp"
#include "support/router_fixture.hpp"
#include "support/scram_helpers.hpp"

#include "router/auth/attempts.hpp"

#include <atomic>
#include <set>

namespace nexus::test {
namespace {

using wamp::Value;
namespace sv = scram;

router::ScramCredential
credential(router::ScramKdf kdf, std::string_view salt, int iterations, int memory,
           std::string_view stored, std::string_view server,
           router::ScramDialect dialect = router::ScramDialect::wamp_scram) {
    router::ScramCredential c;
    c.kdf = kdf;
    c.salt = std::string(salt);
    c.iterations = static_cast<std::uint32_t>(iterations);
    c.memory = static_cast<std::uint32_t>(memory);
    c.stored_key = sv::unb64(stored);
    c.server_key = sv::unb64(server);
    c.dialect = dialect;
    return c;
}

router::ScramCredential rfc7677_credential() {
    return credential(router::ScramKdf::pbkdf2, sv::rfc7677::salt, sv::rfc7677::iterations, 0,
                      sv::rfc7677::stored_key, sv::rfc7677::server_key);
}
router::ScramCredential argon2_credential() {
    return credential(router::ScramKdf::argon2id13, sv::argon2::salt, sv::argon2::iterations,
                      sv::argon2::memory, sv::argon2::stored_key, sv::argon2::server_key);
}
router::ScramCredential crossbar_credential() {
    return credential(router::ScramKdf::argon2id13, sv::argon2::salt, sv::argon2::iterations,
                      sv::argon2::memory, sv::crossbar::stored_key, sv::crossbar::server_key,
                      router::ScramDialect::crossbar);
}

// The SaltedPasswords a client of each credential derives.
sv::Client rfc7677_client() {
    return {
        sv::pbkdf2(sv::rfc7677::password, sv::unb64(sv::rfc7677::salt), sv::rfc7677::iterations)};
}
sv::Client argon2_client() { return {unhex(sv::argon2::salted_password_hex)}; }
sv::Client crossbar_client() { return {sv::text_bytes(sv::crossbar::salted_password)}; }

// Runs an attempt to its end synchronously (the static exchange answers at once).
router::AuthStep step(std::function<void(router::AuthReply)> run) {
    std::optional<router::AuthStep> out;
    run([&](router::AuthStep s) { out = std::move(s); });
    EXPECT_TRUE(out.has_value());
    return out ? std::move(*out) : router::AuthStep(router::Rejection{"no reply"});
}

router::AuthRequest request(std::string authid, std::string client_nonce) {
    router::AuthRequest r;
    r.realm = "realm1";
    r.authid = std::move(authid);
    r.authextra = {{"nonce", std::move(client_nonce)}};
    return r;
}

router::Identity user() {
    router::Identity who;
    who.authid = "user";
    who.authrole = "frontend";
    return who;
}

// The one object format of nexus-scram, nexus.json and dynamic answers.
TEST(ScramCredentialObject, RoundTripsAndNamesTheKeyAtFault) {
    for (const auto& c : {rfc7677_credential(), argon2_credential(), crossbar_credential()}) {
        const wamp::Object o = router::scram_credential_to_object(c);
        EXPECT_EQ(o.at("kdf"), Value(c.kdf == router::ScramKdf::pbkdf2 ? "pbkdf2" : "argon2id13"));
        EXPECT_EQ(o.at("stored_key"), Value(sv::b64(c.stored_key)));
        auto back = router::scram_credential_from_object(o);
        ASSERT_TRUE(std::holds_alternative<router::ScramCredential>(back));
        const auto& r = std::get<router::ScramCredential>(back);
        EXPECT_EQ(r.dialect, c.dialect);
        EXPECT_EQ(r.kdf, c.kdf);
        EXPECT_EQ(r.salt, c.salt);
        EXPECT_EQ(r.iterations, c.iterations);
        EXPECT_EQ(r.memory, c.memory);
        EXPECT_EQ(r.stored_key, c.stored_key);
        EXPECT_EQ(r.server_key, c.server_key);
    }
    const auto fault = [](wamp::Object o, std::optional<router::ScramDialect> d = std::nullopt) {
        auto r = router::scram_credential_from_object(o, d);
        auto* p = std::get_if<router::ScramCredentialProblem>(&r);
        return p ? p->key : std::string("none");
    };
    const wamp::Object good = router::scram_credential_to_object(rfc7677_credential());
    auto with = [&](const char* key, Value v) {
        wamp::Object o = good;
        o.insert_or_assign(key, std::move(v));
        return o;
    };
    EXPECT_EQ(fault(good), "none");
    EXPECT_EQ(fault(with("kdf", "scrypt")), "kdf");
    EXPECT_EQ(fault(with("salt", "not base64")), "salt");
    EXPECT_EQ(fault(with("stored_key", "c2hvcnQ=")), "stored_key");
    EXPECT_EQ(fault(with("iterations", "many")), "iterations");
    EXPECT_EQ(fault(with("authmethod", "sasl")), "authmethod");
    // A PBKDF2 credential for autobahn-python's draft, by key or by the caller.
    EXPECT_EQ(fault(with("authmethod", "scram")), "kdf");
    EXPECT_EQ(fault(good, router::ScramDialect::crossbar), "kdf");
}

TEST(ScramVectors, Rfc7677ThroughTheRouterExchange) {
    // The spec's AUTHENTICATE and WELCOME examples carry RFC 7677's proof and
    // server signature; with the RFC's nonces the router must accept the one
    // and answer the other.
    auto attempt =
        router::make_scram_attempt(router::ScramDialect::wamp_scram, user(), rfc7677_credential(),
                                   request("user", std::string(sv::rfc7677::client_nonce)),
                                   std::string(sv::rfc7677::server_nonce));
    auto challenge = std::get<router::Challenge>(step([&](auto r) { attempt->start(r); }));
    const std::string nonce =
        std::string(sv::rfc7677::client_nonce) + std::string(sv::rfc7677::server_nonce);
    EXPECT_EQ(challenge.extra.at("nonce"), Value(nonce));
    EXPECT_EQ(challenge.extra.at("salt"), Value(std::string(sv::rfc7677::salt)));
    EXPECT_EQ(challenge.extra.at("kdf"), Value("pbkdf2"));
    EXPECT_EQ(challenge.extra.at("iterations"), Value(4096));
    EXPECT_TRUE(challenge.extra.at("memory").is_null());
    auto welcome = std::get<router::Identity>(step([&](auto r) {
        attempt->respond(std::string(sv::rfc7677::proof), {{"nonce", nonce}}, r);
    }));
    EXPECT_EQ(welcome.authid, "user");
    EXPECT_EQ(welcome.authmethod, "wamp-scram");
    EXPECT_EQ(welcome.authextra.at("verifier"),
              Value("v=" + std::string(sv::rfc7677::server_signature)));
}

TEST(ScramVectors, Argon2idThroughTheRouterExchange) {
    auto attempt =
        router::make_scram_attempt(router::ScramDialect::wamp_scram, user(), argon2_credential(),
                                   request("user", std::string(sv::argon2::client_nonce)),
                                   std::string(sv::argon2::server_nonce));
    auto challenge = std::get<router::Challenge>(step([&](auto r) { attempt->start(r); }));
    EXPECT_EQ(challenge.extra.at("kdf"), Value("argon2id13"));
    EXPECT_EQ(challenge.extra.at("iterations"), Value(2));
    EXPECT_EQ(challenge.extra.at("memory"), Value(1024));
    const std::string nonce =
        std::string(sv::argon2::client_nonce) + std::string(sv::argon2::server_nonce);
    auto welcome = std::get<router::Identity>(step([&](auto r) {
        attempt->respond(std::string(sv::argon2::proof), {{"nonce", nonce}}, r);
    }));
    EXPECT_EQ(welcome.authextra.at("verifier"),
              Value("v=" + std::string(sv::argon2::server_signature)));
}

TEST(ScramVectors, AutobahnDraftThroughTheRouterExchange) {
    auto attempt =
        router::make_scram_attempt(router::ScramDialect::crossbar, user(), crossbar_credential(),
                                   request("user", std::string(sv::argon2::client_nonce)),
                                   std::string(sv::argon2::server_nonce));
    auto challenge = std::get<router::Challenge>(step([&](auto r) { attempt->start(r); }));
    // autobahn-python refuses any attribute it does not know.
    std::set<std::string> keys;
    for (const auto& [k, v] : challenge.extra)
        keys.insert(k);
    EXPECT_EQ(keys, (std::set<std::string>{"nonce", "salt", "kdf", "iterations", "memory"}));
    EXPECT_EQ(challenge.extra.at("kdf"), Value("argon2id-13"));
    auto welcome = std::get<router::Identity>(
        step([&](auto r) { attempt->respond(std::string(sv::crossbar::proof), {}, r); }));
    EXPECT_EQ(welcome.authmethod, "scram");
    EXPECT_EQ(welcome.authextra.at("scram_server_signature"),
              Value(std::string(sv::crossbar::server_signature)));
}

TEST(ScramVectors, OneFlippedBitOfTheProofFails) {
    auto attempt =
        router::make_scram_attempt(router::ScramDialect::wamp_scram, user(), rfc7677_credential(),
                                   request("user", std::string(sv::rfc7677::client_nonce)),
                                   std::string(sv::rfc7677::server_nonce));
    (void)step([&](auto r) { attempt->start(r); });
    auto proof = sv::unb64(sv::rfc7677::proof);
    proof[31] ^= 1;
    const std::string nonce =
        std::string(sv::rfc7677::client_nonce) + std::string(sv::rfc7677::server_nonce);
    EXPECT_TRUE(std::holds_alternative<router::Rejection>(step([&](auto r) {
        attempt->respond(sv::b64(proof), {{"nonce", nonce}}, r);
    })));
}

// --- over the router -----------------------------------------------------------

struct Logged {
    std::mutex mutex;
    std::string text;
};

router::RouterConfig scram_config(const std::shared_ptr<Logged>& log) {
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.anonymous_auth = false;
    realm.auth_timeout = std::chrono::milliseconds(2000);
    router::Principal pb;
    pb.authid = "peter";
    pb.authrole = "user";
    pb.scram = rfc7677_credential();
    router::Principal ar;
    ar.authid = "anna";
    ar.authrole = "admin";
    ar.scram = argon2_credential();
    router::Principal cb;
    cb.authid = "carl";
    cb.authrole = "user";
    cb.scram = crossbar_credential();
    realm.principals = {pb, ar, cb};
    config.realms.push_back(realm);
    config.auth_secret = "a fixed secret, so that decoy challenges are the same every run";
    // Failures here are the point; no lockouts in between.
    config.auth_throttle.enabled = false;
    config.logger = [log](router::RouterLogLevel, std::string_view line) {
        std::lock_guard lock(log->mutex);
        log->text += std::string(line) + "\n";
    };
    return config;
}

// Speaking WAMP-SCRAM with raw frames.
struct ScramWire {
    static wamp::Hello hello(const std::string& method, const std::string& authid,
                             wamp::Object authextra) {
        wamp::Hello h;
        h.realm = "realm1";
        h.details = {{"roles", wamp::Object{{"caller", wamp::Object{}}}},
                     {"authmethods", Value{method}},
                     {"authid", authid},
                     {"authextra", Value(std::move(authextra))}};
        return h;
    }

    static std::string fresh_nonce() {
        static std::atomic<int> n{0};
        const std::string text = "client nonce " + std::to_string(++n) + "....";
        return sv::b64(sv::text_bytes(text));
    }

    // HELLO -> CHALLENGE; the challenge's details.
    static wamp::Object challenged(TestClient& c, const std::string& authid,
                                   const std::string& client_nonce,
                                   const std::string& method = "wamp-scram") {
        c.send(hello(method, authid, {{"nonce", client_nonce}, {"channel_binding", Value()}}));
        auto ch = c.expect<wamp::Challenge>();
        EXPECT_EQ(ch.authmethod, method);
        return ch.extra;
    }

    static wamp::Authenticate client_final(const sv::Client& client, const std::string& authid,
                                           const std::string& client_nonce,
                                           const wamp::Object& challenge) {
        const std::string nonce = challenge.at("nonce").as_string();
        const std::string message =
            sv::auth_message(authid, client_nonce, nonce, challenge.at("salt").as_string(),
                             static_cast<int>(*challenge.at("iterations").to_uint()));
        return wamp::Authenticate{
            client.proof(message),
            {{"nonce", nonce}, {"channel_binding", Value()}, {"cbind_data", Value()}}};
    }

    static void expect_failed(TestClient& c) {
        auto abort = c.expect<wamp::Abort>();
        EXPECT_EQ(abort.reason, wamp::errors::authentication_failed);
        EXPECT_TRUE(c.wait_closed());
    }
};

class Scram : public RouterFixture, protected ScramWire {
protected:
    Scram() : RouterFixture(scram_config(log_)) {}

    std::string log() {
        std::lock_guard lock(log_->mutex);
        return log_->text;
    }

    static inline std::shared_ptr<Logged> log_ = std::make_shared<Logged>();
};

TEST_F(Scram, Pbkdf2HandshakeWithTheRightPassword) {
    TestClient& c = client();
    const std::string cn = fresh_nonce();
    const wamp::Object ch = challenged(c, "peter", cn);
    const std::string nonce = ch.at("nonce").as_string();
    EXPECT_TRUE(nonce.starts_with(cn));
    EXPECT_GE(nonce.size(), cn.size() + 24); // 16 octets of the router's, in base64
    EXPECT_EQ(ch.at("kdf"), Value("pbkdf2"));
    const sv::Client client = rfc7677_client();
    c.send(client_final(client, "peter", cn, ch));
    auto w = c.expect<wamp::Welcome>();
    EXPECT_EQ(w.details.at("authid"), Value("peter"));
    EXPECT_EQ(w.details.at("authrole"), Value("user"));
    EXPECT_EQ(w.details.at("authmethod"), Value("wamp-scram"));
    EXPECT_EQ(w.details.at("authprovider"), Value("static"));
    // Mutual authentication: the router proves it holds ServerKey.
    const std::string message =
        sv::auth_message("peter", cn, nonce, ch.at("salt").as_string(), sv::rfc7677::iterations);
    EXPECT_EQ(w.details.at("authextra").as_object().at("verifier"),
              Value("v=" + client.server_signature(message)));
}

TEST_F(Scram, Argon2idHandshakeWithTheRightPassword) {
    TestClient& c = client();
    const std::string cn = fresh_nonce();
    const wamp::Object ch = challenged(c, "anna", cn);
    EXPECT_EQ(ch.at("kdf"), Value("argon2id13"));
    EXPECT_EQ(ch.at("memory"), Value(sv::argon2::memory));
    c.send(client_final(argon2_client(), "anna", cn, ch));
    auto w = c.expect<wamp::Welcome>();
    EXPECT_EQ(w.details.at("authid"), Value("anna"));
    EXPECT_EQ(w.details.at("authrole"), Value("admin"));
}

TEST_F(Scram, WrongPasswordFails) {
    for (const char* authid : {"peter", "anna"}) {
        TestClient& c = client();
        const std::string cn = fresh_nonce();
        const wamp::Object ch = challenged(c, authid, cn);
        const sv::Client wrong{sv::pbkdf2("pencil!", sv::unb64(ch.at("salt").as_string()),
                                          static_cast<int>(*ch.at("iterations").to_uint()))};
        c.send(client_final(wrong, authid, cn, ch));
        expect_failed(c);
    }
    EXPECT_NE(log().find("wrong proof from \"anna\""), std::string::npos) << log();
}

TEST_F(Scram, ReplayedClientFinalFails) {
    // An eavesdropper's copy of a successful exchange...
    TestClient& first = client();
    const std::string cn = fresh_nonce();
    const wamp::Object ch = challenged(first, "peter", cn);
    const wamp::Authenticate captured = client_final(rfc7677_client(), "peter", cn, ch);
    first.send(captured);
    first.expect<wamp::Welcome>();

    // ...sent again with the same client nonce: the router's half differs.
    TestClient& replay = client();
    const wamp::Object ch2 = challenged(replay, "peter", cn);
    EXPECT_NE(ch2.at("nonce"), ch.at("nonce"));
    replay.send(captured);
    expect_failed(replay);

    // The captured proof under the new nonce fails too (it covers the old one).
    TestClient& relabeled = client();
    const wamp::Object ch3 = challenged(relabeled, "peter", cn);
    wamp::Authenticate moved = captured;
    moved.extra.insert_or_assign("nonce", ch3.at("nonce"));
    relabeled.send(moved);
    expect_failed(relabeled);
}

TEST_F(Scram, UnknownAuthidGetsAPlausibleChallengeAndFails) {
    TestClient& a = client();
    const std::string cn = fresh_nonce();
    const wamp::Object ch = challenged(a, "nobody", cn);
    // Shaped like a real account's: the same attributes, a real kdf and its
    // costs, a salt of the real length.
    std::set<std::string> keys;
    for (const auto& [k, v] : ch)
        keys.insert(k);
    EXPECT_EQ(keys, (std::set<std::string>{"nonce", "salt", "kdf", "iterations", "memory"}));
    const std::string kdf = ch.at("kdf").as_string();
    EXPECT_TRUE(kdf == "pbkdf2" || kdf == "argon2id13");
    EXPECT_EQ(ch.at("salt").as_string().size(),
              kdf == "pbkdf2" ? sv::rfc7677::salt.size() : sv::argon2::salt.size());
    EXPECT_NE(ch.at("salt").as_string(), std::string(sv::rfc7677::salt));
    EXPECT_NE(ch.at("salt").as_string(), std::string(sv::argon2::salt));
    a.send(client_final(rfc7677_client(), "nobody", cn, ch));
    expect_failed(a);

    // The same authid meets the same salt and costs every time.
    TestClient& b = client();
    const wamp::Object again = challenged(b, "nobody", fresh_nonce());
    EXPECT_EQ(again.at("salt"), ch.at("salt"));
    EXPECT_EQ(again.at("kdf"), ch.at("kdf"));
    EXPECT_EQ(again.at("iterations"), ch.at("iterations"));
    EXPECT_EQ(log().find("wrong proof from \"nobody\""), std::string::npos);
    EXPECT_NE(log().find("unknown authid \"nobody\""), std::string::npos) << log();
}

// A TLS connection as the servers describe it: both channel ids known.
router::TransportInfo tls_info() {
    router::TransportInfo info{"websocket", "wamp.2.json", "tcp4:127.0.0.1:1", {}, {}};
    info.channel_ids.emplace("tls-unique", std::vector<std::uint8_t>(32, 0x51));
    info.channel_ids.emplace("tls-exporter", std::vector<std::uint8_t>(32, 0xe7));
    return info;
}

// HELLO asking for `binding`, then AUTHENTICATE bound to `cbind_data`.
std::optional<wamp::Message> bound_exchange(router::Router& router, const std::string& binding,
                                            const sv::Bytes& cbind_data,
                                            const std::string& authenticate_binding) {
    FakePeer c(router, tls_info());
    const std::string cn = ScramWire::fresh_nonce();
    c.send(ScramWire::hello("wamp-scram", "peter", {{"nonce", cn}, {"channel_binding", binding}}));
    const auto ch = c.expect<wamp::Challenge>().extra;
    const std::string nonce = ch.at("nonce").as_string();
    const std::string message = sv::auth_message("peter", cn, nonce, ch.at("salt").as_string(),
                                                 sv::rfc7677::iterations, binding, cbind_data);
    c.send(wamp::Authenticate{rfc7677_client().proof(message),
                              {{"nonce", nonce},
                               {"channel_binding", authenticate_binding},
                               {"cbind_data", sv::b64(cbind_data)}}});
    auto answer = c.next();
    if (answer && std::holds_alternative<wamp::Welcome>(*answer)) {
        // The router's signature covers the binding too.
        EXPECT_EQ(
            std::get<wamp::Welcome>(*answer).details.at("authextra").as_object().at("verifier"),
            Value("v=" + rfc7677_client().server_signature(message)));
    }
    return answer;
}

TEST_F(Scram, ChannelBoundHandshakes) {
    const auto info = tls_info();
    for (const std::string binding : {"tls-unique", "tls-exporter"}) {
        SCOPED_TRACE(binding);
        const auto& id = info.channel_ids.at(binding);
        auto answer = bound_exchange(router(), binding, sv::Bytes(id.begin(), id.end()), binding);
        ASSERT_TRUE(answer && std::holds_alternative<wamp::Welcome>(*answer));
        EXPECT_EQ(std::get<wamp::Welcome>(*answer).details.at("authmethod"), Value("wamp-scram"));
    }
}

TEST_F(Scram, ABindingToAnotherConnectionFails) {
    // A proof made over another connection's data (a relayed exchange), or
    // an AUTHENTICATE that drops the binding HELLO asked for.
    const auto info = tls_info();
    const auto& id = info.channel_ids.at("tls-unique");
    auto relayed = bound_exchange(router(), "tls-unique", sv::Bytes(32, 0x99), "tls-unique");
    ASSERT_TRUE(relayed && std::holds_alternative<wamp::Abort>(*relayed));
    EXPECT_NE(log().find("not this connection's tls-unique data"), std::string::npos) << log();
    auto other =
        bound_exchange(router(), "tls-unique", sv::Bytes(id.begin(), id.end()), "tls-exporter");
    ASSERT_TRUE(other && std::holds_alternative<wamp::Abort>(*other));
    EXPECT_NE(log().find("AUTHENTICATE.channel_binding is not HELLO's"), std::string::npos)
        << log();
}

TEST_F(Scram, ChannelBindingNeedsTlsAndAKnownType) {
    TestClient& c = client(); // in-process: no TLS channel
    c.send(hello("wamp-scram", "peter",
                 {{"nonce", fresh_nonce()}, {"channel_binding", "tls-unique"}}));
    expect_failed(c);
    EXPECT_NE(log().find("channel binding tls-unique needs a TLS connection"), std::string::npos)
        << log();
    FakePeer tls(router(), tls_info());
    tls.send(hello("wamp-scram", "peter",
                   {{"nonce", fresh_nonce()}, {"channel_binding", "tls-server-end-point"}}));
    auto abort = tls.expect<wamp::Abort>();
    EXPECT_EQ(abort.reason, wamp::errors::authentication_failed);
    EXPECT_NE(log().find("channel binding \"tls-server-end-point\" is not supported"),
              std::string::npos)
        << log();
}

TEST_F(Scram, HelloWithoutABase64NonceIsRefused) {
    for (wamp::Object extra :
         {wamp::Object{}, wamp::Object{{"nonce", "not base64!"}}, wamp::Object{{"nonce", 42}}}) {
        TestClient& c = client();
        c.send(hello("wamp-scram", "peter", std::move(extra)));
        expect_failed(c);
    }
}

TEST_F(Scram, AuthenticateMustCarryTheChallengesNonce) {
    TestClient& c = client();
    const std::string cn = fresh_nonce();
    const wamp::Object ch = challenged(c, "peter", cn);
    wamp::Authenticate a = client_final(rfc7677_client(), "peter", cn, ch);
    a.extra.erase("nonce");
    c.send(a);
    expect_failed(c);
}

TEST_F(Scram, AutobahnDraftHandshake) {
    TestClient& c = client();
    const std::string cn = fresh_nonce();
    c.send(hello("scram", "carl", {{"nonce", cn}}));
    auto ch = c.expect<wamp::Challenge>();
    EXPECT_EQ(ch.authmethod, "scram");
    EXPECT_EQ(ch.extra.at("kdf"), Value("argon2id-13"));
    const std::string nonce = ch.extra.at("nonce").as_string();
    const std::string message = sv::crossbar_auth_message(
        "carl", cn, nonce, ch.extra.at("salt").as_string(), sv::argon2::iterations);
    const sv::Client client = crossbar_client();
    c.send(wamp::Authenticate{client.proof(message), {}});
    auto w = c.expect<wamp::Welcome>();
    EXPECT_EQ(w.details.at("authmethod"), Value("scram"));
    EXPECT_EQ(w.details.at("authextra").as_object().at("scram_server_signature"),
              Value(client.server_signature(message)));
}

TEST_F(Scram, ACredentialServesItsOwnDialectOnly) {
    // peter's credential is the spec's: "scram" knows no peter (a decoy).
    TestClient& c = client();
    const std::string cn = fresh_nonce();
    c.send(hello("scram", "peter", {{"nonce", cn}}));
    auto ch = c.expect<wamp::Challenge>();
    EXPECT_EQ(ch.extra.at("kdf"), Value("argon2id-13"));
    c.send(wamp::Authenticate{"AAAA", {}});
    expect_failed(c);
}

// --- dynamic -----------------------------------------------------------------

router::RouterConfig dynamic_config(const std::shared_ptr<Logged>& log) {
    router::RouterConfig config;
    config.logger = [log](router::RouterLogLevel, std::string_view line) {
        std::lock_guard lock(log->mutex);
        log->text += std::string(line) + "\n";
    };
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.dynamic_authenticator = router::DynamicAuthenticatorConfig{
        "com.auth.authenticate", {"wamp-scram"}, std::chrono::milliseconds(2000)};
    config.realms.push_back(realm);
    config.auth_secret = "dynamic decoys";
    config.auth_throttle.enabled = false;
    return config;
}

class DynamicScram : public RouterFixture, protected ScramWire {
protected:
    DynamicScram() : RouterFixture(dynamic_config(log_)) {}

    std::string log() {
        std::lock_guard lock(log_->mutex);
        return log_->text;
    }
    static inline std::shared_ptr<Logged> log_ = std::make_shared<Logged>();

    // The CHALLENGE an authid the backend does not know meets; fails it.
    wamp::Object ghost_challenge(TestClient& b, const std::string& authid) {
        TestClient& c = client();
        const std::string nonce = fresh_nonce();
        c.send(hello("wamp-scram", authid, {{"nonce", nonce}}));
        auto inv = asked(b, authid);
        b.send(wamp::Error{wamp::MessageType::invocation,
                           inv.request,
                           {},
                           "com.example.no_such_user",
                           wamp::Payload(wamp::Array{"who?"})});
        auto ch = c.expect<wamp::Challenge>();
        c.send(client_final(argon2_client(), authid, nonce, ch.extra));
        expect_failed(c);
        return ch.extra;
    }

    TestClient& backend() {
        TestClient& b = joined(); // anonymous is on for the backend
        b.send(wamp::Register{b.next_request(), {}, "com.auth.authenticate"});
        b.expect<wamp::Registered>();
        return b;
    }

    static wamp::Invocation asked(TestClient& b, const std::string& authid) {
        auto inv = b.expect<wamp::Invocation>();
        auto args = inv.payload.args();
        EXPECT_EQ(args.at(0), Value("realm1"));
        EXPECT_EQ(args.at(1), Value(authid));
        EXPECT_EQ(args.at(2).as_object().at("authmethod"), Value("wamp-scram"));
        return inv;
    }

    static void answer(TestClient& b, const wamp::Invocation& inv, wamp::Object credential) {
        b.send(
            wamp::Yield{inv.request, {}, wamp::Payload(wamp::Array{Value(std::move(credential))})});
    }
};

wamp::Object answer_of(const router::ScramCredential& c, const std::string& authrole) {
    wamp::Object o{{"authrole", authrole},
                   {"kdf", c.kdf == router::ScramKdf::pbkdf2 ? "pbkdf2" : "argon2id13"},
                   {"salt", c.salt},
                   {"iterations", static_cast<std::uint64_t>(c.iterations)},
                   {"stored_key", sv::b64(c.stored_key)},
                   {"server_key", sv::b64(c.server_key)}};
    if (c.kdf == router::ScramKdf::argon2id13)
        o.emplace("memory", static_cast<std::uint64_t>(c.memory));
    return o;
}

TEST_F(DynamicScram, CredentialFromTheBackend) {
    TestClient& b = backend();
    TestClient& c = client();
    const std::string cn = fresh_nonce();
    c.send(hello("wamp-scram", "dora", {{"nonce", cn}}));
    answer(b, asked(b, "dora"), answer_of(rfc7677_credential(), "user"));
    auto ch = c.expect<wamp::Challenge>();
    EXPECT_EQ(ch.extra.at("salt"), Value(std::string(sv::rfc7677::salt)));
    c.send(client_final(rfc7677_client(), "dora", cn, ch.extra));
    auto w = c.expect<wamp::Welcome>();
    EXPECT_EQ(w.details.at("authid"), Value("dora"));
    EXPECT_EQ(w.details.at("authrole"), Value("user"));
    EXPECT_EQ(w.details.at("authmethod"), Value("wamp-scram"));
    EXPECT_EQ(w.details.at("authprovider"), Value("dynamic"));
}

TEST_F(DynamicScram, WrongPasswordFails) {
    TestClient& b = backend();
    TestClient& c = client();
    const std::string cn = fresh_nonce();
    c.send(hello("wamp-scram", "dora", {{"nonce", cn}}));
    answer(b, asked(b, "dora"), answer_of(argon2_credential(), "user"));
    auto ch = c.expect<wamp::Challenge>();
    c.send(client_final(rfc7677_client(), "dora", cn, ch.extra));
    expect_failed(c);
}

TEST_F(DynamicScram, UnknownToTheBackendMeetsADecoyOfAFixedShape) {
    TestClient& b = backend();
    const wamp::Object before = ghost_challenge(b, "ghost");
    // One of nexus-scram's default shapes, with a salt of its default length.
    const bool argon2 = before.at("kdf") == Value("argon2id13");
    if (argon2) {
        EXPECT_EQ(before.at("iterations"), Value(router::scram_default_argon2_iterations));
        EXPECT_EQ(before.at("memory"), Value(router::scram_default_argon2_memory));
    } else {
        EXPECT_EQ(before.at("kdf"), Value("pbkdf2"));
        EXPECT_EQ(before.at("iterations"), Value(router::scram_default_pbkdf2_iterations));
    }
    EXPECT_EQ(sv::unb64(before.at("salt").as_string()).size(), router::scram_default_salt_octets);
    // The log says what the backend answered.
    EXPECT_NE(log().find("com.example.no_such_user (who?)"), std::string::npos) << log();

    // The backend serves a real account of another shape (PBKDF2, 4096)...
    TestClient& known = client();
    const std::string cn = fresh_nonce();
    known.send(hello("wamp-scram", "dora", {{"nonce", cn}}));
    answer(b, asked(b, "dora"), answer_of(rfc7677_credential(), "user"));
    auto real = known.expect<wamp::Challenge>();
    known.send(client_final(rfc7677_client(), "dora", cn, real.extra));
    known.expect<wamp::Welcome>();

    // ...which changes nothing of the ghost's challenge (but its nonce).
    const wamp::Object after = ghost_challenge(b, "ghost");
    for (const char* key : {"kdf", "iterations", "memory", "salt"})
        EXPECT_EQ(after.at(key), before.at(key)) << key;

    // The shape depends on the authid: both kinds turn up among a few.
    bool seen_argon2 = argon2, seen_pbkdf2 = !argon2;
    for (int i = 0; i < 16 && !(seen_argon2 && seen_pbkdf2); ++i) {
        const bool a =
            ghost_challenge(b, "ghost" + std::to_string(i)).at("kdf") == Value("argon2id13");
        (a ? seen_argon2 : seen_pbkdf2) = true;
    }
    EXPECT_TRUE(seen_argon2 && seen_pbkdf2);
}

TEST_F(DynamicScram, AnswerWithoutACredentialFails) {
    TestClient& b = backend();
    TestClient& c = client();
    c.send(hello("wamp-scram", "dora", {{"nonce", fresh_nonce()}}));
    answer(b, asked(b, "dora"), {{"authrole", "user"}});
    expect_failed(c);
}

} // namespace
} // namespace nexus::test
