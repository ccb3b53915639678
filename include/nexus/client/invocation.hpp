// What a callee's handler receives for one call: the arguments, the details
// (caller, procedure, progress), a way to stream progressive results, and
// whether the caller cancelled (INTERRUPT).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nexus/wamp/id.hpp>
#include <nexus/wamp/value.hpp>

namespace nexus::client {

namespace detail {
struct InvocationState;
}

class Invocation {
public:
    Invocation(std::shared_ptr<detail::InvocationState> state, wamp::Array args,
               wamp::Object kwargs, wamp::Object details);

    /// The INVOCATION's request id (the same for every chunk of one call).
    wamp::Id request() const noexcept;
    wamp::Id registration() const noexcept;
    const wamp::Array& args() const noexcept { return args_; }
    const wamp::Object& kwargs() const noexcept { return kwargs_; }
    const wamp::Object& details() const noexcept { return details_; }

    /// The procedure called: details.procedure for pattern registrations,
    /// else the registered URI.
    const std::string& procedure() const noexcept;
    /// The caller's session id, if the router disclosed it.
    std::optional<wamp::Id> caller() const;
    /// True if the caller accepts progressive results.
    bool receive_progress() const noexcept;
    /// True if this is a non-final chunk of progressive call inputs: the
    /// handler runs again for the next chunk of the same request.
    bool progress() const;

    /// Sends a progressive result to the caller (YIELD progress=true).
    /// Returns false, sending nothing, if the caller did not ask for
    /// progress or the call is over. Thread-safe.
    bool send_progress(wamp::Array args, wamp::Object kwargs = {}) const;

    /// True once the router sent INTERRUPT for this call. A coroutine handler
    /// is also cancelled (its pending asynchronous operation ends with
    /// operation_aborted) and the call is answered with wamp.error.canceled.
    bool interrupted() const noexcept;

private:
    std::shared_ptr<detail::InvocationState> state_;
    wamp::Array args_;
    wamp::Object kwargs_;
    wamp::Object details_;
};

} // namespace nexus::client
