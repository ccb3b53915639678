// What a peer announced in HELLO.Details.roles, parsed once at join time so
// the broker and dealer test a bool instead of walking dicts per message.
#pragma once

#include <nexus/wamp/value.hpp>

namespace nexus::router {

struct PeerFeatures {
    // roles
    bool caller = false;
    bool callee = false;
    bool publisher = false;
    bool subscriber = false;
    // what the dealer needs to know of a callee
    bool callee_call_canceling = false;           // may be sent INTERRUPT
    bool callee_progressive_call_results = false; // only with call_canceling (spec)
    bool callee_progressive_call_invocations = false;
    bool callee_call_timeout = false;
    bool callee_registration_revocation = false;
    bool callee_call_reroute = false; // may answer wamp.error.unavailable
    bool callee_payload_passthru = false;
    // ... of a caller
    bool caller_progressive_call_invocations = false;
    bool caller_payload_passthru = false;
    // ... of publishers and subscribers
    bool publisher_payload_passthru = false;
    bool subscriber_subscription_revocation = false;
};

/// Reads HELLO.Details.roles. Accepts "call_cancelling" for "call_canceling"
/// (CHECKLIST ⚠A8). A callee's progressive results and progressive
/// invocations count only together with call_canceling, as the spec requires.
/// `progress_without_canceling`: take a callee's progressive_call_results
/// even without call_canceling (RealmConfig::progressive_results_without_canceling).
PeerFeatures parse_peer_features(const wamp::Object& hello_details,
                                 bool progress_without_canceling = false);

} // namespace nexus::router
