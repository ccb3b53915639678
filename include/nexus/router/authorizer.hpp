// Authorization: may this session call, register, publish or subscribe to
// this URI? (spec advanced/authorization.md, basic/security_model.md)
//
// A realm decides with its Authorizer when one is set, else with its
// role permissions (RealmConfig::roles: static rules, or a WAMP procedure of
// the realm for a role with an `authorizer`) when any are configured, else it
// allows everything. A denial answers the request with ERROR
// wamp.error.not_authorized and changes nothing. The router's own meta
// procedures and meta topics are authorized like any other URI.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nexus/wamp/id.hpp>
#include <nexus/wamp/uri.hpp>
#include <nexus/wamp/value.hpp>

namespace nexus::router {

enum class Action { call, register_, publish, subscribe };
std::string_view action_name(Action action) noexcept;

/// Who is asking.
struct SessionIdentity {
    wamp::Id session = 0;
    std::string realm;
    std::string authid;
    std::string authrole;
    std::string authmethod;
    std::string authprovider;
};

struct Authorization {
    bool allowed = false;
    /// Disclose the caller (for call) or publisher (for publish) to the
    /// receivers even when the request did not ask for it.
    bool disclose = false;
};

class Authorizer {
public:
    virtual ~Authorizer() = default;
    /// Called under the realm's lock for every CALL, REGISTER, PUBLISH and
    /// SUBSCRIBE: answer from memory, never block. `options` are the
    /// request's options (match policy of a SUBSCRIBE/REGISTER, ...).
    virtual Authorization authorize(const SessionIdentity& who, Action action, std::string_view uri,
                                    const wamp::Object& options) = 0;
};

/// One rule of a role: which actions are allowed on URIs matching (uri, match).
/// When several rules of a role match, the most specific wins: exact, then the
/// longest prefix, then the most specific wildcard.
struct Permission {
    std::string uri;
    wamp::MatchPolicy match = wamp::MatchPolicy::exact;
    bool call = false;
    bool register_ = false;
    bool publish = false;
    bool subscribe = false;
    bool disclose_caller = false;
    bool disclose_publisher = false;
};

struct RolePermissions {
    std::string role;
    std::vector<Permission> permissions;
    /// When set, `permissions` are ignored: each action of this role is decided
    /// by calling this WAMP procedure of the realm (registered by a trusted
    /// backend session whose own role is static) as
    ///   authorize(session_details, uri, action, options)
    /// which answers true, false, or {"allow": bool, "disclose": bool,
    /// "cache": bool}; "cache": true lets the realm reuse the answer for the
    /// same session, action, URI and match policy for
    /// RealmConfig::authorizer_cache_ttl. No answer within
    /// RealmConfig::authorizer_timeout, an ERROR or any other answer denies.
    /// The session's later messages wait (in order) while it is asked.
    std::string authorizer = {};
    /// Sessions of this role may ask for identities to be disclosed
    /// (disclose_me, disclose_caller) even where RealmConfig::allow_disclose
    /// is false.
    bool allow_disclose = false;
};

/// The static authorizer over a realm's roles; a role that is not listed
/// may do nothing.
Authorization authorize_by_roles(const std::vector<RolePermissions>& roles,
                                 const SessionIdentity& who, Action action, std::string_view uri);
/// The same, when only the authrole is at hand (the rules read nothing else).
Authorization authorize_by_role(const std::vector<RolePermissions>& roles,
                                std::string_view authrole, Action action, std::string_view uri);
/// One role's static rules (its `authorizer` is not consulted).
Authorization authorize_by_role(const RolePermissions& role, Action action, std::string_view uri);

} // namespace nexus::router
