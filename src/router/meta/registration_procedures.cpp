// wamp.registration.* (spec advanced/meta_api_registrations.md) and
// registration revocation (advanced/rpc_registration_revocation.md).
#include <nexus/wamp/uris.hpp>

#include "router/meta/meta_procedures.hpp"
#include "router/realm.hpp"

namespace nexus::router::meta {

namespace {

using wamp::Array;
using wamp::Value;

Value registration_details(const Dealer::RegistrationInfo& info) {
    return Value{{"id", info.id},
                 {"created", info.created},
                 {"uri", info.uri},
                 {"match", wamp::match_policy_name(info.match)},
                 {"invoke", info.invoke}};
}

UriError no_such_registration(wamp::Id id) {
    return {wamp::errors::no_such_registration, "no registration " + std::to_string(id)};
}

Result list(Call& c) {
    const Dealer& d = c.realm.dealer_locked();
    return Array{Value{{"exact", ids_value(d.list(wamp::MatchPolicy::exact))},
                       {"prefix", ids_value(d.list(wamp::MatchPolicy::prefix))},
                       {"wildcard", ids_value(d.list(wamp::MatchPolicy::wildcard))}}};
}

Result lookup(Call& c) {
    const std::string* uri = string_argument(c.args);
    auto match = match_option(c.args);
    if (!uri || !match) return bad_argument("expected [procedure|uri, options|dict]");
    auto id = c.realm.dealer_locked().lookup(*uri, *match);
    return Array{id ? Value(*id) : Value()};
}

Result match(Call& c) {
    const std::string* uri = string_argument(c.args);
    if (!uri) return bad_argument("expected [procedure|uri]");
    auto id = c.realm.dealer_locked().match(*uri);
    return Array{id ? Value(*id) : Value()};
}

Result get(Call& c) {
    auto id = id_argument(c.args);
    if (!id) return bad_argument("expected [registration|id]");
    auto info = c.realm.dealer_locked().get(*id);
    if (!info) return no_such_registration(*id);
    return Array{registration_details(*info)};
}

Result list_callees(Call& c) {
    auto id = id_argument(c.args);
    if (!id) return bad_argument("expected [registration|id]");
    auto callees = c.realm.dealer_locked().callees(*id);
    if (!callees) return no_such_registration(*id);
    return Array{ids_value(*callees)};
}

Result count_callees(Call& c) {
    auto id = id_argument(c.args);
    if (!id) return bad_argument("expected [registration|id]");
    auto callees = c.realm.dealer_locked().callees(*id);
    if (!callees) return no_such_registration(*id);
    return Array{static_cast<std::uint64_t>(callees->size())};
}

// remove: [registration|id] revokes it from every callee; remove_callee:
// [registration|id, callee|id] from one. kwargs reason|string goes to the
// callees in UNREGISTERED.Details.reason. Answers the ids of the callees removed.
Result revoke(Call& c, bool one_callee) {
    if (auto e = revocation_disabled(c)) return *e;
    auto id = id_argument(c.args);
    auto callee = one_callee ? id_argument(c.args, 1) : std::nullopt;
    if (!id || (one_callee && !callee))
        return bad_argument(one_callee ? "expected [registration|id, callee|id]"
                                       : "expected [registration|id]");
    auto reason = revocation_reason(c.kwargs);
    if (auto* e = std::get_if<UriError>(&reason)) return *e;
    auto removed = c.realm.dealer_locked().revoke(*id, callee, std::get<std::string>(reason));
    if (auto* e = std::get_if<UriError>(&removed)) return *e;
    return Array{ids_value(std::get<0>(removed))};
}

Result remove(Call& c) { return revoke(c, false); }
Result remove_callee(Call& c) { return revoke(c, true); }

constexpr Procedure procedures[] = {
    {"wamp.registration.list", list},
    {"wamp.registration.lookup", lookup},
    {"wamp.registration.match", match},
    {"wamp.registration.get", get},
    {"wamp.registration.list_callees", list_callees},
    {"wamp.registration.count_callees", count_callees},
    {"wamp.registration.remove", remove},
    {"wamp.registration.remove_callee", remove_callee},
};

} // namespace

std::span<const Procedure> registration_procedures() { return procedures; }

} // namespace nexus::router::meta
