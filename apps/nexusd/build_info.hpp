// Which nexusd this is: the project version and the git commit it was built
// from (build_info.cmake writes the definitions at every build).
#pragma once

namespace nexusd {

extern const char* const build_version;  // "0.1.0"
extern const char* const build_git_hash; // 12 hex digits, "+dirty" with local changes; "unknown"

} // namespace nexusd
