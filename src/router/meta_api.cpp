// The router's own procedures in each realm: the session, registration and
// subscription meta API (spec advanced/meta_api_*.md) and event history
// (advanced/pubsub_event_history.md). Runs under the realm lock like any
// routing; these are queries, not the hot path, so payloads are decoded here.
#include <functional>

#include <nexus/wamp/uri.hpp>
#include <nexus/wamp/uris.hpp>

#include "router/realm.hpp"

namespace nexus::router {

namespace {

using wamp::Array;
using wamp::Object;
using wamp::Value;

struct MetaError {
    std::string_view uri;
    std::string message;
};

// What a meta procedure returns: positional results, or an error.
using MetaResult = std::variant<Array, MetaError>;

MetaError bad_argument(std::string message) {
    return {wamp::errors::invalid_argument, std::move(message)};
}

std::optional<wamp::Id> id_argument(const Array& args, std::size_t i = 0) {
    if (args.size() <= i) return std::nullopt;
    auto id = args[i].to_uint();
    if (!id || !wamp::is_valid_id(*id)) return std::nullopt;
    return id;
}

const std::string* string_argument(const Array& args, std::size_t i = 0) {
    return args.size() > i ? args[i].if_string() : nullptr;
}

Value ids_value(const std::vector<wamp::Id>& ids) {
    Array a;
    a.reserve(ids.size());
    for (wamp::Id id : ids)
        a.emplace_back(id);
    return Value(std::move(a));
}

// The `options` argument of lookup: {"match": ...}, default exact.
std::optional<wamp::MatchPolicy> match_option(const Array& args) {
    if (args.size() < 2) return wamp::MatchPolicy::exact;
    const Value* m = args[1].find("match");
    if (!args[1].is_object()) return std::nullopt;
    if (!m) return wamp::MatchPolicy::exact;
    return m->if_string() ? wamp::parse_match_policy(*m->if_string()) : std::nullopt;
}

} // namespace

Value Realm::describe(const Session& s) const {
    Object transport{
        {"type", s.transport.type}, {"protocol", s.transport.protocol}, {"peer", s.transport.peer}};
    Object details{{"session", s.id},
                   {"authid", s.authid},
                   {"authrole", s.authrole},
                   {"authmethod", s.authmethod},
                   {"authprovider", s.authprovider},
                   {"transport", Value(std::move(transport))}};
    // Further details (meta_strict, the Go nexus's knob): modified ones win
    // over HELLO's; emplace never overrides the standard ones above.
    const auto wanted = [&](const std::string& key) {
        if (key == "roles" || key == "authextra" || key == "authmethods") return false;
        if (!config_.meta_strict) return true;
        const auto& names = config_.meta_include_session_details;
        return std::find(names.begin(), names.end(), key) != names.end();
    };
    for (const auto& [key, value] : s.modified_details)
        if (wanted(key)) details.emplace(key, value);
    for (const auto& [key, value] : s.hello_details)
        if (wanted(key)) details.emplace(key, value);
    return Value(std::move(details));
}

namespace {

// The testament bucket named by kwargs.scope: 0 "detached", 1 "destroyed" (default).
std::optional<int> testament_scope(const Object& kwargs) {
    auto it = kwargs.find("scope");
    if (it == kwargs.end() || it->second.is_null()) return 1;
    const std::string* s = it->second.if_string();
    if (s && *s == "detached") return 0;
    if (s && *s == "destroyed") return 1;
    return std::nullopt;
}

// kwargs reason (a URI, default wamp.close.killed) and message of the kill procedures.
std::optional<std::pair<std::string, std::string>> kill_reason(const Object& kwargs) {
    std::pair<std::string, std::string> out{std::string(wamp::close::killed), ""};
    if (auto it = kwargs.find("reason"); it != kwargs.end() && !it->second.is_null()) {
        const std::string* r = it->second.if_string();
        if (!r || !wamp::is_valid_uri(*r, wamp::UriRule::loose)) return std::nullopt;
        out.first = *r;
    }
    if (auto it = kwargs.find("message"); it != kwargs.end() && !it->second.is_null()) {
        const std::string* m = it->second.if_string();
        if (!m) return std::nullopt;
        out.second = *m;
    }
    return out;
}

constexpr std::size_t max_testaments_per_scope = 64;

} // namespace

bool Realm::meta_call(Session& caller, wamp::Call& call) {
    const std::string& p = call.procedure;
    const auto by_policy = [](auto&& list) {
        return Value{{"exact", ids_value(list(wamp::MatchPolicy::exact))},
                     {"prefix", ids_value(list(wamp::MatchPolicy::prefix))},
                     {"wildcard", ids_value(list(wamp::MatchPolicy::wildcard))}};
    };
    const auto authrole_filter = [](const Array& args) -> std::optional<std::vector<std::string>> {
        if (args.empty() || args[0].is_null()) return std::nullopt;
        return args[0].to<std::vector<std::string>>();
    };
    const auto kill_disabled = [] {
        return MetaError{wamp::errors::not_authorized,
                         "killing sessions is disabled on this realm (enable_meta_kill)"};
    };
    // Sessions other than the caller's own that satisfy `pred`, sorted.
    const auto members_where = [&](auto&& pred) {
        std::vector<wamp::Id> ids;
        for (const auto& [id, m] : members_)
            if (id != caller.id && pred(*m.session)) ids.push_back(id);
        std::sort(ids.begin(), ids.end());
        return ids;
    };

    using Handler = std::function<MetaResult(const Array&, const Object&)>;
    const std::pair<std::string_view, Handler> procedures[] = {
        // --- sessions ---
        {"wamp.session.count",
         [&](const Array& args, const Object&) -> MetaResult {
             auto roles = authrole_filter(args);
             std::uint64_t n = 0;
             for (const auto& [id, m] : members_)
                 if (!roles ||
                     std::find(roles->begin(), roles->end(), m.session->authrole) != roles->end())
                     ++n;
             return Array{n};
         }},
        {"wamp.session.list",
         [&](const Array& args, const Object&) -> MetaResult {
             auto roles = authrole_filter(args);
             std::vector<wamp::Id> ids;
             for (const auto& [id, m] : members_)
                 if (!roles ||
                     std::find(roles->begin(), roles->end(), m.session->authrole) != roles->end())
                     ids.push_back(id);
             std::sort(ids.begin(), ids.end());
             return Array{ids_value(ids)};
         }},
        {"wamp.session.get",
         [&](const Array& args, const Object&) -> MetaResult {
             auto id = id_argument(args);
             if (!id) return bad_argument("expected [session|id]");
             auto it = members_.find(*id);
             if (it == members_.end())
                 return MetaError{wamp::errors::no_such_session,
                                  "no session " + std::to_string(*id)};
             return Array{describe(*it->second.session)};
         }},
        {"wamp.session.add_testament",
         [&](const Array& args, const Object& kwargs) -> MetaResult {
             const std::string* topic = string_argument(args);
             if (!topic || (args.size() > 1 && !args[1].is_array()) ||
                 (args.size() > 2 && !args[2].is_object()))
                 return bad_argument("expected [topic|uri, args|list, kwargs|dict]");
             auto scope = testament_scope(kwargs);
             if (!scope) return bad_argument("scope must be \"detached\" or \"destroyed\"");
             Object options;
             if (auto it = kwargs.find("publish_options"); it != kwargs.end()) {
                 if (!it->second.is_object()) return bad_argument("publish_options must be a dict");
                 options = it->second.as_object();
             }
             options.erase("acknowledge"); // nobody is left to hear it
             if (!wamp::is_valid_uri(*topic, config_.strict_uri ? wamp::UriRule::strict
                                                                : wamp::UriRule::loose) ||
                 wamp::is_reserved_uri(*topic))
                 return MetaError{wamp::errors::invalid_uri, "invalid topic \"" + *topic + "\""};
             if (!authorize(caller, Action::publish, *topic, options).allowed)
                 return MetaError{wamp::errors::not_authorized,
                                  "this session may not publish to \"" + *topic + "\""};
             auto& bucket = caller.testaments[*scope];
             if (bucket.size() >= max_testaments_per_scope)
                 return bad_argument("at most " + std::to_string(max_testaments_per_scope) +
                                     " testaments per scope");
             Array event_args = args.size() > 1 ? args[1].as_array() : Array{};
             Object event_kwargs = args.size() > 2 ? args[2].as_object() : Object{};
             bucket.push_back({*topic,
                               wamp::Payload(std::move(event_args), std::move(event_kwargs)),
                               std::move(options)});
             return Array{};
         }},
        {"wamp.session.flush_testaments",
         [&](const Array&, const Object& kwargs) -> MetaResult {
             auto scope = testament_scope(kwargs);
             if (!scope) return bad_argument("scope must be \"detached\" or \"destroyed\"");
             caller.testaments[*scope].clear();
             return Array{};
         }},
        {"wamp.session.modify_details",
         [&](const Array& args, const Object&) -> MetaResult {
             if (!config_.enable_meta_modify)
                 return MetaError{wamp::errors::not_authorized,
                                  "modifying session details is disabled on this realm "
                                  "(enable_meta_modify)"};
             auto id = id_argument(args);
             if (!id || args.size() < 2 || !args[1].is_object())
                 return bad_argument("expected [session|id, details|dict]");
             auto it = members_.find(*id);
             if (it == members_.end())
                 return MetaError{wamp::errors::no_such_session,
                                  "no session " + std::to_string(*id)};
             for (const auto& entry : args[1].as_object())
                 for (std::string_view fixed : {"session", "authid", "authrole", "authmethod",
                                                "authprovider", "transport", "roles"})
                     if (entry.first == fixed)
                         return bad_argument("\"" + entry.first + "\" cannot be modified");
             Object& details = it->second.session->modified_details;
             for (const auto& [key, value] : args[1].as_object()) {
                 if (value.is_null())
                     details.erase(key); // null removes a detail
                 else
                     details.insert_or_assign(key, value);
             }
             return Array{};
         }},
        {"wamp.session.kill",
         [&](const Array& args, const Object& kwargs) -> MetaResult {
             if (!config_.enable_meta_kill) return kill_disabled();
             auto id = id_argument(args);
             auto reason = kill_reason(kwargs);
             if (!id || !reason)
                 return bad_argument("expected [session|id], kwargs reason|uri, message|string");
             if (*id == caller.id)
                 return bad_argument("a session cannot kill itself (say GOODBYE)");
             if (!members_.contains(*id))
                 return MetaError{wamp::errors::no_such_session,
                                  "no session " + std::to_string(*id)};
             kill_locked({*id}, reason->first, reason->second);
             return Array{};
         }},
        {"wamp.session.kill_by_authid",
         [&](const Array& args, const Object& kwargs) -> MetaResult {
             if (!config_.enable_meta_kill) return kill_disabled();
             const std::string* authid = string_argument(args);
             auto reason = kill_reason(kwargs);
             if (!authid || !reason)
                 return bad_argument("expected [authid|string], kwargs reason|uri, message|string");
             auto ids = members_where([&](const Session& s) { return s.authid == *authid; });
             kill_locked(ids, reason->first, reason->second);
             return Array{ids_value(ids)};
         }},
        {"wamp.session.kill_by_authrole",
         [&](const Array& args, const Object& kwargs) -> MetaResult {
             if (!config_.enable_meta_kill) return kill_disabled();
             const std::string* authrole = string_argument(args);
             auto reason = kill_reason(kwargs);
             if (!authrole || !reason)
                 return bad_argument(
                     "expected [authrole|string], kwargs reason|uri, message|string");
             auto ids = members_where([&](const Session& s) { return s.authrole == *authrole; });
             return Array{
                 static_cast<std::uint64_t>(kill_locked(ids, reason->first, reason->second))};
         }},
        {"wamp.session.kill_all",
         [&](const Array&, const Object& kwargs) -> MetaResult {
             if (!config_.enable_meta_kill) return kill_disabled();
             auto reason = kill_reason(kwargs);
             if (!reason) return bad_argument("kwargs: reason|uri, message|string");
             auto ids = members_where([](const Session&) { return true; });
             return Array{
                 static_cast<std::uint64_t>(kill_locked(ids, reason->first, reason->second))};
         }},
        // --- registrations ---
        {"wamp.registration.list",
         [&](const Array&, const Object&) -> MetaResult {
             return Array{by_policy([&](auto m) { return dealer_.list(m); })};
         }},
        {"wamp.registration.lookup",
         [&](const Array& args, const Object&) -> MetaResult {
             const std::string* uri = string_argument(args);
             auto match = match_option(args);
             if (!uri || !match) return bad_argument("expected [procedure|uri, options|dict]");
             auto id = dealer_.lookup(*uri, *match);
             return Array{id ? Value(*id) : Value()};
         }},
        {"wamp.registration.match",
         [&](const Array& args, const Object&) -> MetaResult {
             const std::string* uri = string_argument(args);
             if (!uri) return bad_argument("expected [procedure|uri]");
             auto id = dealer_.match(*uri);
             return Array{id ? Value(*id) : Value()};
         }},
        {"wamp.registration.get",
         [&](const Array& args, const Object&) -> MetaResult {
             auto id = id_argument(args);
             auto info = id ? dealer_.get(*id) : std::nullopt;
             if (!info)
                 return MetaError{wamp::errors::no_such_registration, "no such registration"};
             return Array{Value{{"id", info->id},
                                {"created", info->created},
                                {"uri", info->uri},
                                {"match", wamp::match_policy_name(info->match)},
                                {"invoke", info->invoke}}};
         }},
        {"wamp.registration.list_callees",
         [&](const Array& args, const Object&) -> MetaResult {
             auto id = id_argument(args);
             auto callees = id ? dealer_.callees(*id) : std::nullopt;
             if (!callees)
                 return MetaError{wamp::errors::no_such_registration, "no such registration"};
             return Array{ids_value(*callees)};
         }},
        {"wamp.registration.count_callees",
         [&](const Array& args, const Object&) -> MetaResult {
             auto id = id_argument(args);
             auto callees = id ? dealer_.callees(*id) : std::nullopt;
             if (!callees)
                 return MetaError{wamp::errors::no_such_registration, "no such registration"};
             return Array{static_cast<std::uint64_t>(callees->size())};
         }},
        // --- subscriptions ---
        {"wamp.subscription.list",
         [&](const Array&, const Object&) -> MetaResult {
             return Array{by_policy([&](auto m) { return broker_.list(m); })};
         }},
        {"wamp.subscription.lookup",
         [&](const Array& args, const Object&) -> MetaResult {
             const std::string* uri = string_argument(args);
             auto match = match_option(args);
             if (!uri || !match) return bad_argument("expected [topic|uri, options|dict]");
             auto id = broker_.lookup(*uri, *match);
             return Array{id ? Value(*id) : Value()};
         }},
        {"wamp.subscription.match",
         [&](const Array& args, const Object&) -> MetaResult {
             const std::string* uri = string_argument(args);
             if (!uri) return bad_argument("expected [topic|uri]");
             auto ids = broker_.match(*uri);
             return Array{ids.empty() ? Value() : ids_value(ids)};
         }},
        {"wamp.subscription.get",
         [&](const Array& args, const Object&) -> MetaResult {
             auto id = id_argument(args);
             auto info = id ? broker_.get(*id) : std::nullopt;
             if (!info)
                 return MetaError{wamp::errors::no_such_subscription, "no such subscription"};
             return Array{Value{{"id", info->id},
                                {"created", info->created},
                                {"uri", info->uri},
                                {"match", wamp::match_policy_name(info->match)}}};
         }},
        {"wamp.subscription.list_subscribers",
         [&](const Array& args, const Object&) -> MetaResult {
             auto id = id_argument(args);
             auto subs = id ? broker_.subscribers(*id) : std::nullopt;
             if (!subs)
                 return MetaError{wamp::errors::no_such_subscription, "no such subscription"};
             return Array{ids_value(*subs)};
         }},
        {"wamp.subscription.count_subscribers",
         [&](const Array& args, const Object&) -> MetaResult {
             auto id = id_argument(args);
             auto subs = id ? broker_.subscribers(*id) : std::nullopt;
             if (!subs)
                 return MetaError{wamp::errors::no_such_subscription, "no such subscription"};
             return Array{static_cast<std::uint64_t>(subs->size())};
         }},
        {"wamp.subscription.get_events",
         [&](const Array& args, const Object& kwargs) -> MetaResult {
             auto id = id_argument(args);
             if (!id) return bad_argument("expected [subscription|id]");
             auto events = broker_.get_events(*id, kwargs, caller);
             if (!events) {
                 // The broker's failure reads "<error uri>: <why>".
                 const std::string& m = events.error().message;
                 const auto colon = m.find(": ");
                 const std::string_view uri = std::string_view(m).substr(0, colon);
                 return MetaError{uri == wamp::errors::no_such_subscription
                                      ? wamp::errors::no_such_subscription
                                      : wamp::errors::invalid_argument,
                                  colon == std::string::npos ? m : m.substr(colon + 2)};
             }
             return Array{Value(std::move(*events))};
         }},
    };

    // The Go nexus's misspelling, kept for its clients (CHECKLIST ⚠A17).
    const std::string_view name = p == "wamp.subscription.count_suscribers"
                                      ? std::string_view("wamp.subscription.count_subscribers")
                                      : std::string_view(p);
    for (const auto& procedure : procedures) {
        if (procedure.first != name) continue;
        const Handler& handler = procedure.second;
        MetaResult result = [&]() -> MetaResult {
            try {
                return handler(call.payload.args(), call.payload.kwargs());
            } catch (const wamp::TypeError& e) {
                return bad_argument(e.what());
            }
        }();
        if (auto* error = std::get_if<MetaError>(&result)) {
            wamp::Error e;
            e.request_type = wamp::MessageType::call;
            e.request = call.request;
            e.error = std::string(error->uri);
            e.payload = wamp::Payload(Array{Value(std::move(error->message))});
            caller.send(std::move(e));
        } else {
            caller.send(
                wamp::Result{call.request, {}, wamp::Payload(std::get<Array>(std::move(result)))});
        }
        return true;
    }
    return false;
}

} // namespace nexus::router
