// Test support for the fault tests (tests/unit/fault_*_test.cpp): a router
// with both network servers on its own threads, blocking RawSocket and
// WebSocket clients whose every wait is bounded, clients that vanish
// abruptly (RST) or silently (no FIN, no RST), and process accounting (open
// file descriptors, resident memory, CPU time).
#pragma once

#include <nexus/router/router.hpp>
#include <nexus/serialize/serializer.hpp>
#include <nexus/transport/rawsocket_server.hpp>
#include <nexus/transport/websocket_server.hpp>
#include <nexus/wamp/uris.hpp>

#include "support/router_fixture.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace nexus::test {

using namespace std::chrono_literals;

#ifndef NEXUS_TEST_SANITIZE
#define NEXUS_TEST_SANITIZE ""
#endif
/// The sanitizers this test was built with (CMake NEXUS_SANITIZE), e.g. "address,undefined".
inline bool built_with_sanitizer(std::string_view name) {
    return std::string_view(NEXUS_TEST_SANITIZE).find(name) != std::string_view::npos;
}

// --- process accounting -------------------------------------------------------------

/// Open file descriptors of a process (this one by default), from /proc.
inline int open_fds(pid_t pid = 0) {
    const std::string dir = pid ? "/proc/" + std::to_string(pid) + "/fd" : "/proc/self/fd";
    DIR* d = ::opendir(dir.c_str());
    if (!d) return -1;
    int n = 0;
    while (const dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return pid ? n : n - 1; // not the directory's own descriptor
}

/// VmRSS of a process in KiB (this one by default).
inline long vm_rss_kib(pid_t pid = 0) {
    std::ifstream in(pid ? "/proc/" + std::to_string(pid) + "/status" : "/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

/// User + system CPU time a process has used, in seconds.
inline double cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Fields after the command (which may hold spaces) start after the last ')'.
    std::istringstream rest(all.substr(all.rfind(')') + 2));
    std::string field;
    unsigned long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoul(field);
        if (i == 15) stime = std::stoul(field);
    }
    return double(utime + stime) / double(::sysconf(_SC_CLK_TCK));
}

/// Polls `condition` every few milliseconds until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
}

/// TestClient::hello with these tests' defaults: no features unless asked.
inline wamp::Hello hello_with_roles(const std::string& realm = "realm1", wamp::Object features = {},
                                    wamp::Object extra = {}) {
    return TestClient::hello(realm, std::move(extra), std::move(features));
}

inline wamp::Object rpc_features(bool call_canceling = true) {
    wamp::Object f{{"progressive_call_results", true}, {"call_timeout", true}};
    if (call_canceling) f.emplace("call_canceling", true);
    return f;
}

inline std::string describe(const std::optional<wamp::Message>& m) {
    if (!m) return "nothing";
    std::string s(wamp::message_name(wamp::message_type(*m)));
    if (auto* e = std::get_if<wamp::Error>(&*m)) s += " (" + e->error + ")";
    if (auto* a = std::get_if<wamp::Abort>(&*m)) s += " (" + a->reason + ")";
    if (auto* g = std::get_if<wamp::Goodbye>(&*m)) s += " (" + g->reason + ")";
    return s;
}

// --- sockets ----------------------------------------------------------------------

/// Close with SO_LINGER 0: the kernel sends RST and forgets the connection.
inline void reset_socket(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::close(fd);
}

/// Close without FIN or RST (TCP_REPAIR, needs CAP_NET_ADMIN): the peer keeps
/// a half-open connection until it sends something, which then meets a RST.
/// False (and nothing done) when the kernel does not allow it.
inline bool vanish_socket(int fd) {
    int on = 1;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) != 0) return false;
    ::close(fd);
    return true;
}

/// A complete WebSocket upgrade request for /ws offering wamp.2.json.
inline std::string ws_upgrade_request() {
    return "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n";
}

