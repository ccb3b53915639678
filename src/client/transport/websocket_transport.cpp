// WebSocket client (RFC 6455, basic/building_blocks.md) on Boost.Beast, plain
// or over TLS: the
// wamp.2.<serializer> subprotocol, one WAMP message per WebSocket message,
// text frames for JSON and binary frames for MessagePack and CBOR.
#include <atomic>
#include <deque>
#include <map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <nexus/client/error.hpp>

#include "client/transport/connectors.hpp"
#include "client/transport/tls.hpp"
#include "transport/net/tls_channel_binding.hpp"
#include "transport/net/write_deadline.hpp"

namespace nexus::client::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using error_code = boost::system::error_code;

namespace {

using PlainStream = websocket::stream<beast::tcp_stream>;
using TlsStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

template <class Stream>
class WebSocketTransport final : public Transport,
                                 public std::enable_shared_from_this<WebSocketTransport<Stream>> {
public:
    WebSocketTransport(std::shared_ptr<asio::ssl::context> tls, Stream stream, wamp::Format format,
                       serialize::DecodeLimits limits, std::chrono::milliseconds write_timeout)
        : tls_(std::move(tls)), ws_(std::move(stream)), format_(format), limits_(limits),
          write_timeout_(write_timeout),
          write_deadline_(ws_.get_executor(), beast::get_lowest_layer(ws_).socket().native_handle(),
                          write_timeout) {
        ws_.binary(format_ != wamp::Format::json);
        // The handshake is done: the channel ids are fixed from here on.
        if constexpr (!std::is_same_v<Stream, PlainStream>)
            channel_ids_ =
                nexus::transport::tls_channel_ids(ws_.next_layer().native_handle(), false);
    }

    void start(MessageHandler on_message, CloseHandler on_close) override {
        asio::post(ws_.get_executor(), [self = this->shared_from_this(), m = std::move(on_message),
                                        c = std::move(on_close)]() mutable {
            self->on_message_ = std::move(m);
            self->on_close_ = std::move(c);
            self->read();
        });
    }

    void send(wamp::Message message) override {
        if (closed_) return;
        auto bytes = serialize::encode(format_, message);
        if (!bytes) return; // e.g. a NaN for JSON: the router could not take it
        asio::post(ws_.get_executor(),
                   [self = this->shared_from_this(),
                    b = std::make_shared<std::string>(std::move(*bytes))]() mutable {
                       self->queue_.push_back(std::move(b));
                       self->write_more();
                   });
    }

    void close() override {
        if (closed_.exchange(true)) return;
        asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
            self->write_deadline_.cancel();
            // A polite close frame, bounded in time, then the socket.
            beast::get_lowest_layer(self->ws_).expires_after(std::chrono::seconds(2));
            self->ws_.async_close(websocket::close_code::normal, [self](error_code) {
                beast::get_lowest_layer(self->ws_).close();
            });
        });
    }

    bool is_open() const override { return !closed_; }
    std::string_view kind() const override { return "websocket"; }
    std::optional<wamp::Format> format() const override { return format_; }
    std::vector<std::uint8_t> channel_id(std::string_view type) const override {
        auto it = channel_ids_.find(std::string(type));
        return it == channel_ids_.end() ? std::vector<std::uint8_t>{} : it->second;
    }

