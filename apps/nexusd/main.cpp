// nexusd: the stand-alone nexus router.
//
// Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM), 1 for a bad
// configuration or command line (including TLS certificates or keys that
// cannot be used), 2 when a listener cannot be opened. SIGHUP reloads the
// TLS certificates. SIGTERM drains: readiness goes 503, the WAMP listeners
// stop accepting, every session gets GOODBYE and its connection closes once
// that is written (or when shutdown_grace ends), then nexusd exits.
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <nexus/cluster/nats.hpp>
#include <nexus/router/router.hpp>
#include <nexus/transport/rawsocket_server.hpp>
#include <nexus/transport/websocket_server.hpp>

#include "build_info.hpp"
#include "config.hpp"
#include "exposure.hpp"
#include "http/server.hpp"
#include "http/service.hpp"
#include "listener_options.hpp"
#include "log.hpp"
#include "systemd_notify.hpp"

namespace {

void usage(std::ostream& out) {
    out << "usage: nexusd [--config FILE] [options]\n"
           "\n"
           "Runs a WAMP router. Without --config it serves realm \"realm1\" (anonymous)\n"
           "with WebSocket on 127.0.0.1:8080 and RawSocket on 127.0.0.1:8081.\n"
           "\n"
           "options:\n"
           "  --config FILE        nexus.json-style configuration file\n"
           "  --check-config FILE  validate FILE (JSON, keys, addresses, TLS files) and exit\n"
           "  --websocket ADDR     WebSocket listener, host:port (overrides the file)\n"
           "  --http ADDR          HTTP listener (health, metrics, dashboard), host:port\n"
           "  --rawsocket ADDR     RawSocket TCP listener, host:port (overrides the file)\n"
           "  --unix PATH          RawSocket Unix socket listener\n"
           "  --realm URI          serve this realm (anonymous) instead of the configured ones\n"
           "  --threads N          I/O threads (default: number of cores)\n"
           "  --log-level LEVEL    error, warning, info or debug\n"
           "  --help               this text\n"
           "  --version            the version\n"
           "\n"
           "signals: SIGINT/SIGTERM drain and shut down, SIGHUP reloads the TLS certificates\n"
           "exit codes: 0 clean shutdown, 1 bad configuration or arguments, 2 cannot listen\n";
}

struct Args {
    std::optional<std::string> config, check_config, websocket, rawsocket, unix_path, http, realm,
        log_level;
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
            std::cout << "nexusd (nexus C++) " << nexusd::build_version << " ("
                      << nexusd::build_git_hash << ")\n";
            std::exit(0);
        } else if (arg == "--config") {
            if (!value(a.config)) return std::nullopt;
        } else if (arg == "--check-config") {
            if (!value(a.check_config)) return std::nullopt;
        } else if (arg == "--websocket") {
            if (!value(a.websocket)) return std::nullopt;
        } else if (arg == "--http") {
            if (!value(a.http)) return std::nullopt;
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

// --check-config: everything startup would check short of opening the
// listeners. Exit 0 when nexusd would start with this file, 1 otherwise.
int check_config(const std::string& path) {
    auto config = nexusd::load_config(path);
    if (!config) {
        std::cerr << "nexusd: " << config.error().message << "\n";
        return 1;
    }
    for (const std::string& key : config->unknown_keys)
        std::cerr << "nexusd: warning: " << path << ": unknown key \"" << key << "\" ignored\n";
    for (const std::string& warning : nexusd::anonymous_exposure_warnings(*config))
        std::cerr << "nexusd: warning: " << warning << "\n";
    const auto problems = nexusd::check_listeners(*config);
    for (const std::string& problem : problems)
        std::cerr << "nexusd: " << path << ": " << problem << "\n";
    if (!problems.empty()) return 1;
    std::cout << "nexusd: " << path << ": configuration is valid\n";
    return 0;
}

// Whether a realm answers unknown authids with decoy challenges, which
// router.auth_secret keeps the same across processes.
bool decoys_configured(const nexus::router::RouterConfig& router) {
    for (const auto& realm : router.realms) {
        for (const auto& p : realm.principals)
            if (p.wampcra || p.scram) return true;
        if (realm.dynamic_authenticator)
            for (const std::string& m : realm.dynamic_authenticator->methods)
                if (m == "wampcra" || m == "wamp-scram" || m == "scram") return true;
    }
    return false;
}

} // namespace

int main(int argc, char** argv) {
    auto args = parse_args(argc, argv);
    if (!args) return 1;
    if (args->check_config) return check_config(*args->check_config);

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
    if (args->http) config.http.address = *args->http;
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
    if (!nexusd::log::open(config.log_path, config.log_level, config.log_format)) {
        std::cerr << "nexusd: cannot open log file " << config.log_path << "\n";
        return 1;
    }
    for (const std::string& key : config.unknown_keys)
        nexusd::log::warning("configuration: unknown key \"" + key + "\" ignored");
    if (config.router.auth_secret.empty() && decoys_configured(config.router))
        nexusd::log::warning(
            "router.auth_secret is not set: the decoy challenges of unknown authids (WAMP-CRA, "
            "WAMP-SCRAM) come from a random secret, so they differ between nexusd processes and "
            "restarts, which tells a client that an authid does not exist");
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
    // A cluster node: the bus outlives the router (declared first). An
    // unreachable NATS is retried in the background (logged), never fatal;
    // options NATS refuses (an unreadable creds file) are.
    std::shared_ptr<nexus::cluster::Bus> bus;
    if (config.cluster) {
        nexusd::log::info("cluster: node " + config.cluster->node.node_name + " (prefix " +
                          config.cluster->node.prefix + ") over NATS " +
                          nexus::cluster::describe_urls(config.cluster->nats.urls));
        nexus::cluster::NatsOptions nats = config.cluster->nats;
        if (nats.name.empty()) nats.name = "nexusd " + config.cluster->node.node_name;
        nats.logger = [](nexus::cluster::NatsLogLevel level, std::string_view message) {
            using L = nexus::cluster::NatsLogLevel;
            nexusd::log::write(level == L::error     ? nexusd::LogLevel::error
                               : level == L::warning ? nexusd::LogLevel::warning
                                                     : nexusd::LogLevel::info,
                               "cluster: " + std::string(message));
        };
        try {
            bus = nexus::cluster::connect_nats(std::move(nats));
        } catch (const std::exception& e) {
            nexusd::log::error(std::string("cluster: ") + e.what());
            return 1;
        }
        config.router.cluster = config.cluster->node;
        config.router.cluster->bus = bus;
    }

    boost::asio::io_context io(static_cast<int>(args->threads));
    nexus::router::Router router(io.get_executor(), config.router);
    for (const auto& realm : config.router.realms) {
        std::vector<std::string> offered;
        if (realm.anonymous_auth) offered.emplace_back("anonymous");
        for (const auto& p : realm.principals) {
            for (const auto& [has, name] :
                 {std::pair{p.ticket.has_value(), std::string_view("ticket")},
                  std::pair{p.wampcra.has_value(), std::string_view("wampcra")},
                  std::pair{!p.cryptosign_keys.empty(), std::string_view("cryptosign")},
                  std::pair{p.scram.has_value(),
                            p.scram ? nexus::router::scram_authmethod(p.scram->dialect)
                                    : std::string_view()}})
                if (has && std::find(offered.begin(), offered.end(), name) == offered.end())
                    offered.emplace_back(name);
        }
        const bool tls_table =
            std::any_of(realm.principals.begin(), realm.principals.end(),
                        [](const auto& p) { return !p.tls_certificates.empty(); });
        if (tls_table || !realm.tls_authrole.empty()) offered.emplace_back("tls");
        if (realm.dynamic_authenticator)
            for (const std::string& m : realm.dynamic_authenticator->methods)
                offered.push_back(m + " (dynamic)");
        std::string methods;
        for (const std::string& m : offered)
            methods += (methods.empty() ? "" : ", ") + m;
        nexusd::log::info("realm " + realm.uri +
                          " (authentication: " + (methods.empty() ? "none possible" : methods) +
                          "; " + std::to_string(realm.principals.size()) + " principals, " +
                          std::to_string(realm.roles.size()) + " roles)");
    }
    for (const std::string& warning : nexusd::anonymous_exposure_warnings(config))
        nexusd::log::warning(warning);

    const nexus::transport::RawSocketOptions raw = nexusd::rawsocket_options(config);
    const nexus::transport::WebSocketOptions ws = nexusd::websocket_options(config);
    if (raw.tls.client_certificates == nexus::transport::ClientCertificates::none &&
        ws.tls.client_certificates == nexus::transport::ClientCertificates::none) {
        const auto offers_tls = [](const nexus::router::RealmConfig& realm) {
            const auto& dynamic = realm.dynamic_authenticator;
            return !realm.tls_authrole.empty() ||
                   std::any_of(realm.principals.begin(), realm.principals.end(),
                               [](const auto& p) { return !p.tls_certificates.empty(); }) ||
                   (dynamic && std::find(dynamic->methods.begin(), dynamic->methods.end(), "tls") !=
                                   dynamic->methods.end());
        };
        std::vector<std::string> realms;
        for (const auto& realm : config.router.realms)
            if (offers_tls(realm)) realms.push_back("realm " + realm.uri);
        if (config.router.realm_template && offers_tls(*config.router.realm_template))
            realms.emplace_back("the realm template");
        for (const std::string& realm : realms)
            nexusd::log::warning(realm + " offers authmethod \"tls\", but no listener asks for "
                                         "client certificates (client_certificates), so no client "
                                         "can use it");
    }
    if (raw.tcp_address.empty() && raw.unix_path.empty() && ws.address.empty()) {
        nexusd::log::error("no listener configured (websocket.address, rawsocket.tcp_address "
                           "or rawsocket.unix_address)");
        return 1;
    }

    // The HTTP side's handlers run on a thread of their own, off the I/O
    // threads that route (none without an HTTP listener).
    std::optional<boost::asio::thread_pool> http_workers;
    if (!config.http.address.empty()) http_workers.emplace(1);
    nexusd::http::Service service(router, {config.http.admin_token, config.http.allow_origins,
                                           nexusd::build_version, nexusd::build_git_hash});

    // The servers load their certificates when made: a file that cannot be
    // used is a configuration error.
    std::optional<nexus::transport::RawSocketServer> rawsocket_holder;
    std::optional<nexus::transport::WebSocketServer> websocket_holder;
    std::optional<nexusd::http::Server> http_holder;
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
    if (!config.http.address.empty()) {
        try {
            http_holder.emplace(
                io.get_executor(), http_workers->get_executor(), nexusd::http_options(config),
                [&service](const nexusd::http::Request& request,
                           const nexusd::http::RequestContext& context) {
                    return service.handle(request, context);
                },
                [](std::string_view line) { nexusd::log::warning(line); });
        } catch (const nexus::transport::TlsError& e) {
            nexusd::log::error(std::string("http: ") + e.what());
            return 1;
        }
        service.set_server_stats([&http_holder] { return http_holder->stats(); });
    }
    nexus::transport::RawSocketServer& rawsocket = *rawsocket_holder;
    nexus::transport::WebSocketServer& websocket = *websocket_holder;

    // Signals are caught from before the listeners open, so that a signal
    // sent once they accept never meets the default action (exit).
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    boost::asio::signal_set reload_signal(io, SIGHUP);
    try {
        // HTTP first: /readyz answers "starting" until the WAMP listeners are open.
        if (http_holder) http_holder->start();
        if (!raw.tcp_address.empty() || !raw.unix_path.empty()) rawsocket.start();
        if (!ws.address.empty()) websocket.start();
    } catch (const std::exception& e) {
        nexusd::log::error(e.what());
        return 2;
    }
    if (http_holder)
        nexusd::log::info("HTTP listening on " + config.http.address + " (port " +
                          std::to_string(http_holder->port()) + ")" +
                          (http_holder->tls() ? " with TLS" : "") +
                          (config.http.admin_token.empty() ? "; admin API off (no admin_token)"
                                                           : "; admin API on"));
    // "with TLS", and whether client certificates are asked for.
    const auto tls_note = [](bool tls, const nexus::transport::TlsServerOptions& options) {
        using nexus::transport::ClientCertificates;
        if (!tls) return std::string();
        switch (options.client_certificates) {
        case ClientCertificates::request:
            return " with TLS, client certificates requested (CAs from " + options.client_ca_file +
                   ")";
        case ClientCertificates::require:
            return " with TLS, client certificates required (CAs from " + options.client_ca_file +
                   ")";
        case ClientCertificates::none: break;
        }
        return std::string(" with TLS");
    };
    if (!ws.address.empty())
        nexusd::log::info("WebSocket listening on " + ws.address + " (port " +
                          std::to_string(websocket.port()) + ")" +
                          tls_note(websocket.tls(), ws.tls));
    if (!raw.tcp_address.empty())
        nexusd::log::info("RawSocket listening on " + raw.tcp_address + " (port " +
                          std::to_string(rawsocket.tcp_port()) + ")" +
                          tls_note(rawsocket.tls(), raw.tls));
    if (!raw.unix_path.empty()) nexusd::log::info("RawSocket listening on unix:" + raw.unix_path);
    service.set_readiness(nexusd::http::Readiness::ready);
    nexusd::systemd::notify("READY=1\nSTATUS=routing");

    // SIGHUP: new connections get the certificates as they are in the files
    // now; open ones keep theirs. A file that cannot be used leaves the
    // listener with its current certificate.
    const auto reload = [&](const char* name, auto& server,
                            const nexus::transport::TlsServerOptions& tls) {
        if (!server.tls()) return false;
        try {
            server.reload_tls();
            nexusd::log::info(std::string(name) + ": TLS certificate reloaded from " +
                              tls.certificate_file +
                              (tls.client_certificates == nexus::transport::ClientCertificates::none
                                   ? ""
                                   : ", client CAs from " + tls.client_ca_file));
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
            const bool raw_tls = reload("rawsocket", rawsocket, raw.tls);
            const bool ws_tls = reload("websocket", websocket, ws.tls);
            const bool http_tls =
                http_holder && reload("http", *http_holder, nexusd::http_options(config).tls);
            if (!raw_tls && !ws_tls && !http_tls)
                nexusd::log::info("SIGHUP: no TLS listener, no certificate to reload");
            await_reload();
        });
    };
    await_reload();

