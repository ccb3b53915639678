// A read that brings many frames is handed to the router a turn of the event
// loop at a time (src/transport/net/read_turns.hpp): after the thread waited
// for input, what the first frames produce for another connection is written
// before the rest are handled; on a busy thread the whole read goes in one
// turn. The servers run on an io_context this test steps one handler at a
// time, so "before" is exact: a caller's 64 CALLs arrive in one read, and the
// callee sees its first INVOCATIONs while the router still holds CALLs it has
// not handled, or all of them at once.
#include <nexus/router/router.hpp>
#include <nexus/serialize/serializer.hpp>
#include <nexus/transport/rawsocket_server.hpp>
#include <nexus/transport/websocket_server.hpp>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/router_fixture.hpp"
#include "transport/net/read_turns.hpp"

using namespace nexus;
namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto format = wamp::Format::msgpack;
constexpr int burst = 64;
using transport::ReadTurns;
static_assert(burst > ReadTurns::idle_frames && burst < ReadTurns::busy_frames);

std::string encoded(const wamp::Message& m) {
    auto bytes = serialize::encode(format, m);
    EXPECT_TRUE(bytes.ok());
    return bytes.ok() ? *bytes : std::string();
}

// How a client frames its messages on one transport, and how it takes the
// server's frames apart (each returns the message body, nullopt until a whole
// frame is buffered).
struct Framing {
    virtual ~Framing() = default;
    virtual std::string frame(const std::string& body) const = 0;
    virtual std::optional<std::string> next(std::string& buffered) const = 0;
};

struct RawSocketFraming final : Framing {
    std::string frame(const std::string& body) const override {
        const std::size_t n = body.size();
        return std::string{0, char(n >> 16), char(n >> 8), char(n)} + body;
    }
    std::optional<std::string> next(std::string& buffered) const override {
        if (buffered.size() < 4) return std::nullopt;
        const auto* h = reinterpret_cast<const unsigned char*>(buffered.data());
        EXPECT_EQ(h[0], 0) << "only regular frames are expected";
        const std::size_t n = (std::size_t{h[1]} << 16) | (std::size_t{h[2]} << 8) | h[3];
        if (buffered.size() < 4 + n) return std::nullopt;
        std::string body = buffered.substr(4, n);
        buffered.erase(0, 4 + n);
        return body;
    }
};

struct WebSocketFraming final : Framing {
    // A masked, final binary frame (msgpack), as clients must send (RFC 6455 5.3).
    std::string frame(const std::string& body) const override {
        static constexpr unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
        std::string f(1, char(0x82));
        const std::size_t n = body.size();
        if (n < 126) {
            f.push_back(char(0x80 | n));
        } else {
            f.push_back(char(0x80 | 126));
            f.push_back(char(n >> 8));
            f.push_back(char(n));
        }
        f.append(reinterpret_cast<const char*>(mask), 4);
        for (std::size_t i = 0; i < n; ++i)
            f.push_back(char(body[i] ^ char(mask[i % 4])));
        return f;
    }
    std::optional<std::string> next(std::string& buffered) const override {
        if (buffered.size() < 2) return std::nullopt;
        const auto* h = reinterpret_cast<const unsigned char*>(buffered.data());
        EXPECT_EQ(h[0], 0x82) << "only final binary frames are expected";
        std::size_t n = h[1] & 0x7f, at = 2;
        if (n == 126) {
            if (buffered.size() < 4) return std::nullopt;
            n = (std::size_t{h[2]} << 8) | h[3];
            at = 4;
        }
        EXPECT_NE(n, 127u) << "no message here is that large";
        if (buffered.size() < at + n) return std::nullopt;
        std::string body = buffered.substr(at, n);
        buffered.erase(0, at + n);
        return body;
    }
};

enum class Kind { rawsocket, websocket };

