// examples/roles/callee.cpp: provides com.example.add until Ctrl-C.
//
//   example_callee [ws://127.0.0.1:8080/ws]
#include <csignal>
#include <iostream>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_future.hpp>

#include <nexus/client/session.hpp>

namespace asio = boost::asio;
namespace client = nexus::client;

asio::awaitable<void> run(std::string url) {
    auto ex = co_await asio::this_coro::executor;
    client::Session session(ex, co_await client::async_connect(ex, url));
    co_await session.join("realm1");
    // A handler returns the result, or throws client::WampError to answer an error.
    co_await session.provide("com.example.add", [](const client::Invocation& inv) {
        return client::Result{{inv.args().at(0).as_int() + inv.args().at(1).as_int()}};
    });
    std::cout << "providing com.example.add" << std::endl;
    asio::signal_set stop(ex, SIGINT, SIGTERM);
    co_await stop.async_wait(asio::use_awaitable);
    co_await session.leave();
}

int main(int argc, char** argv) {
    asio::io_context io;
    auto done =
        asio::co_spawn(io, run(argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws"), asio::use_future);
    io.run();
    try {
        done.get();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << std::endl;
        return 1;
    }
}
