// A stored completion handler: keeps the handler's executor busy (so an
// io_context does not run out of work while a reply is awaited) and
// delivers the result through a post, never inline, so that a handler never
// runs inside the session's own bookkeeping. The post goes to the session's
// strand and from there to the handler's associated executor.
#pragma once

#include <exception>
#include <utility>

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

namespace nexus::client::detail {

template <class... Args> class Completion;

template <class... Args> class Completion<void(Args...)> {
public:
    using Handler = boost::asio::any_completion_handler<void(Args...)>;

    Completion() = default;
    Completion(Handler handler, const boost::asio::any_io_executor& fallback)
        : fallback_(fallback),
          work_(boost::asio::prefer(boost::asio::get_associated_executor(handler, fallback),
                                    boost::asio::execution::outstanding_work.tracked)),
          handler_(std::move(handler)) {}
    Completion(Completion&&) noexcept = default;
    // Boost 1.81's any_completion_handler move-assignment copies itself into
    // endless recursion; move-construct and swap instead.
    Completion& operator=(Completion&& other) noexcept {
        fallback_ = std::move(other.fallback_);
        work_ = std::move(other.work_);
        Handler moved(std::move(other.handler_));
        handler_.swap(moved);
        return *this;
    }

    explicit operator bool() const noexcept { return static_cast<bool>(handler_); }

    boost::asio::cancellation_slot cancellation_slot() const {
        return boost::asio::get_associated_cancellation_slot(handler_);
    }

    /// Delivers the result (once); a later call does nothing.
    void complete(Args... args) {
        if (!handler_) return;
        if (auto slot = cancellation_slot(); slot.is_connected()) slot.clear();
        // The posted handler keeps its executor busy from here on.
        boost::asio::post(fallback_, boost::asio::append(std::move(handler_), std::move(args)...));
        work_ = {};
    }

private:
    boost::asio::any_io_executor fallback_;
    boost::asio::any_completion_executor work_;
    Handler handler_;
};

/// Completes with an error and a default value.
template <class T>
void fail(Completion<void(std::exception_ptr, T)>& done, std::exception_ptr error) {
    done.complete(std::move(error), T{});
}
inline void fail(Completion<void(std::exception_ptr)>& done, std::exception_ptr error) {
    done.complete(std::move(error));
}

} // namespace nexus::client::detail
