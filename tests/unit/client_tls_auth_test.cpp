// TLS client certificate authentication end to end: the router's wss:// and
// tcps:// listeners asking for (request) or requiring client certificates
// signed by a CA the test makes, and the client library joining with
// authmethod "tls" (client::tls_authenticator()) and a certificate.
#include "support/client_fixture.hpp"
#include "support/tls_certs.hpp"

#include <nexus/router/auth.hpp>
#include <nexus/wamp/uris.hpp>

#include <map>
#include <mutex>

namespace nexus::transport {
// For gtest's messages about a parameter.
inline void PrintTo(ClientCertificates mode, std::ostream* os) {
    *os << (mode == ClientCertificates::request   ? "request"
            : mode == ClientCertificates::require ? "require"
                                                  : "none");
}
} // namespace nexus::transport

namespace nexus::test {
namespace {

using transport::ClientCertificates;

// Everything the test signs, made once per test before the router exists
// (the table realm names a certificate by its fingerprint).
struct Certificates {
    TestCert server = make_test_cert("localhost", 7);
    TestCert ca = make_test_ca("nexus test client CA");
    TestCert other_ca = make_test_ca("some other CA");
    std::map<std::string, TestCert> clients{
        {"alice", make_client_cert(ca, {"alice"}, 42)},
        {"bob", make_client_cert(ca, {"bob"}, 43)},
        {"carol", make_client_cert(ca, {"carol"}, 44)},
        {"nameless", make_client_cert(ca, {}, 45)},
        {"mallory", make_client_cert(other_ca, {"alice"}, 46)},
        {"server-only", make_server_only_cert(ca, "alice", 47)}};
};

router::RouterConfig config(const Certificates& certs) {
    router::RouterConfig c;
    router::Principal joe;
    joe.authid = "joe";
    joe.authrole = "user";
    joe.ticket = "joe's ticket";
    // The certificate's CN is the authid.
    router::RealmConfig devices;
    devices.uri = "devices";
    devices.anonymous_auth = false;
    devices.tls_authrole = "device";
    devices.principals = {joe};
    // Only the certificates listed.
    router::RealmConfig table;
    table.uri = "table";
    table.anonymous_auth = false;
    router::Principal backend;
    backend.authid = "backend";
    backend.authrole = "backend";
    backend.tls_certificates = {{"", cert_fingerprint(certs.clients.at("bob").certificate)}};
    router::Principal sensor;
    sensor.authid = "sensor-1";
    sensor.authrole = "device";
    sensor.tls_certificates = {{"alice", ""}};
    table.principals = {backend, sensor};
    // A backend decides (it joins anonymously).
    router::RealmConfig dynamic;
    dynamic.uri = "dynamic";
    dynamic.dynamic_authenticator =
        router::DynamicAuthenticatorConfig{"com.example.tls", {"tls"}, std::chrono::seconds(5)};
    c.realms = {devices, table, dynamic};
    return c;
}

class ClientTlsAuth : public ::testing::TestWithParam<ClientCertificates> {
protected:
    ClientTlsAuth() : work_(io_.get_executor()) {
        server_cert_ = dir_.write("server.pem", certs_.server.certificate);
        const std::string server_key = dir_.write("server-key.pem", certs_.server.key);
        ca_file_ = dir_.write("client-ca.pem", certs_.ca.certificate);
        for (const auto& [name, cert] : certs_.clients) {
            dir_.write(name + ".pem", cert.certificate);
            dir_.write(name + "-key.pem", cert.key);
        }
        transport::TlsServerOptions tls;
        tls.certificate_file = server_cert_;
        tls.private_key_file = server_key;
        tls.client_certificates = GetParam();
        tls.client_ca_file = ca_file_;

        transport::RawSocketOptions raw;
        raw.tcp_address = "127.0.0.1:0";
        raw.tls = tls;
        raw_ = std::make_unique<transport::RawSocketServer>(io_.get_executor(), h.router(), raw);
        raw_->start();
        transport::WebSocketOptions ws;
        ws.address = "127.0.0.1:0";
        ws.tls = tls;
        ws_ = std::make_unique<transport::WebSocketServer>(io_.get_executor(), h.router(), ws);
        ws_->start();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~ClientTlsAuth() override {
        raw_->stop();
        ws_->stop();
        work_.reset();
        thread_.join();
    }

    std::vector<std::string> urls() const {
        return {"wss://localhost:" + std::to_string(ws_->port()) + "/ws",
                "tcps://localhost:" + std::to_string(raw_->tcp_port())};
    }

    // Trusts the router's certificate; presents `client`'s certificate
    // (none when empty).
    client::ConnectOptions options(const std::string& client) const {
        client::ConnectOptions o;
        o.tls.ca_file = server_cert_;
        if (!client.empty()) {
            o.tls.certificate_file = dir_.path(client + ".pem");
            o.tls.private_key_file = dir_.path(client + "-key.pem");
        }
        return o;
    }

    static client::JoinOptions with(std::vector<std::shared_ptr<client::Authenticator>> methods,
                                    const std::string& authid = {}) {
        client::JoinOptions o;
        o.authenticators = std::move(methods);
        o.authid = authid;
        return o;
    }

    client::SessionInfo join(const std::string& url, const std::string& client,
                             const std::string& realm, client::JoinOptions join) {
        client::Session s(h.executor(),
                          h.run(client::async_connect(h.executor(), url, options(client))));
        client::SessionInfo info = h.run(s.join(realm, std::move(join)));
        h.run(s.leave());
        return info;
    }

    // The router's ABORT reason for a join that must fail.
    std::string refusal(const std::string& url, const std::string& client, const std::string& realm,
                        client::JoinOptions join) {
        client::Session s(h.executor(),
                          h.run(client::async_connect(h.executor(), url, options(client))));
        try {
            h.run(s.join(realm, std::move(join)));
        } catch (const client::WampError& e) {
            return e.uri();
        }
        ADD_FAILURE() << "joined";
        return {};
    }

    // The TLS handshake refuses the client: the connect fails, or (TLS 1.3,
    // where the server checks the client's certificate after the client has
    // finished its side of the handshake) the first read after it does.
    void expect_handshake_refused(const std::string& url, const std::string& client) {
        std::shared_ptr<client::Transport> transport;
        try {
            transport = h.run(client::async_connect(h.executor(), url, options(client)));
        } catch (const client::TransportError&) {
            return;
        }
        client::Session s(h.executor(), transport);
        EXPECT_ANY_THROW(h.run(s.join("devices", with({client::tls_authenticator()}))))
            << client << " joined over " << url;
    }

    Certificates certs_;
    ClientHarness h{config(certs_)};
    TempDir dir_;
    std::string server_cert_, ca_file_;
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::unique_ptr<transport::RawSocketServer> raw_;
    std::unique_ptr<transport::WebSocketServer> ws_;
    std::thread thread_;
};

TEST_P(ClientTlsAuth, TheCertificatesCommonNameIsTheAuthid) {
    for (const std::string& url : urls()) {
        SCOPED_TRACE(url);
        const auto info = join(url, "alice", "devices", with({client::tls_authenticator()}));
        EXPECT_EQ(info.authid, "alice");
        EXPECT_EQ(info.authrole, "device");
        EXPECT_EQ(info.authmethod, "tls");
        EXPECT_EQ(info.authprovider, "static");
    }
}

// Identities cannot be claimed (issue #20): the certificate decides.
TEST_P(ClientTlsAuth, AnAuthidAskedForInHelloIsNotTaken) {
    for (const std::string& url : urls()) {
        SCOPED_TRACE(url);
        EXPECT_EQ(join(url, "alice", "devices", with({client::tls_authenticator()}, "joe")).authid,
                  "alice");
    }
}

TEST_P(ClientTlsAuth, TheTableMapsCertificatesAndRefusesOthers) {
    for (const std::string& url : urls()) {
        SCOPED_TRACE(url);
        auto info = join(url, "bob", "table", with({client::tls_authenticator()}));
        EXPECT_EQ(info.authid, "backend"); // by fingerprint
        EXPECT_EQ(info.authrole, "backend");
        info = join(url, "alice", "table", with({client::tls_authenticator()}));
        EXPECT_EQ(info.authid, "sensor-1"); // by common name
        EXPECT_EQ(info.authrole, "device");
        EXPECT_EQ(refusal(url, "carol", "table", with({client::tls_authenticator()})),
                  wamp::errors::authentication_failed);
    }
}

// What the listeners make of a real certificate, as the dynamic
// authenticator's backend is shown it.
TEST_P(ClientTlsAuth, TheBackendSeesTheVerifiedCertificate) {
    std::mutex mutex;
    std::vector<wamp::Value> seen;
    client::Session& backend = h.joined({"local"}, "dynamic");
    h.run(backend.provide("com.example.tls", [&](const client::Invocation& inv) {
        const auto& details = inv.args().at(2).as_object();
        std::lock_guard lock(mutex);
        seen.push_back(details.at("transport").as_object().at("client_certificate"));
        return client::Result{{wamp::Value{{"authrole", "device"}}}};
    }));
    const std::string sha256 = router::normalize_sha256_fingerprint(
        cert_fingerprint(certs_.clients.at("alice").certificate));
    for (const std::string& url : urls()) {
        SCOPED_TRACE(url);
        const auto info = join(url, "alice", "dynamic", with({client::tls_authenticator()}));
        EXPECT_EQ(info.authid, "alice");
        EXPECT_EQ(info.authprovider, "dynamic");
        // No CN, and no authid in the answer: nobody to welcome.
        EXPECT_EQ(refusal(url, "nameless", "dynamic", with({client::tls_authenticator()})),
                  wamp::errors::authentication_failed);
    }
    std::lock_guard lock(mutex);
    ASSERT_EQ(seen.size(), 4u);
    for (std::size_t i = 0; i < seen.size(); i += 2) {
        EXPECT_EQ(seen[i], (wamp::Value{{"cn", "alice"},
                                        {"subject", "CN=alice,O=nexus tests"},
                                        {"issuer", "CN=nexus test client CA,O=nexus tests"},
                                        {"sha256", sha256},
                                        {"serial", "2A"}}));
        EXPECT_FALSE(seen[i + 1].as_object().contains("cn"));
        EXPECT_EQ(seen[i + 1].as_object().at("subject"), wamp::Value("O=nexus tests"));
    }
}

TEST_P(ClientTlsAuth, ACertificateWithoutACommonNameIsRefused) {
    for (const std::string& url : urls())
        EXPECT_EQ(refusal(url, "nameless", "devices", with({client::tls_authenticator()})),
                  wamp::errors::authentication_failed)
            << url;
}

// mallory's certificate says CN=alice, but a CA the router does not know
// signed it.
TEST_P(ClientTlsAuth, ACertificateOfAnotherCaFailsTheHandshake) {
    for (const std::string& url : urls())
        expect_handshake_refused(url, "mallory");
    // And the listeners go on.
    EXPECT_EQ(join(urls()[0], "alice", "devices", with({client::tls_authenticator()})).authid,
              "alice");
}

// The right CA, but a certificate whose extended key usage is for servers.
TEST_P(ClientTlsAuth, ACertificateNotForClientsFailsTheHandshake) {
    for (const std::string& url : urls())
        expect_handshake_refused(url, "server-only");
}

TEST_P(ClientTlsAuth, AClientWithoutACertificate) {
    for (const std::string& url : urls()) {
        SCOPED_TRACE(url);
        if (GetParam() == ClientCertificates::require) {
            expect_handshake_refused(url, "");
            continue;
        }
        // Requested only: the connection stands, "tls" is skipped.
        EXPECT_EQ(refusal(url, "", "devices", with({client::tls_authenticator()})),
                  wamp::errors::no_auth_method);
        const auto info =
            join(url, "", "devices",
                 with({client::tls_authenticator(), client::ticket_authenticator("joe's ticket")},
                      "joe"));
        EXPECT_EQ(info.authid, "joe");
        EXPECT_EQ(info.authmethod, "ticket");
    }
}

// What SIGHUP does in nexusd: the client CA file is read again with the
// certificate; connections from then on are checked against the new CAs.
TEST_P(ClientTlsAuth, AReloadReadsTheClientCaFileAgain) {
    dir_.write("client-ca.pem", certs_.other_ca.certificate);
    raw_->reload_tls();
    ws_->reload_tls();
    for (const std::string& url : urls()) {
        SCOPED_TRACE(url);
        EXPECT_EQ(join(url, "mallory", "devices", with({client::tls_authenticator()})).authid,
                  "alice");
        expect_handshake_refused(url, "alice");
    }
}

// The certificate was the whole authentication: a router that challenges
// gets no answer made up for it.
TEST(ClientTlsAuthenticator, NamesTheMethodAndAnswersNoChallenge) {
    const auto tls = client::tls_authenticator();
    EXPECT_EQ(tls->method(), "tls");
    EXPECT_FALSE(tls->requires_challenge());
    EXPECT_THROW(tls->respond(wamp::Challenge{"tls", {}}), std::invalid_argument);
}

// A client CA file that cannot be used stops the listener from being made,
// with the file named (nexusd reports it and exits).
TEST(ClientTlsAuthOptions, AnUnusableClientCaFileIsRefused) {
    TempDir dir;
    const TestCert server = make_test_cert("localhost", 7);
    transport::TlsServerOptions tls;
    tls.certificate_file = dir.write("server.pem", server.certificate);
    tls.private_key_file = dir.write("server-key.pem", server.key);
    tls.client_certificates = ClientCertificates::require;
    asio::io_context io;
    router::Router router(io.get_executor(), ClientHarness::default_config());
    const auto problem = [&](const std::string& ca_file) -> std::string {
        tls.client_ca_file = ca_file;
        transport::WebSocketOptions ws;
        ws.address = "127.0.0.1:0";
        ws.tls = tls;
        try {
            transport::WebSocketServer server(io.get_executor(), router, ws);
        } catch (const transport::TlsError& e) {
            return e.what();
        }
        return "accepted";
    };
    EXPECT_NE(problem("").find("no client CA file"), std::string::npos) << problem("");
    const std::string missing = dir.path("missing.pem");
    EXPECT_NE(problem(missing).find(missing), std::string::npos) << problem(missing);
    const std::string not_pem = dir.write("not.pem", "not a certificate\n");
    EXPECT_NE(problem(not_pem).find(not_pem), std::string::npos) << problem(not_pem);
}

INSTANTIATE_TEST_SUITE_P(Modes, ClientTlsAuth,
                         ::testing::Values(ClientCertificates::request,
                                           ClientCertificates::require),
                         [](const auto& info) {
                             return std::string(
                                 info.param == ClientCertificates::request ? "Request" : "Require");
                         });

} // namespace
} // namespace nexus::test
