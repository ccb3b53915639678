// async_connect: picks the transport by URL scheme and opens it on a new strand.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>

#include <nexus/client/error.hpp>
#include <nexus/client/transport.hpp>

#include "client/completion.hpp"
#include "client/transport/connectors.hpp"

namespace nexus::client::detail {

void start_connect(boost::asio::any_io_executor executor, std::string url, ConnectOptions options,
                   boost::asio::any_completion_handler<ConnectSignature> handler) {
    namespace asio = boost::asio;
    Completion<ConnectSignature> done(std::move(handler), executor);
    // Each transport lives on its own strand: its reads, writes and handlers.
    auto strand = asio::make_strand(executor);
    asio::co_spawn(
        strand,
        [url = std::move(url),
         options = std::move(options)]() -> asio::awaitable<std::shared_ptr<Transport>> {
            const Url u = parse_url(url);
            if (u.scheme == "tcp" || u.scheme == "tcps" || u.scheme == "unix")
                co_return co_await connect_rawsocket(u, options);
            if (u.scheme == "ws" || u.scheme == "wss")
                co_return co_await connect_websocket(u, options);
            throw TransportError("unsupported transport URL scheme \"" + u.scheme +
                                 "\" (tcp, tcps, unix, ws, wss)");
        },
        [done = std::move(done)](std::exception_ptr e, std::shared_ptr<Transport> t) mutable {
            done.complete(e, std::move(t));
        });
}

} // namespace nexus::client::detail
