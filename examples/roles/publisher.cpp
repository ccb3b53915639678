// examples/roles/publisher.cpp: publishes one event to com.example.hello.
//
//   example_publisher [ws://127.0.0.1:8080/ws]
#include <iostream>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <nexus/client/session.hpp>

namespace asio = boost::asio;
namespace client = nexus::client;

asio::awaitable<void> run(std::string url) {
    auto ex = co_await asio::this_coro::executor;
    client::Session session(ex, co_await client::async_connect(ex, url));
    co_await session.join("realm1");
    client::PublishOptions options;
    options.acknowledge = true; // completes once the router took it
    const nexus::wamp::Array args{"hello, world"};
    co_await session.publish("com.example.hello", args, options);
    std::cout << "published" << std::endl;
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
