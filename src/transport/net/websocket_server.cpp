#include <nexus/transport/websocket_server.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>
#include <span>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/recycling_allocator.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <nexus/wamp/id.hpp>

#include "transport/net/accept_retry.hpp"
#include "transport/net/address.hpp"
#include "transport/net/any_stream.hpp"
#include "transport/net/connection_limits.hpp"
#include "transport/net/connection_list.hpp"
#include "transport/net/drain.hpp"
#include "transport/net/idle_watch.hpp"
#include "transport/net/read_buffer.hpp"
#include "transport/net/read_turns.hpp"
#include "transport/net/tls_channel_binding.hpp"
#include "transport/net/tls_client_certificate.hpp"
#include "transport/net/tls_context.hpp"
#include "transport/net/websocket_batch.hpp"
#include "transport/net/websocket_frames.hpp"
#include "transport/net/websocket_upgrade.hpp"
#include "transport/net/write_deadline.hpp"

namespace nexus::transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using error_code = boost::system::error_code;

namespace {

// Connections without permessage-deflate (nearly all: WAMP clients seldom
// offer it and nexusd enables it only when configured) leave Beast once the
// upgrade is done and are framed by websocket_frames.hpp, as RawSocket
// frames its own: one read brings as many frames as the socket holds (into a
// ReadBuffer, read_buffer.hpp; a frame longer than its maximum is copied into
// the parser's own buffer as it arrives) and all of them reach the router, a
// turn of the event loop at a time (read_turns.hpp), before the next read;
// one gathered write carries everything queued, up to write_batch_bytes
// (which also caps what a peer that stops reading holds here; the rest waits
// in the router's bounded queue). Beast completes one read per message and
// writes one message per call, each a strand hop and a syscall.
//
// On Beast's data path (deflate connections) the batch is written back to
// back from each write's completion instead, with the socket corked meanwhile
// so the kernel sends it in full segments rather than one segment per message
// (TCP_NODELAY is on).
constexpr std::size_t write_batch_bytes = 256 * 1024;
constexpr std::size_t take_chunk = 64;

using Clock = std::chrono::steady_clock;

// Whether the client offers permessage-deflate, in any of its extension
// headers. Beast accepts a valid offer when compression is enabled; an
// offer it declines only leaves that connection on Beast's data path.
bool offers_deflate(const upgrade::Request& request) {
    const auto [begin, end] = request.equal_range(http::field::sec_websocket_extensions);
    for (auto it = begin; it != end; ++it) {
        std::string value(it->value());
        for (char& c : value)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (value.find("permessage-deflate") != std::string::npos) return true;
    }
    return false;
}

using Strand = asio::strand<asio::any_io_executor>;

class WsSession final : public std::enable_shared_from_this<WsSession> {
public:
    /// `tls_context` null: plain ws://.
    WsSession(Strand strand, asio::ip::tcp::socket socket,
              std::shared_ptr<asio::ssl::context> tls_context, router::Router& router,
              const WebSocketOptions& o, std::string peer, ConnectionSlot slot)
        : slot_(std::move(slot)), strand_(std::move(strand)), tls_context_(std::move(tls_context)),
          ws_(tls_context_ ? websocket::stream<AnyStream>(std::move(socket), *tls_context_)
                           : websocket::stream<AnyStream>(std::move(socket))),
          router_(router), meter_(router.transport_meter(router::NetTransport::websocket)),
          options_(o), peer_(std::move(peer)) {}

    // Called by the accept handler, off the session's strand: everything
    // after it runs on the strand, where stop() (a server stop) may already
    // have run.
    void start() {
        asio::dispatch(strand_, [self = shared_from_this()] {
            if (!self->stopped_) self->begin();
        });
    }

    void begin() {
        // One deadline for the TLS handshake and the HTTP upgrade request
        // together, so a client cannot stretch the two to twice the limit.
        ws_.next_layer().tcp().expires_after(options_.handshake_timeout);
        if (auto* tls = ws_.next_layer().tls())
            tls->async_handshake(asio::ssl::stream_base::server,
                                 [self = shared_from_this()](error_code ec) {
                                     if (ec) return self->handshake_failed(ec);
                                     self->read_request();
                                 });
        else
            read_request();
    }

