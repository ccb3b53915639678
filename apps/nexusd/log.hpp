// nexusd's log: timestamped lines with a level, to stderr or a file, as
// text or as JSON lines ({"time", "level", "message"}); safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "config.hpp"

namespace nexusd::log {

/// Opens `path` for appending (empty = stderr). Returns false with errno set
/// if the file cannot be opened.
bool open(const std::string& path, LogLevel level, LogFormat format = LogFormat::text);
void write(LogLevel level, std::string_view message);

inline void error(std::string_view m) { write(LogLevel::error, m); }
inline void warning(std::string_view m) { write(LogLevel::warning, m); }
inline void info(std::string_view m) { write(LogLevel::info, m); }
inline void debug(std::string_view m) { write(LogLevel::debug, m); }

} // namespace nexusd::log
