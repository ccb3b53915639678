// The coroutines that open each kind of network transport. They run on the
// new transport's strand (the coroutine's executor) and throw
// TransportError (or boost::system::system_error) on failure.
#pragma once

#include <memory>

#include <boost/asio/awaitable.hpp>

#include <nexus/client/transport.hpp>

#include "client/transport/url.hpp"

namespace nexus::client::detail {

boost::asio::awaitable<std::shared_ptr<Transport>> connect_rawsocket(const Url& url,
                                                                     const ConnectOptions& options);
boost::asio::awaitable<std::shared_ptr<Transport>> connect_websocket(const Url& url,
                                                                     const ConnectOptions& options);

} // namespace nexus::client::detail
