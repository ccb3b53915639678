// WAMP-SCRAM in the client library: the key derivation against vectors
// computed outside this project (tests/support/scram_helpers.hpp), SASLprep,
// and whole sessions against nexus's own router in-process and over
// WebSocket: both KDFs, a wrong password, autobahn-python's draft, a router
// that cannot prove it knows the password, costs the client refuses, and a
// router that would skip proving itself (WELCOME without CHALLENGE, or naming
// another authmethod).
#include "support/client_fixture.hpp"
#include "support/scram_helpers.hpp"

#include <nexus/client/auth.hpp>
#include <nexus/router/auth.hpp>
#include <nexus/wamp/uris.hpp>

#include <algorithm>
#include <functional>
#include <mutex>
#include <optional>

namespace nexus::test {
namespace {

namespace sv = scram;
using router::ScramDialect;
using router::ScramKdf;

std::vector<std::uint8_t> bytes(std::string_view b64) { return sv::unb64(b64); }

TEST(ScramKdf, Pbkdf2MatchesRfc7677) {
    const auto c = client::auth::scram_derive_credential(
        sv::rfc7677::password, ScramKdf::pbkdf2, sv::rfc7677::iterations, 0,
        ScramDialect::wamp_scram, std::string(sv::rfc7677::salt));
    EXPECT_EQ(c.stored_key, bytes(sv::rfc7677::stored_key));
    EXPECT_EQ(c.server_key, bytes(sv::rfc7677::server_key));
    EXPECT_EQ(c.salt, sv::rfc7677::salt);
    EXPECT_EQ(c.memory, 0u);
}

TEST(ScramKdf, Argon2idMatchesArgon2Cffi) {
    EXPECT_EQ(client::auth::to_hex(client::auth::scram_salted_password(
                  ScramDialect::wamp_scram, ScramKdf::argon2id13, sv::argon2::password,
                  sv::argon2::salt, sv::argon2::iterations, sv::argon2::memory)),
              sv::argon2::salted_password_hex);
    const auto c = client::auth::scram_derive_credential(
        sv::argon2::password, ScramKdf::argon2id13, sv::argon2::iterations, sv::argon2::memory,
        ScramDialect::wamp_scram, std::string(sv::argon2::salt));
    EXPECT_EQ(c.stored_key, bytes(sv::argon2::stored_key));
    EXPECT_EQ(c.server_key, bytes(sv::argon2::server_key));
}

TEST(ScramKdf, AutobahnDraftMatchesAuthScram) {
    const auto salted = client::auth::scram_salted_password(
        ScramDialect::crossbar, ScramKdf::argon2id13, sv::argon2::password, sv::argon2::salt,
        sv::argon2::iterations, sv::argon2::memory);
    EXPECT_EQ(std::string(salted.begin(), salted.end()), sv::crossbar::salted_password);
    const auto c = client::auth::scram_derive_credential(
        sv::argon2::password, ScramKdf::argon2id13, sv::argon2::iterations, sv::argon2::memory,
        ScramDialect::crossbar, std::string(sv::argon2::salt));
    EXPECT_EQ(c.stored_key, bytes(sv::crossbar::stored_key));
    EXPECT_EQ(c.server_key, bytes(sv::crossbar::server_key));
    EXPECT_THROW(client::auth::scram_derive_credential("pencil", ScramKdf::pbkdf2, 4096, 0,
                                                       ScramDialect::crossbar),
                 std::invalid_argument);
}

TEST(ScramKdf, PasswordsAreSaslPrepped) {
    const auto derive = [](std::string_view password) {
        return client::auth::scram_salted_password(ScramDialect::wamp_scram, ScramKdf::pbkdf2,
                                                   password, sv::rfc7677::salt, 4096, 0);
    };
    // RFC 4013 section 3: SOFT HYPHEN maps to nothing, NO-BREAK SPACE to a space,
    // and the compatibility form U+2168 (ROMAN NUMERAL NINE) to "IX".
    EXPECT_EQ(derive("I\xC2\xADX"), derive("IX"));
    EXPECT_EQ(derive("a\xC2\xA0"
                     "b"),
              derive("a b"));
    EXPECT_EQ(derive("\xE2\x85\xA8"), derive("IX"));
    EXPECT_NE(derive("IX"), derive("ix"));
    // Prohibited: a control character; and bytes that are not UTF-8.
    EXPECT_THROW(derive("a\x07"), std::invalid_argument);
    EXPECT_THROW(derive("\xFF"), std::invalid_argument);
}

TEST(ScramKdf, RandomSaltsDiffer) {
    const auto a = client::auth::scram_derive_credential("pw", ScramKdf::pbkdf2, 1000, 0);
    const auto b = client::auth::scram_derive_credential("pw", ScramKdf::pbkdf2, 1000, 0);
    EXPECT_NE(a.salt, b.salt);
    EXPECT_NE(a.stored_key, b.stored_key);
    EXPECT_EQ(sv::unb64(a.salt).size(), router::scram_default_salt_octets);
}

// --- sessions against our router ----------------------------------------------

// Costs low enough for tests; the clients below accept them explicitly.
constexpr std::uint32_t argon2_iterations = 2, argon2_memory = 256, pbkdf2_iterations = 1000;

client::ScramOptions cheap(bool crossbar = false) {
    client::ScramOptions o;
    o.crossbar_dialect = crossbar;
    o.min_pbkdf2_iterations = pbkdf2_iterations;
    o.min_argon2_memory = argon2_memory;
    return o;
}

router::Principal principal(std::string authid, router::ScramCredential c) {
    router::Principal p;
    p.authid = std::move(authid);
    p.authrole = "user";
    p.scram = std::move(c);
    return p;
}

router::RouterConfig secured() {
    using client::auth::scram_derive_credential;
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.anonymous_auth = false;
    auto rogue = scram_derive_credential("rogue-pw", ScramKdf::pbkdf2, pbkdf2_iterations, 0);
    // A router that holds the right StoredKey but not the ServerKey (say, a
    // copy of half a database): it can check proofs but not prove itself.
    rogue.server_key = scram_derive_credential("other", ScramKdf::pbkdf2, pbkdf2_iterations, 0,
                                               ScramDialect::wamp_scram, rogue.salt)
                           .server_key;
    realm.principals = {
        principal("argon", scram_derive_credential("argon-pw", ScramKdf::argon2id13,
                                                   argon2_iterations, argon2_memory)),
        principal("pbkdf",
                  scram_derive_credential("pbkdf-pw", ScramKdf::pbkdf2, pbkdf2_iterations, 0)),
        principal("drafty",
                  scram_derive_credential("drafty-pw", ScramKdf::argon2id13, argon2_iterations,
                                          argon2_memory, ScramDialect::crossbar)),
        principal("rogue", rogue),
    };
    config.realms.push_back(realm);
    config.auth_throttle.enabled = false;
    return config;
}

class ClientScram : public ::testing::TestWithParam<TransportCase> {
protected:
    ClientHarness h{secured()};

