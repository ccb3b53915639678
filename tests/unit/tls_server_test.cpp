// TLS on the router's listeners (wss:// and tcps://), seen from a plain
// OpenSSL client that controls every detail of the handshake: the protocol
// settings the servers insist on, the handshake deadline, what a client that
// does not speak TLS gets, certificate errors, and certificate reload.
#include <nexus/router/router.hpp>
#include <nexus/serialize/serializer.hpp>
#include <nexus/transport/rawsocket_server.hpp>
#include <nexus/transport/websocket_server.hpp>

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <thread>

#include "support/router_fixture.hpp"
#include "support/tls_certs.hpp"
#include "support/tls_client.hpp"

using namespace nexus;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using nexus::test::ClientSettings;
using nexus::test::PlainConnection;
using nexus::test::TempDir;
using nexus::test::TlsClient;

namespace {

class Tls : public ::testing::Test {
protected:
    Tls()
        : work_(io_.get_executor()),
          router_(io_.get_executor(), nexus::test::RouterFixture::default_config()) {
        const auto first = test::make_test_cert("first", 1);
        cert_file_ = dir_.write("cert.pem", first.certificate);
        key_file_ = dir_.write("key.pem", first.key);
        for (int i = 0; i < 2; ++i)
            threads_.emplace_back([this] { io_.run(); });
    }
    ~Tls() override {
        if (raw_) raw_->stop();
        if (ws_) ws_->stop();
        router_.shutdown();
        work_.reset();
        io_.stop();
        for (auto& t : threads_)
            t.join();
    }

    transport::TlsServerOptions tls() const {
        return {.certificate_file = cert_file_, .private_key_file = key_file_};
    }

    transport::RawSocketServer& rawsocket(std::chrono::milliseconds handshake_timeout = 10s) {
        transport::RawSocketOptions o;
        o.tcp_address = "127.0.0.1:0";
        o.unix_path = dir_.path("raw.sock");
        o.handshake_timeout = handshake_timeout;
        o.tls = tls();
        raw_ = std::make_unique<transport::RawSocketServer>(io_.get_executor(), router_, o);
        raw_->start();
        return *raw_;
    }
    transport::WebSocketServer& websocket(std::chrono::milliseconds handshake_timeout = 10s,
                                          std::chrono::milliseconds idle_timeout = 0ms) {
        transport::WebSocketOptions o;
        o.address = "127.0.0.1:0";
        o.handshake_timeout = handshake_timeout;
        o.idle_timeout = idle_timeout;
        o.tls = tls();
        ws_ = std::make_unique<transport::WebSocketServer>(io_.get_executor(), router_, o);
        ws_->start();
        return *ws_;
    }

