// RPC: one session registers procedures, another calls them — with
// positional and keyword arguments, and an application error.
//
//   callee_caller                      # against a router embedded in this program
//   callee_caller ws://127.0.0.1:8080/ws
#include <iostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <nexus/client/session.hpp>

#include "example_router.hpp"

namespace asio = boost::asio;
using namespace nexus;

asio::awaitable<std::shared_ptr<client::Transport>> open(example::EmbeddedRouter& embedded,
                                                         const std::string& url) {
    auto ex = co_await asio::this_coro::executor;
    if (url.empty()) co_return client::connect_local(embedded.router(), ex);
    co_return co_await client::async_connect(ex, url);
}

asio::awaitable<int> run(example::EmbeddedRouter& embedded, std::string url) {
    auto ex = co_await asio::this_coro::executor;
    client::Session callee(ex, co_await open(embedded, url));
    client::Session caller(ex, co_await open(embedded, url));
    co_await callee.join("realm1");
    co_await caller.join("realm1");

    // A handler returns the result...
    co_await callee.provide("com.example.add", [](const client::Invocation& inv) {
        return client::Result{{inv.args().at(0).as_int() + inv.args().at(1).as_int()}};
    });
    // ...or throws a WampError, which the caller receives with its URI and payload.
    co_await callee.provide("com.example.divide", [](const client::Invocation& inv) {
        const double d = inv.kwargs().at("by").as_double();
        if (d == 0) throw client::WampError("com.example.error.division_by_zero", {"by zero"});
        return client::Result{{inv.args().at(0).as_double() / d}};
    });

    // (Arguments are built before co_await: g++ 12 miscompiles braced lists
    // inside a co_await expression, "array used as initializer".)
    const wamp::Array two_three{2, 3}, seven{7};
    const wamp::Object by_two{{"by", 2}}, by_zero{{"by", 0}};
    auto sum = co_await caller.call("com.example.add", two_three);
    std::cout << "2 + 3 = " << sum.args.at(0) << "\n";
    auto quotient = co_await caller.call("com.example.divide", seven, by_two);
    std::cout << "7 / 2 = " << quotient.args.at(0) << "\n";
    try {
        co_await caller.call("com.example.divide", seven, by_zero);
        co_return 1;
    } catch (const client::WampError& e) {
        std::cout << "7 / 0 failed: " << e.uri() << "\n";
    }
    co_await caller.leave();
    co_await callee.leave();
    co_return sum.args.at(0).as_int() == 5 ? 0 : 1;
}

int main(int argc, char** argv) {
    example::EmbeddedRouter embedded;
    asio::io_context io;
    const std::string url = argc > 1 ? argv[1] : "";
    auto result = asio::co_spawn(io, run(embedded, url), asio::use_future);
    io.run();
    try {
        return result.get();
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
