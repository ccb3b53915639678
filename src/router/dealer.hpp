// Dealer: the realm's remote procedure calls (spec basic/remote_procedure_call.md
// and the advanced RPC features listed in spec/CHECKLIST.md §8).
//
// Driven under the realm lock (see realm_context.hpp). Sends INVOCATIONs,
// RESULTs, ERRORs and INTERRUPTs through Session::send; never blocks. The
// message handlers answer application errors with ERROR messages themselves and
// return a Failure only for protocol violations, which make the realm abort the
// session.
#pragma once

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

    /// The session left: its registrations go away (their pending calls fail
    /// with wamp.error.canceled), its own pending calls are interrupted
    /// (killnowait, if the callee supports canceling) and late answers dropped.
    void remove_session(Session& session);

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
