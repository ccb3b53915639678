// Fault tests (issue #8), churn: 10,000 RawSocket connections that connect,
// say HELLO and are reset (SO_LINGER 0), and 1,000 WebSocket ones. Afterwards
// the process has as many file descriptors open as before, the router has no
// session left, and resident memory grew by less than 8 MiB after the first
// 1,000 cycles (a leak of 1 KiB per connection would exceed it; not checked
// under ASan, whose quarantine grows by design and whose LeakSanitizer checks
// leaks at exit).
//
// One cycle in ten resets right after sending HELLO, without waiting for the
// WELCOME: the router then opens the session while (or after) the transport
// goes away.
#include "support/net_fault.hpp"

#include <iostream>

namespace nexus::test {
namespace {

constexpr long rss_growth_bound_kib = 8 * 1024;

class FaultChurn : public ::testing::Test {
protected:
    FaultChurn() : baseline_fds_(open_fds()) {}

    void expect_back_to_baseline() {
        EXPECT_TRUE(eventually([&] { return net_.router().session_count() == 0; }))
            << net_.router().session_count() << " sessions left";
        EXPECT_EQ(net_.meta_session_count(), 1);
        EXPECT_TRUE(eventually([&] { return open_fds() == baseline_fds_; }))
            << open_fds() << " descriptors open, " << baseline_fds_ << " at the start";
    }

    // Runs `cycles` cycles of `one`, checks the bounds, reports the figures.
    template <class Cycle> void churn(const char* name, int cycles, int warmup, Cycle one) {
        const auto start = std::chrono::steady_clock::now();
        long rss_warm = 0;
        int max_fds = 0;
        for (int i = 0; i < cycles; ++i) {
            one(i);
            if (HasFailure()) return;
            if (i == warmup - 1) {
                // Let the warm-up connections finish closing before the reference reading.
                eventually([&] { return net_.router().session_count() == 0; });
                rss_warm = vm_rss_kib();
            }
            if (i % 500 == 0) max_fds = std::max(max_fds, open_fds());
        }
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        expect_back_to_baseline();
        const long rss_end = vm_rss_kib();
        // ASan keeps freed memory in quarantine (256 MiB by default): resident
        // memory grows by design there, and LeakSanitizer checks leaks instead.
        if (!built_with_sanitizer("address")) {
            EXPECT_LT(rss_end - rss_warm, rss_growth_bound_kib)
                << "VmRSS " << rss_warm << " KiB after " << warmup << " cycles, " << rss_end
                << " KiB after " << cycles;
        }
        std::cout << name << ": " << cycles << " cycles in " << seconds << " s; fds "
                  << baseline_fds_ << " before, at most " << max_fds << " during, " << open_fds()
                  << " after; VmRSS " << rss_warm << " KiB after " << warmup << " cycles, "
                  << rss_end << " KiB at the end (" << (rss_end - rss_warm) << " KiB growth)\n";
        RecordProperty("seconds", std::to_string(seconds));
        RecordProperty("rss_growth_kib", std::to_string(rss_end - rss_warm));
    }

    NetRouter net_;
    const int baseline_fds_;
};

TEST_F(FaultChurn, RawSocketConnectHelloReset10000Times) {
    const auto hello = hello_with_roles();
    churn("RawSocket", 10000, 1000, [&](int i) {
        RawClient c(net_.raw_port());
        ASSERT_TRUE(c.connected()) << "cycle " << i;
        ASSERT_TRUE(c.handshake()) << "cycle " << i;
        ASSERT_TRUE(c.send(hello));
        if (i % 10 != 9) {
            auto m = c.receive();
            ASSERT_TRUE(m && std::holds_alternative<wamp::Welcome>(*m)) << describe(m);
        }
        c.hard_close();
    });
}

TEST_F(FaultChurn, WebSocketConnectHelloReset1000Times) {
    const auto hello = hello_with_roles();
    churn("WebSocket", 1000, 200, [&](int i) {
        WsClient c(net_.ws_port());
        ASSERT_TRUE(c.upgrade()) << "cycle " << i;
        ASSERT_TRUE(c.send(hello));
        if (i % 10 != 9) {
            auto m = c.receive();
            ASSERT_TRUE(m && std::holds_alternative<wamp::Welcome>(*m)) << describe(m);
        }
        c.hard_close();
    });
}

} // namespace
} // namespace nexus::test