    void shutdown() {
        asio::post(strand_, [self = shared_from_this()] { self->stop(); });
    }
    /// Writes what is queued and closes (a close frame after it); closed at
    /// `deadline` at the latest.
    void drain(Clock::time_point deadline, DrainToken token) {
        asio::post(
            strand_, [self = shared_from_this(), deadline, token = std::move(token)]() mutable {
                if (self->stopped_) return;
                self->drain_token_ = std::move(token);
                if (!self->connection_) return self->stop(); // still in the handshake
                self->drain_timer_ = std::make_unique<asio::steady_timer>(self->strand_, deadline);
                self->drain_timer_->async_wait([self](error_code ec) {
                    if (!ec) self->stop();
                });
                self->closing_ = true;
                self->write_more();
            });
    }
    void wake() {
        // Woken by the message we are handing to the router right now (a
        // reply to this peer): on_read writes when it is done, no post.
        // in_receive_ is only touched on the strand, which the first check
        // makes sure we are on.
        if (strand_.running_in_this_thread() && in_receive_) {
            write_due_ = true;
            return;
        }
        if (drain_scheduled_.exchange(true)) return;
        asio::post(strand_, [self = shared_from_this()] {
            self->drain_scheduled_ = false;
            self->write_more();
        });
    }
    void close_requested() {
        asio::post(strand_, [self = shared_from_this()] {
            self->closing_ = true;
            self->write_more();
        });
    }
    void abort_requested() {
        asio::post(strand_, [self = shared_from_this()] {
            reset_on_close(self->ws_.next_layer().tcp().socket().native_handle());
            self->stop();
        });
    }

private:
    struct WeakPeer final : router::Peer {
        std::weak_ptr<WsSession> session;
        void wake() override {
            if (auto s = session.lock()) s->wake();
        }
        void close() override {
            if (auto s = session.lock()) s->close_requested();
        }
        void abort() override {
            if (auto s = session.lock()) s->abort_requested();
        }
    };

    void read_request() {
        request_parser_ = std::make_unique<http::request_parser<http::string_body>>();
        // An upgrade request has no body: Beast's default limit (1 MiB) would
        // let every connection that has not even authenticated make us
        // buffer that much. The headers stay within Beast's 8 KiB.
        request_parser_->body_limit(0);
        http::async_read(
            ws_.next_layer(), buffer_, *request_parser_,
            [self = shared_from_this()](error_code ec, std::size_t) { self->on_request(ec); });
    }

    // Over TLS the connection is then closed without a close_notify: waiting
    // for the client's would hold a refused connection open for nothing.
    void refuse(http::status status, std::string body) {
        auto res = std::make_shared<http::response<http::string_body>>(status, request_.version());
        res->set(http::field::server, "nexus");
        res->set(http::field::content_type, "text/plain");
        if (status == http::status::upgrade_required) res->set(http::field::upgrade, "websocket");
        res->body() = std::move(body) + "\n";
        res->keep_alive(false);
        res->prepare_payload();
        http::async_write(
            ws_.next_layer(), *res,
            [self = shared_from_this(), res](error_code, std::size_t) { self->stop(); });
    }

