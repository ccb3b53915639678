// nexusd as a service: SIGTERM drains (readiness 503, GOODBYE to every
// RawSocket and WebSocket session, written even to a client that is slow to
// read, exit 0), systemd hears READY=1 and STOPPING=1, --check-config, and
// JSON-lines logs.
#include "support/net_fault.hpp"
#include "support/nexusd_process.hpp"

#include <signal.h>
#include <stdlib.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <filesystem>

#include <boost/asio/connect.hpp>

namespace nexus::test {
namespace {

namespace fs = std::filesystem;

// A directory of its own for a test's files, removed afterwards.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "nexusd-test-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data()) ? pattern : "";
    }
    ~TempDir() {
        std::error_code ignored;
        if (!path_.empty()) fs::remove_all(path_, ignored);
    }
    std::string file(const std::string& name, const std::string& content) const {
        const std::string p = path_ + "/" + name;
        std::ofstream(p) << content;
        return p;
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// What a systemd service manager hears on NOTIFY_SOCKET.
class NotifySocket {
public:
    explicit NotifySocket(const std::string& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    ~NotifySocket() { ::close(fd_); }
    const std::string& path() const { return path_; }

    /// Waits for a datagram containing `line`; everything heard so far is kept.
    bool heard(const std::string& line, std::chrono::milliseconds timeout = 5s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (text_.find(line) != std::string::npos) return true;
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char buffer[4096];
            const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n > 0) text_.append(buffer, static_cast<std::size_t>(n)).append("\n");
        }
    }
    const std::string& text() const { return text_; }

private:
    std::string path_;
    int fd_ = -1;
    std::string text_;
};

// nexusd with a configuration file, and NOTIFY_SOCKET if given.
NexusdProcess nexusd_with(const std::string& config, const std::string& notify_socket = "") {
    std::vector<std::pair<std::string, std::string>> env;
    if (!notify_socket.empty()) env.emplace_back("NOTIFY_SOCKET", notify_socket);
    return NexusdProcess({"--config", config, "--threads", "2"}, env);
}

std::string http_get_status_line(std::uint16_t port, const std::string& target) {
    namespace http = boost::beast::http;
    boost::asio::io_context io;
    boost::beast::tcp_stream stream(io);
    boost::system::error_code ec;
    stream.connect({boost::asio::ip::address_v4::loopback(), port}, ec);
    if (ec) return "connect: " + ec.message();
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req, ec);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res, ec);
    if (ec) return "read: " + ec.message();
    return std::to_string(res.result_int()) + " " + res.body();
}

std::string service_config(unsigned grace_seconds, std::size_t out_queue = 0) {
    return R"({
  "websocket": {"address": "127.0.0.1:0"},
  "rawsocket": {"tcp_address": "127.0.0.1:0")" +
           (out_queue ? ", \"out_queue_size\": " + std::to_string(out_queue) : std::string()) +
           R"(},
  "http": {"address": "127.0.0.1:0"},
  "shutdown_grace": )" +
           std::to_string(grace_seconds) + R"(,
  "router": {"realms": [{"uri": "realm1", "anonymous_auth": true}]}
})";
}

// Joins both; `publisher` sends `subscriber` far more than the socket
// buffers hold (1500 events of 16 KiB, the last acknowledged: all routed),
// so that most of it waits in the router's queue while the subscriber does
// not read.
void backlog(RawClient& subscriber, RawClient& publisher) {
    ASSERT_NE(subscriber.join(), 0u);
    ASSERT_NE(publisher.join(), 0u);
    subscriber.send(wamp::Subscribe{subscriber.next_request(), {}, "com.backlog"});
    subscriber.expect<wamp::Subscribed>();
    const std::string filler(16 * 1024, 'x');
    constexpr int events = 1500;
    for (int i = 1; i <= events; ++i) {
        wamp::Object options;
        if (i == events) options.emplace("acknowledge", true);
        publisher.send(wamp::Publish{publisher.next_request(), std::move(options), "com.backlog",
                                     wamp::Payload(wamp::Array{i, filler})});
    }
    publisher.expect<wamp::Published>(10s);
}

TEST(NexusdDrain, SigtermSaysGoodbyeToEverySessionThenExits) {
    TempDir dir;
    NotifySocket notify(dir.path() + "/notify");
    NexusdProcess nexusd = nexusd_with(dir.file("nexus.json", service_config(30)), notify.path());
    const auto raw_port = nexusd.port("RawSocket"), ws_port = nexusd.port("WebSocket"),
               http_port = nexusd.port("HTTP");
    ASSERT_NE(raw_port, 0) << nexusd.log().all();
    ASSERT_NE(ws_port, 0) << nexusd.log().all();
    ASSERT_NE(http_port, 0) << nexusd.log().all();
    ASSERT_TRUE(notify.heard("READY=1")) << notify.text();
    EXPECT_EQ(http_get_status_line(http_port, "/readyz"), "200 ready\n");

    RawClient raw_json(raw_port), raw_msgpack(raw_port, wamp::Format::msgpack);
    WsClient ws(ws_port);
    ASSERT_NE(raw_json.join(), 0u);
    ASSERT_NE(raw_msgpack.join(), 0u);
    ASSERT_NE(ws.join(), 0u);

    nexusd.signal(SIGTERM);
    for (auto* c : {&raw_json, &raw_msgpack})
        EXPECT_EQ(c->expect<wamp::Goodbye>().reason, wamp::close::system_shutdown);
    EXPECT_EQ(ws.expect<wamp::Goodbye>().reason, wamp::close::system_shutdown);
    EXPECT_TRUE(notify.heard("STOPPING=1")) << notify.text();
    // The RawSocket clients have not hung up yet: nexusd waits for them, and
    // says it is not ready meanwhile.
    EXPECT_EQ(http_get_status_line(http_port, "/readyz"), "503 draining\n");
    // Everything written, our end of each connection closes.
    EXPECT_TRUE(raw_json.closed_by_peer());
    EXPECT_TRUE(raw_msgpack.closed_by_peer());
    EXPECT_TRUE(ws.closed_by_peer());
    raw_json.close();
    raw_msgpack.close();
    // Long before the 30 s grace period: every connection has closed.
    EXPECT_EQ(nexusd.wait(10s), 0) << nexusd.log().all();
    EXPECT_GE(nexusd.log().count("drained: every connection closed"), 1) << nexusd.log().all();
}

