// The roles and features announced in HELLO: exactly what this library
// implements (and tests); the router relies on them to decide what it may send.
#include <nexus/wamp/features.hpp>

#include "client/session_impl.hpp"

namespace nexus::client::detail {

wamp::Object client_roles() {
    namespace f = wamp::features;
    wamp::RolesBuilder roles;
    roles.add(wamp::roles::caller, {f::progressive_call_results, f::progressive_call_invocations,
                                    f::call_canceling, f::call_timeout, f::caller_identification});
    roles.add(wamp::roles::callee,
              {f::progressive_call_results, f::progressive_call_invocations, f::call_canceling,
               f::caller_identification, f::pattern_based_registration, f::shared_registration,
               f::registration_revocation});
    roles.add(wamp::roles::publisher, {f::publisher_exclusion, f::publisher_identification,
                                       f::subscriber_blackwhite_listing});
    roles.add(wamp::roles::subscriber, {f::pattern_based_subscription, f::publisher_identification,
                                        f::subscription_revocation});
    return std::move(roles).object();
}

} // namespace nexus::client::detail
