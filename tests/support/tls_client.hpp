// Test support for TLS and the listeners: blocking clients written straight
// against the OS and OpenSSL, so that a test controls every detail of the
// handshake and sees exactly what the server does (an alert, a close, a
// certificate); plain connections for the same tests in the clear.
#pragma once

#include <nexus/serialize/serializer.hpp>

#include <gtest/gtest.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "support/tls_certs.hpp"

namespace nexus::test {

using namespace std::chrono_literals;

// A blocking connection in the clear whose reads give up after 5 s: TCP to
// 127.0.0.1, or to a Unix socket.
class PlainConnection {
public:
    /// To 127.0.0.1:`port`, from `source` if given (another loopback address
    /// makes another peer).
    explicit PlainConnection(std::uint16_t port, const char* source = nullptr)
        : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        if (source) {
            sockaddr_in from{};
            from.sin_family = AF_INET;
            ::inet_pton(AF_INET, source, &from.sin_addr);
            if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0)
                fail(std::string("cannot bind to ") + source);
        }
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connect(reinterpret_cast<sockaddr*>(&to), sizeof to);
    }
    /// To the Unix socket at `path`.
    explicit PlainConnection(const std::string& unix_path)
        : fd_(::socket(AF_UNIX, SOCK_STREAM, 0)) {
        sockaddr_un to{};
        to.sun_family = AF_UNIX;
        std::strncpy(to.sun_path, unix_path.c_str(), sizeof to.sun_path - 1);
        connect(reinterpret_cast<sockaddr*>(&to), sizeof to);
    }
    ~PlainConnection() { ::close(fd_); }
    PlainConnection(const PlainConnection&) = delete;
    PlainConnection& operator=(const PlainConnection&) = delete;
    int fd() const { return fd_; }

    void send(std::string_view bytes) { ASSERT_TRUE(write(bytes)); }
    bool write(std::string_view bytes) {
        return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
               static_cast<ssize_t>(bytes.size());
    }
    /// Exactly n bytes, or what came before the connection ended.
    std::string read(std::size_t n) {
        std::string out(n, '\0');
        std::size_t have = 0;
        while (have < n) {
            const ssize_t r = ::recv(fd_, out.data() + have, n - have, 0);
            if (r <= 0) break;
            have += static_cast<std::size_t>(r);
        }
        out.resize(have);
        return out;
    }
    /// Reads until the peer closes (true) or 5 s pass without a byte (false).
    bool closed_by_peer(std::string* received = nullptr) {
        char buffer[4096];
        for (;;) {
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
            if (n < 0) return false;
            if (received) received->append(buffer, static_cast<std::size_t>(n));
        }
    }
    /// Whether the server closed the connection without sending a byte.
    bool refused() {
        char c;
        const ssize_t r = ::recv(fd_, &c, 1, 0);
        return r == 0 || (r < 0 && errno == ECONNRESET);
    }

private:
    void connect(const sockaddr* to, socklen_t length) {
        timeval tv{5, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (::connect(fd_, to, length) != 0) fail("cannot connect");
    }
    [[noreturn]] void fail(const std::string& what) {
        ::close(fd_);
        throw std::runtime_error(what);
    }

    int fd_;
};

// The openings of both WAMP transports over any blocking connection: a
// PlainConnection or a TlsClient (write(bytes) -> bool, read(n) -> n bytes
// or fewer when the connection ends).

/// The RawSocket handshake (JSON), then `hello`: the router's answer, or
/// nothing when the connection ends first.
template <class Connection>
std::optional<wamp::Message> rawsocket_hello(Connection& c, const wamp::Hello& hello) {
    if (!c.write(std::string("\x7F\xF1\x00\x00", 4))) return std::nullopt;
    const std::string reply = c.read(4);
    if (reply.size() != 4 || reply[0] != '\x7F' || (reply[1] & 0x0F) != 1) return std::nullopt;
    const std::string body = *serialize::encode(wamp::Format::json, hello);
    const std::string frame{'\0', static_cast<char>(body.size() >> 16),
                            static_cast<char>(body.size() >> 8), static_cast<char>(body.size())};
    if (!c.write(frame + body)) return std::nullopt;
    const std::string header = c.read(4);
    if (header.size() != 4) return std::nullopt;
    const std::size_t length = (std::size_t(std::uint8_t(header[1])) << 16) |
                               (std::size_t(std::uint8_t(header[2])) << 8) |
                               std::uint8_t(header[3]);
    auto message = serialize::decode(wamp::Format::json, c.read(length));
    if (!message.ok()) return std::nullopt;
    return std::move(*message);
}

