// nexusd: the stand-alone nexus router.
//
// Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM), 1 for a bad
// configuration or command line (including TLS certificates or keys that
// cannot be used), 2 when a listener cannot be opened. SIGHUP reloads the
// TLS certificates.
#include <csignal>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <nexus/router/router.hpp>
#include <nexus/transport/rawsocket_server.hpp>
#include <nexus/transport/websocket_server.hpp>

#include "config.hpp"
#include "exposure.hpp"
#include "log.hpp"

namespace {

constexpr const char* version = "nexusd (nexus C++) 0.1.0";

void usage(std::ostream& out) {
    out << "usage: nexusd [--config FILE] [options]\n"
           "\n"
           "Runs a WAMP router. Without --config it serves realm \"realm1\" (anonymous)\n"
           "with WebSocket on 127.0.0.1:8080 and RawSocket on 127.0.0.1:8081.\n"
           "\n"
           "options:\n"
           "  --config FILE        nexus.json-style configuration file\n"
           "  --websocket ADDR     WebSocket listener, host:port (overrides the file)\n"
           "  --rawsocket ADDR     RawSocket TCP listener, host:port (overrides the file)\n"
           "  --unix PATH          RawSocket Unix socket listener\n"
           "  --realm URI          serve this realm (anonymous) instead of the configured ones\n"
           "  --threads N          I/O threads (default: number of cores)\n"
           "  --log-level LEVEL    error, warning, info or debug\n"
           "  --help               this text\n"
           "  --version            the version\n"
           "\n"
           "signals: SIGINT/SIGTERM shut down, SIGHUP reloads the TLS certificates\n"
           "exit codes: 0 clean shutdown, 1 bad configuration or arguments, 2 cannot listen\n";
}

struct Args {
    std::optional<std::string> config, websocket, rawsocket, unix_path, realm, log_level;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
};

std::optional<Args> parse_args(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto value = [&](std::optional<std::string>& out) {
            if (i + 1 >= argc) {
                std::cerr << "nexusd: " << arg << " needs a value\n";
                return false;
            }
            out = argv[++i];
            return true;
        };
        if (arg == "--help" || arg == "-h") {
            usage(std::cout);
            std::exit(0);
        } else if (arg == "--version") {
            std::cout << version << "\n";
            std::exit(0);
        } else if (arg == "--config") {
            if (!value(a.config)) return std::nullopt;
        } else if (arg == "--websocket") {
            if (!value(a.websocket)) return std::nullopt;
        } else if (arg == "--rawsocket") {
            if (!value(a.rawsocket)) return std::nullopt;
        } else if (arg == "--unix") {
            if (!value(a.unix_path)) return std::nullopt;
        } else if (arg == "--realm") {
            if (!value(a.realm)) return std::nullopt;
        } else if (arg == "--log-level") {
            if (!value(a.log_level)) return std::nullopt;
        } else if (arg == "--threads") {
            std::optional<std::string> n;
            if (!value(n)) return std::nullopt;
            try {
                a.threads = static_cast<unsigned>(std::stoul(*n));
            } catch (const std::exception&) {
                a.threads = 0;
            }
            if (a.threads == 0 || a.threads > 256) {
                std::cerr << "nexusd: --threads must be between 1 and 256\n";
                return std::nullopt;
            }
        } else {
            std::cerr << "nexusd: unknown option " << arg << " (see --help)\n";
            return std::nullopt;
        }
    }
    return a;
}

} // namespace

