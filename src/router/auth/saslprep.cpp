#include "router/auth/saslprep.hpp"

#include <stringprep.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace nexus::router::auth {

std::optional<std::string> saslprep(std::string_view text) {
    // Printable ASCII maps to itself; skip the library's UTF-32 round trip
    // for the common case.
    if (std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; }))
        return std::string(text);
    // libidn wants a NUL-terminated string; an embedded NUL is a control
    // character, which SASLprep prohibits anyway.
    if (text.find('\0') != std::string_view::npos) return std::nullopt;
    const std::string in(text);
    char* out = nullptr;
    // Unassigned code points are refused (RFC 4013 section 2.5 for stored
    // strings): a password must normalize the same under any later Unicode.
    if (stringprep_profile(in.c_str(), &out, "SASLprep", STRINGPREP_NO_UNASSIGNED) != STRINGPREP_OK)
        return std::nullopt;
    std::unique_ptr<char, decltype(&std::free)> owned(out, &std::free);
    return std::string(out);
}

} // namespace nexus::router::auth