    void on_request(error_code ec) {
        if (ec == http::error::body_limit) {
            request_ = request_parser_->release();
            request_parser_.reset();
            return refuse(http::status::payload_too_large,
                          "a WebSocket upgrade request carries no body");
        }
        if (ec) return handshake_failed(ec);
        request_ = request_parser_->release();
        request_parser_.reset();
        auto decision = upgrade::decide(request_, options_);
        if (auto* refusal = std::get_if<upgrade::Refuse>(&decision))
            return refuse(refusal->status, std::move(refusal->reason));
        auto& accept = std::get<upgrade::Accept>(decision);
        format_ = accept.format;
        batched_ = accept.batched;
        const std::string cookie = std::move(accept.cookie);
        const bool new_cookie = accept.new_cookie;

        ws_.next_layer().tcp().expires_never(); // the websocket timeouts take over
        websocket::stream_base::timeout t =
            websocket::stream_base::timeout::suggested(beast::role_type::server);
        t.handshake_timeout = options_.handshake_timeout;
        if (options_.idle_timeout.count() > 0) {
            t.idle_timeout = options_.idle_timeout;
            t.keep_alive_pings = true;
        } else {
            t.idle_timeout = websocket::stream_base::none();
        }
        ws_.set_option(t);
        if (options_.enable_compression) {
            websocket::permessage_deflate pmd;
            pmd.server_enable = true;
            ws_.set_option(pmd);
        }
        ws_.read_message_max(options_.max_message_size);
        const std::string protocol = upgrade::Subprotocol{format_, batched_}.name();
        ws_.set_option(websocket::stream_base::decorator(
            [protocol, cookie, new_cookie](websocket::response_type& res) {
                res.set(http::field::server, "nexus");
                res.set(http::field::sec_websocket_protocol, protocol);
                if (new_cookie)
                    res.set(http::field::set_cookie, std::string(upgrade::cookie_name) + "=" +
                                                         cookie + "; Path=/; HttpOnly");
            }));
        ws_.binary(format_ != wamp::Format::json);

        router::TransportInfo info{.type = "websocket", .protocol = protocol, .peer = peer_};
        if (auto* tls = ws_.next_layer().tls()) {
            info.channel_ids = tls_channel_ids(tls->native_handle(), true);
            info.client_certificate = verified_client_certificate(tls->native_handle());
        }
        if (!cookie.empty()) info.extra.emplace("cookie", cookie);
        const std::string_view agent = request_[http::field::user_agent];
        if (!agent.empty()) info.extra.emplace("user_agent", std::string(agent));
        const std::string_view origin = request_[http::field::origin];
        if (!origin.empty()) info.extra.emplace("origin", std::string(origin));
        if (options_.capture_request) {
            info.extra.emplace("http_headers_received", upgrade::received_headers(request_));
            info.extra.emplace("http_path", std::string(request_.target()));
        }
        info_ = std::move(info);

        // permessage-deflate is Beast's alone: a client that offers it (and
        // so may get it) stays on Beast's data path.
        framed_ = !(options_.enable_compression && offers_deflate(request_));
        ws_.async_accept(request_,
                         [self = shared_from_this()](error_code ec) { self->on_accept(ec); });
    }

    void on_accept(error_code ec) {
        report_transferred();
        if (ec) return handshake_failed(ec);
        auto peer = std::make_shared<WeakPeer>();
        peer->session = weak_from_this();
        connection_ = router_.attach(peer, info_, options_.out_queue_size);
        if (framed_) return start_framed();
        read();
    }

    void read() {
        ws_.async_read(read_buffer_, [self = shared_from_this()](error_code ec, std::size_t) {
            self->on_read(ec);
        });
    }

    void on_read(error_code ec) {
        report_transferred();
        // Beast's keepalive gave up on a silent peer.
        if (ec == beast::error::timeout && !stopped_)
            closed_by_us(router::TransportClose::idle_timeout);
        if (ec || stopped_) return ended(ec); // includes oversize messages (Beast refuses them)
        auto frame =
            std::make_shared<const std::string>(beast::buffers_to_string(read_buffer_.data()));
        read_buffer_.consume(read_buffer_.size());
        if (connection_) {
            in_receive_ = true;
            receive(std::move(frame));
            in_receive_ = false;
            if (write_due_) {
                write_due_ = false;
                write_more();
            }
        }
        read();
    }

    void write_more() {
        if (framed_) return write_framed();
        if (writing_ || stopped_ || !connection_) return;
        if (next_ == pending_.size()) {
            pending_.clear();
            next_ = 0;
            std::size_t bytes_taken = 0;
            while (bytes_taken < write_batch_bytes && connection_->take(taken_, take_chunk) > 0) {
                for (auto& out : taken_) {
                    auto bytes = out->encoded(format_);
                    if (!bytes) { // unencodable (NaN in JSON): skipped, the router answers
                        connection_->undeliverable(out, router::Undeliverable::unencodable);
                        continue;
                    }
                    bytes_taken += (*bytes)->size();
                    pending_.push_back(batched_ ? in_batch(**bytes) : std::move(*bytes));
                }
                taken_.clear();
            }
            if (pending_.size() > 1) cork(true);
        }
        if (next_ == pending_.size()) {
            cork(false);
            if (closing_) {
                closing_ = false;
                ws_.async_close(websocket::close_code::normal,
                                [self = shared_from_this()](error_code) { self->stop(); });
            }
            return;
        }
        writing_ = true;
        // Beast writes the message in socket writes of its own, which the
        // deadline does not see: the kernel's send queue shows their progress.
        write_deadline_.begin(shared_from_this(), [this] { write_timed_out(); });
        ws_.async_write(asio::buffer(*pending_[next_]),
                        [self = shared_from_this()](error_code ec, std::size_t) {
                            self->report_transferred();
                            self->writing_ = false;
                            self->write_deadline_.end();
                            self->pending_[self->next_++].reset();
                            if (ec) return self->ended(ec);
                            self->write_more();
                        });
    }

