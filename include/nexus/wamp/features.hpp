// Role and feature announcement (spec basic/sessions.md, advanced/features.md,
// CHECKLIST §7): HELLO.Details.roles and WELCOME.Details.roles are dicts of
// role -> {"features": {feature: true, ...}}.
#pragma once

#include <initializer_list>
#include <string_view>
#include <vector>

#include <nexus/wamp/value.hpp>

namespace nexus::wamp {

namespace roles {
inline constexpr std::string_view caller = "caller";
inline constexpr std::string_view callee = "callee";
inline constexpr std::string_view publisher = "publisher";
inline constexpr std::string_view subscriber = "subscriber";
inline constexpr std::string_view broker = "broker";
inline constexpr std::string_view dealer = "dealer";
} // namespace roles

namespace features {
inline constexpr std::string_view progressive_call_results = "progressive_call_results";
inline constexpr std::string_view progressive_call_invocations = "progressive_call_invocations";
inline constexpr std::string_view call_timeout = "call_timeout";
/// ⚠A8: announce this spelling; readers also accept "call_cancelling".
inline constexpr std::string_view call_canceling = "call_canceling";
inline constexpr std::string_view caller_identification = "caller_identification";
inline constexpr std::string_view call_trustlevels = "call_trustlevels";
inline constexpr std::string_view pattern_based_registration = "pattern_based_registration";
inline constexpr std::string_view shared_registration = "shared_registration";
inline constexpr std::string_view registration_revocation = "registration_revocation";
inline constexpr std::string_view call_reroute = "call_reroute";
inline constexpr std::string_view sharded_registration = "sharded_registration";
inline constexpr std::string_view registration_meta_api = "registration_meta_api";
inline constexpr std::string_view session_meta_api = "session_meta_api";
inline constexpr std::string_view testament_meta_api = "testament_meta_api";
inline constexpr std::string_view subscriber_blackwhite_listing = "subscriber_blackwhite_listing";
inline constexpr std::string_view publisher_exclusion = "publisher_exclusion";
inline constexpr std::string_view publisher_identification = "publisher_identification";
inline constexpr std::string_view publication_trustlevels = "publication_trustlevels";
inline constexpr std::string_view pattern_based_subscription = "pattern_based_subscription";
inline constexpr std::string_view event_history = "event_history";
inline constexpr std::string_view event_retention = "event_retention";
inline constexpr std::string_view subscription_revocation = "subscription_revocation";
/// The spec's text spells it "shareded_subscriptions"; we announce this one.
inline constexpr std::string_view sharded_subscription = "sharded_subscription";
inline constexpr std::string_view subscription_meta_api = "subscription_meta_api";
inline constexpr std::string_view payload_passthru_mode = "payload_passthru_mode";
} // namespace features

/// Builds a `roles` dict: add(role, {features...}) per role, then object().
class RolesBuilder {
public:
    RolesBuilder& add(std::string_view role, std::initializer_list<std::string_view> features = {});
    const Object& object() const& { return roles_; }
    Object object() && { return std::move(roles_); }

private:
    Object roles_;
};

/// Reads the `roles` of HELLO/WELCOME details.
class AnnouncedRoles {
public:
    explicit AnnouncedRoles(const Object& details);

    bool has_role(std::string_view role) const noexcept;
    /// True if `role` announces `feature` as true ("call_canceling" also
    /// matches the "call_cancelling" spelling).
    bool has_feature(std::string_view role, std::string_view feature) const noexcept;
    std::vector<std::string_view> role_names() const;

private:
    const Object* roles_ = nullptr;
};

} // namespace nexus::wamp
