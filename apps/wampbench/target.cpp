#include "target.hpp"

#include <charconv>

#include "link.hpp"
#include "rawsocket_link.hpp"
#include "websocket_link.hpp"

namespace wampbench {

std::optional<std::string> parse_url(const std::string& url, Target& target) {
    std::string_view rest = url;
    if (rest.starts_with("rs://") || rest.starts_with("tcp://")) {
        target.transport = Target::Transport::rawsocket;
        rest.remove_prefix(rest.find("://") + 3);
    } else if (rest.starts_with("ws://")) {
        target.transport = Target::Transport::websocket;
        rest.remove_prefix(5);
    } else {
        return "url must start with rs://, tcp:// or ws:// (TLS is not supported): " + url;
    }
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    target.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    const auto colon = authority.rfind(':');
    if (colon == std::string_view::npos) return "url needs host:port: " + url;
    target.host = std::string(authority.substr(0, colon));
    if (target.host.size() > 2 && target.host.front() == '[') // [::1]
        target.host = target.host.substr(1, target.host.size() - 2);
    const std::string_view port = authority.substr(colon + 1);
    unsigned value = 0;
    auto res = std::from_chars(port.data(), port.data() + port.size(), value);
    if (res.ec != std::errc{} || res.ptr != port.data() + port.size() || value == 0 ||
        value > 65535)
        return "bad port in url: " + url;
    target.port = static_cast<std::uint16_t>(value);
    target.url = url;
    return std::nullopt;
}

bool same_endpoint(const Target& a, const Target& b) {
    return a.transport == b.transport && a.host == b.host && a.port == b.port &&
           (a.transport == Target::Transport::rawsocket || a.path == b.path);
}

std::unique_ptr<Link> make_link(boost::asio::io_context& io, const Target& target) {
    if (target.transport == Target::Transport::websocket)
        return std::make_unique<WebSocketLink>(io, target);
    return std::make_unique<RawSocketLink>(io, target);
}

} // namespace wampbench