    // --- Our own data path (connections without permessage-deflate) ----------

    void start_framed() {
        // A client may send frames right behind its upgrade request (RFC 6455
        // 4.1 says it should wait, not every one does): they were read with it.
        const std::size_t early = buffer_.size();
        in_.reserve(early);
        in_.commit(asio::buffer_copy(in_.prepare(), buffer_.data()));
        // The handshake's buffers are not needed any more; an idle
        // connection should not keep them.
        buffer_ = beast::flat_buffer();
        request_ = {};
        // Over TLS every payload is copied into the batch, so that it is
        // encrypted as full records rather than a record (and a send) per
        // buffer, as RawSocket does.
        if (ws_.next_layer().tls())
            writer_ = wsframe::Writer(std::numeric_limits<std::size_t>::max());
        idle_.heard();
        if (idle_.enabled()) arm_timer(idle_.first_check());
        if (early > 0) return handle_frames(); // which reads next
        read_framed();
    }

    // Makes room behind the unconsumed bytes (moving a partial frame to the
    // front) and reads whatever the socket has.
    void read_framed() {
        ws_.next_layer().with_socket([this](auto& stream) {
            stream.async_read_some(in_.prepare(),
                                   [self = shared_from_this()](error_code ec, std::size_t n) {
                                       self->on_framed_read(ec, n);
                                   });
        });
    }

    void on_framed_read(error_code ec, std::size_t n) {
        transferred(n, 0);
        if (ec || stopped_) return ended(ec);
        in_.commit(n);
        idle_.heard();
        handle_frames();
    }

    // Hands the complete frames in the buffer to the router (or answers them),
    // a turn of the event loop at a time (read_turns.hpp), writes what that
    // produced once at the end of each turn, then reads again.
    void handle_frames() {
        in_receive_ = true;
        std::size_t handled = 0;
        const std::size_t limit = ReadTurns::limit();
        for (bool more = true; more && !stopped_; ++handled) {
            if (handled == limit) {
                end_of_turn();
                asio::post(strand_, [self = shared_from_this()] {
                    if (!self->stopped_) self->handle_frames();
                });
                return;
            }
            const wsframe::Event e = parser_.next(in_.data(), in_.size());
            in_.consume(e.consumed);
            switch (e.kind) {
            case wsframe::Event::need_more:
                // The parser streams frames larger than the buffer's maximum
                // itself, so `need` never asks for more than that.
                in_.reserve(e.need);
                more = false;
                break;
            case wsframe::Event::message:
                // After our close frame, data is dropped, as Beast's async_close does.
                if (!close_sent_ && !close_pending_) deliver(e);
                break;
            case wsframe::Event::ping:
                // Only the latest ping needs its pong (RFC 6455 5.5.3), so a
                // flood of pings costs no memory.
                if (!close_sent_ && !close_pending_) {
                    pong_.assign(e.data);
                    pong_due_ = true;
                    write_due_ = true;
                }
                break;
            case wsframe::Event::pong: break;
            case wsframe::Event::close:
                // Echo the peer's code (RFC 6455 5.5.1), unless ours went first.
                reading_ = false;
                more = false;
                queue_close(e.code, e.data, false);
                break;
            case wsframe::Event::error:
                reading_ = false;
                more = false;
                queue_close(e.code, {}, false);
                break;
            }
        }
        end_of_turn();
        if (!reading_) {
            teardown_when_done();
        } else if (!stopped_) {
            read_framed();
        }
    }

