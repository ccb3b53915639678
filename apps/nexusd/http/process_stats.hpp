// The nexusd process as the kernel sees it (Linux /proc), for /metrics.
#pragma once

#include <cstdint>
#include <optional>

namespace nexusd::http {

struct ProcessStats {
    std::uint64_t resident_bytes = 0;
    std::uint64_t virtual_bytes = 0;
    std::uint64_t open_fds = 0;
    std::uint64_t max_fds = 0; // the soft RLIMIT_NOFILE
    std::uint64_t threads = 0;
    double cpu_seconds = 0;        // user + system
    double start_time_seconds = 0; // since the Unix epoch
};

/// nullopt where /proc cannot be read.
std::optional<ProcessStats> read_process_stats();

} // namespace nexusd::http