class TransportTurns : public ::testing::TestWithParam<Kind> {
protected:
    TransportTurns() : router_(io_.get_executor(), nexus::test::RouterFixture::default_config()) {
        if (GetParam() == Kind::rawsocket) {
            transport::RawSocketOptions o;
            o.tcp_address = "127.0.0.1:0";
            rawsocket_ =
                std::make_unique<transport::RawSocketServer>(io_.get_executor(), router_, o);
            rawsocket_->start();
            framing_ = std::make_unique<RawSocketFraming>();
        } else {
            transport::WebSocketOptions o;
            o.address = "127.0.0.1:0";
            websocket_ =
                std::make_unique<transport::WebSocketServer>(io_.get_executor(), router_, o);
            websocket_->start();
            framing_ = std::make_unique<WebSocketFraming>();
        }
    }
    ~TransportTurns() override {
        if (rawsocket_) rawsocket_->stop();
        if (websocket_) websocket_->stop();
        router_.shutdown();
        io_.run_for(100ms);
    }

    struct Client {
        tcp::socket socket;
        std::string buffered; // received, not yet taken apart
    };

    // Runs the servers' handlers one at a time until `done`; false after 5 s.
    bool step_until(const std::function<bool()>& done) {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            io_.run_one_for(10ms);
        }
        return true;
    }

    // Moves whatever the socket holds into the client's buffer, without blocking.
    static void take_available(Client& c) {
        const std::size_t n = c.socket.available();
        if (n == 0) return;
        std::string bytes(n, '\0');
        asio::read(c.socket, asio::buffer(bytes));
        c.buffered += bytes;
    }

    // The next message from the server, stepping the servers until it is in.
    wamp::Message receive(Client& c) {
        std::optional<std::string> body;
        EXPECT_TRUE(step_until([&] {
            take_available(c);
            return (body = framing_->next(c.buffered)).has_value();
        })) << "no message from the server";
        if (!body) return {};
        auto m = serialize::decode(format, *body);
        EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
        return m.ok() ? *m : wamp::Message{};
    }

    void send(Client& c, const std::string& wire) { asio::write(c.socket, asio::buffer(wire)); }
    void send(Client& c, const wamp::Message& m) { send(c, framing_->frame(encoded(m))); }

    // Connected, through the transport's handshake, joined to realm1.
    Client join() {
        Client c{tcp::socket(client_io_), {}};
        const auto port = rawsocket_ ? rawsocket_->tcp_port() : websocket_->port();
        c.socket.connect({asio::ip::make_address("127.0.0.1"), port});
        if (rawsocket_) {
            send(c, std::string{char(0x7F), char(0xF2), 0, 0}); // msgpack, 16 MiB
            EXPECT_TRUE(step_until([&] { return c.socket.available() >= 4; }));
            std::array<unsigned char, 4> reply{};
            asio::read(c.socket, asio::buffer(reply));
            EXPECT_EQ(reply[1] & 0x0F, 2);
        } else {
            send(c, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wamp.2.msgpack\r\n\r\n");
            EXPECT_TRUE(step_until([&] {
                take_available(c);
                return c.buffered.find("\r\n\r\n") != std::string::npos;
            }));
            const std::size_t end = c.buffered.find("\r\n\r\n") + 4;
            EXPECT_TRUE(c.buffered.starts_with("HTTP/1.1 101")) << c.buffered;
            c.buffered.erase(0, end);
        }
        const wamp::Object roles{
            {"caller", wamp::Object{}}, {"callee", wamp::Object{}}, {"publisher", wamp::Object{}}};
        send(c, wamp::Hello{"realm1", {{"roles", roles}}});
        EXPECT_TRUE(std::holds_alternative<wamp::Welcome>(receive(c)));
        return c;
    }

    // A caller sends `burst` CALLs in one write (after `before_burst`); returns
    // how many INVOCATIONs the callee's first bytes hold, after checking that
    // all of them follow, in order, and that the RESULTs come back in order.
    std::size_t first_invocations(const std::function<void()>& before_burst) {
        Client callee = join();
        send(callee, wamp::Register{1, {}, "com.turns"});
        EXPECT_TRUE(std::holds_alternative<wamp::Registered>(receive(callee)));
        Client caller = join();

        // The caller's read buffer starts small and doubles when a read fills it:
        // one acknowledged 16 KiB PUBLISH makes it large enough for the whole burst.
        send(caller, wamp::Publish{1,
                                   {{"acknowledge", true}},
                                   "com.warm",
                                   wamp::Payload({wamp::Value(std::string(16384, 'w'))})});
        EXPECT_TRUE(std::holds_alternative<wamp::Published>(receive(caller)));

        std::string calls;
        for (int i = 0; i < burst; ++i)
            calls += framing_->frame(encoded(
                wamp::Call{wamp::Id(100 + i), {}, "com.turns", wamp::Payload({wamp::Value(i)})}));
        before_burst();
        send(caller, calls);

        std::vector<wamp::Invocation> invocations;
        const auto take_invocations = [&] {
            while (auto body = framing_->next(callee.buffered)) {
                auto m = serialize::decode(format, *body);
                EXPECT_TRUE(m.ok() && std::holds_alternative<wamp::Invocation>(*m));
                if (m.ok() && std::holds_alternative<wamp::Invocation>(*m))
                    invocations.push_back(std::get<wamp::Invocation>(std::move(*m)));
            }
        };
        EXPECT_TRUE(step_until([&] { return callee.socket.available() > 0; }));
        take_available(callee);
        take_invocations();
        const std::size_t first = invocations.size();

        // The rest follow, complete and in order; the YIELDs go back in one write.
        EXPECT_TRUE(step_until([&] {
            take_available(callee);
            take_invocations();
            return invocations.size() >= burst;
        }));
        EXPECT_EQ(invocations.size(), std::size_t{burst});
        if (invocations.size() != burst) return first;
        std::string yields;
        for (int i = 0; i < burst; ++i) {
            EXPECT_EQ(invocations[i].payload.args().at(0).as_int(), i);
            yields += framing_->frame(
                encoded(wamp::Yield{invocations[i].request, {}, invocations[i].payload}));
        }
        send(callee, yields);
        for (int i = 0; i < burst; ++i) {
            auto m = receive(caller);
            EXPECT_TRUE(std::holds_alternative<wamp::Result>(m));
            if (!std::holds_alternative<wamp::Result>(m)) break;
            EXPECT_EQ(std::get<wamp::Result>(m).request, wamp::Id(100 + i));
            EXPECT_EQ(std::get<wamp::Result>(m).payload.args().at(0).as_int(), i);
        }
        return first;
    }

    asio::io_context io_;
    router::Router router_;
    std::unique_ptr<transport::RawSocketServer> rawsocket_;
    std::unique_ptr<transport::WebSocketServer> websocket_;
    std::unique_ptr<Framing> framing_;
    asio::io_context client_io_;
};