/// The RawSocket handshake, HELLO (JSON) and WELCOME.
template <class Connection> bool rawsocket_join(Connection& c) {
    auto answer = rawsocket_hello(
        c, wamp::Hello{"realm1", {{"roles", wamp::Object{{"caller", wamp::Object{}}}}}});
    return answer && std::holds_alternative<wamp::Welcome>(*answer);
}

/// The WebSocket upgrade (wamp.2.json on /ws); the response's status line.
template <class Connection> std::string websocket_upgrade(Connection& c) {
    c.write("GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n");
    std::string response;
    while (response.find("\r\n\r\n") == std::string::npos) {
        const std::string byte = c.read(1);
        if (byte.empty()) break;
        response += byte;
    }
    return response.substr(0, response.find("\r\n"));
}

struct ClientSettings {
    int min_version = TLS1_2_VERSION;
    int max_version = 0;         // the library's highest
    std::string tls12_ciphers{}; // empty = OpenSSL's default
    int security_level = -1;     // -1 = the default
    /// A client certificate (PEM chain, and its key) to present; none when empty.
    std::string certificate_file{}, key_file{};
};

// An OpenSSL client over a PlainConnection. The certificate is not verified:
// these tests look at what the server presents, not at trust.
class TlsClient {
public:
    explicit TlsClient(std::uint16_t port, const ClientSettings& s = {})
        : tcp_(port), ctx_(SSL_CTX_new(TLS_client_method())) {
        SSL_CTX_set_min_proto_version(ctx_, s.min_version);
        SSL_CTX_set_max_proto_version(ctx_, s.max_version);
        if (s.security_level >= 0) SSL_CTX_set_security_level(ctx_, s.security_level);
        if (!s.tls12_ciphers.empty()) SSL_CTX_set_cipher_list(ctx_, s.tls12_ciphers.c_str());
        if (!s.certificate_file.empty() &&
            (SSL_CTX_use_certificate_chain_file(ctx_, s.certificate_file.c_str()) != 1 ||
             SSL_CTX_use_PrivateKey_file(ctx_, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1))
            throw std::runtime_error("cannot load the client certificate " + s.certificate_file);
        ssl_ = SSL_new(ctx_);
        SSL_set_fd(ssl_, tcp_.fd());
        SSL_set_tlsext_host_name(ssl_, "localhost");
        ERR_clear_error();
        if (SSL_connect(ssl_) != 1) error_ = last_error();
    }
    ~TlsClient() {
        SSL_free(ssl_);
        SSL_CTX_free(ctx_);
    }
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    bool connected() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    std::string version() const { return SSL_get_version(ssl_); }
    std::string cipher() const { return SSL_get_cipher_name(ssl_); }
    SSL* ssl() { return ssl_; }

    long peer_serial() const {
        X509* cert = SSL_get1_peer_certificate(ssl_);
        const long serial = cert ? cert_serial(cert) : -1;
        X509_free(cert);
        return serial;
    }
    std::string peer_name() const {
        X509* cert = SSL_get1_peer_certificate(ssl_);
        std::string name = cert ? cert_common_name(cert) : "";
        X509_free(cert);
        return name;
    }

    bool write(std::string_view bytes) {
        return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
               static_cast<int>(bytes.size());
    }
    /// Exactly n bytes, or empty if the connection ends first.
    std::string read(std::size_t n) {
        std::string out(n, '\0');
        std::size_t have = 0;
        while (have < n) {
            const int r = SSL_read(ssl_, out.data() + have, static_cast<int>(n - have));
            if (r <= 0) return {};
            have += static_cast<std::size_t>(r);
        }
        return out;
    }
    /// Reads until the peer closes the connection (true) or the 5 s read
    /// timeout passes (false).
    bool closed_by_peer() {
        const auto start = std::chrono::steady_clock::now();
        char buffer[1024];
        while (SSL_read(ssl_, buffer, sizeof buffer) > 0) {
        }
        return std::chrono::steady_clock::now() - start < 4500ms;
    }

    // The transports' openings over the TLS connection.
    bool rawsocket_join() { return test::rawsocket_join(*this); }
    std::optional<wamp::Message> rawsocket_hello(const wamp::Hello& hello) {
        return test::rawsocket_hello(*this, hello);
    }
    std::string websocket_upgrade() { return test::websocket_upgrade(*this); }

private:
    static std::string last_error() {
        std::string out;
        while (const unsigned long e = ERR_get_error()) {
            const char* reason = ERR_reason_error_string(e);
            out += (out.empty() ? "" : "; ") + std::string(reason ? reason : "?");
        }
        return out.empty() ? "handshake failed" : out;
    }

    PlainConnection tcp_;
    SSL_CTX* ctx_;
    SSL* ssl_ = nullptr;
    std::string error_;
};

} // namespace nexus::test
