// The WebSocket server's handling of an HTTP upgrade request: the input is
// what a client sends on a fresh connection. It is read as the server reads it
// (Beast's request parser with its 8 KiB header limit and a body limit of 0:
// a request with a body is refused), then decided on by
// upgrade::decide() (src/transport/net/websocket_upgrade.hpp) under two option
// sets, and an accepted request goes through Beast's WebSocket accept with the
// server's settings (permessage-deflate on, our response decorator) over an
// in-memory stream, whose response must then parse and carry our subprotocol.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "transport/net/websocket_upgrade.hpp"

namespace {

using namespace nexus;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace upgrade = nexus::transport::upgrade;

void check(bool condition) {
    if (!condition) std::abort();
}

transport::WebSocketOptions plain_options() { return {}; } // the defaults: any origin

transport::WebSocketOptions strict_options() {
    transport::WebSocketOptions o;
    o.paths = {"/ws", "/wamp/v2"};
    o.formats = {wamp::Format::cbor, wamp::Format::json};
    o.allow_origins = {"https://*.example.com", "http://localhost:*", "*://trusted"};
    o.enable_tracking_cookie = true;
    o.enable_compression = true;
    return o;
}

// Beast's side of the handshake, configured as WsSession::on_request does.
void accept_in_memory(boost::asio::io_context& io, const upgrade::Request& request,
                      const upgrade::Accept& accept, const transport::WebSocketOptions& options) {
    beast::test::stream client(io);
    websocket::stream<beast::test::stream> ws(io);
    ws.next_layer().connect(client);
    if (options.enable_compression) {
        websocket::permessage_deflate pmd;
        pmd.server_enable = true;
        ws.set_option(pmd);
    }
    ws.read_message_max(options.max_message_size);
    const std::string protocol = upgrade::Subprotocol{accept.format, accept.batched}.name();
    ws.set_option(websocket::stream_base::decorator([&](websocket::response_type& res) {
        res.set(http::field::server, "nexus");
        res.set(http::field::sec_websocket_protocol, protocol);
        if (accept.new_cookie)
            res.set(http::field::set_cookie,
                    std::string(upgrade::cookie_name) + "=" + accept.cookie + "; Path=/; HttpOnly");
    }));
    beast::error_code ec;
    ws.accept(request, ec);

    // Whatever Beast answered must be a well-formed response; a 101 must
    // carry the subprotocol we agreed on.
    client.close_remote();
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    beast::error_code read_ec;
    http::read(client, buffer, response, read_ec);
    check(!read_ec);
    if (!ec) {
        check(response.result() == http::status::switching_protocols);
        check(response[http::field::sec_websocket_protocol] == protocol);
    } else {
        check(response.result() != http::status::switching_protocols);
    }
}

void decide(boost::asio::io_context& io, const upgrade::Request& request,
            const transport::WebSocketOptions& options) {
    const upgrade::Decision decision = upgrade::decide(request, options);
    if (const auto* refusal = std::get_if<upgrade::Refuse>(&decision)) {
        check(refusal->status == http::status::not_found ||
              refusal->status == http::status::upgrade_required ||
              refusal->status == http::status::forbidden ||
              refusal->status == http::status::bad_request);
        check(!refusal->reason.empty());
        return;
    }
    const auto& accept = std::get<upgrade::Accept>(decision);
    // A format we offer, that the client listed.
    check(std::find(options.formats.begin(), options.formats.end(), accept.format) !=
          options.formats.end());
    check(request[http::field::sec_websocket_protocol].find(
              upgrade::Subprotocol{accept.format, accept.batched}.name()) !=
          std::string_view::npos);
    check(websocket::is_upgrade(request));
    if (options.enable_tracking_cookie) {
        check(!accept.cookie.empty());
        if (!accept.new_cookie)
            check(request[http::field::cookie].find(accept.cookie) != std::string_view::npos);
    } else {
        check(accept.cookie.empty() && !accept.new_cookie);
    }
    accept_in_memory(io, request, accept, options);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static boost::asio::io_context io;
    static const transport::WebSocketOptions plain = plain_options();
    static const transport::WebSocketOptions strict = strict_options();

    // The bytes as the connection delivers them, then the client's end of input.
    beast::test::stream stream(io, std::string_view(reinterpret_cast<const char*>(data), size));
    stream.close_remote();
    beast::flat_buffer buffer;
    http::request_parser<http::string_body> parser;
    parser.body_limit(0);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec) return 0; // the server refuses (a body: 413) or closes the connection
    const upgrade::Request request = parser.release();
    // What request capture hands the dynamic authenticator.
    if (!upgrade::received_headers(request).if_object()) std::abort();
    decide(io, request, plain);
    decide(io, request, strict);
    return 0;
}