/// The server's end of the loopback connection whose client end is
/// `client_fd`, when the server runs in this process; -1 if none.
inline int server_end(int client_fd) {
    sockaddr_in client{};
    socklen_t n = sizeof client;
    ::getsockname(client_fd, reinterpret_cast<sockaddr*>(&client), &n);
    for (int fd = 0; fd < 4096; ++fd) {
        sockaddr_in peer{};
        n = sizeof peer;
        if (fd != client_fd && ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &n) == 0 &&
            peer.sin_family == AF_INET && peer.sin_port == client.sin_port)
            return fd;
    }
    return -1;
}

/// Bytes sent on `fd` that the peer has not acknowledged yet.
inline int unacked_bytes(int fd) {
    int n = -1;
    return ::ioctl(fd, SIOCOUTQ, &n) == 0 ? n : -1;
}

/// Before a client vanishes: wait until the server's end has nothing
/// unacknowledged (a delayed ACK still due would make the server retransmit,
/// meet a RST and find the vanished peer at once, whatever its keepalive).
inline bool all_acknowledged(int client_fd) {
    const int fd = server_end(client_fd);
    return fd >= 0 && eventually([&] { return unacked_bytes(fd) == 0; }, 2s);
}

/// Blocking TCP connect to 127.0.0.1:port; -1 on failure.
inline int tcp_connect(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/// True once the peer closed `fd` (EOF or RST) within `timeout`; data that
/// arrives meanwhile is read and discarded.
inline bool peer_closed(int fd, std::chrono::milliseconds timeout = 3s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, int(left.count())) != 1) continue;
        char buf[4096];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return true;
    }
}

/// A RawSocket client on a plain blocking socket, every read bounded by poll().
class RawClient {
public:
    RawClient() = default;
    explicit RawClient(std::uint16_t port, wamp::Format format = wamp::Format::json)
        : fd_(tcp_connect(port)), format_(format) {}
    RawClient(RawClient&& o) noexcept { *this = std::move(o); }
    RawClient& operator=(RawClient&& o) noexcept {
        close();
        fd_ = std::exchange(o.fd_, -1);
        bytes_sent_ = o.bytes_sent_;
        bytes_received_ = o.bytes_received_;
        format_ = o.format_;
        pings_ = o.pings_;
        request_ = o.request_;
        return *this;
    }
    ~RawClient() { close(); }

    bool connected() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    /// PINGs from the server that receive() answered.
    int pings() const { return pings_; }

    /// The opening handshake; true if the router accepted our serializer.
    bool handshake() {
        const std::uint8_t code = wamp::rawsocket_serializer_code(format_);
        const std::array<std::uint8_t, 4> hs{0x7F, std::uint8_t(0xF0 | code), 0, 0};
        if (!write_all(hs.data(), hs.size())) return false;
        std::array<std::uint8_t, 4> reply{};
        if (!read_exact(reply.data(), reply.size(), 3s)) return false;
        return reply[0] == 0x7F && (reply[1] & 0x0F) == code;
    }

    /// Bytes this client wrote and read so far, handshake included.
    std::uint64_t bytes_sent() const { return bytes_sent_; }
    std::uint64_t bytes_received() const { return bytes_received_; }

    bool write_all(const void* data, std::size_t n) {
        bytes_sent_ += n;
        const char* p = static_cast<const char*>(data);
        while (n > 0) {
            const ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return false;
            p += w;
            n -= std::size_t(w);
        }
        return true;
    }

    bool send(const wamp::Message& m) {
        auto body = serialize::encode(format_, m);
        if (!body.ok()) return false;
        const std::size_t n = body->size();
        std::string frame{char(0), char(n >> 16), char(n >> 8), char(n)};
        frame += *body;
        return write_all(frame.data(), frame.size());
    }