    client::SessionInfo join(const std::string& authid,
                             std::shared_ptr<client::Authenticator> authenticator) {
        return h.join_as(GetParam(), authid, std::move(authenticator));
    }

    // The join's error URI and message.
    std::pair<std::string, std::string> refusal(const std::string& authid,
                                                std::shared_ptr<client::Authenticator> a) {
        try {
            join(authid, std::move(a));
            return {"joined", ""};
        } catch (const client::WampError& e) {
            auto it = e.details().find("message");
            return {e.uri(), it != e.details().end() && it->second.is_string()
                                 ? it->second.as_string()
                                 : std::string()};
        }
    }
};

TEST_P(ClientScram, Argon2id) {
    auto info = join("argon", client::scram_authenticator("argon-pw", cheap()));
    EXPECT_EQ(info.authid, "argon");
    EXPECT_EQ(info.authmethod, "wamp-scram");
    EXPECT_EQ(info.authprovider, "static");
}

TEST_P(ClientScram, Pbkdf2) {
    auto info = join("pbkdf", client::scram_authenticator("pbkdf-pw", cheap()));
    EXPECT_EQ(info.authid, "pbkdf");
}

TEST_P(ClientScram, WrongPasswordAndUnknownAuthidAreRefused) {
    EXPECT_EQ(refusal("argon", client::scram_authenticator("wrong", cheap())).first,
              wamp::errors::authentication_failed);
    EXPECT_EQ(refusal("nobody", client::scram_authenticator("argon-pw", cheap())).first,
              wamp::errors::authentication_failed);
}

TEST_P(ClientScram, AutobahnDraft) {
    auto info = join("drafty", client::scram_authenticator("drafty-pw", cheap(true)));
    EXPECT_EQ(info.authmethod, "scram");
    EXPECT_EQ(refusal("drafty", client::scram_authenticator("wrong", cheap(true))).first,
              wamp::errors::authentication_failed);
}

TEST_P(ClientScram, ARouterThatCannotSignIsRefused) {
    auto [uri, message] = refusal("rogue", client::scram_authenticator("rogue-pw", cheap()));
    EXPECT_EQ(uri, wamp::errors::authentication_failed);
    EXPECT_NE(message.find("router's signature is wrong"), std::string::npos) << message;
}

TEST_P(ClientScram, CostsBelowTheClientsMinimumAreRefused) {
    // By default a client wants RFC 7677's 4096 PBKDF2 iterations at least.
    auto [uri, message] = refusal("pbkdf", client::scram_authenticator("pbkdf-pw"));
    EXPECT_EQ(uri, wamp::errors::authentication_failed);
    EXPECT_NE(message.find("costs"), std::string::npos) << message;
}

TEST_P(ClientScram, ChannelBindingWithoutTlsIsRefused) {
    // No TLS channel id on these transports: the router refuses the binding
    // (client_router_tls_test joins bound over TLS).
    client::ScramOptions bound = cheap();
    bound.channel_binding = "tls-unique";
    auto [uri, message] = refusal("pbkdf", client::scram_authenticator("pbkdf-pw", bound));
    EXPECT_EQ(uri, wamp::errors::authentication_failed) << message;
}

TEST(ScramOptions, UnknownOrDraftChannelBindingIsRefused) {
    client::ScramOptions o;
    o.channel_binding = "tls-server-end-point";
    EXPECT_THROW(client::scram_authenticator("pw", o), std::invalid_argument);
    o.channel_binding = "tls-unique";
    o.crossbar_dialect = true;
    EXPECT_THROW(client::scram_authenticator("pw", o), std::invalid_argument);
}

TEST_P(ClientScram, TheAuthenticatorServesOneJoinAfterAnother) {
    auto scram = client::scram_authenticator("pbkdf-pw", cheap());
    EXPECT_EQ(join("pbkdf", scram).authid, "pbkdf");
    EXPECT_EQ(join("pbkdf", scram).authid, "pbkdf");
}

// --- a rogue router that would skip mutual authentication ---------------------

// A router in the test: answers HELLO (and AUTHENTICATE) as `script` says and
// records what the client sends.
class ScriptedRouter final : public client::Transport {
public:
    using Script = std::function<std::optional<wamp::Message>(const wamp::Message&)>;
    explicit ScriptedRouter(Script script) : script_(std::move(script)) {}

