// Dispatch of CALLs to the router's own procedures, and the argument readers
// their handlers share.
#include <nexus/wamp/uris.hpp>

#include "router/meta/meta_procedures.hpp"
#include "router/realm.hpp"

namespace nexus::router {

namespace meta {

std::optional<wamp::Id> id_argument(const wamp::Array& args, std::size_t i) {
    if (args.size() <= i) return std::nullopt;
    auto id = args[i].to_uint();
    if (!id || !wamp::is_valid_id(*id)) return std::nullopt;
    return id;
}

const std::string* string_argument(const wamp::Array& args, std::size_t i) {
    return args.size() > i ? args[i].if_string() : nullptr;
}

wamp::Value ids_value(const std::vector<wamp::Id>& ids) {
    wamp::Array a;
    a.reserve(ids.size());
    for (wamp::Id id : ids)
        a.emplace_back(id);
    return wamp::Value(std::move(a));
}

UriError bad_argument(std::string message) {
    return {wamp::errors::invalid_argument, std::move(message)};
}

std::optional<wamp::MatchPolicy> match_option(const wamp::Array& args) {
    if (args.size() < 2 || args[1].is_null()) return wamp::MatchPolicy::exact;
    if (!args[1].is_object()) return std::nullopt;
    const wamp::Value* m = args[1].find("match");
    if (!m || m->is_null()) return wamp::MatchPolicy::exact;
    return m->if_string() ? wamp::parse_match_policy(*m->if_string()) : std::nullopt;
}

std::optional<UriError> revocation_disabled(const Call& c) {
    if (c.realm.config().enable_meta_revoke) return std::nullopt;
    return UriError{wamp::errors::not_authorized,
                    "revoking registrations and subscriptions is disabled on this realm "
                    "(enable_meta_revoke)"};
}

OrUriError<std::string> revocation_reason(const wamp::Object& kwargs) {
    auto it = kwargs.find("reason");
    if (it == kwargs.end() || it->second.is_null()) return std::string();
    if (const std::string* r = it->second.if_string()) return *r;
    return bad_argument("reason must be a string");
}

Handler find(std::string_view procedure) {
    for (auto table : {session_procedures(), testament_procedures(), registration_procedures(),
                       subscription_procedures()})
        for (const Procedure& p : table)
            if (p.uri == procedure) return p.handler;
    return nullptr;
}

} // namespace meta

bool Realm::meta_call(Session& caller, wamp::Call& call) {
    const meta::Handler handler = meta::find(call.procedure);
    if (!handler) return false;
    meta::Result result = [&]() -> meta::Result {
        try {
            const wamp::Array args = call.payload.args();
            const wamp::Object kwargs = call.payload.kwargs();
            meta::Call c{*this, caller, args, kwargs};
            return handler(c);
        } catch (const wamp::TypeError& e) {
            return meta::bad_argument(e.what());
        }
    }();
    if (auto* error = std::get_if<UriError>(&result)) {
        wamp::Error e;
        e.request_type = wamp::MessageType::call;
        e.request = call.request;
        e.error = std::move(error->uri);
        e.payload = wamp::Payload(wamp::Array{wamp::Value(std::move(error->message))});
        caller.send(std::move(e));
    } else {
        caller.send(wamp::Result{
            call.request, {}, wamp::Payload(std::get<wamp::Array>(std::move(result)))});
    }
    return true;
}

wamp::Value Realm::describe(const Session& s) const {
    wamp::Object transport{
        {"type", s.transport.type}, {"protocol", s.transport.protocol}, {"peer", s.transport.peer}};
    wamp::Object details{{"session", s.id},
                         {"authid", s.authid},
                         {"authrole", s.authrole},
                         {"authmethod", s.authmethod},
                         {"authprovider", s.authprovider},
                         {"transport", wamp::Value(std::move(transport))}};
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
    return wamp::Value(std::move(details));
}

} // namespace nexus::router
