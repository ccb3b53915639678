// Test support for the client library: an embedded Router (with RawSocket
// TCP/Unix and WebSocket servers on loopback, free ports) on its own threads,
// a client io_context on another thread, and helpers that run client
// coroutines to completion from the test's thread.
#pragma once

#include <nexus/client/session.hpp>
#include <nexus/router/router.hpp>
#include <nexus/transport/rawsocket_server.hpp>
#include <nexus/transport/websocket_server.hpp>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace nexus::test {

using namespace std::chrono_literals;
namespace asio = boost::asio;

/// One way to reach the router: in-process, or a network transport with a serializer.
struct TransportCase {
    std::string kind; // local, tcp, unix, ws
    wamp::Format format = wamp::Format::json;
    std::string name() const {
        return kind == "local" ? kind : kind + "_" + std::string(wamp::format_name(format));
    }
};
inline std::ostream& operator<<(std::ostream& os, const TransportCase& c) { return os << c.name(); }

inline std::vector<TransportCase> all_transports() {
    std::vector<TransportCase> cases{{"local"}};
    for (auto f : wamp::all_formats)
        for (const char* kind : {"tcp", "unix", "ws"})
            cases.push_back({kind, f});
    return cases;
}

inline std::string case_name(const ::testing::TestParamInfo<TransportCase>& info) {
    return info.param.name();
}

class ClientHarness {
public:
    static router::RouterConfig default_config() {
        router::RouterConfig config;
        router::RealmConfig realm;
        realm.uri = "realm1";
        realm.event_history.push_back({"com.example.history", wamp::MatchPolicy::exact, 10});
        config.realms.push_back(realm);
        return config;
    }

    explicit ClientHarness(router::RouterConfig config = default_config())
        : router_work_(router_io_.get_executor()), client_work_(client_io_.get_executor()),
          router_(std::make_unique<router::Router>(router_io_.get_executor(), std::move(config))) {
        for (int i = 0; i < 2; ++i)
            threads_.emplace_back([this] { router_io_.run(); });
        threads_.emplace_back([this] { client_io_.run(); });
    }

    ~ClientHarness() {
        sessions_.clear();
        // Let the sessions' final posts (dropping transports) run.
        sync();
        if (raw_) raw_->stop();
        if (ws_) ws_->stop();
        sync();
        router_.reset();
        router_work_.reset();
        client_work_.reset();
        router_io_.stop();
        client_io_.stop();
        for (auto& t : threads_)
            t.join();
        if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
    }

    router::Router& router() { return *router_; }
    asio::any_io_executor executor() { return client_io_.get_executor(); }

    /// Runs a client coroutine on the client io_context and waits for it.
    template <class T> T run(asio::awaitable<T> aw, std::chrono::seconds limit = 10s) {
        auto future = asio::co_spawn(client_io_, std::move(aw), asio::use_future);
        if (future.wait_for(limit) != std::future_status::ready)
            throw std::runtime_error("the client coroutine did not finish in time");
        return future.get();
    }

    /// Waits until everything posted to the client io_context so far has run.
    void sync() {
        std::promise<void> p;
        asio::post(client_io_, [&] { p.set_value(); });
        p.get_future().wait_for(5s);
    }

    std::string url(const TransportCase& c) {
        if (c.kind == "tcp") return "tcp://127.0.0.1:" + std::to_string(rawsocket().tcp_port());
        if (c.kind == "unix") {
            rawsocket();
            return "unix://" + unix_path_;
        }
        return "ws://127.0.0.1:" + std::to_string(websocket().port()) + "/ws";
    }

    std::shared_ptr<client::Transport> connect(const TransportCase& c) {
        if (c.kind == "local") return client::connect_local(*router_, client_io_.get_executor());
        client::ConnectOptions options;
        options.format = c.format;
        return run(client::async_connect(client_io_.get_executor(), url(c), options));
    }

    /// A new session (kept alive by the harness) on a new transport.
    client::Session& session(const TransportCase& c) {
        sessions_.push_back(
            std::make_unique<client::Session>(client_io_.get_executor(), connect(c)));
        return *sessions_.back();
    }

    client::Session& joined(const TransportCase& c, const std::string& realm = "realm1") {
        client::Session& s = session(c);
        run(s.join(realm));
        return s;
    }

    /// A new session on `c` that joins `realm` as `authid` with
    /// `authenticator`; a refusal is thrown (client::WampError).
    client::SessionInfo join_as(const TransportCase& c, const std::string& authid,
                                std::shared_ptr<client::Authenticator> authenticator,
                                const std::string& realm = "realm1") {
        client::Session& s = session(c);
        client::JoinOptions options;
        options.authid = authid;
        options.authenticators = {std::move(authenticator)};
        return run(s.join(realm, options));
    }

    transport::RawSocketServer& rawsocket() {
        if (!raw_) {
            static std::atomic<int> counter{0};
            unix_path_ = "/tmp/nexus-client-test-" + std::to_string(::getpid()) + "-" +
                         std::to_string(counter++) + ".sock";
            transport::RawSocketOptions o;
            o.tcp_address = "127.0.0.1:0";
            o.unix_path = unix_path_;
            raw_ = std::make_unique<transport::RawSocketServer>(router_io_.get_executor(), *router_,
                                                                o);
            raw_->start();
        }
        return *raw_;
    }

    transport::WebSocketServer& websocket() {
        if (!ws_) {
            transport::WebSocketOptions o;
            o.address = "127.0.0.1:0";
            ws_ = std::make_unique<transport::WebSocketServer>(router_io_.get_executor(), *router_,
                                                               o);
            ws_->start();
        }
        return *ws_;
    }

private:
    asio::io_context router_io_;
    asio::io_context client_io_;
    asio::executor_work_guard<asio::io_context::executor_type> router_work_;
    asio::executor_work_guard<asio::io_context::executor_type> client_work_;
    std::unique_ptr<router::Router> router_;
    std::unique_ptr<transport::RawSocketServer> raw_;
    std::unique_ptr<transport::WebSocketServer> ws_;
    std::string unix_path_;
    std::vector<std::thread> threads_;
    std::vector<std::unique_ptr<client::Session>> sessions_;
};

/// Polls `condition` until it holds or `limit` passes.
template <class F> bool eventually(F condition, std::chrono::milliseconds limit = 3000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

} // namespace nexus::test
