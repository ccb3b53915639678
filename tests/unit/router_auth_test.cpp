// Authentication (spec advanced/authentication*.md): ticket, WAMP-CRA (plain
// and salted), cryptosign, custom and asynchronous authenticators, deadlines,
// and every failure path answering with the same ABORT.
#include "support/auth_helpers.hpp"
#include "support/router_fixture.hpp"

#include <nexus/serialize/serializer.hpp>

#include <atomic>

namespace nexus::test {
namespace {

using wamp::Value;

// The spec's cryptosign test vector 1 (advanced/authentication_cryptosign.md).
constexpr std::string_view vector_private =
    "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510";
constexpr std::string_view vector_challenge =
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
constexpr std::string_view vector_signature = "b32675b221f08593213737bef8240e7c15228b07028e19595294"
                                              "678c90d11c0cae80a357331bfc5cc9fb71081464e6e7"
                                              "5013517c2cf067ad566a6b7b728e5d03ffffffffffffffffffff"
                                              "ffffffffffffffffffffffffffffffffffffffffffff";

struct Logged {
    std::mutex mutex;
    std::vector<std::string> lines;
    std::string all() {
        std::lock_guard lock(mutex);
        std::string s;
        for (auto& l : lines)
            s += l + "\n";
        return s;
    }
};

router::RouterConfig auth_config(std::shared_ptr<Logged> log) {
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.anonymous_auth = false;
    realm.auth_timeout = std::chrono::milliseconds(400);
    router::Principal joe{
        .authid = "joe", .authrole = "user", .ticket = std::string("secret-ticket-123")};
    router::Principal peter{.authid = "peter",
                            .authrole = "user",
                            .wampcra = router::CraSecret{"peter-secret", std::nullopt, 1000, 32}};
    router::Principal salty{.authid = "salty",
                            .authrole = "admin",
                            .wampcra =
                                router::CraSecret{"salty-secret", std::string("salt123"), 100, 32}};
    router::Principal alice{.authid = "alice",
                            .authrole = "admin",
                            .cryptosign_keys = {Ed25519Key(vector_private).public_hex()}};
    realm.principals = {joe, peter, salty, alice};
    config.realms.push_back(realm);
    config.auth_secret = "a fixed secret, so that the decoy challenges are the same every run";
    config.logger = [log](router::RouterLogLevel, std::string_view line) {
        std::lock_guard lock(log->mutex);
        log->lines.emplace_back(line);
    };
    return config;
}

class Auth : public RouterFixture {
public:
    Auth() : RouterFixture(auth_config(logged_)) {}
    static inline std::shared_ptr<Logged> logged_ = std::make_shared<Logged>();

    static wamp::Hello hello(std::vector<std::string> methods, std::string authid,
                             wamp::Object authextra = {}) {
        wamp::Hello h;
        h.realm = "realm1";
        wamp::Array m;
        for (auto& s : methods)
            m.emplace_back(s);
        h.details = {{"roles", wamp::Object{{"caller", wamp::Object{}}}},
                     {"authmethods", Value(std::move(m))}};
        if (!authid.empty()) h.details.emplace("authid", authid);
        if (!authextra.empty()) h.details.emplace("authextra", Value(std::move(authextra)));
        return h;
    }