    void end_of_turn() {
        ReadTurns::worked();
        in_receive_ = false;
        if (write_due_) {
            write_due_ = false;
            write_framed();
        }
    }

    void deliver(const wsframe::Event& e) {
        if (!connection_) return;
        receive(e.assembled ? std::make_shared<const std::string>(parser_.take_message())
                            : std::make_shared<const std::string>(e.data));
    }

    // One WebSocket message to the router: a WAMP message, or a batch of them.
    void receive(wamp::SharedFrame frame) {
        if (!batched_) {
            auto message = serialize::decode(format_, std::move(frame), options_.limits);
            if (message)
                connection_->receive(std::move(*message));
            else
                connection_->receive_garbage(message.error().message);
            return;
        }
        auto parts = batch::split(format_, *frame, separator_);
        if (!parts) return connection_->receive_garbage(parts.error().message);
        for (std::string_view part : *parts) {
            auto message = serialize::decode(format_, frame, part, options_.limits);
            if (!message) return connection_->receive_garbage(message.error().message);
            connection_->receive(std::move(*message));
        }
    }

    // A message as a batch of one, for Beast's data path.
    std::shared_ptr<const std::string> in_batch(const std::string& message) const {
        const batch::Framing f = batch::framing(format_, message.size(), separator_);
        auto out = std::make_shared<std::string>();
        out->reserve(f.before().size() + message.size() + f.after().size());
        out->append(f.before()).append(message).append(f.after());
        return out;
    }

    // A close frame to send: at once (the peer closed or broke the protocol:
    // nothing queued goes out any more) or, when the router asks, after
    // everything it queued before.
    void queue_close(std::uint16_t code, std::string_view reason, bool after_queued) {
        if (close_sent_ || close_pending_) {
            if (!after_queued) close_after_queued_ = false;
            return;
        }
        close_pending_ = true;
        close_after_queued_ = after_queued;
        close_code_ = code;
        close_reason_.assign(reason);
        write_due_ = true;
    }

    // Everything queued (up to write_batch_bytes), with a pong, a keepalive
    // ping and a close frame as due, in one gathered write.
    void write_framed() {
        if (closing_) { // the router's close request
            closing_ = false;
            queue_close(wsframe::close_code::normal, {}, true);
        }
        if (writing_ || stopped_ || close_sent_) return;
        if (pong_due_) {
            writer_.add_control(wsframe::Opcode::pong, pong_);
            pong_due_ = false;
        }
        if (ping_due_) {
            writer_.add_control(wsframe::Opcode::ping, {});
            ping_due_ = false;
        }
        bool drained = true;
        if (connection_ && !(close_pending_ && !close_after_queued_)) {
            const auto opcode =
                format_ == wamp::Format::json ? wsframe::Opcode::text : wsframe::Opcode::binary;
            for (;;) {
                if (writer_.bytes() >= write_batch_bytes) {
                    drained = false;
                    break;
                }
                if (connection_->take(taken_, take_chunk) == 0) break;
                for (router::OutgoingPtr& out : taken_) {
                    auto bytes = out->encoded(format_);
                    if (!bytes) { // unencodable (NaN in JSON): skipped, the router answers
                        connection_->undeliverable(out, router::Undeliverable::unencodable);
                        continue;
                    }
                    if (batched_) {
                        const auto f = batch::framing(format_, (*bytes)->size(), separator_);
                        writer_.add_message(opcode, std::move(*bytes), f.before(), f.after());
                    } else {
                        writer_.add_message(opcode, std::move(*bytes));
                    }
                }
                taken_.clear();
            }
        }
        if (close_pending_ && (drained || !close_after_queued_)) {
            writer_.add_close(close_code_, close_reason_);
            close_pending_ = false;
            close_sent_ = true;
            // The peer has as long as for the opening handshake to answer and hang up.
            arm_timer(options_.handshake_timeout);
        }
        if (writer_.empty()) return;
        writing_ = true;
        write_deadline_.begin(shared_from_this(), [this] { write_timed_out(); });
        ws_.next_layer().with_socket([this](auto& stream) {
            asio::async_write(stream, std::span<const asio::const_buffer>(writer_.buffers()),
                              ReportProgress(write_deadline_),
                              [self = shared_from_this()](error_code ec, std::size_t n) {
                                  self->transferred(0, n);
                                  self->on_framed_write(ec);
                              });
        });
        ReadTurns::worked();
    }

