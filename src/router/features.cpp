#include "router/features.hpp"

namespace nexus::router {

namespace {

const wamp::Object* role_features(const wamp::Object& roles, std::string_view role, bool& present) {
    auto it = roles.find(role);
    present = it != roles.end() && it->second.is_object();
    if (!present) return nullptr;
    const wamp::Value* features = it->second.find("features");
    return features ? features->if_object() : nullptr;
}

bool flag(const wamp::Object* features, std::string_view key) {
    if (!features) return false;
    auto it = features->find(key);
    return it != features->end() && it->second.if_bool() && *it->second.if_bool();
}

} // namespace

PeerFeatures parse_peer_features(const wamp::Object& hello_details) {
    PeerFeatures f;
    auto roles_it = hello_details.find("roles");
    if (roles_it == hello_details.end() || !roles_it->second.is_object()) return f;
    const wamp::Object& roles = roles_it->second.as_object();

    const wamp::Object* caller = role_features(roles, "caller", f.caller);
    const wamp::Object* callee = role_features(roles, "callee", f.callee);
    const wamp::Object* publisher = role_features(roles, "publisher", f.publisher);
    const wamp::Object* subscriber = role_features(roles, "subscriber", f.subscriber);

    f.callee_call_canceling =
        flag(callee, "call_canceling") || flag(callee, "call_cancelling");
    f.callee_progressive_call_results =
        f.callee_call_canceling && flag(callee, "progressive_call_results");
    f.callee_progressive_call_invocations =
        f.callee_call_canceling && flag(callee, "progressive_call_invocations");
    f.callee_call_timeout = flag(callee, "call_timeout");
    f.callee_registration_revocation = flag(callee, "registration_revocation");
    f.callee_payload_passthru = flag(callee, "payload_passthru_mode");
    f.caller_progressive_call_invocations = flag(caller, "progressive_call_invocations");
    f.caller_payload_passthru = flag(caller, "payload_passthru_mode");
    f.publisher_payload_passthru = flag(publisher, "payload_passthru_mode");
    f.subscriber_subscription_revocation = flag(subscriber, "subscription_revocation");
    return f;
}

} // namespace nexus::router
