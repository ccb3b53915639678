// Client authentication against nexus's own router: ticket, WAMP-CRA (plain
// and salted secrets) and cryptosign principals on a realm without
// anonymous access, in-process and over RawSocket and WebSocket.
#include "support/client_fixture.hpp"

#include <nexus/router/auth.hpp>
#include <nexus/wamp/uris.hpp>

namespace nexus::test {
namespace {

const client::CryptosignKey& alice_key() {
    static const auto key = client::CryptosignKey::from_hex(
        "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510");
    return key;
}

router::RouterConfig secured() {
    router::RouterConfig config;
    router::RealmConfig realm;
    realm.uri = "realm1";
    realm.anonymous_auth = false;
    router::Principal joe;
    joe.authid = "joe";
    joe.authrole = "user";
    joe.ticket = "t0ps3cret";
    router::Principal cra;
    cra.authid = "cra";
    cra.authrole = "user";
    cra.wampcra = router::CraSecret{"s3cret", std::nullopt, 1000, 32};
    router::Principal salty;
    salty.authid = "salty";
    salty.authrole = "admin";
    salty.wampcra = router::CraSecret{"pepper-secret", std::string("salt123"), 100, 32};
    router::Principal alice;
    alice.authid = "alice";
    alice.authrole = "user";
    alice.cryptosign_keys = {alice_key().public_key_hex()};
    realm.principals = {joe, cra, salty, alice};
    config.realms.push_back(realm);
    return config;
}

class ClientAuthRouter : public ::testing::TestWithParam<TransportCase> {
protected:
    ClientHarness h{secured()};

    client::SessionInfo join(const std::string& authid,
                             std::shared_ptr<client::Authenticator> authenticator) {
        return h.join_as(GetParam(), authid, std::move(authenticator));
    }

    std::string refusal(const std::string& authid,
                        std::shared_ptr<client::Authenticator> authenticator) {
        try {
            join(authid, std::move(authenticator));
            return "joined";
        } catch (const client::WampError& e) {
            return e.uri();
        }
    }
};

TEST_P(ClientAuthRouter, Ticket) {
    auto info = join("joe", client::ticket_authenticator("t0ps3cret"));
    EXPECT_EQ(info.authid, "joe");
    EXPECT_EQ(info.authrole, "user");
    EXPECT_EQ(info.authmethod, "ticket");
    EXPECT_EQ(refusal("joe", client::ticket_authenticator("wrong")),
              wamp::errors::authentication_failed);
}

TEST_P(ClientAuthRouter, WampCra) {
    auto info = join("cra", client::wampcra_authenticator("s3cret"));
    EXPECT_EQ(info.authmethod, "wampcra");
    EXPECT_EQ(refusal("cra", client::wampcra_authenticator("wrong")),
              wamp::errors::authentication_failed);
}

TEST_P(ClientAuthRouter, WampCraSaltedSecret) {
    auto info = join("salty", client::wampcra_authenticator("pepper-secret"));
    EXPECT_EQ(info.authid, "salty");
    EXPECT_EQ(info.authrole, "admin");
}

TEST_P(ClientAuthRouter, Cryptosign) {
    auto info = join("alice", client::cryptosign_authenticator(alice_key()));
    EXPECT_EQ(info.authmethod, "cryptosign");
    EXPECT_EQ(info.authid, "alice");
    EXPECT_EQ(refusal("alice", client::cryptosign_authenticator(client::CryptosignKey::generate())),
              wamp::errors::authentication_failed);
}

TEST_P(ClientAuthRouter, CryptosignChannelBindingNeedsTls) {
    // No TLS here, so no channel to bind to: the router refuses rather than
    // authenticate unbound what the client asked to bind.
    for (const char* binding : {"tls-unique", "tls-exporter"})
        EXPECT_EQ(refusal("alice", client::cryptosign_authenticator(alice_key(), binding)),
                  wamp::errors::authentication_failed)
            << binding;
}

TEST_P(ClientAuthRouter, AnonymousIsRefused) {
    client::Session& s = h.session(GetParam());
    EXPECT_THROW(h.run(s.join("realm1")), client::WampError);
}

INSTANTIATE_TEST_SUITE_P(Transports, ClientAuthRouter,
                         ::testing::Values(TransportCase{"local"},
                                           TransportCase{"tcp", wamp::Format::msgpack},
                                           TransportCase{"ws", wamp::Format::json},
                                           TransportCase{"unix", wamp::Format::cbor}),
                         case_name);

} // namespace
} // namespace nexus::test
