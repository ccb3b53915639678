#include "transport/net/address.hpp"

#include <charconv>
#include <stdexcept>

#include <boost/asio/ip/address.hpp>

namespace nexus::transport {

boost::asio::ip::tcp::endpoint parse_endpoint(std::string_view address) {
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos)
        throw std::invalid_argument("address \"" + std::string(address) +
                                    "\" must be host:port, e.g. 127.0.0.1:8080");
    std::string_view host = address.substr(0, colon);
    const std::string_view port_text = address.substr(colon + 1);
    unsigned port = 0;
    const auto r = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (r.ec != std::errc{} || r.ptr != port_text.data() + port_text.size() || port > 65535)
        throw std::invalid_argument("address \"" + std::string(address) + "\" has an invalid port");
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    boost::asio::ip::address ip;
    if (host.empty()) {
        ip = boost::asio::ip::address_v6::any();
    } else if (host == "localhost") {
        ip = boost::asio::ip::address_v4::loopback();
    } else {
        boost::system::error_code ec;
        ip = boost::asio::ip::make_address(std::string(host), ec);
        if (ec)
            throw std::invalid_argument("address \"" + std::string(address) + "\": \"" +
                                        std::string(host) + "\" is not an IP address");
    }
    return {ip, static_cast<unsigned short>(port)};
}

std::string describe(const boost::asio::ip::tcp::endpoint& endpoint) {
    const auto ip = endpoint.address();
    return (ip.is_v4() ? "tcp4:" : "tcp6:") + ip.to_string() + ":" +
           std::to_string(endpoint.port());
}

std::string host_port(const boost::asio::ip::tcp::endpoint& endpoint) {
    const auto ip = endpoint.address();
    const std::string host = ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string();
    return host + ":" + std::to_string(endpoint.port());
}

} // namespace nexus::transport
