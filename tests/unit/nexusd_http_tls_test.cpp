// The HTTP listener over TLS: the certificate it is given, and a new one
// after reload_tls() (SIGHUP in nexusd), keeping the old one when the new
// files cannot be used.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <gtest/gtest.h>

#include <nexus/router/router.hpp>

#include "http/server.hpp"
#include "support/tls_certs.hpp"
#include "support/tls_client.hpp"

namespace nexus::test {
namespace {

namespace http = nexusd::http;

class NexusdHttpTls : public ::testing::Test {
protected:
    NexusdHttpTls() : work_(io_.get_executor()) {
        const TestCert cert = make_test_cert("first", 1);
        options_.address = "127.0.0.1:0";
        options_.tls.certificate_file = dir_.write("cert.pem", cert.certificate);
        options_.tls.private_key_file = dir_.write("key.pem", cert.key);
        server_ = std::make_unique<http::Server>(
            io_.get_executor(), workers_.get_executor(), options_,
            [](const http::Request& r, const http::RequestContext& c) {
                http::Response res{boost::beast::http::status::ok, r.version()};
                res.body() = c.tls ? "tls\n" : "plain\n";
                return res;
            });
        server_->start();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~NexusdHttpTls() override {
        server_->stop();
        work_.reset();
        io_.stop();
        thread_.join();
        workers_.join();
    }

    // GET / over TLS: the status line and the body, and the certificate's serial.
    std::pair<std::string, long> get() {
        TlsClient client(server_->port());
        if (!client.connected()) return {"no TLS: " + client.error(), -1};
        client.write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        std::string reply;
        for (std::string part; !(part = client.read(1)).empty();)
            reply += part;
        return {reply, client.peer_serial()};
    }

    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    boost::asio::thread_pool workers_{1};
    TempDir dir_;
    http::ServerOptions options_;
    std::unique_ptr<http::Server> server_;
    std::thread thread_;
};

TEST_F(NexusdHttpTls, ServesOverTlsAndReloadsItsCertificate) {
    ASSERT_TRUE(server_->tls());
    auto [reply, serial] = get();
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK")) << reply;
    EXPECT_TRUE(reply.ends_with("\r\n\r\ntls\n")) << reply;
    EXPECT_EQ(serial, 1);

    const TestCert second = make_test_cert("second", 2);
    dir_.write("cert.pem", second.certificate);
    dir_.write("key.pem", second.key);
    server_->reload_tls();
    EXPECT_EQ(get().second, 2);

    dir_.write("cert.pem", "not a certificate");
    EXPECT_THROW(server_->reload_tls(), transport::TlsError);
    EXPECT_EQ(get().second, 2);
}

TEST(NexusdHttpTlsConfig, UnusableFilesAreRefusedAtConstruction) {
    boost::asio::io_context io;
    http::ServerOptions options;
    options.address = "127.0.0.1:0";
    options.tls.certificate_file = "/nonexistent/cert.pem";
    options.tls.private_key_file = "/nonexistent/key.pem";
    EXPECT_THROW(http::Server(io.get_executor(), io.get_executor(), options,
                              [](const http::Request&, const http::RequestContext&) {
                                  return http::Response{};
                              }),
                 transport::TlsError);
}

} // namespace
} // namespace nexus::test
