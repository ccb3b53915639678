// What the broker and dealer may ask of the realm they belong to.
//
// Both are driven under the realm's lock: every call into them, and every
// callback they schedule through run_locked_after(), runs with the lock held,
// so they keep plain (unsynchronised) state.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/any_io_executor.hpp>

#include <nexus/router/config.hpp>
#include <nexus/wamp/id.hpp>
#include <nexus/wamp/value.hpp>

namespace nexus::router {

class RouterMetrics;
namespace cluster {
class Port;
}
class Session;

/// A scheduled callback; destroying or cancelling it guarantees the callback
/// will not run afterwards.
class Timer {
public:
    virtual ~Timer() = default;
    virtual void cancel() = 0;
};

class RealmContext {
public:
    virtual ~RealmContext() = default;

    virtual const RealmConfig& config() const = 0;
    /// A fresh id (RouterConfig::id_generator, or random).
    virtual wamp::Id new_id() = 0;
    /// A joined session of this realm, or nullptr.
    virtual Session* find_session(wamp::Id id) = 0;
    /// Runs `callback` after `delay` with the realm lock held, unless the
    /// returned timer was cancelled/destroyed or the realm is gone by then.
    virtual std::unique_ptr<Timer> run_locked_after(std::chrono::milliseconds delay,
                                                    std::function<void()> callback) = 0;
    /// Publishes a meta event (wamp.session.on_join, wamp.subscription.on_create,
    /// ...) from the router itself; `args` is only called when someone is
    /// subscribed to `topic`. The session `cause` (0: none), whose action made
    /// the event, does not receive it (as the Go nexus does: a session
    /// watching wamp.subscription.on_create does not hear of its own watch).
    virtual void publish_meta(std::string_view topic, const std::function<wamp::Array()>& args,
                              wamp::Id cause = 0) = 0;
    /// Whether `session` may ask for identities to be disclosed (disclose_me
    /// on CALL/PUBLISH, disclose_caller on REGISTER, disclose_publisher on
    /// SUBSCRIBE): RealmConfig::allow_disclose, or its role's allow_disclose,
    /// or the authrole "trusted" (the Go nexus's convention).
    virtual bool may_request_disclosure(const Session& session) const = 0;
    /// The trust level of what `session` calls or publishes (RealmConfig::
    /// trustlevels; call_trustlevels, publication_trustlevels), if configured.
    virtual std::optional<std::int64_t> trustlevel(const Session& session) const = 0;
    /// The router's counters (metrics.hpp).
    virtual RouterMetrics& metrics() = 0;
    /// The cluster this realm is served by (docs/CLUSTER.md), or nullptr.
    virtual cluster::Port* cluster() = 0;
    /// Cluster-wide registrations: claims `key` (match:uri) for this node in
    /// the shared store, where exactly one registration per key may exist
    /// (shared registrations list every node that has callees). The answer
    /// comes later through Dealer::claim_result. The message being routed
    /// waits (with the session's later ones) until then: defer() parks it.
    virtual void claim(const std::string& key, std::string_view invoke) = 0;
    /// This node no longer has callees for `key`.
    virtual void release(const std::string& key) = 0;
    /// The message being routed waits for the answer to the claim of `key`.
    virtual void defer(const std::string& key) = 0;
};

} // namespace nexus::router
