// wss:// and tcps://: the client's TLS against a TLS-terminating proxy in
// front of the router's plain WebSocket and RawSocket servers, so the
// client's TLS is tested apart from the router's own TLS listeners
// (client_router_tls_test). The proxy's certificate is self-signed for
// "localhost" and 127.0.0.1 (support/tls_certs.hpp).
#include "support/client_fixture.hpp"
#include "support/tls_certs.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>
#include <fstream>

namespace nexus::test {
namespace {

/// Accepts TLS on 127.0.0.1 and relays the plaintext to a backend port.
class TlsProxy {
public:
    TlsProxy(const TestCert& pem, std::uint16_t backend)
        : ctx_(asio::ssl::context::tls_server),
          acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}), backend_(backend) {
        ctx_.use_certificate_chain(asio::buffer(pem.certificate));
        ctx_.use_private_key(asio::buffer(pem.key), asio::ssl::context::pem);
        asio::co_spawn(io_, accept(), asio::detached);
        thread_ = std::thread([this] { io_.run(); });
    }
    ~TlsProxy() {
        io_.stop();
        thread_.join();
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

private:
    using Tls = asio::ssl::stream<asio::ip::tcp::socket>;

    asio::awaitable<void> accept() {
        for (;;) {
            auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
            asio::co_spawn(io_, serve(std::make_shared<Tls>(std::move(socket), ctx_)),
                           asio::detached);
        }
    }

    asio::awaitable<void> serve(std::shared_ptr<Tls> tls) {
        co_await tls->async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
        auto plain = std::make_shared<asio::ip::tcp::socket>(io_);
        co_await plain->async_connect({asio::ip::make_address("127.0.0.1"), backend_},
                                      asio::use_awaitable);
        asio::co_spawn(io_, relay(tls, plain), asio::detached);
        asio::co_spawn(io_, relay(plain, tls), asio::detached);
    }

    template <class From, class To>
    asio::awaitable<void> relay(std::shared_ptr<From> from, std::shared_ptr<To> to) {
        std::array<char, 8192> buffer;
        try {
            for (;;) {
                auto n = co_await from->async_read_some(asio::buffer(buffer), asio::use_awaitable);
                co_await asio::async_write(*to, asio::buffer(buffer, n), asio::use_awaitable);
            }
        } catch (const std::exception&) {
            boost::system::error_code ec;
            from->lowest_layer().close(ec);
            to->lowest_layer().close(ec);
        }
    }

    asio::io_context io_;
    asio::ssl::context ctx_;
    asio::ip::tcp::acceptor acceptor_;
    std::uint16_t backend_;
    std::thread thread_;
};

class ClientTls : public ::testing::Test {
protected:
    ClientTls() : pem_(make_test_cert("localhost", 1)) {
        ca_file_ = "/tmp/nexus-client-tls-" + std::to_string(::getpid()) + ".pem";
        std::ofstream(ca_file_) << pem_.certificate;
    }
    ~ClientTls() override { std::remove(ca_file_.c_str()); }

    client::ConnectOptions trusting(wamp::Format format) {
        client::ConnectOptions o;
        o.format = format;
        o.tls.ca_file = ca_file_;
        return o;
    }

    // Joins over `url`, calls a procedure provided in-process, leaves.
    void round_trip(const std::string& url, const client::ConnectOptions& options) {
        if (!callee_) {
            callee_ = &h.joined({"local"});
            h.run(callee_->provide("com.example.tls", [](const client::Invocation& inv) {
                return client::Result{inv.args()};
            }));
        }
        client::Session caller(h.executor(),
                               h.run(client::async_connect(h.executor(), url, options)));
        h.run(caller.join("realm1"));
        EXPECT_EQ(h.run(caller.call("com.example.tls", {"secret"})).args, (wamp::Array{"secret"}));
        h.run(caller.leave());
    }

    std::string failure(const std::string& url, const client::ConnectOptions& options) {
        try {
            h.run(client::async_connect(h.executor(), url, options));
            return "connected";
        } catch (const client::TransportError& e) {
            return e.what();
        }
    }

    ClientHarness h;
    client::Session* callee_ = nullptr;
    TestCert pem_;
    std::string ca_file_;
};

TEST_F(ClientTls, WssWithEverySerializer) {
    TlsProxy proxy(pem_, h.websocket().port());
    const auto url = "wss://localhost:" + std::to_string(proxy.port()) + "/ws";
    for (auto format : wamp::all_formats)
        round_trip(url, trusting(format));
}

TEST_F(ClientTls, TcpsWithEverySerializer) {
    TlsProxy proxy(pem_, h.rawsocket().tcp_port());
    for (auto format : wamp::all_formats) {
        round_trip("tcps://localhost:" + std::to_string(proxy.port()), trusting(format));
        round_trip("tcps://127.0.0.1:" + std::to_string(proxy.port()), trusting(format));
    }
}

TEST_F(ClientTls, AnUntrustedCertificateIsRefused) {
    TlsProxy proxy(pem_, h.rawsocket().tcp_port());
    const auto port = std::to_string(proxy.port());
    client::ConnectOptions system_trust; // the system store does not know our certificate
    EXPECT_NE(failure("tcps://localhost:" + port, system_trust).find("TLS"), std::string::npos);
    EXPECT_NE(failure("wss://localhost:" + port + "/ws", system_trust), "connected");
    // Trusted, but issued for another name.
    client::ConnectOptions wrong_name = trusting(wamp::Format::json);
    wrong_name.tls.server_name = "router.example.com";
    EXPECT_NE(failure("tcps://127.0.0.1:" + port, wrong_name).find("TLS"), std::string::npos);
    // Verification off: connects to anyone.
    client::ConnectOptions blind;
    blind.tls.verify_peer = false;
    EXPECT_EQ(failure("tcps://127.0.0.1:" + port, blind), "connected");
}

TEST_F(ClientTls, AMissingCaFileIsReported) {
    client::ConnectOptions o;
    o.tls.ca_file = "/nonexistent/ca.pem";
    EXPECT_NE(failure("tcps://127.0.0.1:1", o).find("/nonexistent/ca.pem"), std::string::npos);
}

} // namespace
} // namespace nexus::test