// The GOODBYE goes behind everything queued for a session: a subscriber that
// reads slowly still gets it, once it has read the rest, within the grace
// period. (Before, the listeners were stopped 500 ms after the GOODBYE was
// queued, dropping what had not been written yet.)
TEST(NexusdDrain, SlowReaderGetsItsGoodbyeAfterTheBacklog) {
    TempDir dir;
    NexusdProcess nexusd = nexusd_with(dir.file("nexus.json", service_config(20, 2000)));
    const auto raw_port = nexusd.port("RawSocket");
    ASSERT_NE(raw_port, 0) << nexusd.log().all();

    RawClient subscriber(raw_port), publisher(raw_port);
    ASSERT_NO_FATAL_FAILURE(backlog(subscriber, publisher));

    nexusd.signal(SIGTERM);
    EXPECT_EQ(publisher.expect<wamp::Goodbye>().reason, wamp::close::system_shutdown);
    publisher.close();
    // The subscriber is busy elsewhere for a while (the scenario, not a wait).
    std::this_thread::sleep_for(1500ms);
    int received = 0;
    std::optional<wamp::Message> last;
    while (auto m = subscriber.receive(5s)) {
        if (std::holds_alternative<wamp::Event>(*m)) ++received;
        last = std::move(m);
        if (std::holds_alternative<wamp::Goodbye>(*last)) break;
    }
    ASSERT_TRUE(last) << "nothing after " << received << " events";
    ASSERT_TRUE(std::holds_alternative<wamp::Goodbye>(*last))
        << "last: " << describe(last) << " after " << received << " events";
    EXPECT_EQ(std::get<wamp::Goodbye>(*last).reason, wamp::close::system_shutdown);
    EXPECT_GT(received, 0);
    EXPECT_TRUE(subscriber.closed_by_peer());
    subscriber.close();
    EXPECT_EQ(nexusd.wait(10s), 0) << nexusd.log().all();
}

TEST(NexusdDrain, GracePeriodBoundsAClientThatNeverReads) {
    TempDir dir;
    NexusdProcess nexusd = nexusd_with(dir.file("nexus.json", service_config(1, 2000)));
    const auto raw_port = nexusd.port("RawSocket");
    ASSERT_NE(raw_port, 0) << nexusd.log().all();
    RawClient subscriber(raw_port), publisher(raw_port);
    ASSERT_NO_FATAL_FAILURE(backlog(subscriber, publisher));
    const auto start = std::chrono::steady_clock::now();
    nexusd.signal(SIGTERM);
    // The subscriber never reads: nexusd gives up on it after the grace period.
    EXPECT_EQ(nexusd.wait(10s), 0) << nexusd.log().all();
    const double took =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_GE(took, 0.9) << nexusd.log().all();
    EXPECT_LT(took, 5.0) << nexusd.log().all();
}

TEST(NexusdService, CheckConfig) {
    TempDir dir;
    const auto run = [](const std::string& file) {
        const std::string command =
            std::string(NEXUSD_PATH) + " --check-config " + file + " > /dev/null 2>&1";
        const int status = std::system(command.c_str());
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    EXPECT_EQ(run(dir.file("good.json", service_config(5))), 0);
    EXPECT_EQ(run(dir.file("bad.json", "{ not json")), 1);
    EXPECT_EQ(run(dir.file("key.json", R"({"http": {"address": 8082}})")), 1);
    EXPECT_EQ(run(dir.file("addr.json", R"({"websocket": {"address": "nowhere"}})")), 1);
    EXPECT_EQ(run(dir.file("tls.json", R"({"websocket": {"address": "127.0.0.1:0",
        "cert_file": "/nonexistent/cert.pem", "key_file": "/nonexistent/key.pem"}})")),
              1);
    EXPECT_EQ(run(dir.file("none.json", R"({"websocket": {"address": ""}})")), 1);
    EXPECT_EQ(run(dir.path() + "/missing.json"), 1);
}

TEST(NexusdService, JsonLinesLog) {
    TempDir dir;
    NexusdProcess nexusd = nexusd_with(dir.file("nexus.json", R"({
  "rawsocket": {"tcp_address": "127.0.0.1:0"},
  "log_format": "json",
  "router": {"realms": [{"uri": "realm1"}]}
})"));
    ASSERT_TRUE(eventually([&] { return nexusd.log().count("RawSocket listening on") > 0; }, 10s))
        << nexusd.log().all();
    nexusd.signal(SIGTERM);
    EXPECT_EQ(nexusd.wait(10s), 0);
    std::istringstream lines(nexusd.log().all());
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        ++n;
        auto value = serialize::decode_value(wamp::Format::json, line);
        ASSERT_TRUE(value && value->is_object()) << line;
        const auto& o = value->as_object();
        EXPECT_TRUE(o.contains("time") && o.contains("level") && o.contains("message")) << line;
    }
    EXPECT_GE(n, 3);
}

} // namespace
} // namespace nexus::test
