// A transport of our own: both ends of a connected pair of Unix sockets
// (socketpair), with a framing of this program's: a 4-byte big-endian length,
// then one WAMP message in MessagePack.
//
// - The router's end implements router::Peer and drives the
//   router::Connection it gets from Router::attach(): every frame read is
//   decoded and handed to Connection::receive(); when the router calls
//   Peer::wake(), everything queued is taken with Connection::take() and
//   written (docs/ARCHITECTURE.md, "Router").
// - The client's end implements client::Transport, so a client::Session runs
//   over it like over any other transport.
//
// A session on the pipe calls a procedure of an in-process session, receives
// its event, and finds its own transport in the router's meta API.
//
//   custom_transport        # runs the checks below, exit 0 when all hold
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <nexus/client/session.hpp>
#include <nexus/router/peer.hpp>
#include <nexus/router/router.hpp>
#include <nexus/serialize/serializer.hpp>

#include "example_router.hpp"

namespace asio = boost::asio;
using boost::system::error_code;
using namespace nexus;
using Socket = asio::local::stream_protocol::socket;

constexpr wamp::Format pipe_format = wamp::Format::msgpack;
constexpr std::size_t max_frame = std::size_t{1} << 20;

// --- Framing, shared by both ends --------------------------------------------

// One end of the pipe: reads frames one after the other and writes what is
// queued in one write at a time. Everything runs on the socket's executor, a
// strand, so no member needs a lock.
class PipeEnd : public std::enable_shared_from_this<PipeEnd> {
public:
    explicit PipeEnd(Socket socket) : socket_(std::move(socket)) {}
    virtual ~PipeEnd() = default;

protected:
    // A frame arrived: the bytes of one message.
    virtual void frame(wamp::SharedFrame bytes) = 0;
    // Reading or writing failed, or the other end closed. May come twice
    // (the read and the write both fail).
    virtual void ended(error_code ec) = 0;
    // Everything queued has been written.
    virtual void written() {}

    void read_next() {
        asio::async_read(socket_, asio::buffer(head_),
                         [self = shared_from_this()](error_code ec, std::size_t) {
                             if (ec) return self->ended(ec);
                             std::size_t n = 0;
                             for (unsigned char byte : self->head_)
                                 n = (n << 8) | byte;
                             if (n == 0 || n > max_frame)
                                 return self->ended(asio::error::no_buffer_space);
                             self->body_.resize(n);
                             self->read_body();
                         });
    }

    void write(std::string_view message) {
        const auto n = static_cast<std::uint32_t>(message.size());
        const char head[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                              static_cast<char>(n >> 8), static_cast<char>(n)};
        pending_.append(head, sizeof head);
        pending_.append(message);
        flush();
    }

    bool writing() const { return writing_; }

