#include "client/transport/url.hpp"

#include <algorithm>
#include <cctype>

#include <nexus/client/error.hpp>

namespace nexus::client::detail {

namespace {
[[noreturn]] void bad(std::string_view url, std::string_view why) {
    throw TransportError("bad transport URL \"" + std::string(url) + "\": " + std::string(why));
}

std::string default_port(std::string_view scheme) {
    if (scheme == "ws") return "80";
    if (scheme == "wss") return "443";
    return {};
}
} // namespace

Url parse_url(std::string_view url) {
    Url u;
    const auto sep = url.find("://");
    if (sep == std::string_view::npos || sep == 0) bad(url, "expected scheme://...");
    u.scheme = std::string(url.substr(0, sep));
    std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view rest = url.substr(sep + 3);
    if (u.scheme == "unix") {
        if (rest.empty()) bad(url, "no socket path");
        u.path = std::string(rest);
        return u;
    }
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    u.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (authority.empty()) bad(url, "no host");
    std::string_view port;
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) bad(url, "unterminated IPv6 address");
        u.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') bad(url, "junk after the IPv6 address");
            port = after.substr(1);
        }
    } else {
        const auto colon = authority.rfind(':');
        u.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    }
    if (u.host.empty()) bad(url, "no host");
    if (!port.empty()) {
        if (!std::all_of(port.begin(), port.end(),
                         [](unsigned char c) { return std::isdigit(c); }) ||
            port.size() > 5)
            bad(url, "the port is not a number");
        u.port = std::string(port);
    } else {
        u.port = default_port(u.scheme);
        if (u.port.empty()) bad(url, "no port");
    }
    return u;
}

} // namespace nexus::client::detail
