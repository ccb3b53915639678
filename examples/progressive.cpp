// Progressive call results and inputs: a coroutine procedure streams partial
// results while it works; a caller streams its arguments in chunks; and a
// caller bounds a long call with a timeout.
//
//   progressive                      # against a router embedded in this program
//   progressive ws://127.0.0.1:8080/ws
#include <iostream>
#include <memory>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <nexus/client/session.hpp>

#include "example_router.hpp"

namespace asio = boost::asio;
using namespace nexus;
using namespace std::chrono_literals;

asio::awaitable<std::shared_ptr<client::Transport>> open(example::EmbeddedRouter& embedded,
                                                         const std::string& url) {
    auto ex = co_await asio::this_coro::executor;
    if (url.empty()) co_return client::connect_local(embedded.router(), ex);
    co_return co_await client::async_connect(ex, url);
}

asio::awaitable<void> sleep(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

asio::awaitable<int> run(example::EmbeddedRouter& embedded, std::string url) {
    auto ex = co_await asio::this_coro::executor;
    client::Session callee(ex, co_await open(embedded, url));
    client::Session caller(ex, co_await open(embedded, url));
    co_await callee.join("realm1");
    co_await caller.join("realm1");

    // Streams "percent done" while working; INTERRUPT cancels the sleep.
    co_await callee.provide_coroutine(
        "com.example.work", [](client::Invocation inv) -> asio::awaitable<client::Result> {
            const auto steps = inv.args().at(0).as_int();
            for (std::int64_t i = 1; i <= steps; ++i) {
                co_await sleep(10ms);
                inv.send_progress({100 * i / steps});
            }
            co_return client::Result{{"finished"}};
        });
    client::CallOptions options;
    auto reported = std::make_shared<std::vector<std::int64_t>>();
    options.on_progress = [reported](const client::CallResult& r) {
        std::cout << "progress " << r.args.at(0) << "%\n";
        reported->push_back(r.args.at(0).as_int());
    };
    // Arguments are built before co_await: g++ 12 rejects braced lists inside
    // co_await expressions ("array used as initializer").
    const wamp::Array four{4}, thousand{1000};
    auto done = co_await caller.call("com.example.work", four, options);
    std::cout << "result: " << done.args.at(0) << "\n";

    // Progressive inputs: the handler runs once per chunk, in order. A
    // capturing handler is named before co_await: g++ 12 destroys a lambda
    // written inside a co_await expression twice (docs/CLIENT.md).
    auto total = std::make_shared<std::int64_t>(0);
    auto sum_chunks = [total](const client::Invocation& inv) {
        *total += inv.args().at(0).as_int();
        return inv.progress() ? client::Result{} : client::Result{{*total}};
    };
    co_await callee.provide("com.example.sum", sum_chunks);
    auto sum = caller.open_call("com.example.sum");
    for (int chunk : {1, 2, 3})
        sum.send({chunk});
    auto summed = co_await sum.finish(four);
    std::cout << "sum of chunks: " << summed.args.at(0) << "\n";

    // Bounding: a call that takes too long ends with wamp.error.timeout; the
    // router cancels it (INTERRUPT to the callee), and the session itself
    // would end it at the deadline if the router did not.
    client::CallOptions bounded;
    bounded.timeout = 50ms;
    bool timed_out = false;
    try {
        co_await caller.call("com.example.work", thousand, bounded);
    } catch (const client::WampError& e) {
        timed_out = e.uri() == "wamp.error.timeout";
    }
    std::cout << (timed_out ? "long call timed out\n" : "long call finished?!\n");

    co_await caller.leave();
    co_await callee.leave();
    const bool all_progress = *reported == std::vector<std::int64_t>{25, 50, 75, 100};
    const bool ok = all_progress && summed.args.at(0).as_int() == 10 && timed_out;
    co_return ok ? 0 : 1;
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
