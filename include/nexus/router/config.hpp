// Router and realm configuration (the in-memory form of nexusd's config file).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nexus/router/auth.hpp>
#include <nexus/router/authorizer.hpp>
#include <nexus/wamp/id.hpp>
#include <nexus/wamp/uri.hpp>

namespace nexus::cluster {
class Bus;
}

namespace nexus::router {

/// Keep the last `limit` events of the subscription (topic, match) for
/// `wamp.subscription.get_events`.
struct EventHistoryConfig {
    std::string topic;
    wamp::MatchPolicy match = wamp::MatchPolicy::exact;
    std::size_t limit = 100;
};

/// Trust levels (spec advanced/rpc_call_trustlevels.md,
/// pubsub_publication_trustlevels.md): what the router puts in
/// INVOCATION.Details.trustlevel and EVENT.Details.trustlevel for calls and
/// publications of a session: by its authrole, else by its authmethod, else
/// `default_level`; none of them set: no trustlevel detail.
struct TrustLevels {
    std::map<std::string, std::int64_t, std::less<>> by_authrole;
    std::map<std::string, std::int64_t, std::less<>> by_authmethod;
    std::optional<std::int64_t> default_level;
};

struct RealmConfig {
    std::string uri;
    /// Strict URIs (lower-case letters, digits, '_') instead of the loose rule.
    bool strict_uri = false;
    /// Sessions may join without authentication (authmethod "anonymous").
    bool anonymous_auth = true;
    /// The authrole of anonymous sessions.
    std::string anonymous_authrole = "anonymous";

    /// Principals for the built-in ticket, wampcra, cryptosign, WAMP-SCRAM
    /// and tls authenticators.
    std::vector<Principal> principals;
    /// Authmethod "tls" by common name (see make_tls_authenticator): when no
    /// principal has tls_certificates, a client certificate verified by the
    /// listener makes its CN the authid, with this authrole. Empty: off
    /// (unless principals have tls_certificates).
    std::string tls_authrole;
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
    /// Honour progressive results (YIELD progress=true) from callees that
    /// announce progressive_call_results but not call_canceling, as
    /// autobahn-js and wampy do. The spec tells the dealer to disregard them
    /// (rpc_progressive_call_results.md), which is the default: without
    /// cancellation the router cannot stop such a callee's stream when its
    /// caller leaves or times out, so the rest of the stream is dropped.
    bool progressive_results_without_canceling = false;
    /// Enforce session-scope request-id sequencing (spec MUST; off by default
    /// because some clients do not number requests strictly, CHECKLIST ⚠A3).
    bool strict_request_ids = false;
    /// Meta API knobs (compatible with the Go nexus's keys of the same names):
    /// the wamp.session.kill* procedures, and wamp.session.modify_details,
    /// which may also change another session's authid and authrole (never the
    /// caller's own; an authrole must be one the realm defines).
    bool enable_meta_kill = false;
    bool enable_meta_modify = false;
    /// wamp.registration.remove / remove_callee and wamp.subscription.remove /
    /// remove_subscriber: revoke registrations and subscriptions (peers that
    /// announce registration_revocation / subscription_revocation are told
    /// with UNREGISTERED / UNSUBSCRIBED).
    bool enable_meta_revoke = false;
    /// What wamp.session.get and wamp.session.on_join tell of a session.
    /// false: the standard details (session, authid, authrole, authmethod,
    /// authprovider, transport) plus every other HELLO detail and every
    /// detail set by wamp.session.modify_details. true: the standard details
    /// plus only those named in `meta_include_session_details`.
    bool meta_strict = false;
    std::vector<std::string> meta_include_session_details;
    std::vector<EventHistoryConfig> event_history;
    TrustLevels trustlevels;
};

/// What happens when a peer's outbound queue is full.
enum class OverflowPolicy {
    /// Drop EVENTs for that peer (counted); other messages still queue up to
    /// twice the limit, beyond which the peer is disconnected.
    drop_events,
    /// Disconnect the peer at once.
    disconnect,
};

/// Failed-authentication throttling (docs/CONFIGURATION.md, "Authentication"):
/// an address with repeated failures is locked out for a while, an authid
/// with repeated failures (from anywhere) gets its answers late; neither locks
/// a legitimate user out from another address.
struct AuthThrottleConfig {
    bool enabled = true;
    /// Failures from one address before it is locked out: for base_delay,
    /// doubling with each further failure up to address_lockout_max.
    std::uint32_t free_failures_per_address = 5;
    /// Failures for one authid before its answers are held back: base_delay,
    /// doubling with each further failure up to authid_delay_max.
    std::uint32_t free_failures_per_authid = 10;
    std::chrono::milliseconds base_delay{std::chrono::seconds(1)};
    std::chrono::milliseconds address_lockout_max{std::chrono::minutes(5)};
    std::chrono::milliseconds authid_delay_max{std::chrono::seconds(10)};
    /// Failures are forgotten this long after the last one.
    std::chrono::milliseconds forget_after{std::chrono::minutes(15)};
};

enum class RouterLogLevel { debug, info, warning, error };
/// Receives the router's own log lines (authentication failures, sessions
/// killed, ...). Called from any thread, possibly under a realm lock: write
/// and return. Never given secrets.
using RouterLogger = std::function<void(RouterLogLevel, std::string_view)>;

/// Joining a cluster of routers (docs/CLUSTER.md): several routers serve the
/// same realms as one over a shared bus (NATS; nexus/cluster/nats.hpp).
struct ClusterConfig {
    std::shared_ptr<nexus::cluster::Bus> bus;
    /// This router's name in the cluster, unique among its members.
    std::string node_name;
    /// Prefix of every subject and key-value bucket, so that several
    /// clusters can share one NATS: letters, digits, '_' and '-'.
    std::string prefix = "nexus";
    /// How often this node says it is alive, and how long another waits
    /// without hearing it before it counts it as gone.
    std::chrono::milliseconds heartbeat{std::chrono::seconds(1)};
    std::chrono::milliseconds node_timeout{std::chrono::seconds(5)};
};

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
    AuthThrottleConfig auth_throttle;
    /// Keys what the router derives to hide which authids exist (the salt
    /// parameters of WAMP-CRA challenges for unknown authids). Empty: random
    /// per process; set it (any long random string) so that answers stay the
    /// same across restarts and cluster nodes.
    std::string auth_secret;
    /// Set: this router is a node of a cluster.
    std::optional<ClusterConfig> cluster;
    /// Empty: the router logs nothing.
    RouterLogger logger;
    /// Where the router's ids come from (sessions, publications, the seed of
    /// its random callee choice); called from any thread. Empty: uniform in
    /// [1, 2^53] from the kernel's CSPRNG, as the spec asks. Only tests and
    /// fuzzing should set it: ids that can be guessed let peers name other
    /// sessions and publications.
    std::function<wamp::Id()> id_generator;
};

} // namespace nexus::router