TEST_P(TransportTurns, AfterWaitingForInputTheCalleeHearsBeforeTheWholeReadIsHandled) {
    const std::size_t first = first_invocations([this] {
        // What is ready runs (the last write's completion), then the thread
        // waits longer than idle_gap.
        io_.poll();
        std::this_thread::sleep_for(2ms);
    });
    EXPECT_GT(first, 0u);
    EXPECT_LE(first, ReadTurns::idle_frames)
        << "the callee heard nothing until more than the first turn's CALLs were handled";
}

TEST_P(TransportTurns, OnABusyThreadTheWholeReadIsOneTurn) {
    const std::size_t first = first_invocations([this] {
        // As if the thread had just done other transport work (for as long as the test lasts).
        asio::post(io_, [] { ReadTurns::worked(ReadTurns::Clock::now() + 1h); });
    });
    EXPECT_EQ(first, std::size_t{burst});
    ReadTurns::worked(ReadTurns::Clock::time_point{}); // this thread is idle again
}

TEST(ReadTurns, SmallTurnsAfterAGapLargeOnesRightAfterWork) {
    const auto t0 = ReadTurns::Clock::now();
    ReadTurns::worked(t0);
    EXPECT_EQ(ReadTurns::limit(t0 + ReadTurns::idle_gap / 2), ReadTurns::busy_frames);
    EXPECT_EQ(ReadTurns::limit(t0 + ReadTurns::idle_gap * 2), ReadTurns::idle_frames);
    // The first turn on a thread that never worked counts as after waiting.
    std::size_t fresh = 0;
    std::thread([&] { fresh = ReadTurns::limit(); }).join();
    EXPECT_EQ(fresh, ReadTurns::idle_frames);
}

INSTANTIATE_TEST_SUITE_P(Servers, TransportTurns,
                         ::testing::Values(Kind::rawsocket, Kind::websocket), [](const auto& info) {
                             return info.param == Kind::rawsocket ? "RawSocket" : "WebSocket";
                         });

} // namespace
