// Fault tests (issue #8), slowloris: many connections that open a transport
// handshake and never finish it (silent, or trickling a byte at a time) are
// closed once handshake_timeout has passed since they connected (the deadline
// is not pushed back by each byte), their descriptors are released, and
// clients that do finish are served meanwhile.
// The same for connections that finish the transport handshake and never
// send HELLO (RouterConfig::hello_timeout).
// (rawsocket_server_test covers one silent RawSocket client and
// router_session_test the HELLO deadline in process; these add the trickle,
// WebSocket, many at once over the network, and the descriptor accounting.)
#include "support/net_fault.hpp"

#include <iostream>

namespace nexus::test {
namespace {

constexpr auto handshake_timeout = std::chrono::milliseconds(500);

NetRouter::Options slow_options() {
    NetRouter::Options o = NetRouter::defaults();
    o.rawsocket.handshake_timeout = handshake_timeout;
    o.websocket.handshake_timeout = handshake_timeout;
    o.router.hello_timeout = handshake_timeout;
    return o;
}

struct Slow {
    int fd;
    std::chrono::steady_clock::time_point opened;
    std::optional<double> closed_after; // seconds after opening
    std::size_t sent = 0;
};

// Opens `count` connections; odd ones stay silent, even ones send `opening`
// one byte every `pace`. Runs `meanwhile` once, 100 ms in. Returns when every
// connection was closed by the server, or after `limit`.
std::vector<Slow> slowloris(std::uint16_t port, int count, const std::string& opening,
                            std::chrono::milliseconds pace, const std::function<void()>& meanwhile,
                            std::chrono::milliseconds limit = std::chrono::seconds(4)) {
    std::vector<Slow> conns;
    for (int i = 0; i < count; ++i)
        conns.push_back({tcp_connect(port), std::chrono::steady_clock::now(), {}, 0});
    const auto start = std::chrono::steady_clock::now();
    bool ran = false;
    auto next_byte = start;
    while (std::chrono::steady_clock::now() - start < limit) {
        const auto now = std::chrono::steady_clock::now();
        const bool byte_due = now >= next_byte;
        if (byte_due) next_byte += pace;
        bool all_closed = true;
        for (std::size_t i = 0; i < conns.size(); ++i) {
            Slow& c = conns[i];
            if (c.closed_after) continue;
            pollfd p{c.fd, POLLIN | POLLRDHUP, 0};
            char buf[256];
            if (::poll(&p, 1, 0) == 1 && ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT) <= 0) {
                c.closed_after = std::chrono::duration<double>(now - c.opened).count();
                continue;
            }
            all_closed = false;
            if (byte_due && i % 2 == 0 && c.sent < opening.size())
                ::send(c.fd, opening.data() + c.sent++, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        if (all_closed) break;
        if (!ran && now - start > std::chrono::milliseconds(100)) {
            ran = true;
            meanwhile();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (Slow& c : conns)
        ::close(c.fd);
    return conns;
}

void expect_closed_on_time(const std::vector<Slow>& conns, const char* what) {
    double earliest = 1e9, latest = 0;
    for (std::size_t i = 0; i < conns.size(); ++i) {
        ASSERT_TRUE(conns[i].closed_after) << what << " connection " << i << " still open";
        earliest = std::min(earliest, *conns[i].closed_after);
        latest = std::max(latest, *conns[i].closed_after);
    }
    EXPECT_GE(earliest, 0.4) << what; // not before the timeout (500 ms)
    EXPECT_LT(latest, 1.5) << what;   // nor long after
    std::cout << what << ": " << conns.size() << " unfinished handshakes closed " << earliest
              << " to " << latest << " s after connecting\n";
}

class FaultSlowloris : public ::testing::Test {
protected:
    FaultSlowloris() : net_(slow_options()), baseline_fds_(open_fds()) {}

    void expect_clean_router() {
        EXPECT_TRUE(eventually([&] { return open_fds() == baseline_fds_; }))
            << open_fds() << " descriptors open, " << baseline_fds_ << " at the start";
        EXPECT_EQ(net_.router().session_count(), 0u);
        EXPECT_EQ(net_.meta_session_count(), 1);
    }

    NetRouter net_;
    const int baseline_fds_;
};

// 3 of the 4 handshake octets, one every 150 ms, never the fourth.
TEST_F(FaultSlowloris, RawSocketHandshakesThatNeverFinish) {
    const std::string partial{char(0x7F), char(0xF1), char(0)};
    int served = 0;
    auto conns = slowloris(net_.raw_port(), 40, partial, std::chrono::milliseconds(150), [&] {
        RawClient ok(net_.raw_port());
        if (ok.join()) ++served;
    });
    EXPECT_EQ(served, 1);
    expect_closed_on_time(conns, "RawSocket");
    EXPECT_EQ(transport_closes(net_.router(), router::NetTransport::rawsocket,
                               router::TransportClose::handshake_timeout),
              40u);
    expect_clean_router();
}

// An upgrade request sent a byte every 20 ms (it would take seconds to finish).
TEST_F(FaultSlowloris, WebSocketUpgradesSentByteByByte) {
    const std::string request = ws_upgrade_request();
    int served = 0;
    auto conns = slowloris(net_.ws_port(), 40, request, std::chrono::milliseconds(20), [&] {
        WsClient ok(net_.ws_port());
        if (ok.join()) ++served;
    });
    EXPECT_EQ(served, 1);
    expect_closed_on_time(conns, "WebSocket");
    EXPECT_EQ(transport_closes(net_.router(), router::NetTransport::websocket,
                               router::TransportClose::handshake_timeout),
              40u);
    expect_clean_router();
}

// Transport handshakes completed, HELLO never sent: ABORT nexus.error.hello_timeout, then closed.
TEST_F(FaultSlowloris, NoHelloAfterTheTransportHandshake) {
    {
        std::vector<RawClient> raw;
        std::vector<std::unique_ptr<WsClient>> ws;
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < 20; ++i) {
            raw.emplace_back(net_.raw_port());
            ASSERT_TRUE(raw.back().handshake());
            ws.push_back(std::make_unique<WsClient>(net_.ws_port()));
            ASSERT_TRUE(ws.back()->upgrade());
        }
        for (auto& c : raw) {
            EXPECT_EQ(c.expect<wamp::Abort>(2s).reason, wamp::errors::hello_timeout);
            EXPECT_TRUE(c.closed_by_peer());
        }
        for (auto& c : ws) {
            EXPECT_EQ(c->expect<wamp::Abort>(2s).reason, wamp::errors::hello_timeout);
            EXPECT_TRUE(c->closed_by_peer());
        }
        const double took =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        EXPECT_GE(took, 0.4);
        EXPECT_LT(took, 2.0);
        std::cout << "no HELLO: 20 RawSocket and 20 WebSocket connections closed within " << took
                  << " s\n";
    }
    expect_clean_router();
}

} // namespace
} // namespace nexus::test
