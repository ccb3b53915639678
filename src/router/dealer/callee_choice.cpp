// Which callee a call goes to: the registration's invocation policy
// (rpc_shared_registration.md), partitioned calls of sharded registrations
// (rpc_sharded_registration.md, see router/sharding.hpp) and re-routing after
// wamp.error.unavailable (rpc_call_rerouting.md).
#include <algorithm>

#include <nexus/wamp/uris.hpp>

#include "router/dealer/dealer_impl.hpp"
#include "router/sharding.hpp"

namespace nexus::router {

OrUriError<std::optional<std::string>> DealerImpl::partition_of(const Registration& reg,
                                                                const wamp::Object& options) const {
    auto mode = options.find("runmode");
    if (mode == options.end() || mode->second.is_null()) return std::optional<std::string>();
    const std::string* name = mode->second.if_string();
    if (!name || (*name != "partition" && *name != "all"))
        return UriError{wamp::errors::invalid_argument, "runmode must be \"partition\""};
    if (*name == "all")
        return UriError{wamp::errors::invalid_argument,
                        "runmode \"all\" is not supported (the spec leaves it undefined); use "
                        "\"partition\" with an rkey"};
    auto rkey = options.find("rkey");
    const std::string* key = rkey == options.end() ? nullptr : rkey->second.if_string();
    if (!key || key->empty())
        return UriError{wamp::errors::invalid_argument,
                        "a partitioned call (runmode \"partition\") needs an rkey string"};
    const std::string* winner = nullptr;
    for (const Callee& c : reg.callees)
        if (!c.nkey.empty() && (!winner || shard_wins(*key, c.nkey, *winner))) winner = &c.nkey;
    if (!winner)
        return UriError{wamp::errors::no_available_callee,
                        "no callee of \"" + reg.uri + "\" serves a partition (REGISTER nkey)"};
    return std::optional<std::string>(*winner);
}

const DealerImpl::Callee* DealerImpl::choose(Registration& reg,
                                             const std::optional<std::string>& shard,
                                             const std::vector<const Session*>& tried) {
    auto& c = reg.callees;
    const auto candidate = [&](std::size_t i) {
        return (!shard || c[i].nkey == *shard) &&
               std::find(tried.begin(), tried.end(), c[i].session) == tried.end();
    };
    switch (reg.invoke) {
    case dealing::Invoke::single:
    case dealing::Invoke::first:
        for (std::size_t i = 0; i < c.size(); ++i)
            if (candidate(i)) return &c[i];
        return nullptr;
    case dealing::Invoke::last:
        for (std::size_t i = c.size(); i-- > 0;)
            if (candidate(i)) return &c[i];
        return nullptr;
    case dealing::Invoke::random: {
        std::vector<std::size_t> eligible;
        for (std::size_t i = 0; i < c.size(); ++i)
            if (candidate(i)) eligible.push_back(i);
        if (eligible.empty()) return nullptr;
        return &c[eligible[std::uniform_int_distribution<std::size_t>(0,
                                                                      eligible.size() - 1)(rng_)]];
    }
    case dealing::Invoke::roundrobin:
        for (std::size_t k = 0; k < c.size(); ++k) {
            const std::size_t i = (reg.next + k) % c.size();
            if (candidate(i)) {
                reg.next = i + 1;
                return &c[i];
            }
        }
        return nullptr;
    }
    return nullptr;
}

void DealerImpl::reroute(PendingCall& call) {
    dealing::RerouteState& r = *call.reroute;
    r.tried.push_back(call.callee);
    auto it = registrations_.find(call.registration);
    const Callee* next =
        it == registrations_.end() ? nullptr : choose(*it->second, r.shard, r.tried);
    if (!next) {
        send_error(*call.caller, wamp::MessageType::call, call.call_request,
                   wamp::errors::no_available_callee,
                   "every callee of the procedure answered wamp.error.unavailable");
        call.outcome = CallOutcome::error;
        finish(call);
        return;
    }
    // Detach from the unavailable callee, then invoke the next one.
    by_callee_request_.erase({call.callee, call.invocation_request});
    dealing::unlink_call(calls_of_callee_[call.callee], call, &PendingCall::as_callee);
    invoke(call, *it->second, *next, r.options, r.procedure, r.payload, r.disclose);
    // The timeout still runs from the CALL; one of the dealer's only when the
    // new callee does not time the call out itself.
    if (call.timeout.count() == 0)
        call.timer.reset();
    else if (!call.timer)
        arm_timer(call);
}

} // namespace nexus::router
