// The WebSocket data path (RFC 6455 section 5) of the server, without I/O:
// a parser for the frames a client sends and a writer for the frames the
// server sends. Beast keeps the HTTP upgrade and the connections that
// negotiated permessage-deflate; the rest are framed here, because Beast
// completes one read per message and writes one message per call, and the
// strand hop and syscall per message cost more than routing it (see
// docs/PERFORMANCE.md, "Network transports").
//
// The parser takes a buffer that may hold many frames and returns one event
// at a time with the bytes it used, so that the complete frames of one read
// reach the router before the next read. No extension is negotiated on
// this path, so any reserved bit is a protocol error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>

#include "transport/websocket_wire.hpp"

namespace nexus::transport::wsframe {

/// Close status codes (RFC 6455 7.4.1) that the server sends or reports.
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
/// Reported for a close frame without a status code; never sent.
inline constexpr std::uint16_t no_status = 1005;
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t too_big = 1009;
} // namespace close_code

/// Whether a peer may send `code` in a close frame: 1000-1003, 1007-1014
/// (the IANA registry's codes for RFC 6455 and after) and 3000-4999.
bool valid_close_code(std::uint16_t code) noexcept;

/// Control frame payloads are at most this long (RFC 6455 5.5).
inline constexpr std::size_t max_control_payload = 125;

// --- Reading --------------------------------------------------------------

struct Event {
    enum Kind : std::uint8_t {
        /// No complete event in the bytes given: read more. `need`, when not
        /// 0, is the size the incomplete frame takes counted from the first
        /// byte not consumed, for sizing the read buffer.
        need_more,
        /// A whole data message in `data`, text or binary.
        message,
        /// `data` is the ping's payload: answer with a pong carrying it.
        ping,
        pong,
        /// The peer's close frame: `code` (close_code::no_status if it had
        /// none) and `data` the reason. Echo it and shut down.
        close,
        /// The connection must fail: send a close frame with `code` (1002,
        /// 1007 or 1009) and shut down. `data` says why, for logs.
        error,
    };
    Kind kind = need_more;
    /// message: it was a text message (already checked to be UTF-8).
    bool text = false;
    /// message: `data` lives in the parser's own buffer (the message was
    /// fragmented or larger than the read buffer) and Parser::take_message()
    /// hands it over without a copy. Otherwise `data` points into the buffer
    /// given to next(), unmasked in place.
    bool assembled = false;
    std::uint16_t code = 0;
    std::string_view data;
    /// Bytes of the buffer this call used up; the rest is handed in again.
    std::size_t consumed = 0;
    std::size_t need = 0;
};

/// Client-to-server frames. One per connection; not thread-safe.
class Parser {
public:
    /// `max_message_size`: a data message larger than this (summed over its
    /// fragments) fails with 1009; 0 means no limit (as with Beast's
    /// read_message_max). `max_buffered_frame`: the read buffer's largest
    /// size; a data frame larger than that is not waited for as a whole but
    /// its payload copied into the parser's buffer as it arrives.
    explicit Parser(std::size_t max_message_size, std::size_t max_buffered_frame = 64 * 1024);

    /// The next event from data[0, size). Complete frames in the buffer are
    /// unmasked in place. After a close or an error the parser is done: every
    /// later call consumes nothing and returns the same kind of event again.
    Event next(char* data, std::size_t size);

    /// The message of the last `assembled` message event, moved out.
    std::string take_message() noexcept { return std::move(assembly_); }

private:
    Event fail(std::uint16_t code, std::string_view why, std::size_t consumed);
    Event control(Opcode op, std::string_view payload, std::size_t consumed);
    void begin_message(bool text);
    // Appends payload bytes of the current data frame to assembly_,
    // unmasking them with the mask rotated by mask_offset_.
    void append_payload(const char* data, std::size_t size);
    // Checks the text assembled so far; a code point cut at the end is let
    // through until the rest arrives.
    bool text_so_far_valid();
    Event finish_message(std::size_t consumed);

    std::size_t max_message_;
    std::size_t max_buffered_;
    std::string assembly_;
    std::size_t utf8_checked_ = 0;       // assembly_ bytes known to be whole, valid UTF-8
    std::uint64_t stream_remaining_ = 0; // payload bytes of the current data frame still due
    std::uint8_t mask_[4]{};
    std::size_t mask_offset_ = 0;
    bool in_message_ = false; // a data message has begun and awaits its last fragment
    bool message_text_ = false;
    bool stream_fin_ = false;             // the frame being streamed ends its message
    Event::Kind done_ = Event::need_more; // close or error once the parser is done
    std::uint16_t done_code_ = 0;
};

// --- Writing --------------------------------------------------------------

/// A server frame header is at most 2 + 8 bytes (it is never masked).
inline constexpr std::size_t max_header_size = 10;

/// Writes the header of a final, unmasked frame carrying `payload_size`
/// bytes to `out` (room for max_header_size) and returns its length.
std::size_t write_header(char* out, Opcode op, std::uint64_t payload_size) noexcept;

/// One gathered write of server frames: headers and small payloads are
/// copied back to back into a staging buffer, larger payloads are pointed at
/// (and kept alive) in between, as RawSocket's batches do, because an iovec
/// per 100-byte message costs more than copying it and Asio passes at most
/// 64 buffers to one sendmsg.
class Writer {
public:
    explicit Writer(std::size_t copy_threshold = 1024) : copy_threshold_(copy_threshold) {}

    /// A whole message in one frame (text or binary); `before` and `after`
    /// are copied around the payload (a batched WebSocket's framing).
    void add_message(Opcode op, std::shared_ptr<const std::string> payload,
                     std::string_view before = {}, std::string_view after = {});
    /// A ping or pong; the payload is cut to max_control_payload.
    void add_control(Opcode op, std::string_view payload);
    /// A close frame. A reason that does not fit is cut at a UTF-8 boundary.
    /// close_code::no_status sends an empty close frame (RFC 6455 7.1.5).
    void add_close(std::uint16_t code, std::string_view reason = {});

    bool empty() const noexcept { return frames_ == 0; }
    std::size_t frames() const noexcept { return frames_; }
    /// Bytes on the wire, headers included.
    std::size_t bytes() const noexcept { return bytes_; }

    /// The batch as buffers for one gathered write. Valid until the next
    /// add_*() or clear(); nothing may be added while a write is in flight.
    const std::vector<boost::asio::const_buffer>& buffers();

    /// Forgets the batch (after its write completed), letting go of the
    /// payloads it held. A staging buffer a burst grew is released once
    /// batches are small again, so an idle connection does not keep it.
    void clear();

private:
    struct Piece {
        std::size_t staged_end; // staging_ bytes that go before this payload
        const std::string* payload;
    };
    void add_header(Opcode op, std::size_t payload_size);

    std::size_t copy_threshold_;
    std::string staging_;
    std::vector<Piece> pieces_;
    std::vector<std::shared_ptr<const std::string>> held_;
    std::vector<boost::asio::const_buffer> buffers_;
    std::size_t frames_ = 0;
    std::size_t bytes_ = 0;
};

} // namespace nexus::transport::wsframe
