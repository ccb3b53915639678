// The dynamic authenticator: the router asks a procedure registered by a
// backend session of the realm who a client is (DynamicAuthenticatorConfig).
#include "support/auth_helpers.hpp"
#include "support/router_fixture.hpp"

namespace nexus::test {
namespace {

using wamp::Value;

constexpr std::string_view alice_private =
    "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510";

router::RouterConfig dynamic_config() {
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.dynamic_authenticator =
        router::DynamicAuthenticatorConfig{"com.auth.authenticate",
                                           {"ticket", "wampcra", "cryptosign"},
                                           std::chrono::milliseconds(300)};
    config.realms.push_back(realm);
    return config;
}

class DynamicAuth : public RouterFixture {
protected:
    DynamicAuth() : RouterFixture(dynamic_config()) {}

    TestClient& backend() {
        TestClient& b = joined(); // anonymous is on for the backend
        b.send(wamp::Register{b.next_request(), {}, "com.auth.authenticate"});
        b.expect<wamp::Registered>();
        return b;
    }

    static wamp::Hello hello(std::string method, std::string authid, wamp::Object authextra = {}) {
        wamp::Hello h;
        h.realm = "realm1";
        h.details = {{"roles", wamp::Object{{"caller", wamp::Object{}}}},
                     {"authmethods", Value{method}}};
        if (!authid.empty()) h.details.emplace("authid", authid);
        if (!authextra.empty()) h.details.emplace("authextra", Value(std::move(authextra)));
        return h;
    }

    // The backend's INVOCATION: [realm, authid, details].
    static wamp::Invocation ask(TestClient& b, const std::string& authid,
                                const std::string& method) {
        auto inv = b.expect<wamp::Invocation>();
        auto args = inv.payload.args();
        EXPECT_EQ(args.at(0), Value("realm1"));
        EXPECT_EQ(args.at(1), authid.empty() ? Value() : Value(authid));
        EXPECT_EQ(args.at(2).as_object().at("authmethod"), Value(method));
        return inv;
    }
};

TEST_F(DynamicAuth, TicketIsCheckedByTheBackend) {
    TestClient& b = backend();
    TestClient& c = client();
    c.send(hello("ticket", "joe"));
    c.expect<wamp::Challenge>();
    c.send(wamp::Authenticate{"joe's ticket", {}});
    auto inv = ask(b, "joe", "ticket");
    EXPECT_EQ(inv.payload.args().at(2).as_object().at("ticket"), Value("joe's ticket"));
    b.send(wamp::Yield{inv.request, {}, wamp::Payload(wamp::Array{Value("user")})});
    auto w = c.expect<wamp::Welcome>();
    EXPECT_EQ(w.details.at("authid"), Value("joe"));
    EXPECT_EQ(w.details.at("authrole"), Value("user"));
    EXPECT_EQ(w.details.at("authmethod"), Value("ticket"));
    EXPECT_EQ(w.details.at("authprovider"), Value("dynamic"));
}

TEST_F(DynamicAuth, BackendErrorFailsTheAuthentication) {
    TestClient& b = backend();
    TestClient& c = client();
    c.send(hello("ticket", "joe"));
    c.expect<wamp::Challenge>();
    c.send(wamp::Authenticate{"wrong", {}});
    auto inv = ask(b, "joe", "ticket");
    b.send(wamp::Error{wamp::MessageType::invocation, inv.request, {}, "com.auth.denied", {}});
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::authentication_failed);
}

TEST_F(DynamicAuth, WampcraSecretComesFromTheBackend) {
    TestClient& b = backend();
    TestClient& c = client();
    c.send(hello("wampcra", "peter"));
    auto inv = ask(b, "peter", "wampcra");
    b.send(wamp::Yield{inv.request,
                       {},
                       wamp::Payload(wamp::Array{Value{{"secret", "s3cret"},
                                                       {"authrole", "user"},
                                                       {"salt", "pepper"},
                                                       {"iterations", 10},
                                                       {"keylen", 32}}})});
    auto ch = c.expect<wamp::Challenge>();
    EXPECT_EQ(ch.extra.at("salt"), Value("pepper"));
    const std::string key = cra_derive_key("s3cret", "pepper", 10, 32);
    c.send(wamp::Authenticate{cra_sign(key, ch.extra.at("challenge").as_string()), {}});
    EXPECT_EQ(c.expect<wamp::Welcome>().details.at("authrole"), Value("user"));

    TestClient& wrong = client();
    wrong.send(hello("wampcra", "peter"));
    auto inv2 = ask(b, "peter", "wampcra");
    b.send(wamp::Yield{inv2.request,
                       {},
                       wamp::Payload(wamp::Array{Value{{"secret", "s3cret"}, {"role", "user"}}})});
    auto ch2 = wrong.expect<wamp::Challenge>();
    wrong.send(wamp::Authenticate{cra_sign("guess", ch2.extra.at("challenge").as_string()), {}});
    EXPECT_EQ(wrong.expect<wamp::Abort>().reason, wamp::errors::authentication_failed);
}

TEST_F(DynamicAuth, CryptosignKeyIsVouchedForByTheBackend) {
    TestClient& b = backend();
    Ed25519Key key(alice_private);
    TestClient& c = client();
    c.send(hello("cryptosign", "", {{"pubkey", key.public_hex()}}));
    auto inv = ask(b, "", "cryptosign"); // no authid in HELLO: null
    EXPECT_EQ(inv.payload.args().at(2).as_object().at("authextra").as_object().at("pubkey"),
              Value(key.public_hex()));
    b.send(
        wamp::Yield{inv.request,
                    {},
                    wamp::Payload(wamp::Array{Value{{"authrole", "admin"}, {"authid", "alice"}}})});
    auto ch = c.expect<wamp::Challenge>();
    c.send(wamp::Authenticate{key.sign_challenge(ch.extra.at("challenge").as_string()), {}});
    auto w = c.expect<wamp::Welcome>();
    EXPECT_EQ(w.details.at("authid"), Value("alice"));
    EXPECT_EQ(w.details.at("authrole"), Value("admin"));
}

TEST_F(DynamicAuth, NoBackendOrASilentOneFails) {
    TestClient& c = client();
    c.send(hello("wampcra", "peter")); // nobody registered the procedure
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::authentication_failed);

    TestClient& b = backend();
    TestClient& d = client();
    d.send(hello("wampcra", "peter"));
    ask(b, "peter", "wampcra"); // and never answered: the 300 ms call timeout
    EXPECT_EQ(d.expect<wamp::Abort>(3s).reason, wamp::errors::authentication_failed);
}

TEST_F(DynamicAuth, MalformedAnswerFails) {
    TestClient& b = backend();
    TestClient& c = client();
    c.send(hello("wampcra", "peter"));
    auto inv = ask(b, "peter", "wampcra");
    b.send(wamp::Yield{inv.request, {}, wamp::Payload(wamp::Array{Value(42)})});
    EXPECT_EQ(c.expect<wamp::Abort>().reason, wamp::errors::authentication_failed);
}

} // namespace
} // namespace nexus::test
