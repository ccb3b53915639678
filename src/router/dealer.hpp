// Dealer: the realm's remote procedure calls (spec basic/remote_procedure_call.md
// and the advanced RPC features listed in spec/CHECKLIST.md §8).
//
// Driven under the realm lock (see realm_context.hpp). Sends INVOCATIONs,
// RESULTs, ERRORs and INTERRUPTs through Session::send; never blocks. The
// message handlers answer application errors with ERROR messages themselves and
// return a Failure only for protocol violations, which make the realm abort the
// session.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nexus/wamp/expected.hpp>
#include <nexus/wamp/message.hpp>
#include <nexus/wamp/uri.hpp>

#include "router/realm_context.hpp"
#include "router/session.hpp"
#include "router/uri_error.hpp"

namespace nexus::router {

class DealerImpl;

class Dealer {
public:
    explicit Dealer(RealmContext& realm);
    ~Dealer();

    wamp::Status register_(Session& callee, wamp::Register&& message);
    wamp::Status unregister(Session& callee, const wamp::Unregister& message);
    /// `force_disclose`: an authorization rule discloses the caller to the callee.
    wamp::Status call(Session& caller, wamp::Call&& message, bool force_disclose = false);
    wamp::Status cancel(Session& caller, const wamp::Cancel& message);
    /// A YIELD from a callee.
    wamp::Status yield(Session& callee, wamp::Yield&& message);
    /// An ERROR from a callee, answering an INVOCATION.
    wamp::Status invocation_error(Session& callee, wamp::Error&& message);

    /// The caller's transport could not send it the answer to `request`
    /// (a RESULT or ERROR too large or unencodable): it gets ERROR
    /// wamp.error.payload_size_exceeded (or invalid_argument) instead, and a
    /// call still in flight (progressive results) is cancelled.
    void answer_undeliverable(Session& caller, wamp::Id request, Undeliverable why);
    /// The callee's transport could not send it INVOCATION `request`: the
    /// call fails for its caller the same way.
    void invocation_undeliverable(Session& callee, wamp::Id request, Undeliverable why);

    /// The session left: its registrations go away (their pending calls fail
    /// with wamp.error.canceled), its own pending calls are interrupted
    /// (killnowait, if the callee supports canceling) and late answers dropped.
    void remove_session(Session& session);

    /// Revokes a registration from `callee`, or from all of its callees
    /// (advanced/rpc_registration_revocation.md): those that announced
    /// registration_revocation get UNREGISTERED [67, 0, {registration,
    /// reason}]; calls in flight to them still complete. The ids of the
    /// callees removed.
    OrUriError<std::vector<wamp::Id>> revoke(wamp::Id registration, std::optional<wamp::Id> callee,
                                             const std::string& reason);

    // The cluster (docs/CLUSTER.md): callees on other nodes are their proxies
    // (Session::node) in the same registrations; the caller's node owns a
    // call, the callee's node relays between it and the callee.

    /// The shared store's answer to RealmContext::claim(key): refused with why, or held.
    void claim_result(const std::string& key, const std::optional<UriError>& refusal);
    /// A callee of another node registered (match, uri) with `invoke`.
    struct RemoteCallee {
        std::string invoke;
        bool disclose_caller = false;
        bool forward_timeout = false;
        std::string nkey;
        std::string order;
    };
    void add_remote(Session& proxy, wamp::MatchPolicy match, std::string uri,
                    const RemoteCallee& callee);
    void remove_remote(Session& proxy, wamp::MatchPolicy match, std::string_view uri);
    /// An INVOCATION (or INTERRUPT) node `origin` sends a callee of this node.
    void relay_invocation(std::uint32_t origin, Session& callee, wamp::Invocation&& m);
    void relay_interrupt(std::uint32_t origin, Session& callee, wamp::Interrupt&& m);
    /// Node `origin` is gone: its relayed invocations are forgotten.
    void forget_origin(std::uint32_t origin);
    /// The invocations this node sent callees of other nodes before
    /// `sent_before` and still waits on, as [callee, request] pairs by node.
    std::map<std::uint32_t, wamp::Array>
    remote_invocations(std::chrono::steady_clock::time_point sent_before) const;
    /// Whether node `origin`'s invocation `request` for `callee` is held here.
    bool relaying(std::uint32_t origin, const Session& callee, wamp::Id request) const;
    /// The callee's node does not hold invocation `request` of proxy `proxy`
    /// (the bus lost it or its final answer): the caller gets an error.
    /// `nodes` names the two ends for the error message.
    void invocation_lost(Session& proxy, wamp::Id request, const std::string& nodes);
    /// This node's callees, as directory changes; the keys it claimed (with
    /// their invoke policy) for re-asserting them.
    void snapshot(wamp::Array& out) const;
    std::vector<std::pair<std::string, std::string>> claims() const;

    /// Router shutdown: fail every pending call with wamp.error.canceled
    /// and interrupt the callees that support it.
    void cancel_all();

    // Queries for the registration meta API (spec advanced/meta_api_registrations.md).

    struct RegistrationInfo {
        wamp::Id id = 0;
        std::string created; // ISO 8601, UTC
        std::string uri;
        wamp::MatchPolicy match = wamp::MatchPolicy::exact;
        std::string invoke; // "single", "roundrobin", ...
    };
    std::size_t count() const;
    std::vector<wamp::Id> list(wamp::MatchPolicy match) const;
    std::optional<wamp::Id> lookup(std::string_view uri, wamp::MatchPolicy match) const;
    /// The registration a call to `uri` would go to (the best match).
    std::optional<wamp::Id> match(std::string_view uri) const;
    std::optional<RegistrationInfo> get(wamp::Id registration) const;
    std::optional<std::vector<wamp::Id>> callees(wamp::Id registration) const;

private:
    std::unique_ptr<DealerImpl> impl_;
};

} // namespace nexus::router
