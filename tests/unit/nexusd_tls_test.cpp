// The nexusd program with TLS listeners: it serves the configured
// certificate, SIGHUP reloads it (and a bad file keeps the current one, and
// the client CA file with it), client certificates authenticate (authmethod
// tls), SIGTERM still shuts down cleanly, and an unusable certificate stops
// startup.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "support/tls_certs.hpp"
#include "support/tls_client.hpp"

extern char** environ;

namespace nexus::test {
namespace {

class Nexusd {
public:
    Nexusd(const std::string& config_file, std::string log_file) : log_file_(std::move(log_file)) {
        const char* argv[] = {NEXUSD_PATH, "--config", config_file.c_str(),
                              "--threads", "2",        nullptr};
        if (posix_spawn(&pid_, NEXUSD_PATH, nullptr, nullptr, const_cast<char**>(argv), environ) !=
            0)
            throw std::runtime_error("cannot start " + std::string(NEXUSD_PATH));
    }
    ~Nexusd() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    Nexusd(const Nexusd&) = delete;
    Nexusd& operator=(const Nexusd&) = delete;

    void signal(int number) { ::kill(pid_, number); }

    /// The exit code once the process ends (within 10 s), or nothing.
    std::optional<int> exit_code() {
        for (int i = 0; i < 1000; ++i) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = 0;
                if (WIFEXITED(status)) return WEXITSTATUS(status);
                return 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(10ms);
        }
        return std::nullopt;
    }

    std::string log() const {
        std::ifstream in(log_file_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    /// Waits (up to 10 s) until `text` occurs `count` times in the log.
    bool logged(const std::string& text, std::size_t count = 1) const {
        for (int i = 0; i < 1000; ++i) {
            const std::string l = log();
            std::size_t found = 0;
            for (auto at = l.find(text); at != std::string::npos; at = l.find(text, at + 1))
                ++found;
            if (found >= count) return true;
            std::this_thread::sleep_for(10ms);
        }
        return false;
    }
    /// The port of a listener from its "<name> listening on ... (port N)" line.
    std::uint16_t port(const std::string& name) const {
        if (!logged(name + " listening on")) return 0;
        std::smatch m;
        const std::string l = log();
        if (!std::regex_search(l, m, std::regex(name + " listening on [^\n]*\\(port ([0-9]+)\\)")))
            return 0;
        return static_cast<std::uint16_t>(std::stoi(m[1]));
    }

private:
    pid_t pid_ = 0;
    std::string log_file_;
};

class NexusdTls : public ::testing::Test {
protected:
    // A configuration with TLS on the WebSocket and RawSocket TCP listeners.
    std::string config(const std::string& cert_file, const std::string& key_file) {
        const std::string tls =
            R"("cert_file": ")" + cert_file + R"(", "key_file": ")" + key_file + '"';
        return dir_.write("nexus.json", R"({"websocket": {"address": "127.0.0.1:0", )" + tls +
                                            R"(}, "rawsocket": {"tcp_address": "127.0.0.1:0", )" +
                                            tls + R"(}, "log_path": ")" + log_file() +
                                            R"(", "router": {"realms": [{"uri": "realm1"}]}})");
    }
    std::string log_file() const { return dir_.path("nexusd.log"); }

    TempDir dir_;
};

TEST_F(NexusdTls, ServesTheCertificateAndReloadsItOnSighup) {
    const TestCert first = make_test_cert("first", 1);
    const std::string cert_file = dir_.write("cert.pem", first.certificate);
    const std::string key_file = dir_.write("key.pem", first.key);
    Nexusd nexusd(config(cert_file, key_file), log_file());
    const std::uint16_t ws = nexusd.port("WebSocket"), raw = nexusd.port("RawSocket");
    ASSERT_NE(ws, 0) << nexusd.log();
    ASSERT_NE(raw, 0) << nexusd.log();
    EXPECT_TRUE(nexusd.logged("with TLS", 2)) << nexusd.log();
    {
        TlsClient client(raw);
        EXPECT_EQ(client.peer_serial(), 1);
        EXPECT_TRUE(client.rawsocket_join());
        EXPECT_EQ(TlsClient(ws).peer_serial(), 1);
    }

    const TestCert second = make_test_cert("second", 2);
    dir_.write("cert.pem", second.certificate);
    dir_.write("key.pem", second.key);
    nexusd.signal(SIGHUP);
    ASSERT_TRUE(nexusd.logged("rawsocket: TLS certificate reloaded from " + cert_file))
        << nexusd.log();
    ASSERT_TRUE(nexusd.logged("websocket: TLS certificate reloaded from " + cert_file))
        << nexusd.log();
    {
        TlsClient client(raw);
        EXPECT_EQ(client.peer_serial(), 2);
        EXPECT_TRUE(client.rawsocket_join());
        TlsClient web(ws);
        EXPECT_EQ(web.peer_serial(), 2);
        EXPECT_EQ(web.websocket_upgrade(), "HTTP/1.1 101 Switching Protocols");
    }

    // A certificate that does not match the key: logged, and the listeners
    // keep the one they have.
    dir_.write("cert.pem", make_test_cert("third", 3).certificate);
    nexusd.signal(SIGHUP);
    ASSERT_TRUE(nexusd.logged("TLS certificate not reloaded", 2)) << nexusd.log();
    EXPECT_TRUE(nexusd.logged("key values mismatch", 2)) << nexusd.log();
    EXPECT_EQ(nexusd.log().find("PRIVATE KEY"), std::string::npos);
    EXPECT_EQ(TlsClient(raw).peer_serial(), 2);
    EXPECT_EQ(TlsClient(ws).peer_serial(), 2);

    nexusd.signal(SIGTERM);
    EXPECT_EQ(nexusd.exit_code(), 0);
    EXPECT_TRUE(nexusd.logged("stopped")) << nexusd.log();
}

