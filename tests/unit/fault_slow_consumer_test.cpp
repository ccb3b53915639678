// Fault tests (issues #4, #8), slow consumers: a subscriber that stops
// reading while events keep coming.
//
// - Write deadlines: the router's default overflow policy drops events for
//   it rather than disconnecting it, so only the write deadline
//   (write_timeout on both servers) notices that its socket takes no more
//   bytes. A reader that is slow but keeps reading is never cut off: the
//   deadline is on progress, not on how long a whole batch takes.
// - Per-transport queue bounds (out_queue_size on either server) apply
//   instead of the router-wide one.
#include "support/net_fault.hpp"

#include <atomic>

namespace nexus::test {
namespace {

using wamp::Value;

constexpr auto write_timeout = std::chrono::milliseconds(500);
constexpr std::size_t event_bytes = 16 * 1024;

struct LogLines {
    std::mutex mutex;
    std::vector<std::string> lines;
    int count(std::string_view text) {
        std::lock_guard lock(mutex);
        return int(std::count_if(lines.begin(), lines.end(),
                                 [&](const std::string& l) { return l.find(text) != l.npos; }));
    }
};

// `rawsocket_queue` (when not 0): the RawSocket server's own queue bound,
// with the disconnect policy and a router-wide bound too large to matter.
NetRouter::Options deadline_options(std::chrono::milliseconds timeout, std::size_t rawsocket_queue,
                                    LogLines& log) {
    NetRouter::Options o = NetRouter::defaults();
    o.rawsocket.write_timeout = timeout;
    o.websocket.write_timeout = timeout;
    if (rawsocket_queue != 0) {
        o.router.out_queue_size = 1'000'000;
        o.router.overflow = router::OverflowPolicy::disconnect;
        o.rawsocket.out_queue_size = rawsocket_queue;
    }
    // Clients that offer permessage-deflate stay on Beast's data path; the
    // others use the server's own framing.
    o.websocket.enable_compression = true;
    o.router.logger = [&log](router::RouterLogLevel, std::string_view line) {
        std::lock_guard lock(log.mutex);
        log.lines.emplace_back(line);
    };
    return o;
}

// A small receive buffer, so the router's writes stall after little data.
void set_receive_buffer(int fd, int size = 16 * 1024) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

// A client that will stop reading: its receive buffer and the router's send
// buffer for it small, so that a few hundred KiB stall the router's writes
// (permessage-deflate under TSan compresses too slowly to fill megabytes).
void make_stuck(int client_fd) {
    set_receive_buffer(client_fd);
    const int server_fd = server_end(client_fd);
    ASSERT_GE(server_fd, 0);
    const int size = 64 * 1024;
    ::setsockopt(server_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

template <class Client> void subscribe_to_flood(Client& c) {
    ASSERT_NE(c.join(), 0u);
    c.send(wamp::Subscribe{c.next_request(), {}, "com.flood"});
    c.template expect<wamp::Subscribed>();
}

class FaultWriteDeadline : public ::testing::Test {
protected:
    explicit FaultWriteDeadline(std::chrono::milliseconds timeout = write_timeout,
                                std::size_t rawsocket_queue = 0)
        : net_(deadline_options(timeout, rawsocket_queue, log_)), baseline_fds_(open_fds()) {}

    // Publishes event_bytes-sized events to com.flood from its own session
    // until `done()` or `limit`; true if `done()` came first.
    bool flood_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
        RawClient publisher(net_.raw_port());
        if (!publisher.join()) return false;
        // Incompressible enough that permessage-deflate cannot shrink it away.
        std::string blob(event_bytes, '\0');
        std::uint32_t x = 2463534242u;
        for (char& c : blob) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            c = char('!' + x % 90);
        }
        const auto deadline = std::chrono::steady_clock::now() + limit;
        bool reached = false;
        while (std::chrono::steady_clock::now() < deadline) {
            if (done()) {
                reached = true;
                break;
            }
            for (int i = 0; i < 16; ++i)
                publisher.send(wamp::Publish{publisher.next_request(),
                                             {},
                                             "com.flood",
                                             wamp::Payload(wamp::Array{Value(blob)})});
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        publisher.send(wamp::Goodbye{{}, std::string(wamp::close::close_realm)});
        publisher.expect<wamp::Goodbye>();
        return reached;
    }

    template <class Connect>
    void expect_stuck_client_closed(router::NetTransport transport, Connect connect);

    void expect_clean_router() {
        EXPECT_TRUE(eventually([&] { return net_.router().session_count() == 0; }));
        EXPECT_EQ(net_.meta_session_count(), 1); // and a fresh session is served
        EXPECT_TRUE(eventually([&] { return open_fds() == baseline_fds_; }))
            << open_fds() << " descriptors open, " << baseline_fds_ << " at the start";
    }

    LogLines log_;
    NetRouter net_;
    const int baseline_fds_;
};

class FaultWriteDeadlineOff : public FaultWriteDeadline {
protected:
    FaultWriteDeadlineOff() : FaultWriteDeadline(std::chrono::milliseconds(0)) {}
};

class FaultTransportQueue : public FaultWriteDeadline {
protected:
    FaultTransportQueue() : FaultWriteDeadline(std::chrono::milliseconds(0), 16) {}
};

// The client `connect()` makes subscribes, stops reading, and the flood goes
// on until the router has closed it: that must happen, be logged once, and
// leave nothing behind.
template <class Connect>
void FaultWriteDeadline::expect_stuck_client_closed(router::NetTransport transport,
                                                    Connect connect) {
    {
        auto client = connect();
        auto& stuck = *client;
        subscribe_to_flood(stuck); // the server has accepted it then
        make_stuck(stuck.fd());
        const auto start = std::chrono::steady_clock::now();
        ASSERT_TRUE(flood_until([&] { return net_.router().session_count() == 1; }, 20s))
            << "the peer that stopped reading is still connected";
        RecordProperty(
            "close_seconds",
            std::to_string(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
        EXPECT_TRUE(stuck.closed_by_peer(10s));
    }
    EXPECT_EQ(log_.count("took no data for 500 ms"), 1);
    EXPECT_EQ(transport_closes(net_.router(), transport, router::TransportClose::write_timeout),
              1u);
    expect_clean_router();
}

TEST_F(FaultWriteDeadline, RawSocketPeerThatStopsReadingIsClosed) {
    expect_stuck_client_closed(router::NetTransport::rawsocket,
                               [&] { return std::make_unique<RawClient>(net_.raw_port()); });
}

TEST_F(FaultWriteDeadline, WebSocketPeerThatStopsReadingIsClosed) {
    expect_stuck_client_closed(router::NetTransport::websocket,
                               [&] { return std::make_unique<WsClient>(net_.ws_port()); });
}

// Beast's data path (permessage-deflate) writes each message in socket
// writes the deadline does not see; the send queue check alone decides.
TEST_F(FaultWriteDeadline, WebSocketDeflatePeerThatStopsReadingIsClosed) {
    expect_stuck_client_closed(router::NetTransport::websocket,
                               [&] { return std::make_unique<WsClient>(net_.ws_port(), true); });
}

// Reads one event every 5 ms, far slower than the flood (so the router drops
// events for it), for four times the deadline. The router's socket is woken
// for writing only once half its (megabytes of) send buffer drained, which at
// this pace takes longer than the deadline: the connection stays because the
// deadline sees the send queue shrink.
TEST_F(FaultWriteDeadline, SlowReaderThatKeepsReadingStays) {
    RawClient slow(net_.raw_port());
    // Above the loopback MSS: with less, TCP's silly-window avoidance lets
    // data through only at the zero-window probes' pace.
    set_receive_buffer(slow.fd(), 256 * 1024);
    subscribe_to_flood(slow);
    std::atomic<bool> reading{true};
    std::atomic<int> received{0};
    std::thread reader([&] {
        while (reading) {
            auto m = slow.receive(2s);
            if (!m) break;
            if (std::holds_alternative<wamp::Event>(*m)) ++received;
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    });
    const auto start = std::chrono::steady_clock::now();
    flood_until([&] { return std::chrono::steady_clock::now() - start > 4 * write_timeout; }, 10s);
    reading = false;
    reader.join();
    EXPECT_EQ(net_.router().session_count(), 1u) << "the slow reader was closed";
    EXPECT_GT(received.load(), 100);
    EXPECT_EQ(log_.count("took no data"), 0);
}

// With the deadline off (write_timeout 0) nothing closes the stuck peer: the
// behaviour the tests above rely on the deadline to change.
TEST_F(FaultWriteDeadlineOff, StuckPeerStaysWithoutTheDeadline) {
    RawClient stuck(net_.raw_port());
    subscribe_to_flood(stuck); // the server has accepted it then
    make_stuck(stuck.fd());
    EXPECT_FALSE(
        flood_until([&] { return net_.router().session_count() == 1; }, 4 * write_timeout));
    EXPECT_EQ(net_.router().session_count(), 1u);
}

// The RawSocket server's bound (16 messages) disconnects its stuck
// subscriber; a stuck WebSocket subscriber, under the router-wide bound of a
// million, stays (no write deadline here).
TEST_F(FaultTransportQueue, EachServersOwnBoundApplies) {
    RawClient raw(net_.raw_port());
    subscribe_to_flood(raw);
    make_stuck(raw.fd());
    WsClient ws(net_.ws_port());
    subscribe_to_flood(ws);
    make_stuck(ws.fd());
    ASSERT_TRUE(flood_until([&] { return net_.router().session_count() == 2; }, 10s))
        << "the RawSocket subscriber over its queue bound is still connected";
    EXPECT_TRUE(raw.closed_by_peer(10s));
    EXPECT_EQ(net_.router().session_count(), 1u); // the WebSocket one
}

} // namespace
} // namespace nexus::test