    void shut() {
        error_code ignored;
        socket_.shutdown(Socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

    Socket socket_;

private:
    void read_body() {
        asio::async_read(
            socket_, asio::buffer(body_), [self = shared_from_this()](error_code ec, std::size_t) {
                if (ec) return self->ended(ec);
                // The decoded message's payload keeps referencing this frame.
                self->frame(std::make_shared<const std::string>(std::move(self->body_)));
                self->body_ = std::string();
                if (self->socket_.is_open()) self->read_next();
            });
    }

    // Everything queued meanwhile goes out in the next write.
    void flush() {
        if (writing_ || pending_.empty() || !socket_.is_open()) return;
        in_flight_.swap(pending_);
        pending_.clear();
        writing_ = true;
        asio::async_write(socket_, asio::buffer(in_flight_),
                          [self = shared_from_this()](error_code ec, std::size_t) {
                              self->writing_ = false;
                              self->in_flight_.clear();
                              if (ec) return self->ended(ec);
                              self->flush();
                              if (!self->writing_) self->written();
                          });
    }

    std::array<unsigned char, 4> head_{};
    std::string body_, pending_, in_flight_;
    bool writing_ = false;
};

// --- The router's end --------------------------------------------------------

class RouterEnd final : public PipeEnd {
public:
    // Attaches a connection of `router` to `socket` (whose executor must be a
    // strand) and serves it until either side closes it.
    static void serve(router::Router& router, Socket socket) {
        auto end = std::make_shared<RouterEnd>(std::move(socket));
        // On the strand: the router may call wake() as soon as attach()
        // returns, and drain() must find connection_ set.
        asio::dispatch(end->socket_.get_executor(), [end, &router] { end->attach(router); });
    }

    explicit RouterEnd(Socket socket) : PipeEnd(std::move(socket)) {}

    // Peer's three calls. The router makes them from any thread, possibly
    // under a realm lock: they only post to the strand.
    void wake() {
        asio::post(socket_.get_executor(), [self = shared()] { self->drain(); });
    }
    void close() {
        asio::post(socket_.get_executor(), [self = shared()] {
            self->closing_ = true;
            self->drain(); // the router queued its last words (GOODBYE, ABORT) before
            if (!self->writing()) self->shut();
        });
    }
    void abort() {
        asio::post(socket_.get_executor(), [self = shared()] { self->shut(); });
    }

private:
    // The router holds its Peer as long as the connection exists; a weak
    // reference lets this end go when its socket is done.
    class Adapter final : public router::Peer {
    public:
        explicit Adapter(std::weak_ptr<RouterEnd> end) : end_(std::move(end)) {}
        void wake() override {
            if (auto end = end_.lock()) end->wake();
        }
        void close() override {
            if (auto end = end_.lock()) end->close();
        }
        void abort() override {
            if (auto end = end_.lock()) end->abort();
        }

    private:
        std::weak_ptr<RouterEnd> end_;
    };

    std::shared_ptr<RouterEnd> shared() {
        return std::static_pointer_cast<RouterEnd>(shared_from_this());
    }

    void attach(router::Router& router) {
        // What the meta API and authenticators see of this transport.
        router::TransportInfo info{
            .type = "pipe", .protocol = "wamp.2.msgpack", .peer = "socketpair"};
        connection_ = router.attach(std::make_shared<Adapter>(shared()), std::move(info));
        read_next();
    }

    void frame(wamp::SharedFrame bytes) override {
        auto message = serialize::decode(pipe_format, std::move(bytes));
        if (message)
            connection_->receive(std::move(*message)); // may call wake() on this end
        else
            connection_->receive_garbage(message.error().message); // ABORT, then close()
    }

    void drain() {
        if (!connection_ || !socket_.is_open()) return;
        while (connection_->take(batch_) > 0) {
            for (const router::OutgoingPtr& out : batch_) {
                // Encoded once per format, shared by every peer it goes to.
                auto bytes = out->encoded(pipe_format);
                if (bytes)
                    write(**bytes);
                else // e.g. a value MessagePack cannot carry: the router answers for it
                    connection_->undeliverable(out, router::Undeliverable::unencodable);
            }
            batch_.clear();
        }
    }

    void written() override {
        if (closing_) shut();
    }

    void ended(error_code) override {
        if (connection_) connection_->disconnected(); // safe more than once
        shut();
    }

    std::unique_ptr<router::Connection> connection_;
    std::vector<router::OutgoingPtr> batch_;
    bool closing_ = false;
};

// --- The client's end --------------------------------------------------------

class ClientEnd final : public PipeEnd {
public:
    explicit ClientEnd(Socket socket) : PipeEnd(std::move(socket)) {}

    void start(client::Transport::MessageHandler on_message,
               client::Transport::CloseHandler on_close) {
        asio::dispatch(socket_.get_executor(), [self = shared(), m = std::move(on_message),
                                                c = std::move(on_close)]() mutable {
            self->on_message_ = std::move(m);
            self->on_close_ = std::move(c);
            self->read_next();
        });
    }

    // Any thread: encode here, queue on the strand (which keeps the order).
    void send(const wamp::Message& message) {
        auto bytes = serialize::encode(pipe_format, message);
        if (!bytes || closed_) return; // dropped, as Transport::send says
        asio::post(socket_.get_executor(), [self = shared(), b = std::move(*bytes)] {
            if (!self->closed_) self->write(b);
        });
    }

    void close() {
        if (closed_.exchange(true)) return;
        asio::post(socket_.get_executor(), [self = shared()] {
            // Handlers are not called for close(); dropping them also frees
            // the session they refer to.
            self->on_message_ = nullptr;
            self->on_close_ = nullptr;
            self->shut();
        });
    }

    bool is_open() const { return !closed_; }

private:
    std::shared_ptr<ClientEnd> shared() {
        return std::static_pointer_cast<ClientEnd>(shared_from_this());
    }

    void frame(wamp::SharedFrame bytes) override {
        if (closed_) return;
        auto message = serialize::decode(pipe_format, std::move(bytes));
        if (!message)
            return fail("the router sent an undecodable message: " + message.error().message);
        if (on_message_) on_message_(std::move(*message));
    }

    void ended(error_code ec) override {
        fail(ec == asio::error::eof ? "the router closed the connection" : ec.message());
    }

    void fail(std::string reason) {
        if (closed_.exchange(true)) return;
        shut();
        auto on_close = std::move(on_close_);
        on_message_ = nullptr;
        on_close_ = nullptr;
        if (on_close) on_close(std::move(reason));
    }

    std::atomic<bool> closed_{false};
    client::Transport::MessageHandler on_message_;
    client::Transport::CloseHandler on_close_;
};

class PipeTransport final : public client::Transport {
public:
    explicit PipeTransport(Socket socket) : end_(std::make_shared<ClientEnd>(std::move(socket))) {}
    ~PipeTransport() override { end_->close(); }

    void start(MessageHandler on_message, CloseHandler on_close) override {
        end_->start(std::move(on_message), std::move(on_close));
    }
    void send(wamp::Message message) override { end_->send(message); }
    void close() override { end_->close(); }
    bool is_open() const override { return end_->is_open(); }
    std::string_view kind() const override { return "pipe"; }
    std::optional<wamp::Format> format() const override { return pipe_format; }

private:
    std::shared_ptr<ClientEnd> end_;
};

// --- The checks --------------------------------------------------------------

asio::awaitable<int> run(example::EmbeddedRouter& embedded) {
    auto ex = co_await asio::this_coro::executor;
    int failures = 0;
    const auto check = [&](bool ok, const std::string& what) {
        std::cout << (ok ? "ok:     " : "FAILED: ") << what << "\n";
        if (!ok) ++failures;
    };

    // The pipe: one end served by the router (on its io_context), the other a
    // client transport (on ours). Each socket runs on a strand of its own.
    Socket router_socket(asio::make_strand(embedded.executor()));
    Socket client_socket(asio::make_strand(ex));
    asio::local::connect_pair(router_socket, client_socket);
    RouterEnd::serve(embedded.router(), std::move(router_socket));

    client::Session piped(ex, std::make_shared<PipeTransport>(std::move(client_socket)));
    client::Session local(ex, client::connect_local(embedded.router(), ex));
    const client::SessionInfo joined = co_await piped.join("realm1");
    co_await local.join("realm1");
    check(joined.session != 0, "a session joins over the pipe");

    // RPC: the caller on the pipe, the callee in-process.
    co_await local.provide("com.example.reverse", [](const client::Invocation& inv) {
        std::string text = inv.args().at(0).as_string();
        std::reverse(text.begin(), text.end());
        return client::Result{{text}};
    });
    // (Arguments are built before co_await: g++ 12 miscompiles braced lists
    // inside a co_await expression.)
    const wamp::Array word{"socketpair"};
    const client::CallResult reversed = co_await piped.call("com.example.reverse", word);
    check(reversed.args.at(0).as_string() == "riaptekcos",
          "a call over the pipe: " + reversed.args.at(0).as_string());

    // Pub/sub: the subscriber on the pipe.
    std::atomic<bool> received{false};
    std::string headline;
    co_await piped.subscribe("com.example.news", [&](const client::Event& e) {
        headline = e.args.at(0).as_string(); // before the flag: read after it
        received = true;
    });
    client::PublishOptions acknowledged;
    acknowledged.acknowledge = true;
    const wamp::Array news{"framed by hand"};
    co_await local.publish("com.example.news", news, acknowledged);
    // The event travels independently of PUBLISHED: wait for it, up to 5 s.
    asio::steady_timer pause(ex);
    for (int i = 0; i < 500 && !received; ++i) {
        pause.expires_after(std::chrono::milliseconds(10));
        co_await pause.async_wait(asio::use_awaitable);
    }
    check(received && headline == "framed by hand", "an event over the pipe: " + headline);

    // The router describes the session by the TransportInfo RouterEnd gave.
    const wamp::Array session_id{joined.session};
    const client::CallResult described = co_await local.call("wamp.session.get", session_id);
    const wamp::Value& transport = described.args.at(0).at("transport");
    check(transport.at("type").as_string() == "pipe" &&
              transport.at("protocol").as_string() == "wamp.2.msgpack",
          "the meta API shows the pipe transport");
    check(embedded.router().session_count() == 2, "the router counts both sessions");

    co_await piped.leave();
    co_await local.leave();
    co_return failures == 0 ? 0 : 1;
}

int main() {
    example::EmbeddedRouter embedded;
    asio::io_context io;
    auto result = asio::co_spawn(io, run(embedded), asio::use_future);
    io.run();
    try {
        return result.get();
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