    void on_framed_write(error_code ec) {
        ReadTurns::worked();
        writing_ = false;
        write_deadline_.end();
        writer_.clear();
        if (ec) return ended(ec);
        if (close_sent_) return teardown_when_done();
        write_framed();
    }

    // Once our close frame is out and the peer's has come (or the peer broke
    // the protocol), the session is over; the connection ends as Beast ends
    // it: TLS close_notify, then the TCP shutdown, waiting (bounded by the
    // close timer) for the client to hang up first.
    void teardown_when_done() {
        if (!close_sent_ || writing_ || reading_ || tearing_down_ || stopped_) return;
        tearing_down_ = true;
        if (connection_) {
            connection_->disconnected();
            connection_.reset();
        }
        using websocket::async_teardown;
        async_teardown(beast::role_type::server, ws_.next_layer(),
                       [self = shared_from_this()](error_code) { self->stop(); });
    }

    // One timer per connection: the keepalive while open, the close deadline after.
    void arm_timer(Clock::duration after) {
        timer_.expires_after(after);
        // A wait that already completed cannot be cancelled: its handler
        // recognises by the generation that it was replaced.
        timer_.async_wait(
            [self = shared_from_this(), generation = ++timer_generation_](error_code ec) {
                if (ec || self->stopped_ || generation != self->timer_generation_) return;
                self->on_timer();
            });
    }

    // The close deadline, or the keepalive as Beast's (idle_watch.hpp); an
    // idle peer is closed without a close frame, as Beast does.
    void on_timer() {
        if (close_sent_) return stop();
        const IdleWatch::Step step = idle_.check();
        if (step.close) {
            closed_by_us(router::TransportClose::idle_timeout);
            return stop();
        }
        if (step.ping) {
            ping_due_ = true;
            write_framed();
        }
        arm_timer(step.next);
    }

    // TCP_CORK holds partial segments until uncorked (or 200 ms, the
    // kernel's limit), so a failure here only costs some batching.
    void cork(bool on) {
        if (corked_ == on) return;
        corked_ = on;
        const int value = on ? 1 : 0;
        ::setsockopt(ws_.next_layer().tcp().socket().native_handle(), IPPROTO_TCP, TCP_CORK, &value,
                     sizeof value);
    }

    // A read or write of an established connection failed. ETIMEDOUT is the
    // kernel's TCP_USER_TIMEOUT (twice write_timeout): the peer took nothing
    // for that long, the write deadline's verdict as well, whichever came first.
    void ended(error_code ec) {
        if (ec == asio::error::timed_out && options_.write_timeout.count() > 0)
            return write_timed_out();
        stop();
    }

    // Reported once, even when the session already stopped: the kernel's
    // ETIMEDOUT goes to one of the read and the write, and the other one's
    // error (operation_aborted, EOF) may have been handled first.
    void write_timed_out() {
        if (std::exchange(write_timeout_reported_, true)) return stop();
        closed_by_us(router::TransportClose::write_timeout);
        router_.log(router::RouterLogLevel::warning,
                    "WebSocket " + peer_ + ": closed, it took no data for " +
                        std::to_string(options_.write_timeout.count()) + " ms");
        if (!stopped_) reset_on_close(ws_.next_layer().tcp().socket().native_handle());
        stop();
    }

    // The TLS handshake, the upgrade request or Beast's accept failed.
    void handshake_failed(error_code ec) {
        if (ec == beast::error::timeout && !stopped_)
            closed_by_us(router::TransportClose::handshake_timeout);
        stop();
    }

    // Beast's data path counts in the stream, ours here.
    void report_transferred() {
        const auto [received, sent] = ws_.next_layer().take_transferred();
        transferred(received, sent);
    }
    void transferred(std::size_t received, std::size_t sent) {
        if (received || sent) meter_->transferred(received, sent);
    }
    void closed_by_us(router::TransportClose why) { meter_->closed(why); }

