// Fault tests (issue #8), liveness: connections whose peer stopped answering
// or vanished without closing (half-open) are found and cleaned up.
//
// - WebSocket: idle_timeout with keepalive PINGs (Beast pings at half the
//   timeout and closes after a whole one without any frame from the peer).
// - RawSocket: TCP keepalive (RawSocketOptions::tcp_keepalive: probes after
//   that much idle time, then at that interval, 3 unanswered ones end the
//   connection) finds vanished hosts; idle_timeout PINGs (at half the timeout,
//   closed after a whole one without a byte from the peer) also find peers
//   whose application hangs.
//
// A half-open connection is made with TCP_REPAIR (needs CAP_NET_ADMIN, the
// test is skipped without it): the client's socket disappears without FIN or
// RST, so the server believes the connection open until it sends something
// (a PING, a keepalive probe), which the client's kernel answers with a RST.
#include "support/net_fault.hpp"

namespace nexus::test {
namespace {

using wamp::Value;

NetRouter::Options liveness_options() {
    NetRouter::Options o = NetRouter::defaults();
    o.websocket.idle_timeout = std::chrono::milliseconds(1000);
    o.websocket.enable_compression = true; // for clients that offer it: Beast's data path
    o.rawsocket.tcp_keepalive = std::chrono::seconds(1);
    return o;
}

class FaultLiveness : public ::testing::Test {
protected:
    explicit FaultLiveness(NetRouter::Options options = liveness_options())
        : net_(std::move(options)), baseline_fds_(open_fds()) {}

    void expect_clean_router() {
        EXPECT_TRUE(eventually([&] { return net_.router().session_count() == 0; }));
        EXPECT_EQ(net_.meta_session_count(), 1);
        EXPECT_TRUE(eventually([&] { return open_fds() == baseline_fds_; }))
            << open_fds() << " descriptors open, " << baseline_fds_ << " at the start";
    }

    static bool can_vanish() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        int on = 1;
        const bool ok = ::setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof on) == 0;
        ::close(fd);
        return ok;
    }

    static double seconds_since(std::chrono::steady_clock::time_point t) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    }

    // A client that stops reading (so never answers a PING) is closed after
    // the idle timeout (1 s), and counted as such.
    template <class Client>
    void expect_silent_peer_closed(Client& c, router::NetTransport transport) {
        ASSERT_NE(c.join(), 0u);
        const auto start = std::chrono::steady_clock::now();
        ASSERT_TRUE(eventually([&] { return net_.router().session_count() == 0; }, 5s));
        const double took = seconds_since(start);
        EXPECT_GT(took, 0.8);
        EXPECT_LT(took, 3.0);
        RecordProperty("idle_close_seconds", std::to_string(took));
        using router::TransportClose;
        EXPECT_TRUE(eventually([&] {
            return transport_closes(net_.router(), transport, TransportClose::idle_timeout) == 1;
        }));
        EXPECT_EQ(transport_closes(net_.router(), transport, TransportClose::write_timeout), 0u);
    }

    // A client that keeps reading answers the PINGs and stays, well past the
    // idle timeout, until an event comes 2.5 s later.
    template <class Client> void expect_responsive_peer_stays(Client& c) {
        ASSERT_NE(c.join(), 0u);
        c.send(wamp::Subscribe{c.next_request(), {}, "com.later"});
        c.template expect<wamp::Subscribed>();
        std::thread publisher([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(2500));
            RawClient p(net_.raw_port());
            p.join();
            p.send(wamp::Publish{p.next_request(), {}, "com.later", {}});
            p.send(wamp::Goodbye{{}, std::string(wamp::close::close_realm)});
            p.template expect<wamp::Goodbye>();
        });
        auto event = c.receive(std::chrono::seconds(5)); // answers PINGs while it waits
        publisher.join();
        ASSERT_TRUE(event && std::holds_alternative<wamp::Event>(*event)) << describe(event);
        EXPECT_GE(c.pings(), 3);
        EXPECT_EQ(net_.router().session_count(), 1u);
    }

    // `c` joins and vanishes half-open (without FIN or RST, all its data
    // acknowledged first); `took` is how long the router then needed to end
    // its session (waited for up to `limit`).
    template <class Client>
    void vanish_half_open(Client& c, std::chrono::seconds limit, double& took) {
        ASSERT_NE(c.join(), 0u);
        ASSERT_TRUE(all_acknowledged(c.fd()));
        ASSERT_TRUE(c.vanish());
        const auto start = std::chrono::steady_clock::now();
        EXPECT_TRUE(eventually([&] { return net_.router().session_count() == 0; }, limit));
        took = seconds_since(start);
    }

    // A half-open peer is found when the server's PING meets a RST.
    template <class Client> void expect_half_open_peer_found_by_ping(Client& c) {
        if (!can_vanish()) GTEST_SKIP() << "TCP_REPAIR not permitted (needs CAP_NET_ADMIN)";
        double took = 0;
        ASSERT_NO_FATAL_FAILURE(vanish_half_open(c, 5s, took));
        EXPECT_GT(took, 0.2); // the PING goes out at half the idle timeout
        EXPECT_LT(took, 3.0);
        RecordProperty("half_open_close_seconds", std::to_string(took));
    }

    NetRouter net_;
    const int baseline_fds_;
};

