#include "listener_options.hpp"

#include "transport/net/address.hpp"
#include "transport/net/tls_context.hpp"

namespace nexusd {

nexus::transport::RawSocketOptions rawsocket_options(const Config& config) {
    nexus::transport::RawSocketOptions raw;
    raw.tcp_address = config.rawsocket.tcp_address;
    raw.unix_path = config.rawsocket.unix_address;
    if (config.rawsocket.max_msg_len) raw.max_message_size = config.rawsocket.max_msg_len;
    raw.handshake_timeout = std::chrono::seconds(config.rawsocket.handshake_timeout_seconds);
    raw.tcp_keepalive = std::chrono::seconds(config.rawsocket.tcp_keepalive_seconds);
    raw.write_timeout = std::chrono::seconds(config.rawsocket.write_timeout_seconds);
    raw.idle_timeout = std::chrono::seconds(config.rawsocket.idle_timeout_seconds);
    raw.out_queue_size = config.rawsocket.out_queue_size;
    raw.max_connections = config.rawsocket.max_connections;
    raw.max_connections_per_address = config.rawsocket.max_connections_per_address;
    if (!raw.tcp_address.empty()) {
        raw.tls.certificate_file = config.rawsocket.cert_file;
        raw.tls.private_key_file = config.rawsocket.key_file;
        raw.tls.client_certificates = config.rawsocket.client_certificates;
        raw.tls.client_ca_file = config.rawsocket.client_ca_file;
    }
    return raw;
}

nexus::transport::WebSocketOptions websocket_options(const Config& config) {
    nexus::transport::WebSocketOptions ws;
    ws.address = config.websocket.address;
    ws.paths = config.websocket.paths;
    ws.enable_compression = config.websocket.enable_compression;
    ws.allow_origins = config.websocket.allow_origins;
    ws.enable_tracking_cookie = config.websocket.enable_tracking_cookie;
    ws.max_message_size = config.websocket.max_message_size;
    ws.handshake_timeout = std::chrono::seconds(config.websocket.handshake_timeout_seconds);
    ws.write_timeout = std::chrono::seconds(config.websocket.write_timeout_seconds);
    ws.out_queue_size = config.websocket.out_queue_size;
    ws.max_connections = config.websocket.max_connections;
    ws.max_connections_per_address = config.websocket.max_connections_per_address;
    ws.capture_request = config.websocket.enable_request_capture;
    // keep_alive is the ping interval; Beast pings at half the idle timeout.
    if (config.websocket.keep_alive_seconds)
        ws.idle_timeout = std::chrono::seconds(2 * config.websocket.keep_alive_seconds);
    if (config.websocket.idle_timeout_seconds)
        ws.idle_timeout = std::chrono::seconds(config.websocket.idle_timeout_seconds);
    if (!ws.address.empty()) {
        ws.tls.certificate_file = config.websocket.cert_file;
        ws.tls.private_key_file = config.websocket.key_file;
        ws.tls.client_certificates = config.websocket.client_certificates;
        ws.tls.client_ca_file = config.websocket.client_ca_file;
    }
    return ws;
}

http::ServerOptions http_options(const Config& config) {
    http::ServerOptions o;
    o.address = config.http.address;
    o.tls.certificate_file = config.http.cert_file;
    o.tls.private_key_file = config.http.key_file;
    o.max_connections = config.http.max_connections;
    o.max_body_size = config.http.max_request_size;
    o.request_timeout = std::chrono::seconds(config.http.request_timeout_seconds);
    return o;
}

std::vector<std::string> check_listeners(const Config& config) {
    std::vector<std::string> problems;
    const auto address = [&](const char* key, const std::string& value) {
        if (value.empty()) return;
        try {
            (void)nexus::transport::parse_endpoint(value);
        } catch (const std::exception& e) {
            problems.push_back(std::string(key) + ": " + e.what());
        }
    };
    const auto tls = [&](const char* section, const nexus::transport::TlsServerOptions& options) {
        if (!options.enabled()) return;
        try {
            (void)nexus::transport::make_server_tls_context(options);
        } catch (const std::exception& e) {
            problems.push_back(std::string(section) + ": " + e.what());
        }
    };
    address("websocket.address", config.websocket.address);
    address("rawsocket.tcp_address", config.rawsocket.tcp_address);
    address("http.address", config.http.address);
    if (!config.websocket.address.empty()) tls("websocket", websocket_options(config).tls);
    if (!config.rawsocket.tcp_address.empty()) tls("rawsocket", rawsocket_options(config).tls);
    if (!config.http.address.empty()) tls("http", http_options(config).tls);
    if (config.websocket.address.empty() && config.rawsocket.tcp_address.empty() &&
        config.rawsocket.unix_address.empty())
        problems.push_back("no listener configured (websocket.address, rawsocket.tcp_address "
                           "or rawsocket.unix_address)");
    return problems;
}

} // namespace nexusd