private:
    void read() {
        ws_.async_read(buffer_, [self = this->shared_from_this()](error_code ec, std::size_t) {
            self->on_read(ec);
        });
    }

    void on_read(error_code ec) {
        if (ec) {
            // A close handshake, or the TCP connection just ending: the same
            // words as RawSocket's, so callers need not know the transport.
            if (ec == websocket::error::closed || ec == asio::error::eof ||
                ec == beast::http::error::end_of_stream)
                return fail("the router closed the connection");
            return fail(io_failure("read", ec));
        }
        if (closed_) return;
        auto frame = std::make_shared<const std::string>(beast::buffers_to_string(buffer_.data()));
        buffer_.consume(buffer_.size());
        auto message = serialize::decode(format_, frame, limits_);
        if (!message) return fail("undecodable message: " + message.error().message);
        if (on_message_) on_message_(std::move(*message));
        read();
    }

    void write_more() {
        if (writing_ || queue_.empty() || closed_) return;
        writing_ = true;
        // Beast writes the message in socket writes of its own, which the
        // deadline does not see: the kernel's send queue shows their progress.
        write_deadline_.begin(this->shared_from_this(), [this] { fail(write_timed_out()); });
        ws_.async_write(asio::buffer(*queue_.front()),
                        [self = this->shared_from_this()](error_code ec, std::size_t) {
                            self->writing_ = false;
                            self->write_deadline_.end();
                            self->queue_.pop_front();
                            if (ec) return self->fail(self->io_failure("write", ec));
                            self->write_more();
                        });
    }

    std::string write_timed_out() const {
        return "write timed out: the router took no data for " +
               std::to_string(write_timeout_.count()) + " ms";
    }
    // The kernel's TCP_USER_TIMEOUT (our write timeout) may end the
    // connection before the deadline notices: the same cause, said the same
    // way, on whichever operation learns of it first.
    std::string io_failure(const char* operation, const error_code& ec) const {
        if (ec == asio::error::timed_out && write_timeout_.count() > 0) return write_timed_out();
        return std::string(operation) + " failed: " + ec.message();
    }

    void fail(std::string reason) {
        if (closed_.exchange(true)) return;
        write_deadline_.cancel();
        beast::get_lowest_layer(ws_).close();
        if (on_close_) on_close_(std::move(reason));
    }

    std::shared_ptr<asio::ssl::context> tls_; // outlives ws_ (a TLS stream uses it)
    Stream ws_;
    const wamp::Format format_;
    const serialize::DecodeLimits limits_;
    const std::chrono::milliseconds write_timeout_;
    std::map<std::string, std::vector<std::uint8_t>> channel_ids_; // TLS only
    std::atomic<bool> closed_{false};
    // Strand only.
    nexus::transport::WriteDeadline write_deadline_;
    MessageHandler on_message_;
    CloseHandler on_close_;
    beast::flat_buffer buffer_;
    std::deque<std::shared_ptr<std::string>> queue_;
    bool writing_ = false;
};

// Connects `ws` (plain or TLS) and performs the upgrade; throws TransportError.
template <class Stream>
asio::awaitable<void> upgrade(Stream& ws, const Url& url, const ConnectOptions& options,
                              const std::string& what) {
    auto executor = co_await asio::this_coro::executor;
    const std::string subprotocol(wamp::websocket_subprotocol(options.format));
    try {
        asio::ip::tcp::resolver resolver(executor);
        auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::use_awaitable);
        // tcp_stream's expiry bounds connecting and both handshakes together.
        beast::get_lowest_layer(ws).expires_after(options.timeout);
        co_await beast::get_lowest_layer(ws).async_connect(endpoints, asio::use_awaitable);
        nexus::transport::tcp_user_timeout(beast::get_lowest_layer(ws).socket().native_handle(),
                                           options.write_timeout);
        if constexpr (!std::is_same_v<Stream, PlainStream>)
            co_await ws.next_layer().async_handshake(asio::ssl::stream_base::client,
                                                     asio::use_awaitable);
        ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
            req.set(beast::http::field::user_agent, "nexus-cpp-client");
            req.set(beast::http::field::sec_websocket_protocol, subprotocol);
        }));
        ws.read_message_max(options.max_message_size);
        websocket::response_type response;
        const bool default_port = url.port == (url.scheme == "wss" ? "443" : "80");
        const std::string host =
            (url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host) +
            (default_port ? "" : ":" + url.port);
        co_await ws.async_handshake(response, host, url.path, asio::use_awaitable);
        if (response[beast::http::field::sec_websocket_protocol] != subprotocol)
            throw TransportError(what + ": the router did not accept subprotocol " + subprotocol);
    } catch (const boost::system::system_error& e) {
        if (e.code() == beast::error::timeout) throw TransportError(what + ": timed out");
        throw TransportError(what + ": " + describe_error(e.code()));
    }
    beast::get_lowest_layer(ws).expires_never();
    // Beast's client defaults: no idle timeout, but a bounded closing handshake.
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
}

} // namespace

asio::awaitable<std::shared_ptr<Transport>> connect_websocket(const Url& url,
                                                              const ConnectOptions& options) {
    auto executor = co_await asio::this_coro::executor;
    const std::string what = url.scheme + "://" + url.host + ":" + url.port + url.path;
    if (url.scheme == "wss") {
        auto tls = make_tls_context(options.tls);
        TlsStream ws(executor, *tls);
        prepare_tls_client(ws.next_layer().native_handle(), options.tls, url.host);
        co_await upgrade(ws, url, options, what);
        co_return std::make_shared<WebSocketTransport<TlsStream>>(
            std::move(tls), std::move(ws), options.format, options.limits, options.write_timeout);
    }
    PlainStream ws(executor);
    co_await upgrade(ws, url, options, what);
    co_return std::make_shared<WebSocketTransport<PlainStream>>(
        nullptr, std::move(ws), options.format, options.limits, options.write_timeout);
}

} // namespace nexus::client::detail