int main(int argc, char** argv) {
    auto args = parse_args(argc, argv);
    if (!args) return 1;

    nexusd::Config config = nexusd::default_config();
    if (args->config) {
        auto loaded = nexusd::load_config(*args->config);
        if (!loaded) {
            std::cerr << "nexusd: " << loaded.error().message << "\n";
            return 1;
        }
        config = std::move(*loaded);
    }
    if (args->websocket) config.websocket.address = *args->websocket;
    if (args->rawsocket) config.rawsocket.tcp_address = *args->rawsocket;
    if (args->unix_path) config.rawsocket.unix_address = *args->unix_path;
    if (args->realm) {
        nexus::router::RealmConfig realm;
        realm.uri = *args->realm;
        config.router.realms = {realm};
    }
    if (args->log_level) {
        const std::string& l = *args->log_level;
        if (l == "error")
            config.log_level = nexusd::LogLevel::error;
        else if (l == "warning")
            config.log_level = nexusd::LogLevel::warning;
        else if (l == "info")
            config.log_level = nexusd::LogLevel::info;
        else if (l == "debug")
            config.log_level = nexusd::LogLevel::debug;
        else {
            std::cerr << "nexusd: --log-level must be error, warning, info or debug\n";
            return 1;
        }
    }
    if (!nexusd::log::open(config.log_path, config.log_level)) {
        std::cerr << "nexusd: cannot open log file " << config.log_path << "\n";
        return 1;
    }
    for (const std::string& key : config.unknown_keys)
        nexusd::log::warning("configuration: unknown key \"" + key + "\" ignored");
    if (!config.rawsocket.cert_file.empty() && config.rawsocket.tcp_address.empty())
        nexusd::log::warning("rawsocket.cert_file: TLS applies to tcp_address only, and there "
                             "is none; the Unix socket stays plain");

    config.router.logger = [](nexus::router::RouterLogLevel level, std::string_view message) {
        using L = nexus::router::RouterLogLevel;
        nexusd::log::write(level == L::error     ? nexusd::LogLevel::error
                           : level == L::warning ? nexusd::LogLevel::warning
                           : level == L::info    ? nexusd::LogLevel::info
                                                 : nexusd::LogLevel::debug,
                           message);
    };
    boost::asio::io_context io(static_cast<int>(args->threads));
    nexus::router::Router router(io.get_executor(), config.router);
    for (const auto& realm : config.router.realms) {
        std::string methods = realm.anonymous_auth ? "anonymous" : "";
        for (const auto& p : realm.principals) {
            for (const auto& [has, name] : {std::pair{p.ticket.has_value(), "ticket"},
                                            std::pair{p.wampcra.has_value(), "wampcra"},
                                            std::pair{!p.cryptosign_keys.empty(), "cryptosign"}})
                if (has && methods.find(name) == std::string::npos)
                    methods += std::string(methods.empty() ? "" : ", ") + name;
        }
        nexusd::log::info("realm " + realm.uri +
                          " (authentication: " + (methods.empty() ? "none possible" : methods) +
                          "; " + std::to_string(realm.principals.size()) + " principals, " +
                          std::to_string(realm.roles.size()) + " roles)");
    }
    for (const std::string& warning : nexusd::anonymous_exposure_warnings(config))
        nexusd::log::warning(warning);

    nexus::transport::RawSocketOptions raw;
    raw.tcp_address = config.rawsocket.tcp_address;
    raw.unix_path = config.rawsocket.unix_address;
    if (config.rawsocket.max_msg_len) raw.max_message_size = config.rawsocket.max_msg_len;
    raw.handshake_timeout = std::chrono::seconds(config.rawsocket.handshake_timeout_seconds);
    raw.tcp_keepalive = std::chrono::seconds(config.rawsocket.tcp_keepalive_seconds);
    raw.write_timeout = std::chrono::seconds(config.rawsocket.write_timeout_seconds);
    raw.idle_timeout = std::chrono::seconds(config.rawsocket.idle_timeout_seconds);
    raw.out_queue_size = config.rawsocket.out_queue_size;
    if (!raw.tcp_address.empty()) {
        raw.tls.certificate_file = config.rawsocket.cert_file;
        raw.tls.private_key_file = config.rawsocket.key_file;
    }

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
    ws.capture_request = config.websocket.enable_request_capture;
    // keep_alive is the ping interval; Beast pings at half the idle timeout.
    if (config.websocket.keep_alive_seconds)
        ws.idle_timeout = std::chrono::seconds(2 * config.websocket.keep_alive_seconds);
    if (config.websocket.idle_timeout_seconds)
        ws.idle_timeout = std::chrono::seconds(config.websocket.idle_timeout_seconds);
    if (!ws.address.empty()) {
        ws.tls.certificate_file = config.websocket.cert_file;
        ws.tls.private_key_file = config.websocket.key_file;
    }

    // The servers load their certificates when made: a file that cannot be
    // used is a configuration error.
    std::optional<nexus::transport::RawSocketServer> rawsocket_holder;
    std::optional<nexus::transport::WebSocketServer> websocket_holder;
    try {
        rawsocket_holder.emplace(io.get_executor(), router, raw);
    } catch (const nexus::transport::TlsError& e) {
        nexusd::log::error(std::string("rawsocket: ") + e.what());
        return 1;
    }
    try {
        websocket_holder.emplace(io.get_executor(), router, ws);
    } catch (const nexus::transport::TlsError& e) {
        nexusd::log::error(std::string("websocket: ") + e.what());
        return 1;
    }
    nexus::transport::RawSocketServer& rawsocket = *rawsocket_holder;
    nexus::transport::WebSocketServer& websocket = *websocket_holder;

    if (raw.tcp_address.empty() && raw.unix_path.empty() && ws.address.empty()) {
        nexusd::log::error("no listener configured (websocket.address, rawsocket.tcp_address "
                           "or rawsocket.unix_address)");
        return 1;
    }
    // Signals are caught from before the listeners open, so that a signal
    // sent once they accept never meets the default action (exit).
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    boost::asio::signal_set reload_signal(io, SIGHUP);
    try {
        if (!raw.tcp_address.empty() || !raw.unix_path.empty()) rawsocket.start();
        if (!ws.address.empty()) websocket.start();
    } catch (const std::exception& e) {
        nexusd::log::error(e.what());
        return 2;
    }
    if (!ws.address.empty())
        nexusd::log::info("WebSocket listening on " + ws.address + " (port " +
                          std::to_string(websocket.port()) + ")" +
                          (websocket.tls() ? " with TLS" : ""));
    if (!raw.tcp_address.empty())
        nexusd::log::info("RawSocket listening on " + raw.tcp_address + " (port " +
                          std::to_string(rawsocket.tcp_port()) + ")" +
                          (rawsocket.tls() ? " with TLS" : ""));
    if (!raw.unix_path.empty()) nexusd::log::info("RawSocket listening on unix:" + raw.unix_path);

    // SIGHUP: new connections get the certificates as they are in the files
    // now; open ones keep theirs. A file that cannot be used leaves the
    // listener with its current certificate.
    const auto reload = [&](const char* name, auto& server, const std::string& cert_file) {
        if (!server.tls()) return false;
        try {
            server.reload_tls();
            nexusd::log::info(std::string(name) + ": TLS certificate reloaded from " + cert_file);
        } catch (const std::exception& e) {
            nexusd::log::error(
                std::string(name) +
                ": TLS certificate not reloaded, the current one stays: " + e.what());
        }
        return true;
    };
    std::function<void()> await_reload = [&] {
        reload_signal.async_wait([&](const boost::system::error_code& ec, int) {
            if (ec) return;
            const bool raw_tls = reload("rawsocket", rawsocket, raw.tls.certificate_file);
            const bool ws_tls = reload("websocket", websocket, ws.tls.certificate_file);
            if (!raw_tls && !ws_tls)
                nexusd::log::info("SIGHUP: no TLS listener, no certificate to reload");
            await_reload();
        });
    };
    await_reload();

    // SIGINT and SIGTERM: GOODBYE to every session (pending calls fail, their
    // callees are interrupted); a session whose client answers is closed by
    // the router at once. The servers, whose stop() closes every connection
    // at once, dropping what is still queued for it, stop only when the grace
    // period ends.
    boost::asio::steady_timer grace(io);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        nexusd::log::info(std::string("shutting down (") +
                          (signal == SIGINT ? "SIGINT" : "SIGTERM") + ")");
        boost::system::error_code ignored;
        reload_signal.cancel(ignored);
        router.shutdown();
        grace.expires_after(std::chrono::milliseconds(500));
        grace.async_wait([&](const boost::system::error_code&) {
            rawsocket.stop();
            websocket.stop();
            io.stop();
        });
    });

    std::vector<std::thread> threads;
    for (unsigned i = 1; i < args->threads; ++i)
        threads.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : threads)
        t.join();
    nexusd::log::info("stopped");
    return 0;
}