    TempDir dir_;
    std::string cert_file_, key_file_;
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    router::Router router_;
    std::unique_ptr<transport::RawSocketServer> raw_;
    std::unique_ptr<transport::WebSocketServer> ws_;
    std::vector<std::thread> threads_;
};

// What the server's TLS error is, for a server that cannot be made.
template <class Server, class Options> std::string construction_error(Options o) {
    asio::io_context io;
    router::Router router(io.get_executor(), nexus::test::RouterFixture::default_config());
    try {
        Server server(io.get_executor(), router, o);
        return "constructed";
    } catch (const transport::TlsError& e) {
        return e.what();
    }
}

TEST_F(Tls, RawSocketSessionOverTls13ByDefault) {
    TlsClient client(rawsocket().tcp_port());
    ASSERT_TRUE(client.connected()) << client.error();
    EXPECT_EQ(client.version(), "TLSv1.3");
    EXPECT_EQ(client.peer_name(), "first");
    EXPECT_TRUE(client.rawsocket_join());
    EXPECT_TRUE(raw_->tls());
}

TEST_F(Tls, WebSocketUpgradeOverTls) {
    TlsClient client(websocket().port());
    ASSERT_TRUE(client.connected()) << client.error();
    EXPECT_EQ(client.websocket_upgrade(), "HTTP/1.1 101 Switching Protocols");
    EXPECT_TRUE(ws_->tls());
}

TEST_F(Tls, Tls12OnlyGetsForwardSecrecyAndAead) {
    for (std::uint16_t port : {rawsocket().tcp_port(), websocket().port()}) {
        TlsClient client(port, {.min_version = TLS1_2_VERSION, .max_version = TLS1_2_VERSION});
        ASSERT_TRUE(client.connected()) << client.error();
        EXPECT_EQ(client.version(), "TLSv1.2");
        const std::string cipher = client.cipher();
        EXPECT_TRUE(cipher.starts_with("ECDHE-")) << cipher;
        EXPECT_TRUE(cipher.find("GCM") != std::string::npos ||
                    cipher.find("CHACHA20") != std::string::npos)
            << cipher;
    }
}

TEST_F(Tls, ServerPrefersItsOwnCipherOrder) {
    // The client lists AES-256 first; the server's order puts AES-128 first.
    TlsClient client(rawsocket().tcp_port(),
                     {TLS1_2_VERSION, TLS1_2_VERSION,
                      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256"});
    ASSERT_TRUE(client.connected()) << client.error();
    EXPECT_EQ(client.cipher(), "ECDHE-ECDSA-AES128-GCM-SHA256");
}

TEST_F(Tls, OldProtocolsAndWeakCiphersAreRefusedAndServingGoesOn) {
    for (std::uint16_t port : {rawsocket().tcp_port(), websocket().port()}) {
        {
            // TLS 1.1 needs security level 0 on the client side to be offered at all.
            TlsClient old(port, {.min_version = TLS1_VERSION,
                                 .max_version = TLS1_1_VERSION,
                                 .tls12_ciphers = "DEFAULT",
                                 .security_level = 0});
            EXPECT_FALSE(old.connected());
            EXPECT_NE(old.error().find("protocol version"), std::string::npos) << old.error();
        }
        {
            // TLS 1.2 with CBC, or without forward secrecy: no cipher in common.
            TlsClient cbc(port,
                          {TLS1_2_VERSION, TLS1_2_VERSION,
                           "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:AES128-GCM-SHA256"});
            EXPECT_FALSE(cbc.connected());
            EXPECT_NE(cbc.error().find("handshake failure"), std::string::npos) << cbc.error();
        }
        TlsClient good(port);
        EXPECT_TRUE(good.connected()) << good.error();
    }
    TlsClient client(raw_->tcp_port());
    EXPECT_TRUE(client.rawsocket_join());
}

TEST_F(Tls, RenegotiationIsRefused) {
    TlsClient client(rawsocket().tcp_port(),
                     {.min_version = TLS1_2_VERSION, .max_version = TLS1_2_VERSION});
    ASSERT_TRUE(client.connected()) << client.error();
    ASSERT_EQ(SSL_renegotiate(client.ssl()), 1);
    ERR_clear_error();
    EXPECT_NE(SSL_do_handshake(client.ssl()), 1);
    const unsigned long e = ERR_peek_error();
    EXPECT_EQ(ERR_GET_REASON(e), SSL_R_NO_RENEGOTIATION) << ERR_reason_error_string(e);
}

TEST_F(Tls, APlainClientIsClosedAndServingGoesOn) {
    const std::string handshake("\x7F\xF1\x00\x00", 4);
    rawsocket(2s); // long enough to tell "at once" from "at the deadline" on a busy machine
    {
        // A RawSocket handshake and HELLO in the clear: no RawSocket reply,
        // closed at once (after a TLS alert at most).
        PlainConnection plain(raw_->tcp_port());
        plain.send(handshake + std::string("\x00\x00\x00\x02[]", 6));
        std::string received;
        const auto start = std::chrono::steady_clock::now();
        EXPECT_TRUE(plain.closed_by_peer(&received));
        EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
        EXPECT_TRUE(received.empty() || received[0] == '\x15') << "not a TLS alert";
    }
    {
        // The handshake alone is shorter than a TLS record header, so TLS
        // waits for more: closed at the handshake deadline, still no reply.
        PlainConnection plain(raw_->tcp_port());
        plain.send(handshake);
        std::string received;
        EXPECT_TRUE(plain.closed_by_peer(&received));
        EXPECT_TRUE(received.empty() || received[0] == '\x15') << "not a TLS alert";
    }
    {
        PlainConnection plain(websocket().port());
        plain.send("GET /ws HTTP/1.1\r\nHost: localhost\r\n\r\n");
        std::string received;
        EXPECT_TRUE(plain.closed_by_peer(&received));
        EXPECT_EQ(received.find("HTTP/1.1"), std::string::npos);
    }
    TlsClient raw(raw_->tcp_port());
    EXPECT_TRUE(raw.rawsocket_join());
    TlsClient ws(ws_->port());
    EXPECT_EQ(ws.websocket_upgrade(), "HTTP/1.1 101 Switching Protocols");
}

TEST_F(Tls, SilentClientsAreClosedAtTheHandshakeDeadline) {
    const auto deadline = 300ms;
    for (std::uint16_t port : {rawsocket(deadline).tcp_port(), websocket(deadline).port()}) {
        // Connects and sends nothing.
        const auto start = std::chrono::steady_clock::now();
        PlainConnection silent(port);
        EXPECT_TRUE(silent.closed_by_peer());
        EXPECT_GE(std::chrono::steady_clock::now() - start, deadline - 50ms);
        // Finishes TLS but not the RawSocket handshake or the HTTP upgrade:
        // the same deadline, not a fresh one.
        TlsClient quiet(port);
        ASSERT_TRUE(quiet.connected()) << quiet.error();
        EXPECT_TRUE(quiet.closed_by_peer());
        // Sends half a TLS ClientHello.
        PlainConnection partial(port);
        partial.send(std::string("\x16\x03\x01\x02\x00\x01", 6));
        EXPECT_TRUE(partial.closed_by_peer());
    }
}

// Beast's idle timeout closes the connection through AnyStream's socket
// (beast_close_socket), under the TLS layer.
TEST_F(Tls, AnUpgradedWebSocketThatStaysSilentIsClosedAtTheIdleTimeout) {
    TlsClient client(websocket(10s, 400ms).port());
    ASSERT_EQ(client.websocket_upgrade(), "HTTP/1.1 101 Switching Protocols");
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(client.closed_by_peer()); // reads the PINGs, never answers
    EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
}

TEST_F(Tls, TheUnixSocketStaysPlain) {
    rawsocket();
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const std::string path = dir_.path("raw.sock");
    std::copy(path.begin(), path.end(), a.sun_path);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::write(fd, "\x7F\xF1\x00\x00", 4), 4);
    char reply[4] = {};
    ASSERT_EQ(::read(fd, reply, 4), 4);
    EXPECT_EQ(reply[0], '\x7F');
    ::close(fd);
}

TEST_F(Tls, ReloadServesTheNewCertificateToNewConnectionsOnly) {
    rawsocket();
    websocket();
    TlsClient before_raw(raw_->tcp_port());
    TlsClient before_ws(ws_->port());
    ASSERT_EQ(before_raw.peer_serial(), 1);
    ASSERT_EQ(before_ws.peer_serial(), 1);

    const auto second = test::make_test_cert("second", 2);
    dir_.write("cert.pem", second.certificate);
    dir_.write("key.pem", second.key);
    raw_->reload_tls();
    ws_->reload_tls();

    TlsClient after_raw(raw_->tcp_port());
    TlsClient after_ws(ws_->port());
    EXPECT_EQ(after_raw.peer_serial(), 2);
    EXPECT_EQ(after_raw.peer_name(), "second");
    EXPECT_EQ(after_ws.peer_serial(), 2);
    EXPECT_TRUE(after_raw.rawsocket_join());
    EXPECT_EQ(after_ws.websocket_upgrade(), "HTTP/1.1 101 Switching Protocols");
    // Connections made before the reload go on with the old certificate.
    EXPECT_TRUE(before_raw.rawsocket_join());
    EXPECT_EQ(before_ws.websocket_upgrade(), "HTTP/1.1 101 Switching Protocols");
}

TEST_F(Tls, AFailedReloadKeepsTheCurrentCertificate) {
    rawsocket();
    websocket();
    const auto third = test::make_test_cert("third", 3);
    const auto expect_failure = [&](const std::string& expected) {
        for (const auto& reload : {std::function<void()>([&] { raw_->reload_tls(); }),
                                   std::function<void()>([&] { ws_->reload_tls(); })}) {
            try {
                reload();
                ADD_FAILURE() << "reload_tls() did not fail; expected: " << expected;
            } catch (const transport::TlsError& e) {
                EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
                EXPECT_EQ(std::string(e.what()).find("PRIVATE KEY"), std::string::npos);
            }
        }
        TlsClient raw(raw_->tcp_port());
        TlsClient ws(ws_->port());
        EXPECT_EQ(raw.peer_serial(), 1) << expected;
        EXPECT_EQ(ws.peer_serial(), 1) << expected;
        EXPECT_TRUE(raw.rawsocket_join());
    };

    // The certificate replaced by something that is not one.
    dir_.write("cert.pem", "not a certificate\n");
    expect_failure(cert_file_);
    // A new certificate, but the old key: they do not match.
    dir_.write("cert.pem", third.certificate);
    expect_failure("key values mismatch");
    // The key missing.
    std::filesystem::remove(key_file_);
    expect_failure(key_file_);
    // Finally right: the next reload takes.
    dir_.write("key.pem", third.key);
    raw_->reload_tls();
    TlsClient raw(raw_->tcp_port());
    EXPECT_EQ(raw.peer_serial(), 3);
}

TEST(TlsOptions, UnusableFilesAreReportedWithTheFileAndReason) {
    TempDir dir;
    const auto cert = test::make_test_cert("x", 1);
    const auto other = test::make_test_cert("y", 2);
    const std::string cert_file = dir.write("cert.pem", cert.certificate);
    const std::string key_file = dir.write("key.pem", cert.key);

    transport::RawSocketOptions raw;
    raw.tcp_address = "127.0.0.1:0";
    transport::WebSocketOptions ws;
    ws.address = "127.0.0.1:0";
    const auto both = [&](const std::string& certificate, const std::string& key) {
        transport::TlsServerOptions tls;
        tls.certificate_file = certificate;
        tls.private_key_file = key;
        raw.tls = tls;
        ws.tls = tls;
        const std::string r = construction_error<transport::RawSocketServer>(raw);
        EXPECT_EQ(r, construction_error<transport::WebSocketServer>(ws));
        return r;
    };

    const std::string missing = both("/nonexistent/cert.pem", key_file);
    EXPECT_NE(missing.find("/nonexistent/cert.pem"), std::string::npos) << missing;
    EXPECT_NE(missing.find("No such file"), std::string::npos) << missing;

    const std::string mismatch = both(cert_file, dir.write("other.key", other.key));
    EXPECT_NE(mismatch.find("key values mismatch"), std::string::npos) << mismatch;
    EXPECT_NE(mismatch.find(cert_file), std::string::npos) << mismatch;

    // An encrypted key is refused at once rather than prompting for a passphrase.
    const std::string encrypted = both(cert_file, dir.write("enc.key", cert.encrypted_key));
    EXPECT_NE(encrypted.find(dir.path("enc.key")), std::string::npos) << encrypted;
    EXPECT_NE(encrypted.find("encrypted"), std::string::npos) << encrypted;

    const std::string not_pem = both(dir.write("junk.pem", "junk"), key_file);
    EXPECT_NE(not_pem.find("junk.pem"), std::string::npos) << not_pem;

    // The key may be in the certificate file.
    EXPECT_EQ(both(dir.write("both.pem", cert.certificate + cert.key), ""), "constructed");
    EXPECT_EQ(both(cert_file, key_file), "constructed");
}

} // namespace
