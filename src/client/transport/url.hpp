// Transport URLs: tcp://host:port, unix:///path, ws://host[:port][/path].
#pragma once

#include <string>
#include <string_view>

namespace nexus::client::detail {

struct Url {
    std::string scheme; // lower case
    std::string host;   // without IPv6 brackets
    std::string port;   // the scheme's default when absent
    std::string path;   // "/..." for ws; the socket path for unix
};

/// Throws TransportError naming the URL when it cannot be parsed.
Url parse_url(std::string_view url);

} // namespace nexus::client::detail