TEST_F(FaultLiveness, WebSocketSilentPeerIsClosedAfterTheIdleTimeout) {
    {
        WsClient c(net_.ws_port());
        expect_silent_peer_closed(c, router::NetTransport::websocket);
        EXPECT_TRUE(peer_closed(c.fd())); // the server closed its end
    }
    expect_clean_router();
}

// The same on Beast's data path (permessage-deflate), where Beast keeps the time.
TEST_F(FaultLiveness, WebSocketDeflateSilentPeerIsClosedAfterTheIdleTimeout) {
    {
        WsClient c(net_.ws_port(), true);
        expect_silent_peer_closed(c, router::NetTransport::websocket);
        EXPECT_TRUE(peer_closed(c.fd()));
    }
    expect_clean_router();
}

TEST_F(FaultLiveness, WebSocketResponsivePeerStaysConnected) {
    WsClient c(net_.ws_port());
    expect_responsive_peer_stays(c);
}

TEST_F(FaultLiveness, WebSocketHalfOpenPeerIsFoundByThePing) {
    {
        WsClient c(net_.ws_port());
        expect_half_open_peer_found_by_ping(c);
    }
    expect_clean_router();
}

TEST_F(FaultLiveness, RawSocketKeepaliveOptionsAreSetOnAcceptedConnections) {
    RawClient c(net_.raw_port());
    ASSERT_NE(c.join(), 0u);
    const int fd = server_end(c.fd());
    ASSERT_GE(fd, 0);
    int nodelay = 0, on = 0, idle = 0, interval = 0, count = 0;
    socklen_t n = sizeof(int);
    ::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &n);
    ::getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, &n);
    ::getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, &n);
    ::getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, &n);
    ::getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, &n);
    EXPECT_EQ(nodelay, 1); // set on the listening socket, copied at accept
    EXPECT_EQ(on, 1);
    EXPECT_EQ(idle, 1); // tcp_keepalive, not the kernel's default (7200 s)
    EXPECT_EQ(interval, 1);
    EXPECT_EQ(count, 3);
}

// The vanished RawSocket client is found by the first keepalive probe (1 s of idleness).
TEST_F(FaultLiveness, RawSocketHalfOpenPeerIsFoundByTcpKeepalive) {
    if (!can_vanish()) GTEST_SKIP() << "TCP_REPAIR not permitted (needs CAP_NET_ADMIN)";
    RawClient c(net_.raw_port());
    double took = 0;
    ASSERT_NO_FATAL_FAILURE(vanish_half_open(c, 6s, took));
    EXPECT_GT(took, 0.5); // the first probe goes out after 1 s of idleness
    EXPECT_LT(took, 4.0);
    RecordProperty("keepalive_close_seconds", std::to_string(took));
    expect_clean_router();
}

// RawSocket PINGs of its own (idle_timeout), TCP keepalive off so that only
// they can find the peers below.
NetRouter::Options rawsocket_idle_options() {
    NetRouter::Options o = NetRouter::defaults();
    o.rawsocket.idle_timeout = std::chrono::milliseconds(1000);
    o.rawsocket.tcp_keepalive = std::chrono::seconds(0);
    return o;
}

class FaultRawSocketIdle : public FaultLiveness {
protected:
    FaultRawSocketIdle() : FaultLiveness(rawsocket_idle_options()) {}
};

// A client that stops reading (its TCP stack still acknowledges everything,
// so TCP keepalive would never notice) is closed after the idle timeout.
TEST_F(FaultRawSocketIdle, SilentPeerIsClosedAfterTheIdleTimeout) {
    {
        RawClient c(net_.raw_port());
        expect_silent_peer_closed(c, router::NetTransport::rawsocket);
        // The PING it never read, then the end of the connection.
        auto m = c.receive(1s);
        EXPECT_FALSE(m) << describe(m);
        EXPECT_EQ(c.pings(), 1);
        EXPECT_TRUE(c.closed_by_peer());
    }
    expect_clean_router();
}

TEST_F(FaultRawSocketIdle, ResponsivePeerStaysConnected) {
    RawClient c(net_.raw_port());
    expect_responsive_peer_stays(c);
}

TEST_F(FaultRawSocketIdle, HalfOpenPeerIsFoundByThePing) {
    {
        RawClient c(net_.raw_port());
        expect_half_open_peer_found_by_ping(c);
    }
    expect_clean_router();
}

} // namespace
} // namespace nexus::test