    static void expect_failed(TestClient& c) {
        auto abort = c.expect<wamp::Abort>();
        EXPECT_EQ(abort.reason, wamp::errors::authentication_failed);
        // Nothing in the ABORT says which part was wrong.
        EXPECT_EQ(abort.details.at("message"), Value("authentication failed"));
        EXPECT_TRUE(c.wait_closed());
    }
};

TEST_F(Auth, TicketAccepted) {
    TestClient& c = client();
    c.send(hello({"ticket"}, "joe"));
    auto ch = c.expect<wamp::Challenge>();
    EXPECT_EQ(ch.authmethod, "ticket");
    c.send(wamp::Authenticate{"secret-ticket-123", {}});
    auto w = c.expect<wamp::Welcome>();
    EXPECT_EQ(w.details.at("authid"), Value("joe"));
    EXPECT_EQ(w.details.at("authrole"), Value("user"));
    EXPECT_EQ(w.details.at("authmethod"), Value("ticket"));
    EXPECT_EQ(w.details.at("authprovider"), Value("static"));
}

TEST_F(Auth, WrongTicketAndUnknownAuthidFailAlike) {
    TestClient& a = client();
    a.send(hello({"ticket"}, "joe"));
    a.expect<wamp::Challenge>();
    a.send(wamp::Authenticate{"secret-ticket-124", {}});
    expect_failed(a);

    TestClient& b = client();
    b.send(hello({"ticket"}, "nobody"));
    b.expect<wamp::Challenge>(); // an unknown authid is challenged like any other
    b.send(wamp::Authenticate{"secret-ticket-123", {}});
    expect_failed(b);

    const std::string log = logged_->all();
    EXPECT_NE(log.find("wrong ticket for \"joe\""), std::string::npos) << log;
    EXPECT_EQ(log.find("secret-ticket"), std::string::npos) << "a secret reached the log: " << log;
}

TEST_F(Auth, FirstOfferedMethodTheRealmHasIsUsed) {
    TestClient& c = client();
    c.send(hello({"scram-unknown", "anonymous", "ticket"}, "joe"));
    EXPECT_EQ(c.expect<wamp::Challenge>().authmethod, "ticket");
}

TEST_F(Auth, NoUsableMethodIsRefused) {
    TestClient& a = client();
    a.send(hello({"anonymous"}, "")); // anonymous is off on this realm
    EXPECT_EQ(a.expect<wamp::Abort>().reason, wamp::errors::no_auth_method);
    TestClient& b = client();
    wamp::Hello h = hello({}, "");
    h.details.erase("authmethods"); // no methods means anonymous
    b.send(std::move(h));
    EXPECT_EQ(b.expect<wamp::Abort>().reason, wamp::errors::no_auth_method);
}

wamp::Object parse_json_object(const std::string& text) {
    auto v = serialize::decode_value(wamp::Format::json, text);
    EXPECT_TRUE(static_cast<bool>(v));
    return v && v->is_object() ? v->as_object() : wamp::Object{};
}

TEST_F(Auth, WampcraChallengeAndSignature) {
    TestClient& c = client();
    c.send(hello({"wampcra"}, "peter"));
    auto ch = c.expect<wamp::Challenge>();
    EXPECT_EQ(ch.authmethod, "wampcra");
    EXPECT_FALSE(ch.extra.contains("salt"));
    const std::string challenge = ch.extra.at("challenge").as_string();
    auto fields = parse_json_object(challenge);
    EXPECT_EQ(fields.at("authid"), Value("peter"));
    EXPECT_EQ(fields.at("authmethod"), Value("wampcra"));
    for (const char* key : {"authrole", "authprovider", "nonce", "timestamp", "session"})
        EXPECT_TRUE(fields.contains(key)) << key;
    c.send(wamp::Authenticate{cra_sign("peter-secret", challenge), {}});
    auto w = c.expect<wamp::Welcome>();
    // The challenge's session is the one WELCOME gives (authentication_cra.md).
    EXPECT_EQ(fields.at("session"), Value(w.session));
    EXPECT_EQ(w.details.at("authmethod"), Value("wampcra"));
}

TEST_F(Auth, WampcraSaltedSecret) {
    TestClient& c = client();
    c.send(hello({"wampcra"}, "salty"));
    auto ch = c.expect<wamp::Challenge>();
    EXPECT_EQ(ch.extra.at("salt"), Value("salt123"));
    EXPECT_EQ(ch.extra.at("iterations"), Value(100));
    EXPECT_EQ(ch.extra.at("keylen"), Value(32));
    const std::string key = cra_derive_key("salty-secret", "salt123", 100, 32);
    c.send(wamp::Authenticate{cra_sign(key, ch.extra.at("challenge").as_string()), {}});
    auto w = c.expect<wamp::Welcome>();
    EXPECT_EQ(w.details.at("authrole"), Value("admin"));
}

TEST_F(Auth, WampcraUnknownAuthidsLookLikeRealAccounts) {
    // What a challenge carries must not tell whether the authid exists: an
    // unknown one is shaped like one of the real accounts (peter's unsalted,
    // salty's salted), picked by a keyed hash so that asking again gives the
    // same answer.
    const auto challenge_for = [&](const std::string& authid) {
        TestClient& c = client();
        c.send(hello({"wampcra"}, authid));
        auto ch = c.expect<wamp::Challenge>();
        c.drop();
        return ch.extra;
    };
    int salted = 0, unsalted = 0;
    for (int i = 0; i < 12; ++i) {
        const std::string authid = "nobody-" + std::to_string(i);
        const wamp::Object extra = challenge_for(authid);
        auto fields = parse_json_object(extra.at("challenge").as_string());
        EXPECT_EQ(fields.at("authid"), Value(authid));
        const Value role = fields.at("authrole");
        if (extra.contains("salt")) {
            ++salted;
            // salty's shape: its parameters, a salt as long as its own, its role.
            EXPECT_EQ(extra.at("iterations"), Value(100));
            EXPECT_EQ(extra.at("keylen"), Value(32));
            EXPECT_EQ(extra.at("salt").as_string().size(), std::string("salt123").size());
            EXPECT_NE(extra.at("salt"), Value("salt123"));
            EXPECT_EQ(role, Value("admin"));
            // The same every time for the same authid.
            EXPECT_EQ(challenge_for(authid).at("salt"), extra.at("salt"));
        } else {
            ++unsalted;
            EXPECT_FALSE(extra.contains("iterations"));
            EXPECT_EQ(role, Value("user")); // peter's
        }
    }
    EXPECT_GT(salted, 0);
    EXPECT_GT(unsalted, 0);
}

TEST_F(Auth, WampcraUnsaltedSignatureForSaltedSecretFails) {
    TestClient& c = client();
    c.send(hello({"wampcra"}, "salty"));
    auto ch = c.expect<wamp::Challenge>();
    c.send(wamp::Authenticate{cra_sign("salty-secret", ch.extra.at("challenge").as_string()), {}});
    expect_failed(c);
}

TEST_F(Auth, CryptosignAccepted) {
    Ed25519Key key(vector_private);
    TestClient& c = client();
    c.send(hello({"cryptosign"}, "alice", {{"pubkey", key.public_hex()}}));
    auto ch = c.expect<wamp::Challenge>();
    EXPECT_EQ(ch.authmethod, "cryptosign");
    const std::string challenge = ch.extra.at("challenge").as_string();
    EXPECT_EQ(challenge.size(), 64u);
    EXPECT_TRUE(ch.extra.at("channel_binding").is_null());
    c.send(wamp::Authenticate{key.sign_challenge(challenge), {}});
    auto w = c.expect<wamp::Welcome>();
    EXPECT_EQ(w.details.at("authid"), Value("alice"));
    EXPECT_EQ(w.details.at("authmethod"), Value("cryptosign"));
    EXPECT_EQ(w.details.at("authextra").as_object().at("pubkey"), Value(key.public_hex()));
}

TEST_F(Auth, CryptosignWithoutAuthidFindsThePrincipalByKey) {
    Ed25519Key key(vector_private);
    TestClient& c = client();
    c.send(hello({"cryptosign"}, "", {{"pubkey", key.public_hex()}}));
    auto ch = c.expect<wamp::Challenge>();
    c.send(wamp::Authenticate{key.sign_challenge(ch.extra.at("challenge").as_string()), {}});
    EXPECT_EQ(c.expect<wamp::Welcome>().details.at("authid"), Value("alice"));
}

TEST_F(Auth, CryptosignReplayedSignatureIsRefused) {
    // A valid signature by alice's key, but over another challenge (the spec's
    // test vector): the Go nexus would accept it; we must not.
    Ed25519Key key(vector_private);
    TestClient& c = client();
    c.send(hello({"cryptosign"}, "alice", {{"pubkey", key.public_hex()}}));
    c.expect<wamp::Challenge>();
    c.send(wamp::Authenticate{std::string(vector_signature), {}});
    expect_failed(c);
    EXPECT_EQ(key.sign_challenge(vector_challenge), vector_signature); // the vector is valid
}

TEST_F(Auth, CryptosignForgedSignatureIsRefused) {
    Ed25519Key key(vector_private);
    TestClient& c = client();
    c.send(hello({"cryptosign"}, "alice", {{"pubkey", key.public_hex()}}));
    auto ch = c.expect<wamp::Challenge>();
    std::string sig = key.sign_challenge(ch.extra.at("challenge").as_string());
    sig[10] = sig[10] == '0' ? '1' : '0';
    c.send(wamp::Authenticate{sig, {}});
    expect_failed(c);
}

TEST_F(Auth, CryptosignUnknownKeyOrWrongAuthidIsRefused) {
    Ed25519Key stranger("d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd");
    TestClient& a = client();
    a.send(hello({"cryptosign"}, "alice", {{"pubkey", stranger.public_hex()}}));
    auto ch = a.expect<wamp::Challenge>();
    a.send(wamp::Authenticate{stranger.sign_challenge(ch.extra.at("challenge").as_string()), {}});
    expect_failed(a);

    Ed25519Key key(vector_private);
    TestClient& b = client();
    b.send(hello({"cryptosign"}, "joe", {{"pubkey", key.public_hex()}})); // alice's key, joe's name
    auto ch2 = b.expect<wamp::Challenge>();
    b.send(wamp::Authenticate{key.sign_challenge(ch2.extra.at("challenge").as_string()), {}});
    expect_failed(b);
}

TEST_F(Auth, CryptosignWithoutPubkeyOrWithChannelBindingFails) {
    TestClient& a = client();
    a.send(hello({"cryptosign"}, "alice"));
    expect_failed(a);
    TestClient& b = client();
    b.send(hello(
        {"cryptosign"}, "alice",
        {{"pubkey", Ed25519Key(vector_private).public_hex()}, {"channel_binding", "tls-unique"}}));
    expect_failed(b);
}

TEST_F(Auth, DeadlineAbortsASilentClient) {
    TestClient& c = client();
    c.send(hello({"ticket"}, "joe"));
    c.expect<wamp::Challenge>();
    auto abort = c.expect<wamp::Abort>(3s); // auth_timeout is 400 ms
    EXPECT_EQ(abort.reason, wamp::errors::authentication_failed);
    EXPECT_TRUE(c.wait_closed());
}

TEST_F(Auth, OtherMessagesWhileAuthenticatingAreViolations) {
    TestClient& a = client();
    a.send(hello({"ticket"}, "joe"));
    a.expect<wamp::Challenge>();
    a.send(wamp::Subscribe{1, {}, "com.topic"});
    EXPECT_EQ(a.expect<wamp::Abort>().reason, wamp::errors::protocol_violation);

    TestClient& b = client();
    b.send(wamp::Authenticate{"x", {}}); // before any HELLO
    EXPECT_EQ(b.expect<wamp::Abort>().reason, wamp::errors::protocol_violation);
}

TEST_F(Auth, ClientAbortWhileAuthenticatingEndsQuietly) {
    TestClient& c = client();
    c.send(hello({"ticket"}, "joe"));
    c.expect<wamp::Challenge>();
    wamp::Abort bye;
    bye.reason = "wamp.close.normal";
    c.send(std::move(bye));
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(router().session_count(), 0u);
}

TEST_F(Auth, VanishingDuringChallengeLeavesNothingBehind) {
    for (int i = 0; i < 20; ++i) {
        TestClient& c = client();
        c.send(hello({"ticket"}, "joe"));
        c.expect<wamp::Challenge>();
        c.drop();
    }
    TestClient& fresh = client();
    fresh.send(hello({"ticket"}, "joe"));
    fresh.expect<wamp::Challenge>();
    fresh.send(wamp::Authenticate{"secret-ticket-123", {}});
    fresh.expect<wamp::Welcome>();
    EXPECT_EQ(router().session_count(), 1u);
}

// --- custom authenticators -------------------------------------------------------

// Two rounds (a password, then a one-time code), answered from another
// thread after a delay, as an authenticator asking a backend would.
class TwoFactor final : public router::Authenticator {
public:
    std::string_view method() const override { return "x-2fa"; }
    std::unique_ptr<router::AuthAttempt> begin(const router::AuthRequest& request) override {
        class Attempt final : public router::AuthAttempt {
        public:
            explicit Attempt(std::string authid) : authid_(std::move(authid)) {}
            void start(router::AuthReply reply) override {
                later(std::move(reply), router::Challenge{{{"step", "password"}}});
            }
            void respond(const std::string& sig, const wamp::Object&,
                         router::AuthReply reply) override {
                if (step_++ == 0) {
                    if (sig != "pw") return later(std::move(reply), router::Rejection{"bad pw"});
                    return later(std::move(reply), router::Challenge{{{"step", "otp"}}});
                }
                if (sig != "123456") return later(std::move(reply), router::Rejection{"bad otp"});
                router::Identity id;
                id.authid = authid_;
                id.authrole = "user";
                id.authprovider = "test";
                id.authextra = {{"factors", 2}};
                later(std::move(reply), std::move(id));
            }

        private:
            static void later(router::AuthReply reply, router::AuthStep step) {
                std::thread([reply = std::move(reply), step = std::move(step)]() mutable {
                    std::this_thread::sleep_for(20ms);
                    reply(std::move(step));
                    reply(router::Rejection{"a second reply must be ignored"});
                }).detach();
            }
            std::string authid_;
            int step_ = 0;
        };
        return std::make_unique<Attempt>(request.authid);
    }
};

class Throwing final : public router::Authenticator {
public:
    std::string_view method() const override { return "x-throw"; }
    std::unique_ptr<router::AuthAttempt> begin(const router::AuthRequest&) override {
        throw std::runtime_error("backend down");
    }
};

router::RouterConfig custom_config() {
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.authenticators = {std::make_shared<TwoFactor>(), std::make_shared<Throwing>()};
    config.realms.push_back(realm);
    return config;
}

class CustomAuth : public RouterFixture {
protected:
    CustomAuth() : RouterFixture(custom_config()) {}
};

TEST_F(CustomAuth, TwoRoundsAnsweredAsynchronously) {
    TestClient& c = client();
    c.send(Auth::hello({"x-2fa"}, "dora"));
    EXPECT_EQ(c.expect<wamp::Challenge>().extra.at("step"), Value("password"));
    c.send(wamp::Authenticate{"pw", {}});
    EXPECT_EQ(c.expect<wamp::Challenge>().extra.at("step"), Value("otp"));
    c.send(wamp::Authenticate{"123456", {}});
    auto w = c.expect<wamp::Welcome>();
    EXPECT_EQ(w.details.at("authid"), Value("dora"));
    EXPECT_EQ(w.details.at("authmethod"), Value("x-2fa"));
    EXPECT_EQ(w.details.at("authprovider"), Value("test"));
    EXPECT_EQ(w.details.at("authextra").as_object().at("factors"), Value(2));
    EXPECT_TRUE(c.nothing_for(100ms)); // the ignored second replies sent nothing
}

TEST_F(CustomAuth, AuthenticateWhileTheAuthenticatorThinksIsAViolation) {
    TestClient& c = client();
    c.send(Auth::hello({"x-2fa"}, "dora"));
    c.expect<wamp::Challenge>();
    c.send(wamp::Authenticate{"pw", {}});
    c.send(wamp::Authenticate{"pw", {}}); // no CHALLENGE for it yet
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::protocol_violation);
}

TEST_F(CustomAuth, ThrowingAuthenticatorFailsSafely) {
    TestClient& c = client();
    c.send(Auth::hello({"x-throw"}, "dora"));
    Auth::expect_failed(c);
    // Anonymous still works on this realm.
    joined();
}

router::RouterConfig roles_config() {
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.principals = {
        {"joe", "nobody-defines-me", std::string("t"), std::nullopt, {}, std::nullopt}};
    realm.roles = {{"anonymous", {}}};
    config.realms.push_back(realm);
    return config;
}

class AuthRoles : public RouterFixture {
protected:
    AuthRoles() : RouterFixture(roles_config()) {}
};

TEST_F(AuthRoles, AnAuthroleTheRealmDoesNotDefineCannotJoin) {
    TestClient& c = client();
    c.send(Auth::hello({"ticket"}, "joe"));
    c.expect<wamp::Challenge>();
    c.send(wamp::Authenticate{"t", {}});
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::no_such_role);
    joined(); // "anonymous" is defined
}

} // namespace
} // namespace nexus::test

