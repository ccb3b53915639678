#include "runner.hpp"

#include <fstream>
#include <sstream>

#include <sys/resource.h>
#include <unistd.h>

namespace wampbench {

Runner::Runner(unsigned threads) {
    for (unsigned i = 0; i < std::max(1u, threads); ++i)
        ctx_.push_back(std::make_unique<Context>());
    for (auto& c : ctx_)
        c->thread = std::thread([io = &c->io] { io->run(); });
}

Runner::~Runner() { stop(); }

void Runner::stop() {
    set_phase(Phase::stopped);
    for (auto& c : ctx_) {
        c->guard.reset();
        c->io.stop();
    }
    for (auto& c : ctx_)
        if (c->thread.joinable()) c->thread.join();
}

Histogram Runner::latency() const {
    Histogram h;
    for (const auto& c : ctx_)
        h.merge(c->stats.latency);
    return h;
}

void Runner::setup_failed(std::string_view why) {
    {
        std::lock_guard lock(error_mutex_);
        if (first_error_.empty()) first_error_ = why;
    }
    failed_.fetch_add(1);
}

std::optional<std::string> Runner::wait_setup(std::size_t expected, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (ready_.load() < expected) {
        if (failed_.load() > 0) {
            std::lock_guard lock(error_mutex_);
            return "session setup failed: " + first_error_;
        }
        if (std::chrono::steady_clock::now() > deadline)
            return "session setup timed out (" + std::to_string(ready_.load()) + " of " +
                   std::to_string(expected) + " ready)";
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::nullopt;
}

double own_cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    const auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    return secs(u.ru_utime) + secs(u.ru_stime);
}

std::optional<double> process_cpu_seconds(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    // The command name (field 2) may hold spaces; fields after its ')' are plain.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(close + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i)
        fields >> skip; // state .. cmajflt
    unsigned long long utime = 0, stime = 0;
    if (!(fields >> utime >> stime)) return std::nullopt;
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<std::uint64_t> process_rss_bytes(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (in >> key) {
        if (key == "VmRSS:") {
            std::uint64_t kib = 0;
            if (in >> kib) return kib * 1024;
            return std::nullopt;
        }
        in.ignore(1 << 20, '\n');
    }
    return std::nullopt;
}

std::uint64_t raise_file_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 0;
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
    getrlimit(RLIMIT_NOFILE, &r);
    return r.rlim_cur;
}

} // namespace wampbench
