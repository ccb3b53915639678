#include "http/process_stats.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace nexusd::http {

namespace {

// Seconds since the epoch at which the machine booted (/proc/stat btime).
std::optional<double> boot_time() {
    std::ifstream in("/proc/stat");
    std::string key;
    while (in >> key) {
        if (key == "btime") {
            double t = 0;
            if (in >> t) return t;
            return std::nullopt;
        }
        in.ignore(1 << 20, '\n');
    }
    return std::nullopt;
}

std::uint64_t count_fds() {
    // Linux 6.2 and later give the count as the directory's size, without
    // listing 20,000 entries; older kernels say 0 there.
    struct stat st {};
    if (::stat("/proc/self/fd", &st) == 0 && st.st_size > 0)
        return static_cast<std::uint64_t>(st.st_size);
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir) return 0;
    std::uint64_t n = 0;
    while (const dirent* e = ::readdir(dir))
        if (e->d_name[0] != '.') ++n;
    ::closedir(dir);
    return n > 0 ? n - 1 : 0; // the directory's own descriptor
}

} // namespace

std::optional<ProcessStats> read_process_stats() {
    std::ifstream in("/proc/self/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    // The command name (field 2) may hold spaces and parentheses: fields
    // are counted from the last ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(close + 2));
    std::string f[50];
    int n = 0;
    while (n < 50 && fields >> f[n])
        ++n;
    // f[0] is field 3 (state): field k is f[k - 3].
    if (n < 22) return std::nullopt;
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    ProcessStats s;
    try {
        s.cpu_seconds = (std::stod(f[14 - 3]) + std::stod(f[15 - 3])) / ticks;
        s.threads = std::stoull(f[20 - 3]);
        const double started_after_boot = std::stod(f[22 - 3]) / ticks;
        s.virtual_bytes = std::stoull(f[23 - 3]);
        s.resident_bytes = std::stoull(f[24 - 3]) * page;
        if (auto boot = boot_time()) s.start_time_seconds = *boot + started_after_boot;
    } catch (const std::exception&) {
        return std::nullopt;
    }
    s.open_fds = count_fds();
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) s.max_fds = limit.rlim_cur;
    return s;
}

} // namespace nexusd::http
