#include "websocket_link.hpp"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

namespace wampbench {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using asio::ip::tcp;

WebSocketLink::WebSocketLink(asio::io_context& io, const Target& target)
    : ws_(io), target_(target) {}

void WebSocketLink::connect(Connected done) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(target_.host, ec);
    if (ec) return done(ec, "host must be a numeric IP address");
    ws_.next_layer().async_connect(
        tcp::endpoint(address, target_.port),
        [this, done = std::move(done)](const boost::system::error_code& e) mutable {
            if (e) return done(e, "connect");
            ws_.next_layer().set_option(tcp::no_delay(true));
            const std::string protocol(nexus::wamp::websocket_subprotocol(target_.format));
            ws_.set_option(
                websocket::stream_base::decorator([protocol](websocket::request_type& req) {
                    req.set(boost::beast::http::field::sec_websocket_protocol, protocol);
                }));
            ws_.binary(target_.format != nexus::wamp::Format::json);
            ws_.auto_fragment(false);
            ws_.read_message_max(std::size_t{1} << 24);
            const std::string host = target_.host + ":" + std::to_string(target_.port);
            ws_.async_handshake(
                response_, host, target_.path,
                [this, done = std::move(done), protocol](const boost::system::error_code& e2) {
                    if (e2) return done(e2, "WebSocket handshake");
                    if (response_[boost::beast::http::field::sec_websocket_protocol] != protocol)
                        return done(asio::error::connection_refused,
                                    "the server did not accept subprotocol " + protocol);
                    done({}, {});
                    read();
                });
        });
}

std::string& WebSocketLink::begin_frame() {
    building_.clear();
    if (!spare_.empty()) {
        building_.swap(spare_.back());
        spare_.pop_back();
        building_.clear();
    }
    return building_;
}

void WebSocketLink::end_frame() { queue_.push_back(std::move(building_)); }

// Beast writes one message per operation; the queue keeps the order.
void WebSocketLink::flush() {
    if (writing_now_ || queue_.empty() || closed_) return;
    writing_now_ = true;
    ws_.async_write(asio::buffer(queue_.front()), [this](auto ec, std::size_t) {
        writing_now_ = false;
        if (ec) return fail("write: " + ec.message());
        spare_.push_back(std::move(queue_.front()));
        queue_.pop_front();
        flush();
    });
}

void WebSocketLink::read() {
    if (closed_ || reading_stopped_) return;
    ws_.async_read(in_, [this](auto ec, std::size_t) {
        if (ec) return fail(ec == websocket::error::closed ? "closed by peer" : ec.message());
        const auto data = in_.cdata();
        if (handler_)
            handler_->on_frame(
                std::string_view(static_cast<const char*>(data.data()), data.size()));
        in_.consume(in_.size());
        if (handler_) handler_->on_batch_end();
        flush();
        read();
    });
}

void WebSocketLink::fail(std::string_view why) {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    ws_.next_layer().close(ignored);
    if (handler_) handler_->on_closed(why);
}

// A bench ends by dropping its connections; a closing handshake per
// connection would only measure teardown.
void WebSocketLink::close() {
    closed_ = true;
    boost::system::error_code ignored;
    ws_.next_layer().close(ignored);
}

} // namespace wampbench