    // SIGINT and SIGTERM drain: readiness turns 503 and the WAMP listeners
    // stop accepting; every session gets GOODBYE (pending calls fail, their
    // callees are interrupted) and its connection closes once everything
    // queued for it is written, or when the grace period ends. The HTTP
    // listener answers (/readyz: 503) until the end. A second signal ends
    // the wait.
    const auto grace = std::chrono::seconds(config.shutdown_grace_seconds);
    std::atomic<bool> finished{false};
    std::atomic<int> draining_servers{2};
    boost::asio::steady_timer backstop(io);
    const auto finish = [&](const char* why) {
        if (finished.exchange(true)) return;
        nexusd::log::info(std::string("drained: ") + why);
        boost::asio::post(io, [&] {
            if (http_holder) http_holder->stop();
            rawsocket.stop();
            websocket.stop();
            backstop.cancel();
            io.stop();
        });
    };
    const auto server_drained = [&] {
        if (draining_servers.fetch_sub(1) == 1) finish("every connection closed");
    };
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        nexusd::log::info(std::string("shutting down (") +
                          (signal == SIGINT ? "SIGINT" : "SIGTERM") + "): draining for up to " +
                          std::to_string(grace.count()) + " s");
        service.set_readiness(nexusd::http::Readiness::draining);
        nexusd::systemd::notify("STOPPING=1\nSTATUS=draining");
        boost::system::error_code ignored;
        reload_signal.cancel(ignored);
        router.shutdown();
        rawsocket.stop(grace, server_drained);
        websocket.stop(grace, server_drained);
        // The servers close what is left at the deadline; this only guards
        // against a connection that would not let go.
        backstop.expires_after(grace + std::chrono::seconds(1));
        backstop.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) finish("grace period over");
        });
        signals.async_wait([&](const boost::system::error_code& ec, int) {
            if (!ec) finish("second signal");
        });
    });

    std::vector<std::thread> threads;
    for (unsigned i = 1; i < args->threads; ++i)
        threads.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : threads)
        t.join();
    if (http_workers) http_workers->join();
    // The bus's callback thread must not post into the io_context once it
    // is gone: close the bus now, and leave the router the last reference,
    // so that the bus (whose destructor waits for its callback thread) goes
    // with the router, before the io_context.
    if (bus) {
        bus->close();
        bus.reset();
        config.router.cluster.reset();
    }
    nexusd::log::info("stopped");
    return 0;
}
