// The router's own procedures in each realm (spec advanced/meta_api_*.md,
// advanced/pubsub_event_history.md, advanced/pubsub_testament.md): one table
// of named handlers, answered by the realm before the dealer sees the CALL.
// Handlers run under the realm lock; they are queries and administrative
// actions, not the hot path, so payloads are decoded here.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nexus/wamp/id.hpp>
#include <nexus/wamp/uri.hpp>

#include <nexus/wamp/value.hpp>

#include "router/uri_error.hpp"

namespace nexus::router {
class Realm;
class Session;
} // namespace nexus::router

namespace nexus::router::meta {

/// One CALL to a meta procedure: who calls, with what.
struct Call {
    Realm& realm;
    Session& caller;
    const wamp::Array& args;
    const wamp::Object& kwargs;
};

/// The positional results, or the error to answer.
using Result = OrUriError<wamp::Array>;
using Handler = Result (*)(Call&);

struct Procedure {
    std::string_view uri;
    Handler handler;
};

std::span<const Procedure> session_procedures();
std::span<const Procedure> testament_procedures();
std::span<const Procedure> registration_procedures();
std::span<const Procedure> subscription_procedures();

/// The handler of `procedure`, or nullptr if the router has none by that name.
Handler find(std::string_view procedure);

// Argument readers shared by the handlers.

/// args[i] as a session, registration or subscription id.
std::optional<wamp::Id> id_argument(const wamp::Array& args, std::size_t i = 0);
/// args[i] if it is a string.
const std::string* string_argument(const wamp::Array& args, std::size_t i = 0);
wamp::Value ids_value(const std::vector<wamp::Id>& ids);
UriError bad_argument(std::string message);
/// The options|dict argument of lookup, args[1]: {"match": ...}, default exact;
/// nullopt when malformed.
std::optional<wamp::MatchPolicy> match_option(const wamp::Array& args);
/// The error answering a revocation on a realm that does not enable them.
std::optional<UriError> revocation_disabled(const Call& c);
/// kwargs reason|string of the revocation procedures (empty when absent).
OrUriError<std::string> revocation_reason(const wamp::Object& kwargs);

} // namespace nexus::router::meta