    void stop() {
        if (stopped_) return;
        stopped_ = true;
        report_transferred();
        timer_.cancel();
        if (drain_timer_) drain_timer_->cancel();
        write_deadline_.cancel();
        drain_token_.reset();
        error_code ignored;
        ws_.next_layer().tcp().socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        ws_.next_layer().tcp().socket().close(ignored);
        slot_.release();
        if (connection_) {
            connection_->disconnected();
            connection_.reset();
        }
    }

    ConnectionSlot slot_; // under the listener's caps while open
    Strand strand_;
    // Declared before ws_, which uses it; also keeps the certificate this
    // connection started with alive across reload_tls().
    std::shared_ptr<asio::ssl::context> tls_context_;
    websocket::stream<AnyStream> ws_;
    router::Router& router_;
    // Counts bytes and closes; unlike router_, safe to use when the session
    // outlives its server's stop() and the router.
    const std::shared_ptr<router::TransportMeter> meter_;
    const WebSocketOptions options_;
    const std::string peer_;
    beast::flat_buffer buffer_;
    beast::flat_buffer read_buffer_;
    std::unique_ptr<http::request_parser<http::string_body>>
        request_parser_; // until the request is in
    http::request<http::string_body> request_;
    wamp::Format format_ = wamp::Format::json;
    bool batched_ = false;
    // A JSON batch's record separator: the spec's until the peer used another.
    char separator_ = batch::spec_separator;
    router::TransportInfo info_;
    std::unique_ptr<router::Connection> connection_;
    // The batch being written: pending_[next_] on, the rest already sent.
    std::vector<std::shared_ptr<const std::string>> pending_;
    std::size_t next_ = 0;
    std::vector<router::OutgoingPtr> taken_;
    std::atomic<bool> drain_scheduled_{false};
    bool in_receive_ = false; // handing a message to the router
    bool write_due_ = false;  // something to write once that is done
    bool corked_ = false;
    bool writing_ = false;
    bool closing_ = false;
    bool stopped_ = false;
    bool write_timeout_reported_ = false;

    // Our own data path (framed_).
    bool framed_ = false;
    ReadBuffer in_;
    wsframe::Parser parser_{options_.max_message_size, ReadBuffer::max_capacity};
    wsframe::Writer writer_;
    std::string pong_; // payload of the latest ping, while pong_due_
    std::string close_reason_;
    std::uint16_t close_code_ = 0;
    bool reading_ = true;
    bool pong_due_ = false;
    bool ping_due_ = false;
    bool close_pending_ = false;      // a close frame is to be sent
    bool close_after_queued_ = false; // ... once the router's queue is written
    bool close_sent_ = false;
    bool tearing_down_ = false;
    IdleWatch idle_{options_.idle_timeout};
    asio::steady_timer timer_{strand_};
    std::uint64_t timer_generation_ = 0;
    WriteDeadline write_deadline_{strand_, ws_.next_layer().tcp().socket().native_handle(),
                                  options_.write_timeout};
    // The server's stop(grace): the deadline (made only then: most
    // connections never drain), and what tells it we closed.
    std::unique_ptr<asio::steady_timer> drain_timer_;
    DrainToken drain_token_;
};

} // namespace

struct WebSocketServer::Impl : std::enable_shared_from_this<WebSocketServer::Impl> {
    Impl(asio::any_io_executor ex, router::Router& r, WebSocketOptions o)
        : executor(ex), router(r), options(std::move(o)), accept_strand(asio::make_strand(ex)),
          acceptor(accept_strand) {
        if (options.tls.enabled()) tls = std::make_unique<ServerTls>(options.tls);
    }

    // Stops accepting, then hands each open connection to `each` (none: closes it).
    void stop(const std::function<void(WsSession&)>& each);

    asio::any_io_executor executor;
    router::Router& router;
    WebSocketOptions options;
    std::unique_ptr<ServerTls> tls; // null: plain ws://
    // The acceptor is not thread-safe: its accepts, retries and close run on
    // this strand (its own executor, so its handlers do too).
    asio::strand<asio::any_io_executor> accept_strand;
    asio::ip::tcp::acceptor acceptor;
    asio::ip::tcp::endpoint peer; // of the accept under way
    ConnectionLimits limits;      // made by start(), which knows the bound port
    std::mutex mutex;
    ConnectionList<WsSession> sessions;
    bool stopped = false;

