// Listening addresses: "host:port" parsing, binding with errors that name
// the address, and peer descriptions for the meta API ("tcp4:1.2.3.4:5").
#pragma once

#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/system_error.hpp>

namespace nexus::transport {

/// "127.0.0.1:8080", "[::1]:8080", ":8080" (all interfaces), "localhost:8080".
/// Throws std::invalid_argument with a message naming the address.
boost::asio::ip::tcp::endpoint parse_endpoint(std::string_view address);

std::string describe(const boost::asio::ip::tcp::endpoint& endpoint);

/// "127.0.0.1:8080", "[::1]:8080": an endpoint as a URL writes it.
std::string host_port(const boost::asio::ip::tcp::endpoint& endpoint);

/// open + reuse_address + bind + listen; on failure throws
/// boost::system::system_error whose message names `what`.
template <class Acceptor, class Endpoint>
void listen(Acceptor& acceptor, const Endpoint& endpoint, const std::string& what) {
    boost::system::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(typename Acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec) throw boost::system::system_error(ec, "cannot listen on " + what);
}

} // namespace nexus::transport
