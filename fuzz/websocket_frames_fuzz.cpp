// The server's WebSocket frame parser (src/transport/net/websocket_frames.hpp):
// the input is what a client sends after the upgrade, delivered in reads of
// varying size into a bounded read buffer the way a connection would use the
// parser (consume what it used, keep the rest, read more).
//
//   octet 0   max_message_size: 0 (no limit) or 2^(octet % 24)
//   octet 1   read buffer size: 2^(8 + octet % 9), 256 B to 64 KiB
//   octet 2   read sizes: a small generator seeded with it
//   rest      the byte stream
//
// Checked: every event keeps to the parser's contract (consumed within the
// bytes given, progress whenever the buffer is full, messages within the
// size limit and text messages UTF-8, control payloads at most 125 bytes, a
// close or an error ends it for good), and every data message equals the one
// Boost.Beast's WebSocket stream reads from the same bytes (as long as both
// deliver one: they may refuse different things, but must never disagree on
// a message they both accept).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "serialize/utf8.hpp"
#include "transport/net/websocket_frames.hpp"

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace nexus::transport::wsframe;

void check(bool condition) {
    if (!condition) std::abort();
}

struct Message {
    bool text;
    std::string data;
};

// What Beast's server-side stream reads from `stream` (after an upgrade).
std::vector<Message> beast_messages(std::string_view stream, std::size_t max_message) {
    static boost::asio::io_context io;
    const std::string request = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    beast::test::stream client(io);
    websocket::stream<beast::test::stream> ws(io, request + std::string(stream));
    ws.next_layer().connect(client);
    ws.next_layer().close_remote(); // the client's end of input after `stream`
    // No limit would let Beast allocate whatever a frame header announces;
    // no message in an input (at most 64 KiB) can be larger than 1 MiB.
    ws.read_message_max(max_message == 0 ? std::size_t{1} << 20 : max_message);
    std::vector<Message> out;
    beast::error_code ec;
    ws.accept(ec);
    if (ec) return out;
    for (;;) {
        beast::flat_buffer buffer;
        ws.read(buffer, ec);
        if (ec) break;
        out.push_back({ws.got_text(), beast::buffers_to_string(buffer.data())});
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const std::size_t max_message = data[0] % 25 == 24 ? 0 : std::size_t{1} << (data[0] % 25);
    const std::size_t capacity = std::size_t{1} << (8 + data[1] % 9);
    std::uint32_t seed = data[2] + 1;
    const std::string_view input(reinterpret_cast<const char*>(data + 3), size - 3);

    Parser parser(max_message, capacity);
    std::vector<char> buffer(capacity);
    std::size_t begin = 0, end = 0, fed = 0;
    std::vector<Message> ours;
    bool done = false;
    while (!done) {
        // Read: whatever fits, cut to a pseudo-random size.
        if (begin == end) begin = end = 0;
        if (end == capacity && begin > 0) {
            std::memmove(buffer.data(), buffer.data() + begin, end - begin);
            end -= begin;
            begin = 0;
        }
        seed = seed * 1103515245u + 12345u;
        const std::size_t want = 1 + (seed >> 16) % capacity;
        const std::size_t n = std::min({want, capacity - end, input.size() - fed});
        if (n == 0) {
            // Either the client sent everything, or the buffer is full of
            // bytes the parser will not consume: a stalled connection.
            check(fed == input.size());
            break;
        }
        std::memcpy(buffer.data() + end, input.data() + fed, n);
        end += n;
        fed += n;

        for (;;) {
            const std::size_t avail = end - begin;
            const Event e = parser.next(buffer.data() + begin, avail);
            check(e.consumed <= avail);
            begin += e.consumed;
            if (e.kind == Event::need_more) {
                // What it waits for must fit in the buffer, or it never comes.
                check(e.need == 0 || (e.need > end - begin && e.need <= capacity));
                break;
            }
            switch (e.kind) {
            case Event::message: {
                check(max_message == 0 || e.data.size() <= max_message);
                if (e.text) check(nexus::serialize::detail::utf8_valid(e.data));
                std::string message = e.assembled ? parser.take_message() : std::string(e.data);
                ours.push_back({e.text, std::move(message)});
                break;
            }
            case Event::ping:
            case Event::pong: check(e.data.size() <= max_control_payload); break;
            case Event::close:
                check(e.code == close_code::no_status || valid_close_code(e.code));
                check(nexus::serialize::detail::utf8_valid(e.data));
                done = true;
                break;
            case Event::error:
                check(e.code == close_code::protocol_error ||
                      e.code == close_code::invalid_payload || e.code == close_code::too_big);
                done = true;
                break;
            default: check(false);
            }
            if (done) {
                // The parser is done for good.
                const Event again = parser.next(buffer.data() + begin, end - begin);
                check(again.kind == e.kind && again.consumed == 0);
                break;
            }
        }
    }

    const std::vector<Message> theirs = beast_messages(input, max_message);
    for (std::size_t i = 0; i < std::min(ours.size(), theirs.size()); ++i) {
        check(ours[i].text == theirs[i].text);
        check(ours[i].data == theirs[i].data);
    }
    return 0;
}