    void serve(Strand strand, asio::ip::tcp::socket socket, const asio::ip::tcp::endpoint& remote) {
        auto slot = limits.admit(remote.address(), describe(remote), router);
        if (!slot) { // closed before anything is read from it
            error_code ignored;
            socket.close(ignored);
            return;
        }
        // Not make_shared: see connection_list.hpp.
        std::shared_ptr<WsSession> s(new WsSession(std::move(strand), std::move(socket),
                                                   tls ? tls->current() : nullptr, router, options,
                                                   describe(remote), std::move(*slot)));
        {
            // Under the lock stop() sets `stopped` under: once it has taken
            // the list of open connections it would never close s, so s
            // does not start (and closes as it goes).
            std::lock_guard lock(mutex);
            if (stopped) return;
            sessions.add(s);
        }
        s->start();
    }

    void accept() {
        // Each connection gets its own strand.
        auto strand = asio::make_strand(executor);
        // The peer's address comes with the accept (no getpeername), and
        // TCP_NODELAY from the listening socket (Linux copies it at accept).
        acceptor.async_accept(
            strand, peer,
            [self = shared_from_this(), strand](error_code ec, asio::ip::tcp::socket socket) {
                if (ec == asio::error::operation_aborted || self->stopped_under_lock()) return;
                if (!ec) self->serve(strand, std::move(socket), self->peer);
                self->accept_again(ec);
            });
    }

    AcceptRetry retry{"WebSocket " + options.address};

    void accept_again(const error_code& ec) {
        retry.next(
            ec, router, accept_strand, [self = shared_from_this()] { self->accept(); },
            [self = shared_from_this()] { return self->stopped_under_lock(); });
    }

    bool stopped_under_lock() {
        std::lock_guard lock(mutex); // stop() sets `stopped` under it
        return stopped;
    }
};

WebSocketServer::WebSocketServer(asio::any_io_executor executor, router::Router& router,
                                 WebSocketOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), router, std::move(options))) {}

WebSocketServer::~WebSocketServer() { stop(); }

void WebSocketServer::start() {
    listen(impl_->acceptor, parse_endpoint(impl_->options.address), impl_->options.address);
    impl_->limits = ConnectionLimits(
        (impl_->tls ? "wss://" : "ws://") + host_port(impl_->acceptor.local_endpoint()),
        impl_->options.max_connections, impl_->options.max_connections_per_address);
    error_code ignored;
    impl_->acceptor.set_option(asio::ip::tcp::no_delay(true), ignored);
    // Copied into each accepted socket too (write_deadline.hpp).
    tcp_user_timeout(impl_->acceptor.native_handle(),
                     server_user_timeout(impl_->options.write_timeout));
    impl_->accept();
}

void WebSocketServer::Impl::stop(const std::function<void(WsSession&)>& each) {
    std::vector<std::shared_ptr<WsSession>> live;
    {
        std::lock_guard lock(mutex);
        if (stopped) return;
        stopped = true;
        live = sessions.take_open();
    }
    asio::post(accept_strand, [self = shared_from_this()] {
        error_code ignored;
        self->acceptor.close(ignored);
    });
    for (auto& s : live)
        if (each)
            each(*s);
        else
            s->shutdown();
}

void WebSocketServer::stop() { impl_->stop(nullptr); }

void WebSocketServer::stop(std::chrono::milliseconds grace, std::function<void()> done) {
    const auto deadline = Clock::now() + grace;
    auto token = make_drain_token(impl_->executor, std::move(done));
    impl_->stop([&](WsSession& s) { s.drain(deadline, token); });
}

void WebSocketServer::reload_tls() {
    if (impl_->tls) impl_->tls->reload();
}

bool WebSocketServer::tls() const { return impl_->tls != nullptr; }

std::uint16_t WebSocketServer::port() const {
    error_code ec;
    auto ep = impl_->acceptor.local_endpoint(ec);
    return ec ? 0 : ep.port();
}

} // namespace nexus::transport
