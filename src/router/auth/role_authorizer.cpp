#include <nexus/router/authorizer.hpp>

namespace nexus::router {

std::string_view action_name(Action action) noexcept {
    switch (action) {
    case Action::call: return "call";
    case Action::register_: return "register";
    case Action::publish: return "publish";
    case Action::subscribe: return "subscribe";
    }
    return "call";
}

namespace {

// True when rule `a` is more specific than rule `b` (both match the URI):
// exact beats prefix beats wildcard; a longer prefix beats a shorter one.
bool more_specific(const Permission& a, const Permission& b) {
    if (a.match != b.match) return static_cast<int>(a.match) < static_cast<int>(b.match);
    switch (a.match) {
    case wamp::MatchPolicy::exact: return false;
    case wamp::MatchPolicy::prefix: return a.uri.size() > b.uri.size();
    case wamp::MatchPolicy::wildcard: return wamp::wildcard_more_specific(a.uri, b.uri);
    }
    return false;
}

bool allows(const Permission& p, Action action) {
    switch (action) {
    case Action::call: return p.call;
    case Action::register_: return p.register_;
    case Action::publish: return p.publish;
    case Action::subscribe: return p.subscribe;
    }
    return false;
}

} // namespace

Authorization authorize_by_roles(const std::vector<RolePermissions>& roles,
                                 const SessionIdentity& who, Action action, std::string_view uri) {
    return authorize_by_role(roles, who.authrole, action, uri);
}

Authorization authorize_by_role(const std::vector<RolePermissions>& roles,
                                std::string_view authrole, Action action, std::string_view uri) {
    for (const RolePermissions& role : roles)
        if (role.role == authrole) return authorize_by_role(role, action, uri);
    return {};
}

Authorization authorize_by_role(const RolePermissions& role, Action action, std::string_view uri) {
    const Permission* best = nullptr;
    for (const Permission& p : role.permissions)
        if (wamp::uri_matches(p.uri, p.match, uri) && (!best || more_specific(p, *best))) best = &p;
    if (!best || !allows(*best, action)) return {};
    Authorization result{true, false};
    if (action == Action::call) result.disclose = best->disclose_caller;
    if (action == Action::publish) result.disclose = best->disclose_publisher;
    return result;
}

} // namespace nexus::router
