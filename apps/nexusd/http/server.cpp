#include "http/server.hpp"

#include <mutex>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "transport/net/address.hpp"
#include "transport/net/any_stream.hpp"
#include "transport/net/connection_list.hpp"
#include "transport/net/tls_context.hpp"

namespace nexusd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using error_code = boost::system::error_code;
using nexus::transport::AnyStream;

namespace {

class Connection;

} // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
    Impl(asio::any_io_executor io_, asio::any_io_executor handlers_, ServerOptions options_,
         Handler handler_, Logger logger_)
        : io(std::move(io_)), handlers(std::move(handlers_)), options(std::move(options_)),
          handler(std::move(handler_)), logger(std::move(logger_)), acceptor(io) {
        if (options.tls.enabled()) tls = std::make_unique<nexus::transport::ServerTls>(options.tls);
    }

    void accept();
    void log(std::string_view line) const {
        if (logger) logger(line);
    }

    asio::any_io_executor io;
    asio::any_io_executor handlers;
    const ServerOptions options;
    const Handler handler;
    const Logger logger;
    std::unique_ptr<nexus::transport::ServerTls> tls;
    asio::ip::tcp::acceptor acceptor;
    asio::ip::tcp::endpoint peer; // of the accept under way
    std::mutex mutex;
    nexus::transport::ConnectionList<Connection> connections;
    bool stopped = false;
    bool failing = false; // accepting fails (logged once until it works again)
    std::atomic<std::uint64_t> open{0}, accepted{0}, refused{0}, requests{0};
};

namespace {

class Connection final : public std::enable_shared_from_this<Connection> {
public:
    Connection(std::shared_ptr<Server::Impl> server, asio::ip::tcp::socket socket,
               std::shared_ptr<asio::ssl::context> tls_context, std::string peer)
        : server_(std::move(server)), tls_context_(std::move(tls_context)),
          stream_(tls_context_ ? AnyStream(std::move(socket), *tls_context_)
                               : AnyStream(std::move(socket))) {
        context_.tls = tls_context_ != nullptr;
        context_.peer = std::move(peer);
    }
    ~Connection() { server_->open.fetch_sub(1, std::memory_order_relaxed); }

    void start() {
        auto* tls = stream_.tls();
        if (!tls) return read();
        stream_.tcp().expires_after(server_->options.request_timeout);
        tls->async_handshake(asio::ssl::stream_base::server,
                             [self = shared_from_this()](error_code ec) {
                                 if (ec) return self->close();
                                 self->read();
                             });
    }

