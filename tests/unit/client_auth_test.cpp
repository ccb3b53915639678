// Client authentication: the computations against published vectors (RFC
// 7914 PBKDF2, RFC 8032 Ed25519, the cryptosign spec's vectors, WAMP-CRA
// values from an independent implementation), and the CHALLENGE /
// AUTHENTICATE exchange of a Session against a scripted router.
#include <nexus/client/auth.hpp>
#include <nexus/client/session.hpp>
#include <nexus/wamp/uris.hpp>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>

#include <mutex>

namespace nexus::client {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST(ClientAuthVectors, WampCraSignatureAndSaltedKey) {
    // Values computed with Python's hmac/hashlib (an independent implementation).
    EXPECT_EQ(auth::wampcra_sign("secret", R"({"nonce":"abc"})"),
              "KgM1S8zsWzheLNlOasKUM1Th08uiNvI6lDclS/FM5fk=");
    const std::string key = auth::wampcra_derive_key("secret", "salt123", 1000, 32);
    EXPECT_EQ(key, "MDS8Yxpu4J/vkHJ8dNEgqECYsI0uRDh2oZ5eN0vYPvo=");
    EXPECT_EQ(auth::wampcra_sign(key, R"({"nonce":"abc"})"),
              "1yjoMQwXtk9BekkI/7tFGh6IsGdvFLL7wlw8MKj5bDY=");
}

TEST(ClientAuthVectors, Pbkdf2HmacSha256Rfc7914) {
    EXPECT_EQ(
        auth::wampcra_derive_key("passwd", "salt", 1, 64),
        "VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd+8xfHG4RbHjC9UJESBB06GXgw==");
    EXPECT_THROW(auth::wampcra_derive_key("x", "y", 0, 32), std::invalid_argument);
}

TEST(ClientAuthVectors, Ed25519Rfc8032Test1) {
    auto key =
        CryptosignKey::from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    EXPECT_EQ(key.public_key_hex(),
              "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    EXPECT_EQ(auth::to_hex(key.sign({})),
              "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"
              "39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
}

TEST(ClientAuthVectors, CryptosignSpecVectors) {
    struct Vector {
        const char* key;
        const char* challenge;
        const char* signature;
    };
    const Vector vectors[] = {
        {"4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510",
         "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
         "b32675b221f08593213737bef8240e7c15228b07028e19595294678c90d11c0cae80a357331bfc5cc9fb71081"
         "464e6e75"
         "013517c2cf067ad566a6b7b728e5d03ffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
         "ffffff"},
        {"d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd",
         "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
         "d4209ad10d5aff6bfbc009d7e924795de138a63515efc7afc6b01b7fe5201372190374886a70207b042294af5"
         "bd64ce72"
         "5cd8dceb344e6d11c09d1aaaf4d660fb26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05b"
         "fb607d"},
        {"6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b",
         "b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2",
         "7beb282184baadd08f166f16dd683b39cab53816ed81e6955def951cb2ddad1ec184e206746fd82bda075af03"
         "711d3d56"
         "58fc84a76196b0fa8d1ebc92ef9f30bb05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192"
         "d562d2"},
    };
    for (const auto& v : vectors)
        EXPECT_EQ(auth::cryptosign_sign(CryptosignKey::from_hex(v.key), v.challenge), v.signature);
    auto key = CryptosignKey::generate();
    EXPECT_THROW(auth::cryptosign_sign(key, "abcd"), std::invalid_argument);
    EXPECT_THROW(auth::cryptosign_sign(key, "zz"), std::invalid_argument);
    EXPECT_THROW(CryptosignKey::from_hex("00"), std::invalid_argument);
}

// A router stand-in that answers HELLO with CHALLENGE and checks AUTHENTICATE.
// The session posts what a transport delivers to its strand, so answering
// from inside send() is what a fast router looks like.
class ScriptedRouter final : public Transport {
public:
    using Check = std::function<bool(const wamp::Authenticate&)>;
    ScriptedRouter(std::string method, wamp::Object extra, Check check)
        : method_(std::move(method)), extra_(std::move(extra)), check_(std::move(check)) {}

    void start(MessageHandler on_message, CloseHandler) override { deliver_ = on_message; }
    void send(wamp::Message m) override {
        sent.push_back(m);
        if (std::holds_alternative<wamp::Hello>(m)) {
            deliver_(wamp::Challenge{method_, extra_});
        } else if (auto* a = std::get_if<wamp::Authenticate>(&m)) {
            if (check_(*a))
                deliver_(wamp::Welcome{42, {{"authmethod", method_}, {"authid", "joe"}}});
            else
                deliver_(wamp::Abort{{}, std::string(wamp::errors::authentication_failed), {}});
        }
    }
    void close() override { open_ = false; }
    bool is_open() const override { return open_; }
    std::string_view kind() const override { return "scripted"; }
    std::optional<wamp::Format> format() const override { return std::nullopt; }
    std::vector<std::uint8_t> channel_id(std::string_view type) const override {
        return type == "tls-unique" ? tls_unique : std::vector<std::uint8_t>{};
    }

    std::vector<wamp::Message> sent;
    std::vector<std::uint8_t> tls_unique; // as if over TLS, when set

private:
    std::string method_;
    wamp::Object extra_;
    Check check_;
    MessageHandler deliver_;
    bool open_ = true;
};

struct JoinOutcome {
    std::optional<SessionInfo> info;
    std::string error;
    wamp::Hello hello;
    std::vector<wamp::Message> sent;
};

// Joins through `router` on a single-threaded io_context (so `sent` needs no lock).
JoinOutcome join_with(const std::shared_ptr<ScriptedRouter>& router, JoinOptions options) {
    asio::io_context io;
    JoinOutcome out;
    {
        Session session(io.get_executor(), router);
        auto joined =
            asio::co_spawn(io, session.join("realm1", std::move(options)), asio::use_future);
        io.run_for(2s);
        try {
            out.info = joined.get();
        } catch (const WampError& e) {
            out.error = e.uri();
        }
    }
    io.restart();
    io.run_for(100ms);
    out.sent = router->sent;
    out.hello = std::get<wamp::Hello>(router->sent.at(0));
    return out;
}

std::string text(const wamp::Object& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->second.is_string() ? it->second.as_string() : "";
}

TEST(ClientAuthFlow, TicketIsAnnouncedAndSent) {
    const auto router = [] {
        return std::make_shared<ScriptedRouter>(
            "ticket", wamp::Object{},
            [](const wamp::Authenticate& a) { return a.signature == "t0ps3cret"; });
    };
    JoinOptions options;
    options.authid = "joe";
    options.authenticators = {ticket_authenticator("t0ps3cret")};
    JoinOutcome out = join_with(router(), options);
    ASSERT_TRUE(out.info) << out.error;
    EXPECT_EQ(out.info->session, 42u);
    EXPECT_EQ(out.info->authmethod, "ticket");
    EXPECT_EQ(text(out.hello.details, "authid"), "joe");
    EXPECT_EQ(out.hello.details.at("authmethods"), wamp::Value(wamp::Array{"ticket"}));

    options.authenticators = {ticket_authenticator("wrong")};
    EXPECT_EQ(join_with(router(), options).error, wamp::errors::authentication_failed);
}

TEST(ClientAuthFlow, WampCraSignsTheChallengeWithTheSaltedKey) {
    const std::string challenge =
        R"({"authid":"joe","authrole":"user","authmethod":"wampcra","authprovider":"static",)"
        R"("nonce":"Lh9EKxLVJ0SSrHbU","timestamp":"2026-01-01T00:00:00.000Z","session":42})";
    const std::string key = auth::wampcra_derive_key("s3cret", "pepper", 100, 32);
    auto router = std::make_shared<ScriptedRouter>(
        "wampcra",
        wamp::Object{
            {"challenge", challenge}, {"salt", "pepper"}, {"iterations", 100}, {"keylen", 32}},
        [&](const wamp::Authenticate& a) {
            return a.signature == auth::wampcra_sign(key, challenge);
        });
    JoinOptions options;
    options.authid = "joe";
    // Offered second: the router picks, and the session answers the method it picked.
    options.authenticators = {ticket_authenticator("unused"), wampcra_authenticator("s3cret")};
    JoinOutcome out = join_with(router, options);
    ASSERT_TRUE(out.info) << out.error;
    EXPECT_EQ(out.hello.details.at("authmethods"), wamp::Value(wamp::Array{"ticket", "wampcra"}));
}

TEST(ClientAuthFlow, CryptosignAnnouncesThePublicKeyAndSignsTheChallenge) {
    auto key = CryptosignKey::generate();
    const std::string challenge(64, 'a');
    auto router = std::make_shared<ScriptedRouter>(
        "cryptosign", wamp::Object{{"challenge", challenge}, {"channel_binding", nullptr}},
        [&](const wamp::Authenticate& a) {
            return a.signature == auth::cryptosign_sign(key, challenge) &&
                   a.signature.size() == 192;
        });
    JoinOptions options;
    options.authid = "joe";
    options.authenticators = {cryptosign_authenticator(key)};
    JoinOutcome out = join_with(router, options);
    ASSERT_TRUE(out.info) << out.error;
    EXPECT_EQ(text(out.hello.details.at("authextra").as_object(), "pubkey"), key.public_key_hex());
}

TEST(ClientAuthFlow, CryptosignChannelBindingIsRequestedAndMustBeConfirmed) {
    EXPECT_THROW(cryptosign_authenticator(CryptosignKey::generate(), "tls-server-end-point"),
                 std::invalid_argument);
    JoinOptions options;
    options.authid = "joe";
    options.authenticators = {cryptosign_authenticator(CryptosignKey::generate(), "tls-unique")};
    // A router that answers unbound: the client must not go on (it could be a
    // man in the middle relaying the challenge from another connection).
    auto unbound = std::make_shared<ScriptedRouter>(
        "cryptosign",
        wamp::Object{{"challenge", std::string(64, 'c')}, {"channel_binding", nullptr}},
        [](const wamp::Authenticate&) { return true; });
    JoinOutcome out = join_with(unbound, options);
    EXPECT_EQ(out.error, wamp::errors::authentication_failed);
    EXPECT_EQ(out.hello.details.at("authextra").as_object().at("channel_binding"),
              wamp::Value("tls-unique"));
    // Confirmed, but this transport has no TLS channel id.
    const std::string challenge(64, 'c');
    const auto key = CryptosignKey::generate();
    options.authenticators = {cryptosign_authenticator(key, "tls-unique")};
    const std::vector<std::uint8_t> id(32, 0x5a);
    const auto bound = [&] {
        return std::make_shared<ScriptedRouter>(
            "cryptosign", wamp::Object{{"challenge", challenge}, {"channel_binding", "tls-unique"}},
            [&](const wamp::Authenticate& a) {
                return a.signature == auth::cryptosign_sign(key, challenge, id);
            });
    };
    EXPECT_EQ(join_with(bound(), options).error, wamp::errors::authentication_failed);
    // Confirmed, over a transport with a channel id: challenge XOR id is signed.
    auto tls = bound();
    tls->tls_unique = id;
    JoinOutcome joined = join_with(tls, options);
    EXPECT_TRUE(joined.info) << joined.error;
}

TEST(ClientAuthVectors, CryptosignSignsTheChallengeXorTheChannelId) {
    auto key = CryptosignKey::generate();
    const std::string challenge(64, 'f');
    std::vector<std::uint8_t> id(32, 0x0f);
    // ff ^ 0f = f0: the signed message is the XOR, and it travels in the signature.
    const std::string signature = auth::cryptosign_sign(key, challenge, id);
    std::string xored;
    for (int i = 0; i < 32; ++i)
        xored += "f0";
    EXPECT_EQ(signature.substr(128), xored);
    const std::vector<std::uint8_t> message(32, 0xf0);
    EXPECT_EQ(signature.substr(0, 128), auth::to_hex(key.sign(message)));
    EXPECT_EQ(auth::cryptosign_sign(key, auth::to_hex(message)), signature);
    EXPECT_THROW(auth::cryptosign_sign(key, challenge, std::vector<std::uint8_t>(31)),
                 std::invalid_argument);
}

TEST(ClientAuthFlow, AChallengeWeCannotAnswerAbortsTheJoin) {
    auto router = std::make_shared<ScriptedRouter>("wampcra", wamp::Object{{"challenge", "{}"}},
                                                   [](const wamp::Authenticate&) { return true; });
    JoinOptions options;
    options.authid = "joe";
    options.authenticators = {ticket_authenticator("t")};
    JoinOutcome out = join_with(router, options);
    EXPECT_FALSE(out.info);
    EXPECT_EQ(out.error, wamp::errors::authentication_failed);
    ASSERT_EQ(out.sent.size(), 2u);
    ASSERT_TRUE(std::holds_alternative<wamp::Abort>(out.sent[1]));
    EXPECT_EQ(std::get<wamp::Abort>(out.sent[1]).reason, wamp::errors::authentication_failed);

    // Channel binding was not requested: a challenge that demands it is refused.
    auto binding = std::make_shared<ScriptedRouter>(
        "cryptosign",
        wamp::Object{{"challenge", std::string(64, 'b')}, {"channel_binding", "tls-unique"}},
        [](const wamp::Authenticate&) { return true; });
    options.authenticators = {cryptosign_authenticator(CryptosignKey::generate())};
    EXPECT_EQ(join_with(binding, options).error, wamp::errors::authentication_failed);
}

} // namespace
} // namespace nexus::client
