// The dealer's data: registrations and their callees, and the calls in flight.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nexus/wamp/id.hpp>
#include <nexus/wamp/message.hpp>
#include <nexus/wamp/uri.hpp>

#include "router/metrics.hpp"
#include "router/realm_context.hpp"
#include "router/session.hpp"

namespace nexus::router::dealing {

enum class Invoke { single, roundrobin, random, first, last };
std::optional<Invoke> parse_invoke(std::string_view s);
std::string_view invoke_name(Invoke i);

/// One callee attached to a registration.
struct Callee {
    Session* session;
    bool disclose_caller;
    /// REGISTER.Options.forward_timeout from a callee that announced
    /// call_timeout: it times its calls out itself (rpc_call_timeout.md).
    bool forward_timeout;
    /// REGISTER.Options.nkey: the node (shard) this callee serves; empty: none.
    std::string nkey;
    /// Where it stands among the registration's callees (first, last): by
    /// when it registered, then the cluster node and a sequence number.
    std::string order;
};

struct Registration {
    wamp::Id id = 0;
    std::string uri; // the procedure, or the pattern
    wamp::MatchPolicy match = wamp::MatchPolicy::exact;
    Invoke invoke = Invoke::single;
    std::int64_t created_ms = 0;
    std::vector<Callee> callees; // in registration order
    std::size_t next = 0;        // roundrobin position
};

struct PendingCall;
/// A call's place in the list of its caller's calls or of its callee's.
struct CallLinks {
    PendingCall* prev = nullptr;
    PendingCall* next = nullptr;
};

/// What re-routing a call needs (rpc_call_rerouting.md): kept only for calls
/// whose callee announced call_reroute and that have another callee to try.
struct RerouteState {
    wamp::Object options; // the CALL's
    std::string procedure;
    wamp::Payload payload;
    bool disclose = false;             // the caller is disclosed, whatever the callee asked
    std::vector<const Session*> tried; // callees that answered wamp.error.unavailable
    std::optional<std::string> shard;  // a partitioned call's node key
};

/// One call in flight, from its CALL to its final RESULT or ERROR.
struct PendingCall {
    Session* caller = nullptr;
    wamp::Id call_request = 0;
    Session* callee = nullptr;
    wamp::Id invocation_request = 0;
    wamp::Id registration = 0;
    bool receive_progress = false;               // the caller asked and the callee can
    bool caller_streaming = false;               // progressive call invocations still open
    bool kill_requested = false;                 // CANCEL mode=kill: waiting for the callee
    bool continued = false;                      // the callee was sent more than the first chunk
    CallOutcome outcome = CallOutcome::canceled; // unless something else ends it
    RouterMetrics::Clock::time_point started;
    std::chrono::milliseconds requested_timeout{0}; // CALL.Options.timeout
    std::chrono::milliseconds timeout{0};           // the dealer's share of it
    std::unique_ptr<Timer> timer;
    std::unique_ptr<RerouteState> reroute;
    // Intrusive, so that a leaving session finds its calls without a scan of
    // every call in flight and a call costs no extra allocation.
    CallLinks as_caller, as_callee;
};

void link_call(PendingCall*& head, PendingCall& call, CallLinks PendingCall::*links);
void unlink_call(PendingCall*& head, PendingCall& call, CallLinks PendingCall::*links);

struct SessionRequest {
    const Session* session;
    wamp::Id request;
    bool operator==(const SessionRequest&) const = default;
};
struct SessionRequestHash {
    std::size_t operator()(const SessionRequest& k) const noexcept {
        return std::hash<const void*>{}(k.session) * 31 + std::hash<wamp::Id>{}(k.request);
    }
};

/// A bool option that is present and true.
bool flag(const wamp::Object& o, std::string_view key);

} // namespace nexus::router::dealing
