#include "log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace nexusd::log {

namespace {

std::mutex mutex;
std::FILE* sink = stderr;
LogLevel threshold = LogLevel::info;

const char* name(LogLevel level) {
    switch (level) {
    case LogLevel::error: return "ERROR";
    case LogLevel::warning: return "WARN ";
    case LogLevel::info: return "INFO ";
    case LogLevel::debug: return "DEBUG";
    }
    return "?";
}

} // namespace

bool open(const std::string& path, LogLevel level) {
    std::lock_guard lock(mutex);
    threshold = level;
    if (path.empty()) {
        sink = stderr;
        return true;
    }
    std::FILE* f = std::fopen(path.c_str(), "a");
    if (!f) return false;
    sink = f;
    return true;
}

void write(LogLevel level, std::string_view message) {
    if (static_cast<int>(level) > static_cast<int>(threshold)) return;
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    std::lock_guard lock(mutex);
    std::fprintf(sink, "%s.%03dZ %s %.*s\n", stamp, static_cast<int>(ms), name(level),
                 static_cast<int>(message.size()), message.data());
    std::fflush(sink);
}

} // namespace nexusd::log