// Authmethod "tls" through the program: the RawSocket listener requires
// client certificates of the CA in client-ca.pem; SIGHUP reads that file
// again with the certificate.
TEST_F(NexusdTls, ClientCertificatesAuthenticateAndTheirCaIsReloadedOnSighup) {
    const TestCert server = make_test_cert("localhost", 1);
    const TestCert first_ca = make_test_ca("first CA"), second_ca = make_test_ca("second CA");
    const std::string cert_file = dir_.write("cert.pem", server.certificate);
    const std::string key_file = dir_.write("key.pem", server.key);
    const std::string ca_file = dir_.write("client-ca.pem", first_ca.certificate);
    const auto client = [&](const std::string& name, const TestCert& ca) {
        const TestCert cert = make_client_cert(ca, {name}, 9);
        ClientSettings settings;
        settings.certificate_file = dir_.write(name + ".pem", cert.certificate);
        settings.key_file = dir_.write(name + "-key.pem", cert.key);
        return settings;
    };
    const ClientSettings alice = client("alice", first_ca), bob = client("bob", second_ca);
    const std::string config_file = dir_.write(
        "nexus.json", R"({"rawsocket": {"tcp_address": "127.0.0.1:0", "cert_file": ")" + cert_file +
                          R"(", "key_file": ")" + key_file +
                          R"(", "client_certificates": "require", "client_ca_file": ")" + ca_file +
                          R"("}, "log_path": ")" + log_file() +
                          R"(", "router": {"realms": [{"uri": "realm1", "anonymous_auth": false,
                                                       "tls_authrole": "device"}]}})");
    Nexusd nexusd(config_file, log_file());
    const std::uint16_t raw = nexusd.port("RawSocket");
    ASSERT_NE(raw, 0) << nexusd.log();
    EXPECT_TRUE(nexusd.logged("with TLS, client certificates required (CAs from " + ca_file))
        << nexusd.log();
    EXPECT_TRUE(nexusd.logged("realm realm1 (authentication: tls;")) << nexusd.log();

    wamp::Hello hello{"realm1",
                      {{"roles", wamp::Object{{"caller", wamp::Object{}}}},
                       {"authmethods", wamp::Array{"tls"}},
                       {"authid", "root"}}};
    // Who joins, or "" when the handshake or the join fails.
    const auto joins_as = [&](const ClientSettings& settings) -> std::string {
        TlsClient c(raw, settings);
        if (!c.connected()) return "";
        const auto answer = c.rawsocket_hello(hello);
        if (!answer || !std::holds_alternative<wamp::Welcome>(*answer)) return "";
        const auto& details = std::get<wamp::Welcome>(*answer).details;
        EXPECT_EQ(details.at("authmethod"), wamp::Value("tls"));
        EXPECT_EQ(details.at("authrole"), wamp::Value("device"));
        return details.at("authid").as_string();
    };
    EXPECT_EQ(joins_as(alice), "alice");
    EXPECT_EQ(joins_as(bob), "");
    EXPECT_EQ(joins_as(ClientSettings{}), ""); // required

    dir_.write("client-ca.pem", second_ca.certificate);
    nexusd.signal(SIGHUP);
    ASSERT_TRUE(nexusd.logged("rawsocket: TLS certificate reloaded from " + cert_file +
                              ", client CAs from " + ca_file))
        << nexusd.log();
    EXPECT_EQ(joins_as(bob), "bob");
    EXPECT_EQ(joins_as(alice), "");

    nexusd.signal(SIGTERM);
    EXPECT_EQ(nexusd.exit_code(), 0);
}

TEST_F(NexusdTls, AnUnusableCertificateStopsStartup) {
    const TestCert cert = make_test_cert("x", 1);
    const std::string key_file = dir_.write("key.pem", cert.key);
    Nexusd nexusd(config(dir_.path("missing.pem"), key_file), log_file());
    EXPECT_EQ(nexusd.exit_code(), 1);
    const std::string log = nexusd.log();
    EXPECT_NE(log.find("cannot load the certificate chain from " + dir_.path("missing.pem") +
                       ": No such file or directory"),
              std::string::npos)
        << log;
}

TEST_F(NexusdTls, SighupWithoutTlsIsHarmless) {
    const std::string config_file =
        dir_.write("plain.json", R"({"websocket": {"address": "127.0.0.1:0"}, "log_path": ")" +
                                     log_file() + R"("})");
    Nexusd nexusd(config_file, log_file());
    ASSERT_NE(nexusd.port("WebSocket"), 0) << nexusd.log();
    nexusd.signal(SIGHUP);
    EXPECT_TRUE(nexusd.logged("no TLS listener")) << nexusd.log();
    nexusd.signal(SIGINT);
    EXPECT_EQ(nexusd.exit_code(), 0);
}

} // namespace
} // namespace nexus::test
