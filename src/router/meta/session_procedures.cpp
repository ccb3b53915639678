// wamp.session.* (spec advanced/meta_api_sessions.md) and the Go nexus's
// wamp.session.modify_details.
#include <algorithm>

#include <nexus/wamp/uri.hpp>
#include <nexus/wamp/uris.hpp>

#include "router/meta/meta_procedures.hpp"
#include "router/realm.hpp"

namespace nexus::router::meta {

namespace {

using wamp::Array;
using wamp::Object;
using wamp::Value;

// The optional filter_authroles|list[string] of count and list.
std::optional<std::vector<std::string>> authrole_filter(const Array& args) {
    if (args.empty() || args[0].is_null()) return std::nullopt;
    return args[0].to<std::vector<std::string>>();
}

// Sessions of the realm on every node of the cluster.
template <class F> void for_each_session(Realm& realm, F&& f) {
    for (const auto& [id, member] : realm.members_locked())
        f(*member.session);
    for (const auto& [id, member] : realm.remote_members_locked())
        f(*member.session);
}

std::vector<wamp::Id> sessions_with_roles(Realm& realm, const Array& args) {
    const auto roles = authrole_filter(args);
    std::vector<wamp::Id> ids;
    for_each_session(realm, [&](const Session& s) {
        if (!roles || std::ranges::find(*roles, s.authrole) != roles->end()) ids.push_back(s.id);
    });
    return ids;
}

Result count(Call& c) {
    return Array{static_cast<std::uint64_t>(sessions_with_roles(c.realm, c.args).size())};
}

Result list(Call& c) {
    auto ids = sessions_with_roles(c.realm, c.args);
    std::sort(ids.begin(), ids.end());
    return Array{ids_value(ids)};
}

Result get(Call& c) {
    auto id = id_argument(c.args);
    if (!id) return bad_argument("expected [session|id]");
    Session* s = c.realm.any_session_locked(*id);
    if (!s) return UriError{wamp::errors::no_such_session, "no session " + std::to_string(*id)};
    return Array{c.realm.describe(*s)};
}

// --- killing -------------------------------------------------------------------

// The kwargs every kill procedure takes: reason|uri (default wamp.close.killed)
// and message|string.
struct KillReason {
    std::string reason{wamp::close::killed};
    std::string message;
};

OrUriError<KillReason> kill_reason(const Object& kwargs) {
    KillReason out;
    if (auto it = kwargs.find("reason"); it != kwargs.end() && !it->second.is_null()) {
        const std::string* r = it->second.if_string();
        if (!r || !wamp::is_valid_uri(*r, wamp::UriRule::loose))
            return UriError{wamp::errors::invalid_uri, "reason must be a valid, non-empty URI"};
        out.reason = *r;
    }
    if (auto it = kwargs.find("message"); it != kwargs.end() && !it->second.is_null()) {
        const std::string* m = it->second.if_string();
        if (!m) return bad_argument("message must be a string");
        out.message = *m;
    }
    return out;
}

std::optional<UriError> kill_disabled(const Call& c) {
    if (c.realm.config().enable_meta_kill) return std::nullopt;
    return UriError{wamp::errors::not_authorized,
                    "killing sessions is disabled on this realm (enable_meta_kill)"};
}

// Sessions other than the caller's own for which `pred` holds, sorted.
template <class Pred> std::vector<wamp::Id> others_where(Call& c, Pred&& pred) {
    std::vector<wamp::Id> ids;
    for_each_session(c.realm, [&](const Session& s) {
        if (s.id != c.caller.id && pred(s)) ids.push_back(s.id);
    });
    std::sort(ids.begin(), ids.end());
    return ids;
}

Result kill(Call& c) {
    if (auto e = kill_disabled(c)) return *e;
    auto id = id_argument(c.args);
    if (!id) return bad_argument("expected [session|id]");
    auto reason = kill_reason(c.kwargs);
    if (auto* e = std::get_if<UriError>(&reason)) return *e;
    // The caller's own session is not an *other* session (the spec's wording).
    if (*id == c.caller.id || !c.realm.any_session_locked(*id))
        return UriError{wamp::errors::no_such_session, "no other session " + std::to_string(*id)};
    const auto& r = std::get<KillReason>(reason);
    c.realm.kill_anywhere_locked({*id}, r.reason, r.message, Realm::KillNotice::announced);
    return Array{};
}

// kill_by_authid and kill_by_authrole: every other session whose `field` is
// args[0]; the ids of those killed.
OrUriError<std::vector<wamp::Id>> kill_by(Call& c, std::string Session::*field, const char* what) {
    if (auto e = kill_disabled(c)) return *e;
    const std::string* value = string_argument(c.args);
    if (!value) return bad_argument(std::string("expected [") + what + "|string]");
    auto reason = kill_reason(c.kwargs);
    if (auto* e = std::get_if<UriError>(&reason)) return *e;
    const auto& r = std::get<KillReason>(reason);
    auto ids = others_where(c, [&](const Session& s) { return s.*field == *value; });
    c.realm.kill_anywhere_locked(ids, r.reason, r.message, Realm::KillNotice::announced);
    return ids;
}

Result kill_by_authid(Call& c) {
    auto killed = kill_by(c, &Session::authid, "authid");
    if (auto* e = std::get_if<UriError>(&killed)) return *e;
    return Array{ids_value(std::get<0>(killed))};
}

Result kill_by_authrole(Call& c) {
    auto killed = kill_by(c, &Session::authrole, "authrole");
    if (auto* e = std::get_if<UriError>(&killed)) return *e;
    return Array{static_cast<std::uint64_t>(std::get<0>(killed).size())};
}

Result kill_all(Call& c) {
    if (auto e = kill_disabled(c)) return *e;
    auto reason = kill_reason(c.kwargs);
    if (auto* e = std::get_if<UriError>(&reason)) return *e;
    const auto& r = std::get<KillReason>(reason);
    auto ids = others_where(c, [](const Session&) { return true; });
    // Nobody but the caller remains to hear on_leave or testaments: none go out.
    return Array{static_cast<std::uint64_t>(
        c.realm.kill_anywhere_locked(ids, r.reason, r.message, Realm::KillNotice::silent))};
}

// --- modify_details ------------------------------------------------------------

// Checks one entry of the details delta; identity entries need more than the
// caller's permission to call the procedure.
std::optional<UriError> check_modification(Call& c, const Session& target, const std::string& key,
                                           const Value& value) {
    for (std::string_view fixed :
         {"session", "authmethod", "authprovider", "transport", "roles", "authextra"})
        if (key == fixed) return bad_argument("\"" + key + "\" cannot be modified");
    if (key != "authid" && key != "authrole") return std::nullopt;
    if (&target == &c.caller)
        return UriError{wamp::errors::not_authorized,
                        "a session cannot change its own " + key + "; another session may"};
    if (!value.is_string() || value.as_string().empty())
        return bad_argument(key + " must be a non-empty string");
    if (key == "authrole" && !c.realm.accepts_authrole(value.as_string()))
        return UriError{wamp::errors::no_such_role,
                        "the authrole \"" + value.as_string() + "\" does not exist on this realm"};
    return std::nullopt;
}

Result modify_details(Call& c) {
    if (!c.realm.config().enable_meta_modify)
        return UriError{wamp::errors::not_authorized,
                        "modifying session details is disabled on this realm "
                        "(enable_meta_modify)"};
    auto id = id_argument(c.args);
    if (!id || c.args.size() < 2 || !c.args[1].is_object())
        return bad_argument("expected [session|id, details|dict]");
    Session* target = c.realm.any_session_locked(*id);
    if (!target)
        return UriError{wamp::errors::no_such_session, "no session " + std::to_string(*id)};
    const Object& delta = c.args[1].as_object();
    for (const auto& [key, value] : delta)
        if (auto e = check_modification(c, *target, key, value)) return *e;
    // A session of another node changes there (and that node tells everyone).
    if (target->node != 0)
        c.realm.cluster()->modify(target->node, target->id, delta);
    else
        c.realm.apply_modification_locked(*target, delta);
    return Array{};
}

constexpr Procedure procedures[] = {
    {"wamp.session.count", count},
    {"wamp.session.list", list},
    {"wamp.session.get", get},
    {"wamp.session.kill", kill},
    {"wamp.session.kill_by_authid", kill_by_authid},
    {"wamp.session.kill_by_authrole", kill_by_authrole},
    {"wamp.session.kill_all", kill_all},
    {"wamp.session.modify_details", modify_details},
};

} // namespace

std::span<const Procedure> session_procedures() { return procedures; }

} // namespace nexus::router::meta
