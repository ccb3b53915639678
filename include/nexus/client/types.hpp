// Plain data of the client API: results, events, and the options of each
// request (mapped onto the WAMP Options/Details dicts by the session).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nexus/wamp/id.hpp>
#include <nexus/wamp/uri.hpp>
#include <nexus/wamp/value.hpp>

namespace nexus::client {

/// How a canceled call ends (advanced/rpc_call_canceling.md).
enum class CancelMode {
    /// The router answers the caller at once and drops the callee's answer.
    skip,
    /// The callee is interrupted and the caller waits for its answer.
    kill,
    /// The callee is interrupted and the router answers the caller at once.
    killnowait,
};
std::string_view cancel_mode_name(CancelMode mode) noexcept;
std::optional<CancelMode> parse_cancel_mode(std::string_view name) noexcept;

namespace detail {
struct CancelState;
class SessionImpl;
} // namespace detail

/// Cancels a call from anywhere: put a copy in CallOptions::cancel_handle,
/// start the call, and cancel() when it is no longer wanted. Copies share one
/// state; use one handle per call.
class CancelHandle {
public:
    CancelHandle();

    /// Sends CANCEL with `mode` for the call (at once, or right after the
    /// CALL if the call has not gone out yet); the call then ends with the
    /// router's answer, normally WampError wamp.error.canceled. Returns false,
    /// doing nothing, if cancel() was called before or the call is over.
    /// Thread-safe.
    bool cancel(CancelMode mode = CancelMode::kill) const;

private:
    friend class detail::SessionImpl;
    std::shared_ptr<detail::CancelState> state_;
};

/// What a callee answers: YIELD's arguments.
struct Result {
    Result() = default;
    Result(wamp::Array a, wamp::Object kw = {}) : args(std::move(a)), kwargs(std::move(kw)) {}
    wamp::Array args;
    wamp::Object kwargs;
};

/// What a caller receives: RESULT's arguments and details.
struct CallResult {
    wamp::Array args;
    wamp::Object kwargs;
    wamp::Object details;
    /// True for a progressive (intermediate) result.
    bool progress() const;
};

struct CallOptions {
    // A declared constructor makes this a non-aggregate: g++ 12 destroys
    // aggregate temporaries with member initializers twice when they appear
    // in a co_await expression (e.g. a defaulted options argument).
    CallOptions() = default;

    /// Bounds the call: the router is asked to cancel it after this long
    /// (CALL.Options.timeout, call_timeout), and if no answer has come by then
    /// the session itself sends CANCEL (cancel_mode) and fails the call with
    /// WampError wamp.error.timeout, so the bound holds with any router.
    std::optional<std::chrono::milliseconds> timeout;
    /// A handle to cancel this call with (see CancelHandle).
    std::optional<CancelHandle> cancel_handle;
    /// Ask the router to disclose our session to the callee (caller_identification).
    bool disclose_me = false;
    /// When set, progressive results are asked for (receive_progress) and
    /// each one is passed here, on the session's strand, before the final
    /// result completes the call.
    std::function<void(const CallResult&)> on_progress;
    /// The mode of the CANCEL sent when the local deadline (timeout) passes or
    /// the call's operation is cancelled through its Asio cancellation slot.
    CancelMode cancel_mode = CancelMode::kill;
};

/// Shared registration policy (advanced/rpc_shared_registration.md).
enum class InvokePolicy { single, roundrobin, random, first, last };
std::string_view invoke_policy_name(InvokePolicy policy) noexcept;

struct RegisterOptions {
    // A declared constructor makes this a non-aggregate: g++ 12 destroys
    // aggregate temporaries with member initializers twice when they appear
    // in a co_await expression (e.g. a defaulted options argument).
    RegisterOptions() = default;

    wamp::MatchPolicy match = wamp::MatchPolicy::exact;
    InvokePolicy invoke = InvokePolicy::single;
    /// Ask the router to disclose callers to us for this registration.
    bool disclose_caller = false;
};

struct SubscribeOptions {
    // A declared constructor makes this a non-aggregate: g++ 12 destroys
    // aggregate temporaries with member initializers twice when they appear
    // in a co_await expression (e.g. a defaulted options argument).
    SubscribeOptions() = default;

    wamp::MatchPolicy match = wamp::MatchPolicy::exact;
    /// Ask for the topic's retained event right after subscribing (event_retention).
    bool get_retained = false;
};

struct PublishOptions {
    // A declared constructor makes this a non-aggregate: g++ 12 destroys
    // aggregate temporaries with member initializers twice when they appear
    // in a co_await expression (e.g. a defaulted options argument).
    PublishOptions() = default;

    /// Wait for PUBLISHED (or ERROR); otherwise the publish completes once sent.
    bool acknowledge = false;
    /// Leave us out of the receivers (true is the protocol default).
    bool exclude_me = true;
    /// Receiver black/white lists (subscriber_blackwhite_listing); empty = unused.
    std::vector<wamp::Id> exclude, eligible;
    std::vector<std::string> exclude_authid, eligible_authid, exclude_authrole, eligible_authrole;
    /// Ask the router to disclose our session to subscribers (publisher_identification).
    bool disclose_me = false;
    /// Ask the router to keep this event for later subscribers (event_retention).
    bool retain = false;
};

/// An EVENT delivered to a subscription handler.
struct Event {
    wamp::Id subscription = 0;
    wamp::Id publication = 0;
    wamp::Array args;
    wamp::Object kwargs;
    wamp::Object details;
    /// The topic it was published to: details.topic (pattern subscriptions),
    /// else the subscribed topic.
    std::string topic;
    /// The publisher's session, when disclosed.
    std::optional<wamp::Id> publisher() const;
    /// True for an event the router retained and replays on subscribing.
    bool retained() const;
};

/// A live registration; pass it to Session::unregister.
struct Registration {
    wamp::Id id = 0;
    std::string procedure;
};

/// A live subscription of one handler; pass it to Session::unsubscribe.
/// Several handlers on one topic share the router's subscription id.
struct Subscription {
    wamp::Id id = 0;
    std::string topic;
    std::uint64_t handler = 0;
};

/// The joined session, from WELCOME.
struct SessionInfo {
    wamp::Id session = 0;
    std::string realm;
    std::string authid, authrole, authmethod, authprovider;
    /// WELCOME.Details as received (roles of the router, agent, authextra...).
    wamp::Object details;
    /// True if the router announces `feature` for `role` ("dealer", "broker").
    bool router_has(std::string_view role, std::string_view feature) const;
};

/// Why a session ended.
struct CloseInfo {
    enum class Cause {
        /// GOODBYE handshake (ours or the router's); the transport stays usable.
        goodbye,
        /// The router refused or ended the session with ABORT.
        abort,
        /// The transport went away (or we dropped it).
        transport,
    };
    Cause cause = Cause::goodbye;
    /// The GOODBYE/ABORT reason URI, or a description of the transport failure.
    std::string reason;
    wamp::Object details;
    /// The ABORT's message, if it has one (details.message or the first argument).
    std::string message() const;
};

} // namespace nexus::client