    /// The next WAMP message, or nullopt on timeout, close or garbage. PINGs
    /// on the way are answered (and counted), PONGs skipped.
    std::optional<wamp::Message> receive(std::chrono::milliseconds timeout = 3s) {
        for (;;) {
            std::array<std::uint8_t, 4> h{};
            if (!read_exact(h.data(), 4, timeout)) return std::nullopt;
            std::string body((std::size_t{h[1]} << 16) | (std::size_t{h[2]} << 8) | h[3], '\0');
            if (!read_exact(body.data(), body.size(), timeout)) return std::nullopt;
            if ((h[0] & 0x07) == 1) { // PING: the PONG echoes its payload
                ++pings_;
                std::string pong{char(2), char(h[1]), char(h[2]), char(h[3])};
                write_all((pong + body).data(), 4 + body.size());
                continue;
            }
            if ((h[0] & 0x07) != 0) continue; // PONG
            auto m = serialize::decode(format_, body);
            if (!m.ok()) return std::nullopt;
            return std::move(*m);
        }
    }

    template <class M> M expect(std::chrono::milliseconds timeout = 3s) {
        auto m = receive(timeout);
        if (!m || !std::holds_alternative<M>(*m)) {
            ADD_FAILURE() << "expected " << wamp::message_name(M::type) << ", got " << describe(m);
            return M{};
        }
        return std::get<M>(std::move(*m));
    }

    /// Handshake + HELLO + WELCOME; the session id (0 on failure).
    wamp::Id join(const wamp::Hello& hello = hello_with_roles()) {
        if (!handshake() || !send(hello)) return 0;
        return expect<wamp::Welcome>().session;
    }

    /// Calls a procedure and returns the RESULT or ERROR.
    std::optional<wamp::Message> call(const std::string& procedure, wamp::Payload payload = {}) {
        send(wamp::Call{++request_, {}, procedure, std::move(payload)});
        return receive();
    }
    wamp::Id next_request() { return ++request_; }

    bool closed_by_peer(std::chrono::milliseconds timeout = 3s) {
        return peer_closed(fd_, timeout);
    }

    /// RST.
    void hard_close() {
        if (fd_ >= 0) reset_socket(std::exchange(fd_, -1));
    }
    /// No FIN, no RST (see vanish_socket); false if not permitted.
    bool vanish() {
        if (fd_ < 0 || !vanish_socket(fd_)) return false;
        fd_ = -1;
        return true;
    }
    void close() {
        if (fd_ >= 0) ::close(std::exchange(fd_, -1));
    }

private:
    bool read_exact(void* data, std::size_t n, std::chrono::milliseconds timeout) {
        char* p = static_cast<char*>(data);
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (n > 0) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd pfd{fd_, POLLIN, 0};
            const int r = ::poll(&pfd, 1, int(left.count()));
            if (r < 0 && errno == EINTR) continue;
            if (r != 1) return false;
            const ssize_t got = ::recv(fd_, p, n, 0);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) return false;
            bytes_received_ += std::uint64_t(got);
            p += got;
            n -= std::size_t(got);
        }
        return true;
    }

    int fd_ = -1;
    std::uint64_t bytes_sent_ = 0;
    std::uint64_t bytes_received_ = 0;
    wamp::Format format_ = wamp::Format::json;
    int pings_ = 0;
    wamp::Id request_ = 0;
};

/// A WebSocket client (Beast, JSON) whose reads run on its own io_context
/// for at most a timeout.
class WsClient {
public:
    /// `deflate`: offer permessage-deflate in the upgrade.
    explicit WsClient(std::uint16_t port, bool deflate = false) : ws_(io_) {
        if (deflate) {
            boost::beast::websocket::permessage_deflate pmd;
            pmd.client_enable = true;
            ws_.set_option(pmd);
        }
        boost::system::error_code ec;
        ws_.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
        connected_ = !ec;
        ws_.control_callback(
            [this](boost::beast::websocket::frame_type kind, boost::beast::string_view) {
                if (kind == boost::beast::websocket::frame_type::ping) ++pings_;
            });
    }

    /// PINGs the server sent that our reads answered.
    int pings() const { return pings_; }

