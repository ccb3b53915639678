// The bench's threads and the phases of a run. Each thread runs its own
// single-threaded io_context and owns the sessions placed on it, with their
// statistics: nothing on the hot path is shared between threads. The main
// thread only steers the phases and reads the counters.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "histogram.hpp"

namespace wampbench {

/// Nanoseconds on the monotonic clock (timestamps travel in payloads).
inline std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
}

/// Written by one thread, read by the main thread: no read-modify-write needed.
class Counter {
public:
    void add(std::uint64_t n = 1) {
        v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    std::uint64_t get() const { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> v_{0};
};

enum class Phase : int { setup, warmup, measure, drain, stopped };

struct ThreadStats {
    Histogram latency;  // measured phase only
    Counter sent;       // requests/publications sent, every phase
    Counter done;       // replies (RESULT or ERROR) / events received, every phase
    Counter measured;   // replies/events received during the measured phase
    Counter errors;     // ERROR replies and protocol surprises
    Counter lost_links; // connections that ended while in use
};

class Runner {
public:
    explicit Runner(unsigned threads);
    ~Runner();

    unsigned threads() const { return static_cast<unsigned>(ctx_.size()); }
    boost::asio::io_context& io(std::size_t i) { return ctx_[i % ctx_.size()]->io; }
    ThreadStats& stats(std::size_t i) { return ctx_[i % ctx_.size()]->stats; }

    Phase phase() const { return static_cast<Phase>(phase_.load(std::memory_order_relaxed)); }
    void set_phase(Phase p) { phase_.store(static_cast<int>(p), std::memory_order_relaxed); }

    /// Sums a counter over the threads.
    template <class F> std::uint64_t total(F counter) const {
        std::uint64_t sum = 0;
        for (const auto& c : ctx_)
            sum += (c->stats.*counter).get();
        return sum;
    }
    /// Merges the per-thread histograms; call after stop().
    Histogram latency() const;

    /// Setup accounting for the sessions the bench starts.
    void setup_ok() { ready_.fetch_add(1); }
    void setup_failed(std::string_view why);
    /// Waits until `expected` sessions are ready or one failed; the error if any.
    std::optional<std::string> wait_setup(std::size_t expected, std::chrono::seconds timeout);

    void stop();

private:
    struct Context {
        boost::asio::io_context io{1};
        boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{
            io.get_executor()};
        ThreadStats stats;
        std::thread thread;
    };
    std::vector<std::unique_ptr<Context>> ctx_;
    std::atomic<int> phase_{static_cast<int>(Phase::setup)};
    std::atomic<std::size_t> ready_{0};
    std::atomic<std::size_t> failed_{0};
    std::mutex error_mutex_;
    std::string first_error_;
};

/// CPU seconds (user + system) this process has used.
double own_cpu_seconds();
/// CPU seconds of process `pid` from /proc, if readable.
std::optional<double> process_cpu_seconds(int pid);
/// Resident set size of `pid` in bytes, from /proc/<pid>/status.
std::optional<std::uint64_t> process_rss_bytes(int pid);
/// Raises the open-file limit to its hard maximum; returns the new soft limit.
std::uint64_t raise_file_limit();

} // namespace wampbench