namespace nexus::test {
namespace {

// A transport end driven by hand, with TransportInfo that a network server
// would fill in: a tracking cookie, TLS channel ids.
class HandClient {
public:
    HandClient(router::Router& router, router::TransportInfo info) {
        connection_ = router.attach(peer_, std::move(info));
    }
    void send(wamp::Message m) { connection_->receive(std::move(m)); }
    wamp::Message next() {
        std::vector<router::OutgoingPtr> out;
        for (int i = 0; i < 300; ++i) {
            if (connection_->take(out, 1) == 1) return out[0]->message();
            std::this_thread::sleep_for(10ms);
        }
        ADD_FAILURE() << "nothing from the router";
        return wamp::Goodbye{};
    }

private:
    struct Peer final : router::Peer {
        void wake() override {}
        void close() override {}
    };
    std::shared_ptr<Peer> peer_ = std::make_shared<Peer>();
    std::unique_ptr<router::Connection> connection_;
};

router::TransportInfo websocket_info() {
    return router::TransportInfo{
        .type = "websocket", .protocol = "wamp.2.json", .peer = "tcp4:127.0.0.1:1"};
}

// The cookie is what the WebSocket server puts into TransportInfo::extra.
router::TransportInfo cookie_info(const std::string& cookie) {
    router::TransportInfo info = websocket_info();
    info.extra.emplace("cookie", cookie);
    return info;
}

router::RouterConfig cookie_config() {
    router::RouterConfig config = auth_config(std::make_shared<Logged>());
    config.realms[0].cookie_auth = true;
    return config;
}

class CookieAuth : public RouterFixture {
protected:
    CookieAuth() : RouterFixture(cookie_config()) {}
};

TEST_F(CookieAuth, ABrowserThatAuthenticatedOnceIsRecognised) {
    {
        HandClient first(router(), cookie_info("cookie-1"));
        first.send(Auth::hello({"cookie", "ticket"}, "joe")); // cookie unknown yet: ticket
        ASSERT_TRUE(std::holds_alternative<wamp::Challenge>(first.next()));
        first.send(wamp::Authenticate{"secret-ticket-123", {}});
        ASSERT_TRUE(std::holds_alternative<wamp::Welcome>(first.next()));
    }
    HandClient again(router(), cookie_info("cookie-1"));
    again.send(Auth::hello({"cookie", "ticket"}, ""));
    auto m = again.next();
    ASSERT_TRUE(std::holds_alternative<wamp::Welcome>(m));
    const auto& w = std::get<wamp::Welcome>(m);
    EXPECT_EQ(w.details.at("authid"), Value("joe"));
    EXPECT_EQ(w.details.at("authrole"), Value("user"));
    EXPECT_EQ(w.details.at("authmethod"), Value("cookie"));

    HandClient stranger(router(), cookie_info("cookie-2"));
    stranger.send(Auth::hello({"cookie"}, "joe"));
    auto a = stranger.next();
    ASSERT_TRUE(std::holds_alternative<wamp::Abort>(a));
    EXPECT_EQ(std::get<wamp::Abort>(a).reason, wamp::errors::no_auth_method);
}

// --- cryptosign channel binding ------------------------------------------------

// A TLS connection as the servers describe it: both channel ids known.
std::vector<std::uint8_t> channel_id(std::uint8_t seed) {
    std::vector<std::uint8_t> id(32);
    for (std::size_t i = 0; i < id.size(); ++i)
        id[i] = static_cast<std::uint8_t>(seed + 7 * i);
    return id;
}

router::TransportInfo tls_info() {
    router::TransportInfo info = websocket_info();
    info.channel_ids = {{"tls-unique", channel_id(1)}, {"tls-exporter", channel_id(2)}};
    return info;
}

std::string xor_hex(const std::string& challenge_hex, const std::vector<std::uint8_t>& id) {
    auto bytes = unhex(challenge_hex);
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] ^= id.at(i);
    return hex(bytes);
}

// HELLO for alice asking for `binding`; returns the CHALLENGE's challenge.
std::string bound_challenge(HandClient& c, const Value& binding) {
    c.send(Auth::hello(
        {"cryptosign"}, "alice",
        {{"pubkey", Ed25519Key(vector_private).public_hex()}, {"channel_binding", binding}}));
    auto m = c.next();
    if (!std::holds_alternative<wamp::Challenge>(m)) {
        ADD_FAILURE() << "no CHALLENGE";
        return {};
    }
    const auto& ch = std::get<wamp::Challenge>(m);
    EXPECT_EQ(ch.extra.at("channel_binding"), binding); // the router confirms the binding
    return ch.extra.at("challenge").as_string();
}

void expect_abort(HandClient& c) {
    auto m = c.next();
    ASSERT_TRUE(std::holds_alternative<wamp::Abort>(m));
    EXPECT_EQ(std::get<wamp::Abort>(m).reason, wamp::errors::authentication_failed);
}

TEST_F(Auth, CryptosignBoundToTheTlsChannelIsAccepted) {
    for (const char* type : {"tls-unique", "tls-exporter"}) {
        SCOPED_TRACE(type);
        HandClient c(router(), tls_info());
        const std::string challenge = bound_challenge(c, Value(type));
        const auto id = tls_info().channel_ids.at(type);
        c.send(wamp::Authenticate{Ed25519Key(vector_private).sign_challenge(xor_hex(challenge, id)),
                                  {}});
        auto m = c.next();
        ASSERT_TRUE(std::holds_alternative<wamp::Welcome>(m));
        EXPECT_EQ(std::get<wamp::Welcome>(m).details.at("authid"), Value("alice"));
    }
}

TEST_F(Auth, CryptosignSignatureFromAnotherChannelIsRefused) {
    Ed25519Key key(vector_private);
    {
        // Unbound: what a relaying man in the middle gets from an honest
        // client on its own (plain) connection.
        HandClient c(router(), tls_info());
        c.send(wamp::Authenticate{key.sign_challenge(bound_challenge(c, Value("tls-unique"))), {}});
        expect_abort(c);
    }
    {
        // Bound to another channel's id.
        HandClient c(router(), tls_info());
        const std::string challenge = bound_challenge(c, Value("tls-unique"));
        c.send(wamp::Authenticate{key.sign_challenge(xor_hex(challenge, channel_id(3))), {}});
        expect_abort(c);
    }
    {
        // Bound with the other binding type's id.
        HandClient c(router(), tls_info());
        const std::string challenge = bound_challenge(c, Value("tls-exporter"));
        c.send(wamp::Authenticate{key.sign_challenge(xor_hex(challenge, channel_id(1))), {}});
        expect_abort(c);
    }
}

TEST_F(Auth, CryptosignUnknownOrUnavailableChannelBindingIsRefused) {
    const std::string pubkey = Ed25519Key(vector_private).public_hex();
    for (const Value& binding : {Value("tls-server-end-point"), Value(42), Value("")}) {
        HandClient c(router(), tls_info());
        c.send(Auth::hello({"cryptosign"}, "alice",
                           {{"pubkey", pubkey}, {"channel_binding", binding}}));
        expect_abort(c);
    }
    // TLS 1.2 without the extended master secret: the server gives no ids.
    router::TransportInfo only_unique = websocket_info();
    only_unique.channel_ids = {{"tls-unique", channel_id(1)}};
    HandClient c(router(), only_unique);
    c.send(Auth::hello({"cryptosign"}, "alice",
                       {{"pubkey", pubkey}, {"channel_binding", "tls-exporter"}}));
    expect_abort(c);
    const std::string log = logged_->all();
    EXPECT_NE(log.find("channel binding tls-exporter requested, not available"), std::string::npos)
        << log;
}

TEST_F(Auth, CookieIsNotAMethodWhenTheRealmDoesNotEnableIt) {
    TestClient& c = client();
    c.send(hello({"cookie"}, "joe"));
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::no_auth_method);
}

} // namespace
} // namespace nexus::test