    void start(MessageHandler on_message, CloseHandler) override {
        on_message_ = std::move(on_message);
    }
    void send(wamp::Message message) override {
        std::optional<wamp::Message> answer;
        {
            std::lock_guard lock(mutex_);
            if (!open_) return;
            sent_.push_back(message);
            answer = script_(message);
        }
        if (answer) on_message_(std::move(*answer));
    }
    void close() override {
        std::lock_guard lock(mutex_);
        open_ = false;
    }
    bool is_open() const override {
        std::lock_guard lock(mutex_);
        return open_;
    }
    std::string_view kind() const override { return "local"; }
    std::optional<wamp::Format> format() const override { return std::nullopt; }

    bool sent_abort() const {
        std::lock_guard lock(mutex_);
        return std::any_of(sent_.begin(), sent_.end(), [](const wamp::Message& m) {
            return std::holds_alternative<wamp::Abort>(m);
        });
    }

private:
    Script script_;
    MessageHandler on_message_;
    mutable std::mutex mutex_;
    bool open_ = true;
    std::vector<wamp::Message> sent_;
};

wamp::Welcome anonymous_welcome() {
    return wamp::Welcome{4242,
                         {{"authid", "x"},
                          {"authrole", "anonymous"},
                          {"authmethod", "anonymous"},
                          {"roles", wamp::Object{}}}};
}

// The join's error URI and message against `router`.
std::pair<std::string, std::string> join_rogue(ClientHarness& h,
                                               std::shared_ptr<ScriptedRouter> router) {
    client::Session s(h.executor(), router);
    client::JoinOptions options;
    options.authid = "pbkdf";
    options.authenticators = {client::scram_authenticator("pbkdf-pw", cheap())};
    try {
        h.run(s.join("realm1", options));
        return {"joined", ""};
    } catch (const client::WampError& e) {
        auto it = e.details().find("message");
        return {e.uri(), it != e.details().end() && it->second.is_string() ? it->second.as_string()
                                                                           : std::string()};
    }
}

TEST(ClientScramRogueRouter, WelcomeWithoutAChallengeIsRefused) {
    ClientHarness h;
    auto router = std::make_shared<ScriptedRouter>(
        [](const wamp::Message& m) -> std::optional<wamp::Message> {
            if (std::holds_alternative<wamp::Hello>(m)) return anonymous_welcome();
            return std::nullopt;
        });
    auto [uri, message] = join_rogue(h, router);
    EXPECT_EQ(uri, wamp::errors::authentication_failed);
    EXPECT_NE(message.find("without a CHALLENGE"), std::string::npos) << message;
    EXPECT_TRUE(router->sent_abort());
}

TEST(ClientScramRogueRouter, AWelcomeNamingAnotherMethodIsStillChecked) {
    ClientHarness h;
    // Challenges properly, then claims the session is anonymous and sends
    // no signature.
    auto router = std::make_shared<ScriptedRouter>(
        [](const wamp::Message& m) -> std::optional<wamp::Message> {
            if (auto* hello = std::get_if<wamp::Hello>(&m)) {
                const auto& extra = hello->details.at("authextra").as_object();
                return wamp::Challenge{
                    "wamp-scram",
                    {{"nonce", extra.at("nonce").as_string() + "routernonce"},
                     {"salt", std::string(sv::rfc7677::salt)},
                     {"kdf", "pbkdf2"},
                     {"iterations", static_cast<std::uint64_t>(pbkdf2_iterations)}}};
            }
            if (std::holds_alternative<wamp::Authenticate>(m)) return anonymous_welcome();
            return std::nullopt;
        });
    auto [uri, message] = join_rogue(h, router);
    EXPECT_EQ(uri, wamp::errors::authentication_failed);
    EXPECT_NE(message.find("no server signature"), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(Transports, ClientScram,
                         ::testing::Values(TransportCase{"local"},
                                           TransportCase{"ws", wamp::Format::json}),
                         case_name);

} // namespace
} // namespace nexus::test
