// DealerImpl: what router/dealer.hpp promises, split by job over
// registrations.cpp (REGISTER, UNREGISTER, revocation, meta queries),
// callee_choice.cpp (invocation policies, sharding, re-routing), calls.cpp
// (CALL to RESULT) and call_endings.cpp (cancel, timeout, undeliverable
// answers, sessions leaving). Runs under the realm lock.
#pragma once

#include <map>
#include <random>
#include <set>
#include <tuple>
#include <unordered_map>

#include "router/dealer.hpp"
#include "router/dealer/dealer_state.hpp"
#include "router/error_reply.hpp"
#include "router/uri_index.hpp"

namespace nexus::router {

class DealerImpl {
public:
    explicit DealerImpl(RealmContext& realm) : realm_(realm), rng_(realm.new_id()) {}

    // registrations.cpp
    wamp::Status register_(Session& callee, wamp::Register&& m);
    wamp::Status unregister(Session& callee, const wamp::Unregister& m);
    OrUriError<std::vector<wamp::Id>> revoke(wamp::Id id, std::optional<wamp::Id> only,
                                             const std::string& reason);
    std::size_t count() const { return registrations_.size(); }
    std::vector<wamp::Id> list(wamp::MatchPolicy match) const;
    std::optional<wamp::Id> lookup(std::string_view uri, wamp::MatchPolicy match) const;
    std::optional<wamp::Id> match(std::string_view uri) const;
    std::optional<Dealer::RegistrationInfo> get(wamp::Id id) const;
    std::optional<std::vector<wamp::Id>> callees(wamp::Id id) const;

    // calls.cpp
    wamp::Status call(Session& caller, wamp::Call&& m, bool force_disclose);
    wamp::Status yield(Session& callee, wamp::Yield&& m);
    wamp::Status invocation_error(Session& callee, wamp::Error&& m);

    // cluster_callees.cpp (docs/CLUSTER.md)
    void claim_result(const std::string& key, const std::optional<UriError>& refusal);
    void add_remote(Session& proxy, wamp::MatchPolicy match, std::string uri,
                    dealing::Invoke invoke, dealing::Callee callee);
    void remove_remote(Session& proxy, wamp::MatchPolicy match, std::string_view uri);
    void relay_invocation(std::uint32_t origin, Session& callee, wamp::Invocation&& m);
    void relay_interrupt(std::uint32_t origin, Session& callee, wamp::Interrupt&& m);
    void forget_origin(std::uint32_t origin);
    std::map<std::uint32_t, wamp::Array>
    remote_invocations(std::chrono::steady_clock::time_point sent_before) const;
    bool relaying(std::uint32_t origin, const Session& callee, wamp::Id request) const;
    void invocation_lost(Session& proxy, wamp::Id request, const std::string& nodes);
    void snapshot(wamp::Array& out) const;
    std::vector<std::pair<std::string, std::string>> claims() const; // key, invoke

    // call_endings.cpp
    wamp::Status cancel(Session& caller, const wamp::Cancel& m);
    void answer_undeliverable(Session& caller, wamp::Id request, Undeliverable why);
    void invocation_undeliverable(Session& callee, wamp::Id request, Undeliverable why);
    void remove_session(Session& session);
    void cancel_all();

private:
    using Callee = dealing::Callee;
    using Registration = dealing::Registration;
    using PendingCall = dealing::PendingCall;
    using SessionRequest = dealing::SessionRequest;

    wamp::UriRule rule() const {
        return realm_.config().strict_uri ? wamp::UriRule::strict : wamp::UriRule::loose;
    }

