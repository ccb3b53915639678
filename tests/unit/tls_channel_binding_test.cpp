// TLS channel ids for cryptosign: a client and the router's own server
// context, handshaking in memory, must compute the same 32 bytes on both ends
// (TLS 1.2 and 1.3, full and resumed handshakes), different ones on every
// connection, and none where the binding would not be unique.
#include "support/tls_certs.hpp"
#include "transport/net/tls_channel_binding.hpp"
#include "transport/net/tls_context.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <memory>

namespace nexus::test {
namespace {

using transport::ChannelId;

struct SslDeleter {
    void operator()(SSL* s) const { SSL_free(s); }
};
using SslPtr = std::unique_ptr<SSL, SslDeleter>;
struct CtxDeleter {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SessionDeleter {
    void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
};

class TlsChannelBinding : public ::testing::Test {
protected:
    TlsChannelBinding() {
        const TestCert cert = make_test_cert("localhost", 11);
        server_ = transport::make_server_tls_context(
            {dir_.write("cert.pem", cert.certificate), dir_.write("key.pem", cert.key)});
    }

    struct Connection {
        SslPtr client;
        SslPtr server;
    };

    // A client context: `max_version` 0 = the highest; no certificate check
    // (the channel id does not depend on it).
    static std::unique_ptr<SSL_CTX, CtxDeleter> client_context(int max_version,
                                                               bool extended_master_secret) {
        std::unique_ptr<SSL_CTX, CtxDeleter> ctx(SSL_CTX_new(TLS_client_method()));
        if (max_version) SSL_CTX_set_max_proto_version(ctx.get(), max_version);
        if (!extended_master_secret)
            SSL_CTX_set_options(ctx.get(), SSL_OP_NO_EXTENDED_MASTER_SECRET);
        SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_CLIENT);
        return ctx;
    }

    // Handshakes a new connection in memory, resuming `session` if given.
    Connection handshake(SSL_CTX* client_ctx, SSL_SESSION* session = nullptr) {
        Connection c{SslPtr(SSL_new(client_ctx)), SslPtr(SSL_new(server_->native_handle()))};
        BIO* client_bio = nullptr;
        BIO* server_bio = nullptr;
        BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
        SSL_set_bio(c.client.get(), client_bio, client_bio);
        SSL_set_bio(c.server.get(), server_bio, server_bio);
        SSL_set_connect_state(c.client.get());
        SSL_set_accept_state(c.server.get());
        if (session) SSL_set_session(c.client.get(), session);
        EXPECT_FALSE(transport::tls_unique_channel_id(c.server.get(), true)); // not yet
        bool client_done = false, server_done = false;
        for (int round = 0; round < 20 && !(client_done && server_done); ++round) {
            if (!client_done) client_done = SSL_do_handshake(c.client.get()) == 1;
            if (!server_done) server_done = SSL_do_handshake(c.server.get()) == 1;
        }
        EXPECT_TRUE(client_done && server_done) << "the in-memory handshake did not finish";
        // TLS 1.3 session tickets arrive after the handshake: let the client read them.
        char byte;
        SSL_read(c.client.get(), &byte, 1);
        return c;
    }

    static std::unique_ptr<SSL_SESSION, SessionDeleter> session_of(const Connection& c) {
        return std::unique_ptr<SSL_SESSION, SessionDeleter>(SSL_get1_session(c.client.get()));
    }

    // Both ends agree on both ids; returns them.
    static std::pair<ChannelId, ChannelId> agreed_ids(const Connection& c) {
        const auto unique_client = transport::tls_unique_channel_id(c.client.get(), false);
        const auto unique_server = transport::tls_unique_channel_id(c.server.get(), true);
        const auto exporter_client = transport::tls_exporter_channel_id(c.client.get());
        const auto exporter_server = transport::tls_exporter_channel_id(c.server.get());
        EXPECT_TRUE(unique_client && unique_server && exporter_client && exporter_server);
        if (!(unique_client && unique_server && exporter_client && exporter_server)) return {};
        EXPECT_EQ(*unique_client, *unique_server);
        EXPECT_EQ(*exporter_client, *exporter_server);
        EXPECT_NE(*unique_client, *exporter_client);
        EXPECT_EQ(transport::tls_channel_ids(c.server.get(), true).size(), 2u);
        return {*unique_server, *exporter_server};
    }

    // SHA-256 of the Finished message `ssl` sent itself: autobahn-python's
    // tls-unique (CPython's get_channel_binding takes the client's own
    // Finished on a full handshake and the server's on a resumed one).
    static ChannelId sha256_of_own_finished(const SSL* ssl) {
        unsigned char finished[EVP_MAX_MD_SIZE];
        const std::size_t length = SSL_get_finished(ssl, finished, sizeof finished);
        ChannelId id{};
        unsigned int n = 0;
        EVP_Digest(finished, length, id.data(), &n, EVP_sha256(), nullptr);
        return id;
    }

    TempDir dir_;
    std::shared_ptr<boost::asio::ssl::context> server_;
};

TEST_F(TlsChannelBinding, BothEndsAgreeAndEveryConnectionDiffers) {
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        SCOPED_TRACE(version == TLS1_2_VERSION ? "TLS 1.2" : "TLS 1.3");
        auto ctx = client_context(version, true);
        const Connection first = handshake(ctx.get());
        EXPECT_EQ(SSL_version(first.server.get()), version);
        const Connection second = handshake(ctx.get());
        const auto a = agreed_ids(first);
        const auto b = agreed_ids(second);
        EXPECT_EQ(a.first, sha256_of_own_finished(first.client.get()));
        EXPECT_NE(a.first, b.first);
        EXPECT_NE(a.second, b.second);
    }
}

TEST_F(TlsChannelBinding, ResumedHandshakesAgreeOnANewId) {
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        SCOPED_TRACE(version == TLS1_2_VERSION ? "TLS 1.2" : "TLS 1.3");
        auto ctx = client_context(version, true);
        const Connection first = handshake(ctx.get());
        auto session = session_of(first);
        ASSERT_TRUE(session);
        const Connection resumed = handshake(ctx.get(), session.get());
        ASSERT_EQ(SSL_session_reused(resumed.client.get()), 1);
        ASSERT_EQ(SSL_session_reused(resumed.server.get()), 1);
        EXPECT_EQ(agreed_ids(resumed).first, sha256_of_own_finished(resumed.server.get()));
        EXPECT_NE(agreed_ids(first).first, agreed_ids(resumed).first);
        EXPECT_NE(agreed_ids(first).second, agreed_ids(resumed).second);
    }
}

TEST_F(TlsChannelBinding, NoIdForTls12WithoutTheExtendedMasterSecret) {
    auto ctx = client_context(TLS1_2_VERSION, false);
    const Connection c = handshake(ctx.get());
    ASSERT_EQ(SSL_get_extms_support(c.server.get()), 0);
    EXPECT_FALSE(transport::tls_unique_channel_id(c.server.get(), true));
    EXPECT_FALSE(transport::tls_exporter_channel_id(c.server.get()));
    EXPECT_TRUE(transport::tls_channel_ids(c.server.get(), true).empty());
}

} // namespace
} // namespace nexus::test
