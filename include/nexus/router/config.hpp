// Router and realm configuration (the in-memory form of nexusd's config file).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nexus/router/auth.hpp>
#include <nexus/router/authorizer.hpp>
#include <nexus/wamp/uri.hpp>

namespace nexus::router {

/// Keep the last `limit` events of the subscription (topic, match) for
/// `wamp.subscription.get_events`.
struct EventHistoryConfig {
    std::string topic;
    wamp::MatchPolicy match = wamp::MatchPolicy::exact;
    std::size_t limit = 100;
};

struct RealmConfig {
    std::string uri;
    /// Strict URIs (lower-case letters, digits, '_') instead of the loose rule.
    bool strict_uri = false;
    /// Sessions may join without authentication (authmethod "anonymous").
    bool anonymous_auth = true;
    /// The authrole of anonymous sessions.
    std::string anonymous_authrole = "anonymous";

    /// Principals for the built-in ticket, wampcra and cryptosign authenticators.
    std::vector<Principal> principals;
    /// Further authenticators (your own); one for a method the built-ins also
    /// have replaces the built-in.
    std::vector<std::shared_ptr<Authenticator>> authenticators;
    /// Methods decided by a WAMP procedure (see auth.hpp); an authenticator in
    /// `authenticators` for the same method takes precedence, built-ins do not.
    std::optional<DynamicAuthenticatorConfig> dynamic_authenticator;
    /// Authmethod "cookie": a WebSocket client that authenticated once (with
    /// any method but anonymous) and presents the same tracking cookie
    /// (nexus-wamp-cookie, websocket enable_tracking_cookie) is recognised as
    /// the same authid/authrole, for `cookie_max_age`.
    bool cookie_auth = false;
    std::chrono::seconds cookie_max_age{std::chrono::hours(24)};
    /// A client that does not finish authenticating in this time gets ABORT.
    std::chrono::milliseconds auth_timeout{std::chrono::seconds(20)};

    /// Limits (0 = none): joined sessions in this realm; per session, calls
    /// in flight, subscriptions and registrations. Hitting one answers with
    /// nexus.error.limit_exceeded (ABORT for a join, ERROR otherwise).
    std::size_t max_sessions = 0;
    std::size_t max_pending_calls_per_session = 10'000;
    std::size_t max_subscriptions_per_session = 10'000;
    std::size_t max_registrations_per_session = 10'000;

    /// Static permissions per authrole. Empty: every joined session may do
    /// everything (unless `authorizer` is set). Not empty: a session whose
    /// authrole is not listed cannot join (ABORT wamp.error.no_such_role).
    std::vector<RolePermissions> roles;
    /// Roles with an `authorizer` procedure: how long the realm waits for its
    /// answer (then denies), and how long an answer that allows caching is reused.
    std::chrono::milliseconds authorizer_timeout{std::chrono::seconds(5)};
    std::chrono::milliseconds authorizer_cache_ttl{std::chrono::minutes(5)};
    /// Decides instead of `roles` when set.
    std::shared_ptr<Authorizer> authorizer;
    /// Honour disclose_me from callers and publishers. When false such a
    /// request is refused with wamp.error.option_disallowed.disclose_me.
    bool allow_disclose = true;
    /// Enforce session-scope request-id sequencing (spec MUST; off by default
    /// because some clients do not number requests strictly, CHECKLIST ⚠A3).
    bool strict_request_ids = false;
    /// Meta API knobs (compatible with the Go nexus's keys of the same names).
    bool enable_meta_kill = false;
    bool enable_meta_modify = false;
    /// What wamp.session.get and wamp.session.on_join tell of a session.
    /// false: the standard details (session, authid, authrole, authmethod,
    /// authprovider, transport) plus every other HELLO detail and every
    /// detail set by wamp.session.modify_details. true: the standard details
    /// plus only those named in `meta_include_session_details`.
    bool meta_strict = false;
    std::vector<std::string> meta_include_session_details;
    std::vector<EventHistoryConfig> event_history;
};

/// What happens when a peer's outbound queue is full.
enum class OverflowPolicy {
    /// Drop EVENTs for that peer (counted); other messages still queue up to
    /// twice the limit, beyond which the peer is disconnected.
    drop_events,
    /// Disconnect the peer at once.
    disconnect,
};

enum class RouterLogLevel { debug, info, warning, error };
/// Receives the router's own log lines (authentication failures, sessions
/// killed, ...). Called from any thread, possibly under a realm lock: write
/// and return. Never given secrets.
using RouterLogger = std::function<void(RouterLogLevel, std::string_view)>;

struct RouterConfig {
    std::vector<RealmConfig> realms;
    /// When set, a HELLO for an unknown realm creates the realm from this
    /// template (its uri replaced); otherwise ABORT wamp.error.no_such_realm.
    std::optional<RealmConfig> realm_template;
    /// Joined sessions over all realms (0 = no limit); beyond it a HELLO gets
    /// ABORT nexus.error.limit_exceeded.
    std::size_t max_sessions = 100'000;
    /// A connection that has not sent HELLO this long after its transport
    /// opened (or after its last session said GOODBYE) gets ABORT
    /// nexus.error.hello_timeout and is closed, so an idle client cannot hold
    /// a slot forever. 0 = no deadline.
    std::chrono::milliseconds hello_timeout{std::chrono::seconds(10)};
    /// Messages a peer may have queued towards it before the overflow policy applies.
    std::size_t out_queue_size = 4096;
    OverflowPolicy overflow = OverflowPolicy::drop_events;
    /// WELCOME.Details.agent
    std::string agent = "nexus-cpp";
    /// Empty: the router logs nothing.
    RouterLogger logger;
};

} // namespace nexus::router
