// For the examples: a nexus Router with realm "realm1" running on its own
// thread, so that every example runs on its own. Pass a URL on the command
// line instead to talk to a router elsewhere (nexusd, Crossbar, ...).
#pragma once

#include <memory>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <nexus/client/transport.hpp>
#include <nexus/router/router.hpp>

namespace example {

class EmbeddedRouter {
public:
    EmbeddedRouter() : work_(io_.get_executor()), router_(io_.get_executor(), config()) {
        thread_ = std::thread([this] { io_.run(); });
    }
    ~EmbeddedRouter() {
        router_.shutdown();
        work_.reset();
        io_.stop();
        thread_.join();
    }

    nexus::router::Router& router() { return router_; }
    boost::asio::any_io_executor executor() { return io_.get_executor(); }

private:
    static nexus::router::RouterConfig config() {
        nexus::router::RouterConfig c;
        nexus::router::RealmConfig realm;
        realm.uri = "realm1";
        c.realms.push_back(realm);
        return c;
    }
    boost::asio::io_context io_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    nexus::router::Router router_;
    std::thread thread_;
};

} // namespace example
