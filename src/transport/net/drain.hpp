// A server's bounded stop (stop(grace, done)): every open connection writes
// what is queued for it and closes, or is closed at the deadline. Each one
// holds a DrainToken until it has closed; `done` runs once the last lets go.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>

namespace nexus::transport {

using DrainToken = std::shared_ptr<void>;

/// A token whose last copy, when released, posts `done` to `executor`.
inline DrainToken make_drain_token(boost::asio::any_io_executor executor,
                                   std::function<void()> done) {
    struct Notifier {
        boost::asio::any_io_executor executor;
        std::function<void()> done;
        ~Notifier() {
            if (done) boost::asio::post(executor, std::move(done));
        }
    };
    // Made in place: a copy's destructor would post `done` too soon.
    auto token = std::make_shared<Notifier>();
    token->executor = std::move(executor);
    token->done = std::move(done);
    return token;
}

} // namespace nexus::transport
