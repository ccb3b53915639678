// The error and close reason URIs of the spec (basic/*.md, advanced/uris.md),
// with the spellings decided in spec/CHECKLIST.md §15.
#pragma once

#include <string_view>

namespace nexus::wamp {

namespace errors {
// Interaction
inline constexpr std::string_view invalid_uri = "wamp.error.invalid_uri";
inline constexpr std::string_view no_such_procedure = "wamp.error.no_such_procedure";
inline constexpr std::string_view procedure_already_exists = "wamp.error.procedure_already_exists";
inline constexpr std::string_view no_such_registration = "wamp.error.no_such_registration";
inline constexpr std::string_view no_such_subscription = "wamp.error.no_such_subscription";
inline constexpr std::string_view invalid_argument = "wamp.error.invalid_argument";
inline constexpr std::string_view payload_size_exceeded = "wamp.error.payload_size_exceeded";
inline constexpr std::string_view feature_not_supported = "wamp.error.feature_not_supported";
/// ⚠A7: "canceled" (what autobahn and the Go nexus use), never "cancelled".
inline constexpr std::string_view canceled = "wamp.error.canceled";
inline constexpr std::string_view timeout = "wamp.error.timeout";
inline constexpr std::string_view unavailable = "wamp.error.unavailable";
inline constexpr std::string_view no_available_callee = "wamp.error.no_available_callee";
inline constexpr std::string_view no_eligible_callee = "wamp.error.no_eligible_callee";
inline constexpr std::string_view network_failure = "wamp.error.network_failure";
// Session lifecycle
inline constexpr std::string_view protocol_violation = "wamp.error.protocol_violation";
inline constexpr std::string_view no_such_realm = "wamp.error.no_such_realm";
inline constexpr std::string_view no_such_role = "wamp.error.no_such_role";
inline constexpr std::string_view no_such_session = "wamp.error.no_such_session";
inline constexpr std::string_view no_such_principal = "wamp.error.no_such_principal";
// Authentication and authorization
inline constexpr std::string_view authentication_failed = "wamp.error.authentication_failed";
inline constexpr std::string_view authentication_denied = "wamp.error.authentication_denied";
inline constexpr std::string_view authentication_required = "wamp.error.authentication_required";
/// ⚠A20: the spec's name; autobahn-python's is no_auth_method (below).
inline constexpr std::string_view no_matching_auth_method = "wamp.error.no_matching_auth_method";
inline constexpr std::string_view no_auth_method = "wamp.error.no_auth_method";
/// ⚠A19: what we send for a denied action (the Go nexus and autobahn know it).
inline constexpr std::string_view not_authorized = "wamp.error.not_authorized";
inline constexpr std::string_view authorization_denied = "wamp.error.authorization_denied";
inline constexpr std::string_view authorization_failed = "wamp.error.authorization_failed";
inline constexpr std::string_view authorization_required = "wamp.error.authorization_required";
// Options
/// Not a spec URI (implementation URIs must not use the wamp. prefix): a
/// configured limit (sessions, pending calls, subscriptions, registrations).
inline constexpr std::string_view limit_exceeded = "nexus.error.limit_exceeded";
/// Not a spec URI: a cluster node already holds the random session id a
/// joining session drew (as likely as two random 53-bit ids colliding).
inline constexpr std::string_view session_id_taken = "nexus.error.session_id_taken";
/// REGISTER when the cluster's shared store (NATS JetStream) is unreachable (try again), or CALL
/// whose INVOCATION or final answer the bus lost between nodes (it may or may not have run).
inline constexpr std::string_view cluster_unavailable = "nexus.error.cluster_unavailable";
/// Not a spec URI: no HELLO arrived within RouterConfig::hello_timeout.
inline constexpr std::string_view hello_timeout = "nexus.error.hello_timeout";
inline constexpr std::string_view option_not_allowed = "wamp.error.option_not_allowed";
/// ⚠A14: this one, not "wamp.error.disclose_me.not_allowed".
inline constexpr std::string_view option_disallowed_disclose_me =
    "wamp.error.option_disallowed.disclose_me";
} // namespace errors

namespace close {
inline constexpr std::string_view normal = "wamp.close.normal";
inline constexpr std::string_view system_shutdown = "wamp.close.system_shutdown";
inline constexpr std::string_view close_realm = "wamp.close.close_realm";
inline constexpr std::string_view goodbye_and_out = "wamp.close.goodbye_and_out";
inline constexpr std::string_view killed = "wamp.close.killed";
} // namespace close

} // namespace nexus::wamp
