// The client library against the router's own TLS listeners: wss:// and
// tcps:// with every serializer, calls and events both ways, and payloads
// large enough to span many TLS records.
#include "support/client_fixture.hpp"
#include "support/tls_certs.hpp"

#include <mutex>

#include <nexus/router/auth.hpp>

namespace nexus::test {
namespace {

const client::CryptosignKey& alice_key() {
    static const auto key = client::CryptosignKey::generate();
    return key;
}

// realm1, open to anonymous clients, with a cryptosign principal and a
// WAMP-SCRAM one.
router::RouterConfig with_alice() {
    router::RouterConfig config = ClientHarness::default_config();
    router::Principal alice;
    alice.authid = "alice";
    alice.authrole = "user";
    alice.cryptosign_keys = {alice_key().public_key_hex()};
    router::Principal sam;
    sam.authid = "sam";
    sam.authrole = "user";
    sam.scram =
        client::auth::scram_derive_credential("sam's password", router::ScramKdf::pbkdf2, 4096, 0);
    config.realms[0].principals = {alice, sam};
    return config;
}

class ClientRouterTls : public ::testing::TestWithParam<wamp::Format> {
protected:
    ClientRouterTls() : work_(io_.get_executor()) {
        const TestCert cert = make_test_cert("localhost", 7);
        ca_file_ = dir_.write("cert.pem", cert.certificate);
        const std::string key_file = dir_.write("key.pem", cert.key);

        transport::RawSocketOptions raw;
        raw.tcp_address = "127.0.0.1:0";
        raw.tls = {.certificate_file = ca_file_, .private_key_file = key_file};
        raw_ = std::make_unique<transport::RawSocketServer>(io_.get_executor(), h.router(), raw);
        raw_->start();
        transport::WebSocketOptions ws;
        ws.address = "127.0.0.1:0";
        ws.tls = {.certificate_file = ca_file_, .private_key_file = key_file};
        ws_ = std::make_unique<transport::WebSocketServer>(io_.get_executor(), h.router(), ws);
        ws_->start();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~ClientRouterTls() override {
        raw_->stop();
        ws_->stop();
        work_.reset();
        thread_.join(); // returns once the stopped servers' work is done
    }

    client::ConnectOptions options() const {
        client::ConnectOptions o;
        o.format = GetParam();
        o.tls.ca_file = ca_file_; // the self-signed certificate is its own CA
        return o;
    }

    // Over `url`: a call to an in-process callee, an event to an in-process
    // subscriber, and an event from an in-process publisher.
    void round_trip(const std::string& url) {
        client::Session& local = h.joined({"local"});
        h.run(local.provide("com.example.tls.echo", [](const client::Invocation& inv) {
            return client::Result{inv.args()};
        }));
        std::mutex mutex;
        std::vector<client::Event> to_local, to_remote;
        h.run(local.subscribe("com.example.tls.up", [&](const client::Event& e) {
            std::lock_guard lock(mutex);
            to_local.push_back(e);
        }));

        client::Session remote(h.executor(),
                               h.run(client::async_connect(h.executor(), url, options())));
        h.run(remote.join("realm1"));
        h.run(remote.subscribe("com.example.tls.down", [&](const client::Event& e) {
            std::lock_guard lock(mutex);
            to_remote.push_back(e);
        }));

        EXPECT_EQ(h.run(remote.call("com.example.tls.echo", {"secret", 42})).args,
                  (wamp::Array{"secret", 42}));
        // About 300 KB each way: many TLS records, and more than one write batch.
        const std::string big(300 * 1024, 'x');
        EXPECT_EQ(h.run(remote.call("com.example.tls.echo", {big})).args, (wamp::Array{big}));

        client::PublishOptions acknowledged;
        acknowledged.acknowledge = true;
        EXPECT_TRUE(h.run(remote.publish("com.example.tls.up", {"hello"}, {}, acknowledged)));
        EXPECT_TRUE(h.run(local.publish("com.example.tls.down", {big}, {}, acknowledged)));
        ASSERT_TRUE(eventually([&] {
            std::lock_guard lock(mutex);
            return to_local.size() == 1 && to_remote.size() == 1;
        }));
        EXPECT_EQ(to_local[0].args, (wamp::Array{"hello"}));
        EXPECT_EQ(to_remote[0].args, (wamp::Array{big}));
        h.run(remote.leave());
    }

    ClientHarness h{with_alice()};
    TempDir dir_;
    std::string ca_file_;
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    std::unique_ptr<transport::RawSocketServer> raw_;
    std::unique_ptr<transport::WebSocketServer> ws_;
    std::thread thread_;
};

TEST_P(ClientRouterTls, Wss) {
    round_trip("wss://localhost:" + std::to_string(ws_->port()) + "/ws");
}

TEST_P(ClientRouterTls, Tcps) {
    round_trip("tcps://localhost:" + std::to_string(raw_->tcp_port()));
}

// Cryptosign bound to the TLS channel: both ends compute the same channel id
// from their own end of the connection (the router from the client's
// Finished message, or the exporter), so the signature over
// challenge XOR channel id checks out.
TEST_P(ClientRouterTls, CryptosignBoundToTheTlsChannel) {
    for (const std::string& url : {"wss://localhost:" + std::to_string(ws_->port()) + "/ws",
                                   "tcps://localhost:" + std::to_string(raw_->tcp_port())}) {
        for (const char* binding : {"tls-unique", "tls-exporter"}) {
            SCOPED_TRACE(url + " " + binding);
            auto transport = h.run(client::async_connect(h.executor(), url, options()));
            EXPECT_EQ(transport->channel_id(binding).size(), 32u);
            client::Session session(h.executor(), transport);
            client::JoinOptions join;
            join.authid = "alice";
            join.authenticators = {client::cryptosign_authenticator(alice_key(), binding)};
            const client::SessionInfo info = h.run(session.join("realm1", join));
            EXPECT_EQ(info.authid, "alice");
            EXPECT_EQ(info.authmethod, "cryptosign");
            h.run(session.leave());
        }
    }
}

// WAMP-SCRAM bound the same way: the proof covers the channel id.
TEST_P(ClientRouterTls, ScramBoundToTheTlsChannel) {
    for (const std::string& url : {"wss://localhost:" + std::to_string(ws_->port()) + "/ws",
                                   "tcps://localhost:" + std::to_string(raw_->tcp_port())}) {
        for (const char* binding : {"tls-unique", "tls-exporter"}) {
            SCOPED_TRACE(url + " " + binding);
            client::Session session(h.executor(),
                                    h.run(client::async_connect(h.executor(), url, options())));
            client::JoinOptions join;
            join.authid = "sam";
            client::ScramOptions scram;
            scram.channel_binding = binding;
            join.authenticators = {client::scram_authenticator("sam's password", scram)};
            const client::SessionInfo info = h.run(session.join("realm1", join));
            EXPECT_EQ(info.authid, "sam");
            EXPECT_EQ(info.authmethod, "wamp-scram");
            h.run(session.leave());
        }
    }
}

TEST_P(ClientRouterTls, AClientThatDoesNotTrustTheCertificateIsRefused) {
    client::ConnectOptions system_trust; // does not know our self-signed certificate
    system_trust.format = GetParam();
    for (const std::string& url : {"wss://localhost:" + std::to_string(ws_->port()) + "/ws",
                                   "tcps://localhost:" + std::to_string(raw_->tcp_port())}) {
        EXPECT_THROW(h.run(client::async_connect(h.executor(), url, system_trust)),
                     client::TransportError)
            << url;
    }
    // And the servers go on.
    round_trip("tcps://localhost:" + std::to_string(raw_->tcp_port()));
}

// The router ends the sessions: GOODBYE, then the WebSocket close handshake
// (with TLS close_notify) or the RawSocket close, over TLS.
TEST_P(ClientRouterTls, RouterShutdownEndsTlsSessionsWithGoodbye) {
    std::vector<std::unique_ptr<client::Session>> sessions;
    std::vector<std::future<client::CloseInfo>> closed;
    for (const std::string& url : {"wss://localhost:" + std::to_string(ws_->port()) + "/ws",
                                   "tcps://localhost:" + std::to_string(raw_->tcp_port())}) {
        sessions.push_back(std::make_unique<client::Session>(
            h.executor(), h.run(client::async_connect(h.executor(), url, options()))));
        h.run(sessions.back()->join("realm1"));
        closed.push_back(sessions.back()->wait_closed(asio::use_future));
    }
    h.router().shutdown();
    for (auto& c : closed) {
        ASSERT_EQ(c.wait_for(5s), std::future_status::ready);
        const client::CloseInfo info = c.get();
        EXPECT_EQ(info.cause, client::CloseInfo::Cause::goodbye) << info.reason;
        EXPECT_EQ(info.reason, "wamp.close.system_shutdown");
    }
    sessions.clear();
    h.sync();
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, ClientRouterTls, ::testing::ValuesIn(wamp::all_formats),
                         [](const auto& info) {
                             return std::string(wamp::format_name(info.param));
                         });

} // namespace
} // namespace nexus::test
