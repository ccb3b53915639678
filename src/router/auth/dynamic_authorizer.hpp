// Dynamic authorization: a role whose permissions are decided by a WAMP
// procedure that a trusted backend session registered (RolePermissions::
// authorizer). The router calls it as
//   authorize(session_details, uri, action, options)
// (the shape Crossbar.io's dynamic authorizers have), and reads the answer:
//   true | false
//   {"allow": bool, "disclose": bool, "cache": bool}
// An answer with "cache": true is reused for the same session, action, URI and
// match policy for RealmConfig::authorizer_cache_ttl; any other answer is asked
// again next time. No answer in RealmConfig::authorizer_timeout, an ERROR, or
// an answer of another shape denies.
//
// While an answer is awaited, the session's later messages wait behind the
// one being decided (its YIELDs and invocation ERRORs excepted: they answer
// the router, and holding them could starve the authorizer itself), so the
// realm still routes each session's messages in the order they came.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nexus/router/authorizer.hpp>
#include <nexus/wamp/message.hpp>

namespace nexus::router {

/// One decision a message needs before it may be routed.
struct AuthorizationNeed {
    Action action = Action::call;
    std::string uri;
    wamp::MatchPolicy match = wamp::MatchPolicy::exact;
    wamp::Object options; // what the authorizer is shown
};

/// What `message` needs decided: nothing for messages that are not
/// authorized; two decisions for wamp.session.add_testament (the CALL, and
/// publishing to the testament's topic).
std::vector<AuthorizationNeed> authorization_needs(const wamp::Message& message);

/// The match policy a SUBSCRIBE or REGISTER asks for in its options.
wamp::MatchPolicy requested_match(const wamp::Object& options);

/// True for the messages that never wait behind a pending authorization.
bool bypasses_authorization_wait(const wamp::Message& message);

/// The arguments of the call to the authorizer procedure.
wamp::Array authorizer_arguments(const SessionIdentity& who, const AuthorizationNeed& need);

struct AuthorizerAnswer {
    Authorization authorization; // denied unless the answer allowed
    bool cache = false;
    std::string problem; // why the answer was no answer (for the log), else empty
};
/// Reads the RESULT or ERROR the authorizer procedure sent back.
AuthorizerAnswer read_authorizer_answer(const wamp::Message& reply);

/// Per-session state of dynamic authorization (guarded by the realm lock).
class DynamicAuthorizationState {
public:
    using Clock = std::chrono::steady_clock;

    /// A decision for `need`: one made for the message being routed, or a
    /// cached one that has not expired.
    std::optional<Authorization> find(const AuthorizationNeed& need, Clock::time_point now) const;
    /// Records the decision for the message being routed; caches it when `ttl`
    /// is positive.
    void decide(const AuthorizationNeed& need, Authorization decision, Clock::duration ttl,
                Clock::time_point now);
    /// Forgets the decisions made for the message just routed (the cache stays).
    void routed() { current_.clear(); }
    /// Forgets every cached decision (the session's authrole changed).
    void forget_cached() { cache_.clear(); }

    /// Most cached decisions per session; beyond it the cache starts over.
    static constexpr std::size_t max_cached = 4096;

private:
    static std::string key(const AuthorizationNeed& need);
    struct Cached {
        Authorization decision;
        Clock::time_point expires;
    };
    std::unordered_map<std::string, Cached> cache_;
    std::vector<std::pair<std::string, Authorization>> current_;
};

} // namespace nexus::router
