// nexusd's configuration file: the Go nexus's nexus.json keys with the same
// meanings, plus keys of our own for what it lacks. Unknown keys are reported
// as warnings; a bad value stops startup with an error naming the key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nexus/cluster/nats.hpp>
#include <nexus/router/config.hpp>
#include <nexus/transport/tls.hpp>
#include <nexus/wamp/expected.hpp>

namespace nexusd {

struct WebSocketConfig {
    std::string address; // "host:port"; empty = no WebSocket listener
    std::vector<std::string> paths{"/", "/ws"};
    std::string cert_file, key_file;
    // ours: client certificates (authmethod "tls")
    nexus::transport::ClientCertificates client_certificates =
        nexus::transport::ClientCertificates::none;
    std::string client_ca_file;
    unsigned keep_alive_seconds = 0; // ping interval; 0 = off
    bool enable_compression = false;
    bool enable_tracking_cookie = false;
    bool enable_request_capture = false;
    std::vector<std::string> allow_origins;
    std::size_t out_queue_size = 0; // 0 = the router's default
    // ours
    std::size_t max_message_size = 16 * 1024 * 1024;
    unsigned handshake_timeout_seconds = 10;
    unsigned idle_timeout_seconds = 0;   // 0 = off
    unsigned write_timeout_seconds = 30; // 0 = off
    std::size_t max_connections = 0;     // 0 = no cap
    std::size_t max_connections_per_address = 0;
};

struct RawSocketConfig {
    std::string tcp_address;  // "host:port"; empty = none
    std::string unix_address; // socket path; empty = none
    unsigned tcp_keepalive_seconds = 180;
    std::size_t max_msg_len = 0; // 0 = 16 MiB
    std::string cert_file, key_file;
    std::size_t out_queue_size = 0;
    // ours
    nexus::transport::ClientCertificates client_certificates =
        nexus::transport::ClientCertificates::none;
    std::string client_ca_file;
    unsigned handshake_timeout_seconds = 10;
    unsigned idle_timeout_seconds = 0;   // 0 = off
    unsigned write_timeout_seconds = 30; // 0 = off
    std::size_t max_connections = 0;     // 0 = no cap; the TCP and Unix listeners each
    std::size_t max_connections_per_address = 0;
};

/// The HTTP listener: health, readiness, metrics, admin API, dashboard.
struct HttpConfig {
    std::string address; // "host:port"; empty = no HTTP listener
    std::string cert_file, key_file;
    std::string admin_token; // empty = the admin API is off
    std::vector<std::string> allow_origins;
    unsigned max_connections = 64;
    unsigned request_timeout_seconds = 10;
    std::size_t max_request_size = 64 * 1024; // body bytes
};

/// "cluster": this nexusd is a node of a cluster joined through NATS
/// (docs/CLUSTER.md). main.cpp connects the bus and sets router.cluster.
struct ClusterSection {
    /// Servers, credentials, TLS, reconnect policy (the logger is main's).
    nexus::cluster::NatsOptions nats;
    /// node_name (default: host name and process id), prefix, heartbeat,
    /// node_timeout; `bus` is left empty.
    nexus::router::ClusterConfig node;
};

enum class LogLevel { error, warning, info, debug };
enum class LogFormat { text, json };

struct Config {
    WebSocketConfig websocket;
    RawSocketConfig rawsocket;
    HttpConfig http;
    std::string log_path; // empty = stderr
    LogLevel log_level = LogLevel::info;
    LogFormat log_format = LogFormat::text;
    /// SIGTERM/SIGINT: how long sessions get to receive their GOODBYE (and
    /// everything queued before it) before their connections are closed.
    unsigned shutdown_grace_seconds = 5;
    nexus::router::RouterConfig router;
    /// Set: a node of a cluster; unset: alone, as without the section.
    std::optional<ClusterSection> cluster;
    bool debug = false;
    /// Keys the loader did not know, as "path.to.key" (reported, not fatal).
    std::vector<std::string> unknown_keys;
};

/// Parses a configuration document. Errors name the file, the key and what is allowed.
nexus::wamp::Expected<Config> parse_config(std::string_view json, const std::string& origin);
nexus::wamp::Expected<Config> load_config(const std::string& path);

/// The node name used when "cluster" has none: the host name (characters a
/// NATS subject token cannot hold replaced by '-') and the process id.
std::string default_node_name();

/// What `nexusd` with no config file runs: WebSocket on 127.0.0.1:8080,
/// RawSocket on 127.0.0.1:8081, realm "realm1" with anonymous access.
Config default_config();

} // namespace nexusd
