// NatsBus over TLS to a nats-server with a test certificate
// (tests/support/tls_certs.hpp): the server checked against a CA file and a
// host name, and a client certificate when the server asks for one.
#include <nexus/cluster/nats.hpp>

#include "support/bus_probe.hpp"
#include "support/nats_server.hpp"
#include "support/tls_certs.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace nexus::cluster;
using namespace nexus::test;

namespace {

struct TlsNats : ::testing::Test {
    TempDir dir;
    TestCert server_cert = make_test_cert("nats-test-server", 1);
    TestCert client_cert = make_test_cert("nats-test-client", 2);
    TestCert stranger = make_test_cert("someone-else", 3);
    std::string server_pem = dir.write("server.pem", server_cert.certificate);
    std::string server_key = dir.write("server.key", server_cert.key);
    std::string client_pem = dir.write("client.pem", client_cert.certificate);
    std::string client_key = dir.write("client.key", client_cert.key);
    std::string stranger_pem = dir.write("stranger.pem", stranger.certificate);

    std::unique_ptr<NatsServer> server(bool ask_client_cert) {
        NatsServerOptions o;
        o.jetstream = false;
        o.extra_args = {"--tls", "--tlscert", server_pem, "--tlskey", server_key};
        if (ask_client_cert)
            o.extra_args.insert(o.extra_args.end(), {"--tlsverify", "--tlscacert", client_pem});
        return std::make_unique<NatsServer>(o);
    }

    struct Connection {
        std::shared_ptr<Bus> bus;
        std::shared_ptr<Received<BusState>> states;
        std::shared_ptr<Received<std::string>> log;
    };
    static Connection connect(const NatsServer& server, NatsTlsOptions tls) {
        Connection c;
        c.states = std::make_shared<Received<BusState>>();
        c.log = std::make_shared<Received<std::string>>();
        NatsOptions o;
        o.urls = {"tls://127.0.0.1:" + std::to_string(server.port())};
        o.tls = std::move(tls);
        o.reconnect_wait = std::chrono::milliseconds(50);
        o.connect_timeout = std::chrono::milliseconds(500);
        o.logger = [log = c.log](NatsLogLevel, std::string_view line) {
            log->add(std::string(line));
        };
        c.bus = connect_nats(o);
        c.bus->on_state([states = c.states](BusState s) { states->add(s); });
        return c;
    }

    // Connected, and messages go round through the server.
    static void expect_working(Connection& c) {
        ASSERT_TRUE(c.states->wait_for(1));
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (c.states->values().back() != BusState::connected &&
               std::chrono::steady_clock::now() < deadline)
            c.states->wait_for(c.states->size() + 1, std::chrono::milliseconds(200));
        ASSERT_EQ(c.states->values().back(), BusState::connected);
        Received<BusMessage> got;
        auto sub = c.bus->subscribe("secret", record_into(got));
        c.bus->publish("secret", "over tls");
        ASSERT_TRUE(got.wait_for(1));
        EXPECT_EQ(got.values()[0].payload, "over tls");
    }

    // Never connected: libnats does not retry a handshake that fails
    // verification, so the bus ends (closed) and says why. The handshake may
    // fail before connect_nats() returns, and a state handler set after that
    // hears only the end.
    static void expect_refused(Connection& c) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while ((c.states->size() == 0 || c.states->values().back() != BusState::closed) &&
               std::chrono::steady_clock::now() < deadline)
            c.states->wait_for(c.states->size() + 1, std::chrono::milliseconds(200));
        auto states = c.states->values();
        ASSERT_FALSE(states.empty());
        EXPECT_EQ(states.back(), BusState::closed);
        for (std::size_t i = 0; i + 1 < states.size(); ++i)
            EXPECT_EQ(states[i], BusState::disconnected) << "state " << i;
        auto lines = c.log->values();
        EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
            return l.find("gave up connecting") != std::string::npos;
        }));
    }
};

} // namespace

TEST_F(TlsNats, TrustedServerCertificateConnects) {
    auto s = server(false);
    NatsTlsOptions tls;
    tls.ca_file = server_pem;
    tls.hostname = "localhost";
    auto c = connect(*s, tls);
    expect_working(c);
}

TEST_F(TlsNats, UntrustedOrMisnamedServerIsRefused) {
    auto s = server(false);
    NatsTlsOptions other_ca;
    other_ca.ca_file = stranger_pem;
    auto untrusted = connect(*s, other_ca);
    expect_refused(untrusted);

    NatsTlsOptions wrong_name;
    wrong_name.ca_file = server_pem;
    wrong_name.hostname = "nats.example.org";
    auto misnamed = connect(*s, wrong_name);
    expect_refused(misnamed);
}

TEST_F(TlsNats, ClientCertificateWhenTheServerAsksForOne) {
    auto s = server(true);
    NatsTlsOptions without;
    without.ca_file = server_pem;
    auto anonymous = connect(*s, without);
    expect_refused(anonymous);

    NatsTlsOptions with = without;
    with.cert_file = client_pem;
    with.key_file = client_key;
    auto known = connect(*s, with);
    expect_working(known);
}
