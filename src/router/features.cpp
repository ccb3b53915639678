#include "router/features.hpp"

#include <nexus/wamp/features.hpp>

namespace nexus::router {

PeerFeatures parse_peer_features(const wamp::Object& hello_details,
                                 bool progress_without_canceling) {
    namespace r = wamp::roles;
    namespace f = wamp::features;
    const wamp::AnnouncedRoles roles(hello_details);
    PeerFeatures p;
    p.caller = roles.has_role(r::caller);
    p.callee = roles.has_role(r::callee);
    p.publisher = roles.has_role(r::publisher);
    p.subscriber = roles.has_role(r::subscriber);

    p.callee_call_canceling = roles.has_feature(r::callee, f::call_canceling);
    p.callee_progressive_call_results = (p.callee_call_canceling || progress_without_canceling) &&
                                        roles.has_feature(r::callee, f::progressive_call_results);
    p.callee_progressive_call_invocations =
        p.callee_call_canceling && roles.has_feature(r::callee, f::progressive_call_invocations);
    p.callee_call_timeout = roles.has_feature(r::callee, f::call_timeout);
    p.callee_registration_revocation = roles.has_feature(r::callee, f::registration_revocation);
    p.callee_call_reroute = roles.has_feature(r::callee, f::call_reroute);
    p.callee_payload_passthru = roles.has_feature(r::callee, f::payload_passthru_mode);
    p.caller_progressive_call_invocations =
        roles.has_feature(r::caller, f::progressive_call_invocations);
    p.caller_payload_passthru = roles.has_feature(r::caller, f::payload_passthru_mode);
    p.publisher_payload_passthru = roles.has_feature(r::publisher, f::payload_passthru_mode);
    p.subscriber_subscription_revocation =
        roles.has_feature(r::subscriber, f::subscription_revocation);
    return p;
}

} // namespace nexus::router