    void shutdown() {
        asio::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
    }

private:
    void read() {
        if (closed_) return;
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(server_->options.max_header_size));
        parser_->body_limit(server_->options.max_body_size);
        stream_.tcp().expires_after(server_->options.request_timeout);
        bhttp::async_read(
            stream_, buffer_, *parser_,
            [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(error_code ec) {
        if (closed_) return;
        if (ec == bhttp::error::body_limit)
            return answer_error(bhttp::status::payload_too_large, "request body too large");
        if (ec == bhttp::error::header_limit)
            return answer_error(bhttp::status::request_header_fields_too_large,
                                "request header too large");
        // A request that does not parse; anything else (end of stream,
        // timeout, reset) ends the connection without an answer.
        if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
            ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
            return answer_error(bhttp::status::bad_request, "malformed request");
        if (ec) return close();
        request_ = parser_->release();
        parser_.reset();
        server_->requests.fetch_add(1, std::memory_order_relaxed);
        // No timeout while the handler works: it is ours, not the peer's.
        stream_.tcp().expires_never();
        asio::post(server_->handlers, [self = shared_from_this()] {
            Response response = self->handle();
            asio::post(self->stream_.get_executor(),
                       [self, response = std::move(response)]() mutable {
                           self->write(std::move(response), !self->request_.keep_alive());
                       });
        });
    }

    Response handle() {
        try {
            return server_->handler(request_, context_);
        } catch (const std::exception& e) {
            server_->log(std::string("HTTP ") + std::string(request_.target()) +
                         ": handler failed: " + e.what());
            Response r{bhttp::status::internal_server_error, request_.version()};
            r.set(bhttp::field::content_type, "text/plain; charset=utf-8");
            r.body() = "internal error\n";
            return r;
        }
    }

    void answer_error(bhttp::status status, const char* text) {
        Response r{status, 11};
        r.set(bhttp::field::content_type, "text/plain; charset=utf-8");
        r.body() = std::string(text) + "\n";
        write(std::move(r), true);
    }

    void write(Response response, bool close_after) {
        if (closed_) return;
        response_.emplace(std::move(response));
        Response& r = *response_;
        r.set(bhttp::field::server, "nexusd");
        r.keep_alive(!close_after);
        r.prepare_payload();
        if (request_.method() == bhttp::verb::head) {
            // The length of the body a GET would get, and no body.
            const auto size = r.body().size();
            r.body().clear();
            r.content_length(size);
        }
        close_after_ = close_after;
        stream_.tcp().expires_after(server_->options.request_timeout);
        bhttp::async_write(stream_, r, [self = shared_from_this()](error_code ec, std::size_t) {
            self->response_.reset();
            if (ec || self->close_after_) return self->close();
            self->read();
        });
    }

    void close() {
        if (closed_) return;
        closed_ = true;
        error_code ignored;
        auto& socket = stream_.tcp().socket();
        socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    }

    std::shared_ptr<Server::Impl> server_;
    std::shared_ptr<asio::ssl::context> tls_context_; // outlives stream_
    AnyStream stream_;
    RequestContext context_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    Request request_;
    std::optional<Response> response_;
    bool close_after_ = false;
    bool closed_ = false;
};

} // namespace

void Server::Impl::accept() {
    auto strand = asio::make_strand(io);
    acceptor.async_accept(
        strand, peer,
        [self = shared_from_this(), strand](error_code ec, asio::ip::tcp::socket socket) {
            if (ec == asio::error::operation_aborted) return;
            {
                std::lock_guard lock(self->mutex);
                if (self->stopped) return;
            }
            if (!ec) {
                if (std::exchange(self->failing, false))
                    self->log("HTTP " + self->options.address + ": accepting connections again");
                self->accepted.fetch_add(1, std::memory_order_relaxed);
                if (self->open.load(std::memory_order_relaxed) >= self->options.max_connections) {
                    self->refused.fetch_add(1, std::memory_order_relaxed);
                    error_code ignored;
                    socket.close(ignored);
                } else {
                    self->open.fetch_add(1, std::memory_order_relaxed);
                    auto context = self->tls ? self->tls->current() : nullptr;
                    // Not make_shared: see connection_list.hpp.
                    std::shared_ptr<Connection> c(
                        new Connection(self, std::move(socket), std::move(context),
                                       nexus::transport::describe(self->peer)));
                    {
                        std::lock_guard lock(self->mutex);
                        self->connections.add(c);
                    }
                    c->start();
                }
                return self->accept();
            }
            // Out of descriptors and the like: try again shortly, as the WAMP
            // listeners do.
            if (!std::exchange(self->failing, true))
                self->log("HTTP " + self->options.address + ": cannot accept a connection (" +
                          ec.message() + "); retrying every 100 ms");
            auto timer =
                std::make_shared<asio::steady_timer>(self->io, std::chrono::milliseconds(100));
            timer->async_wait([self, timer](error_code) {
                {
                    std::lock_guard lock(self->mutex);
                    if (self->stopped) return;
                }
                self->accept();
            });
        });
}

Server::Server(asio::any_io_executor io, asio::any_io_executor handlers, ServerOptions options,
               Handler handler, Logger logger)
    : impl_(std::make_shared<Impl>(std::move(io), std::move(handlers), std::move(options),
                                   std::move(handler), std::move(logger))) {}

Server::~Server() { stop(); }

void Server::start() {
    nexus::transport::listen(impl_->acceptor,
                             nexus::transport::parse_endpoint(impl_->options.address),
                             impl_->options.address);
    impl_->accept();
}

void Server::stop() {
    std::vector<std::shared_ptr<Connection>> live;
    {
        std::lock_guard lock(impl_->mutex);
        if (impl_->stopped) return;
        impl_->stopped = true;
        live = impl_->connections.take_open();
    }
    asio::post(impl_->io, [impl = impl_] {
        error_code ignored;
        impl->acceptor.close(ignored);
    });
    for (auto& c : live)
        c->shutdown();
}

std::uint16_t Server::port() const {
    error_code ec;
    auto endpoint = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : endpoint.port();
}

void Server::reload_tls() {
    if (impl_->tls) impl_->tls->reload();
}

bool Server::tls() const { return impl_->tls != nullptr; }

ServerStats Server::stats() const {
    constexpr auto relaxed = std::memory_order_relaxed;
    return ServerStats{impl_->open.load(relaxed), impl_->accepted.load(relaxed),
                       impl_->refused.load(relaxed), impl_->requests.load(relaxed)};
}

} // namespace nexusd::http