    /// `headers`: more request headers, name and value.
    bool upgrade(const std::string& subprotocol = "wamp.2.json",
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
        if (!connected_) return false;
        ws_.set_option(boost::beast::websocket::stream_base::decorator(
            [subprotocol, headers](boost::beast::websocket::request_type& req) {
                req.set(boost::beast::http::field::sec_websocket_protocol, subprotocol);
                for (const auto& [name, value] : headers)
                    req.insert(name, value);
            }));
        boost::system::error_code ec;
        ws_.handshake("127.0.0.1", "/ws", ec);
        return !ec;
    }

    bool send(const wamp::Message& m) {
        boost::system::error_code ec;
        ws_.write(boost::asio::buffer(*serialize::encode(wamp::Format::json, m)), ec);
        return !ec;
    }

    std::optional<wamp::Message> receive(std::chrono::milliseconds timeout = 3s) {
        boost::beast::flat_buffer buffer;
        std::optional<boost::system::error_code> result;
        ws_.async_read(buffer, [&](boost::system::error_code ec, std::size_t) { result = ec; });
        io_.restart();
        io_.run_for(timeout);
        if (!result) { // timed out: the stream is unusable now
            broken_ = true;
            boost::system::error_code ignored;
            ws_.next_layer().close(ignored);
            io_.restart();
            io_.run_for(1s);
            return std::nullopt;
        }
        if (*result) return std::nullopt;
        auto m =
            serialize::decode(wamp::Format::json, boost::beast::buffers_to_string(buffer.data()));
        if (!m.ok()) return std::nullopt;
        return std::move(*m);
    }

    template <class M> M expect(std::chrono::milliseconds timeout = 3s) {
        auto m = receive(timeout);
        if (!m || !std::holds_alternative<M>(*m)) {
            ADD_FAILURE() << "expected " << wamp::message_name(M::type) << " over WebSocket, got "
                          << describe(m);
            return M{};
        }
        return std::get<M>(std::move(*m));
    }

    wamp::Id join(const wamp::Hello& hello = hello_with_roles()) {
        if (!upgrade() || !send(hello)) return 0;
        return expect<wamp::Welcome>().session;
    }

    std::optional<wamp::Message> call(const std::string& procedure) {
        send(wamp::Call{++request_, {}, procedure, {}});
        return receive();
    }
    wamp::Id next_request() { return ++request_; }

    int fd() { return ws_.next_layer().native_handle(); }
    /// True once the server closed the connection (close frame, EOF or RST).
    bool closed_by_peer(std::chrono::milliseconds timeout = 3s) {
        for (const auto deadline = std::chrono::steady_clock::now() + timeout;
             std::chrono::steady_clock::now() < deadline;) {
            boost::beast::flat_buffer buffer;
            std::optional<boost::system::error_code> result;
            ws_.async_read(buffer, [&](boost::system::error_code ec, std::size_t) { result = ec; });
            io_.restart();
            io_.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now()));
            if (!result) return false;
            if (*result) return true;
        }
        return false;
    }
    /// RST.
    void hard_close() {
        if (ws_.next_layer().is_open()) reset_socket(ws_.next_layer().release());
    }
    bool vanish() {
        return ws_.next_layer().is_open() && vanish_socket(ws_.next_layer().release());
    }

private:
    boost::asio::io_context io_;
    boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
    bool connected_ = false;
    bool broken_ = false;
    int pings_ = 0;
    wamp::Id request_ = 0;
};

