// Link over WebSocket (Beast): one WAMP message per WebSocket message, text
// for JSON and binary otherwise, subprotocol wamp.2.<serializer>.
#pragma once

#include <deque>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "link.hpp"

namespace wampbench {

class WebSocketLink final : public Link {
public:
    WebSocketLink(boost::asio::io_context& io, const Target& target);
    void connect(Connected done) override;
    std::string& begin_frame() override;
    void end_frame() override;
    void flush() override;
    void close() override;

private:
    void read();
    void fail(std::string_view why);

    boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
    const Target& target_;
    boost::beast::flat_buffer in_;
    boost::beast::websocket::response_type response_;
    std::deque<std::string> queue_;  // frames to write, front one being written
    std::vector<std::string> spare_; // written frames kept for their capacity
    std::string building_;
    bool writing_now_ = false;
    bool closed_ = false;
};

} // namespace wampbench
