// What a listener does after each accept. An accept error (out of
// descriptors: EMFILE, ENFILE; out of memory) leaves the connection in the
// backlog and the listener readable, so accepting again at once would spin:
// the first error of a streak is logged and accepting resumes after a pause.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <nexus/router/router.hpp>

namespace nexus::transport {

class AcceptRetry {
public:
    static constexpr std::chrono::milliseconds pause{100};

    /// `listener` names the listener in the log ("RawSocket 127.0.0.1:8081").
    explicit AcceptRetry(std::string listener) : listener_(std::move(listener)) {}

    /// Called by the accept loop (never concurrently) after each accept:
    /// `again()` now when it succeeded, else after the pause unless
    /// `stopped()` says the listener was stopped meanwhile.
    template <class Again, class Stopped>
    void next(const boost::system::error_code& ec, router::Router& router,
              const boost::asio::any_io_executor& executor, Again again, Stopped stopped) {
        if (!ec) {
            if (std::exchange(failing_, false))
                router.log(router::RouterLogLevel::info,
                           listener_ + ": accepting connections again");
            return again();
        }
        if (!std::exchange(failing_, true))
            router.log(router::RouterLogLevel::error, listener_ + ": cannot accept a connection (" +
                                                          ec.message() + "); retrying every " +
                                                          std::to_string(pause.count()) + " ms");
        auto timer = std::make_shared<boost::asio::steady_timer>(executor, pause);
        timer->async_wait([timer, again = std::move(again),
                           stopped = std::move(stopped)](boost::system::error_code) mutable {
            if (!stopped()) again();
        });
    }

private:
    const std::string listener_;
    bool failing_ = false;
};

} // namespace nexus::transport