    // registrations.cpp
    bool valid_pattern(std::string_view uri, wamp::MatchPolicy match) const;
    Registration* create(std::string uri, wamp::MatchPolicy match, dealing::Invoke invoke);
    void destroy(Registration* r);
    static bool remove_callee(Registration& reg, Session& session);
    void forget_registration_of(Session& callee, wamp::Id registration);
    void meta_membership(std::string_view topic, wamp::Id session, wamp::Id registration);
    /// wamp.registration.on_create (when `created`), then on_register.
    void meta_registered(wamp::Id callee, wamp::Id registration, bool created);
    /// A callee was removed from `reg` (which may be gone now: `deleted`):
    /// the other nodes hear of a local one, and the shared store when it was
    /// this node's last callee there.
    void callee_removed(const Session& callee, wamp::MatchPolicy match, const std::string& uri,
                        bool deleted, bool announce = true);
    void insert_callee(Registration& reg, Callee callee);
    std::string next_order(); // for a local callee
    static std::string claim_key(wamp::MatchPolicy match, std::string_view uri);
    /// Answers a YIELD or ERROR of a callee for an invocation another node
    /// sent it; false if `request` is not one.
    bool relayed_answer(Session& callee, wamp::Id request, wamp::Message answer);

    // callee_choice.cpp
    /// The node key a partitioned call's rkey belongs to (CALL.Options
    /// runmode "partition"), or an error to answer.
    OrUriError<std::optional<std::string>> partition_of(const Registration& reg,
                                                        const wamp::Object& options) const;
    /// The callee a call goes to: by the registration's invocation policy,
    /// among the callees of `shard` when set, skipping those in `tried`.
    const Callee* choose(Registration& reg, const std::optional<std::string>& shard,
                         const std::vector<const Session*>& tried);
    /// Sends the call to another callee after one answered wamp.error.unavailable.
    void reroute(PendingCall& call);

    // calls.cpp
    wamp::Status continue_call(PendingCall& call, wamp::Call&& m, bool progress);
    /// Sends `call` to `target` as an INVOCATION; `call`'s caller fields are set.
    void invoke(PendingCall& call, const Registration& reg, const Callee& target,
                const wamp::Object& options, const std::string& procedure, wamp::Payload payload,
                bool disclose);
    wamp::Expected<PendingCall*> answered(Session& callee, wamp::Id request, const char* what);

    // call_endings.cpp
    void on_timeout(PendingCall& call);
    void interrupt(PendingCall& call, std::string_view mode);
    void arm_timer(PendingCall& call);
    /// Forgets a call; later answers for it are dropped quietly.
    void finish(PendingCall& call);
    void remember_completed_progressive(const Session& caller, wamp::Id request);
    bool completed_progressive(const Session& caller, wamp::Id request) const;
    static void send_undeliverable_error(Session& caller, wamp::Id request, Undeliverable why,
                                         std::string_view what);

    RealmContext& realm_;
    std::mt19937_64 rng_;
    wamp::RouterIdGenerator ids_;
    std::unordered_map<wamp::Id, std::unique_ptr<Registration>> registrations_;
    UriIndex<Registration> index_;
    std::unordered_map<const Session*, std::vector<wamp::Id>> by_callee_;

    // The calls in flight, by their caller's request (node-based: a call
    // stays put while the map changes, so the indexes below point into it).
    std::unordered_map<SessionRequest, PendingCall, dealing::SessionRequestHash> by_caller_;
    std::unordered_map<SessionRequest, PendingCall*, dealing::SessionRequestHash>
        by_callee_request_;
    // Heads of each session's calls (CallLinks); an entry lives until its session leaves.
    std::unordered_map<const Session*, PendingCall*> calls_of_caller_;
    std::unordered_map<const Session*, PendingCall*> calls_of_callee_;
    std::unordered_map<const Session*, std::vector<wamp::Id>> completed_;

    // Cluster: keys this node holds in the shared store, and refusals waiting
    // for the REGISTER that asked.
    std::set<std::string> claimed_;
    std::map<std::string, UriError> refused_;
    std::uint64_t order_sequence_ = 0;
    // Invocations other nodes sent to callees here: (callee, request here)
    // -> (origin node, request there), and the reverse.
    struct Relay {
        std::uint32_t origin = 0;
        wamp::Id origin_request = 0;
    };
    std::unordered_map<SessionRequest, Relay, dealing::SessionRequestHash> relays_;
    std::map<std::tuple<std::uint32_t, const Session*, wamp::Id>, wamp::Id> relayed_;
};

} // namespace nexus::router
