// Link over WebSocket: Beast performs the HTTP upgrade (subprotocol
// wamp.2.<serializer>); the frames are ours, as on the router's side,
// because Beast reads and writes one message per operation and the bench
// must not be the bottleneck. One WAMP message per WebSocket message, text
// for JSON and binary otherwise; our frames are masked with a fresh key each
// (RFC 6455 5.3), the router's may come fragmented.
#pragma once

#include <cstdint>

#include "stream_link.hpp"
#include "transport/websocket_wire.hpp"

namespace wampbench {

class WebSocketLink final : public StreamLink {
    using Opcode = nexus::transport::wsframe::Opcode;

public:
    WebSocketLink(boost::asio::io_context& io, const Target& target);
    void connect(Connected done) override;
    std::string& begin_frame() override;
    void end_frame() override;

private:
    void upgrade(Connected done);
    std::size_t consume(char* data, std::size_t size, std::size_t& need) override;
    // Queues one masked frame of `opcode` carrying pending_[frame_start_ + max_header, end).
    void finish_frame(Opcode opcode);
    std::uint32_t next_mask();

    std::size_t frame_start_ = 0;
    std::string fragments_; // a fragmented message being assembled
    bool in_fragments_ = false;
    std::uint64_t mask_state_;
};

} // namespace wampbench
