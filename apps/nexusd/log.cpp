#include "log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace nexusd::log {

namespace {

std::mutex mutex;
std::FILE* sink = stderr;
LogLevel threshold = LogLevel::info;
LogFormat format = LogFormat::text;

const char* name(LogLevel level) {
    switch (level) {
    case LogLevel::error: return "ERROR";
    case LogLevel::warning: return "WARN ";
    case LogLevel::info: return "INFO ";
    case LogLevel::debug: return "DEBUG";
    }
    return "?";
}

const char* json_name(LogLevel level) {
    switch (level) {
    case LogLevel::error: return "error";
    case LogLevel::warning: return "warning";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
    }
    return "?";
}

// A JSON string's contents: quotes, backslashes and control characters
// escaped; other bytes as they are (log messages are UTF-8 or close to it).
void append_json_string(std::string& out, std::string_view text) {
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (u < 0x20 || u == 0x7f) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", u);
            out += escaped;
        } else {
            out += c;
        }
    }
}

} // namespace

bool open(const std::string& path, LogLevel level, LogFormat line_format) {
    std::lock_guard lock(mutex);
    threshold = level;
    format = line_format;
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
    if (format == LogFormat::json) {
        std::string line = "{\"time\":\"";
        line += stamp;
        char millis[8];
        std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms));
        line += millis;
        line += "\",\"level\":\"";
        line += json_name(level);
        line += "\",\"message\":\"";
        append_json_string(line, message);
        line += "\"}\n";
        std::fwrite(line.data(), 1, line.size(), sink);
    } else {
        std::fprintf(sink, "%s.%03dZ %s %.*s\n", stamp, static_cast<int>(ms), name(level),
                     static_cast<int>(message.size()), message.data());
    }
    std::fflush(sink);
}

} // namespace nexusd::log