/// Lines written to a pipe (by a child process), collected by a thread
/// until the pipe's write end closes; the destructor waits for that.
class LineReader {
public:
    explicit LineReader(int fd) : fd_(fd), reader_([this] { run(); }) {}
    ~LineReader() {
        reader_.join();
        ::close(fd_);
    }
    int count(std::string_view text) {
        std::lock_guard lock(mutex_);
        return int(std::count_if(lines_.begin(), lines_.end(),
                                 [&](const std::string& l) { return l.find(text) != l.npos; }));
    }
    /// The first line containing `text`.
    std::optional<std::string> find(std::string_view text) {
        std::lock_guard lock(mutex_);
        for (auto& l : lines_)
            if (l.find(text) != l.npos) return l;
        return std::nullopt;
    }
    std::optional<std::string> first(std::string_view prefix) {
        std::lock_guard lock(mutex_);
        for (auto& l : lines_)
            if (l.rfind(prefix, 0) == 0) return l;
        return std::nullopt;
    }
    std::string all() {
        std::lock_guard lock(mutex_);
        std::string s;
        for (auto& l : lines_)
            s += "  " + l + "\n";
        return s;
    }

private:
    void run() {
        std::string pending;
        char buf[4096];
        for (;;) {
            const ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;
            pending.append(buf, std::size_t(n));
            for (std::size_t eol; (eol = pending.find('\n')) != pending.npos;) {
                std::lock_guard lock(mutex_);
                lines_.push_back(pending.substr(0, eol));
                pending.erase(0, eol + 1);
            }
        }
    }
    int fd_;
    std::mutex mutex_;
    std::vector<std::string> lines_;
    std::thread reader_;
};

// --- a router with its network servers ----------------------------------------------

inline router::RouterConfig one_anonymous_realm() {
    router::RouterConfig c;
    router::RealmConfig r;
    r.uri = "realm1";
    c.realms.push_back(r);
    return c;
}

/// Connections `transport` closed on its own for `why`, so far (metrics).
inline std::uint64_t transport_closes(const router::Router& r, router::NetTransport transport,
                                      router::TransportClose why) {
    return r.metrics()
        .transport_closes[static_cast<std::size_t>(transport)][static_cast<std::size_t>(why)];
}

/// Router + RawSocket and WebSocket servers on 127.0.0.1 (port 0), run by
/// `threads` I/O threads.
class NetRouter {
public:
    struct Options {
        router::RouterConfig router = one_anonymous_realm();
        transport::RawSocketOptions rawsocket;
        transport::WebSocketOptions websocket;
        int threads = 2;
    };

    static Options defaults() {
        Options o;
        o.rawsocket.tcp_address = "127.0.0.1:0";
        o.websocket.address = "127.0.0.1:0";
        return o;
    }

    explicit NetRouter(Options o = defaults())
        : work_(io_.get_executor()), router_(io_.get_executor(), std::move(o.router)),
          raw_(io_.get_executor(), router_, o.rawsocket),
          ws_(io_.get_executor(), router_, o.websocket) {
        raw_.start();
        ws_.start();
        for (int i = 0; i < o.threads; ++i)
            threads_.emplace_back([this] { io_.run(); });
    }
    ~NetRouter() {
        stop_servers();
        router_.shutdown();
        work_.reset();
        io_.stop();
        for (auto& t : threads_)
            t.join();
    }

    void stop_servers() {
        raw_.stop();
        ws_.stop();
    }

    router::Router& router() { return router_; }
    std::uint16_t raw_port() const { return raw_.tcp_port(); }
    std::uint16_t ws_port() const { return ws_.port(); }

    /// The number a fresh RawSocket session gets from wamp.session.count
    /// (itself included), or -1.
    std::int64_t meta_session_count(const std::string& realm = "realm1") {
        RawClient c(raw_port());
        if (!c.join(hello_with_roles(realm))) return -1;
        auto r = c.call("wamp.session.count");
        if (!r || !std::holds_alternative<wamp::Result>(*r)) return -1;
        const std::int64_t n = std::get<wamp::Result>(*r).payload.args().at(0).as_int();
        c.send(wamp::Goodbye{{}, std::string(wamp::close::close_realm)});
        c.expect<wamp::Goodbye>();
        return n;
    }

private:
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    router::Router router_;
    transport::RawSocketServer raw_;
    transport::WebSocketServer ws_;
    std::vector<std::thread> threads_;
};

} // namespace nexus::test
