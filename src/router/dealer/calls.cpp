// A call from CALL to its final RESULT or ERROR: the INVOCATION (caller
// disclosure, progress, timeouts, trust levels, payload passthru), progressive
// call invocations, and the callee's YIELDs and ERRORs.
#include <algorithm>

#include <nexus/wamp/uris.hpp>

#include "router/dealer/dealer_impl.hpp"
#include "router/payload_passthru.hpp"

namespace nexus::router {

using dealing::flag;
using wamp::MatchPolicy;

wamp::Status DealerImpl::call(Session& caller, wamp::Call&& m, bool force_disclose) {
    const bool progress = flag(m.options, "progress");
    if (progress && !caller.features.caller_progressive_call_invocations)
        return wamp::Failure{"CALL with progress=true from a caller that did not announce "
                             "progressive_call_invocations"};
    if (has_ppt(m.options) && !caller.features.caller_payload_passthru)
        return wamp::Failure{"CALL with ppt_* options from a caller that did not announce "
                             "payload_passthru_mode"};

    // A continuation of a progressive call in flight?
    if (auto it = by_caller_.find({&caller, m.request}); it != by_caller_.end())
        return continue_call(it->second, std::move(m), progress);
    if (completed_progressive(caller, m.request)) return {}; // late chunk: drop

    const auto refuse = [&](std::string_view uri, std::string message) {
        realm_.metrics().call_refused();
        send_error(caller, wamp::MessageType::call, m.request, uri, std::move(message));
        return wamp::Status{};
    };
    if (!wamp::is_valid_uri(m.procedure, rule()))
        return refuse(wamp::errors::invalid_uri, "invalid procedure \"" + m.procedure + "\"");
    // An authorization rule may disclose the caller whatever it asked.
    const bool disclose_me = flag(m.options, "disclose_me");
    if (disclose_me && !force_disclose && !realm_.may_request_disclosure(caller))
        return refuse(wamp::errors::option_disallowed_disclose_me,
                      "this realm does not allow caller disclosure (allow_disclose)");
    std::chrono::milliseconds timeout{0};
    if (auto it = m.options.find("timeout"); it != m.options.end()) {
        auto ms = it->second.to_uint();
        if (!ms)
            return refuse(wamp::errors::invalid_argument,
                          "timeout must be a non-negative integer (milliseconds)");
        timeout = std::chrono::milliseconds(std::min<std::uint64_t>(*ms, 30ull * 24 * 3600 * 1000));
    }

    if (const std::size_t max = realm_.config().max_pending_calls_per_session;
        max != 0 && caller.pending_calls >= max)
        return refuse(wamp::errors::limit_exceeded,
                      "this session already has " + std::to_string(max) +
                          " calls in flight (max_pending_calls_per_session)");
    Registration* reg = index_.best_match(m.procedure);
    if (!reg)
        return refuse(wamp::errors::no_such_procedure, "no procedure \"" + m.procedure + "\"");
    auto shard = partition_of(*reg, m.options);
    if (auto* e = std::get_if<UriError>(&shard)) return refuse(e->uri, std::move(e->message));
    const auto& partition = std::get<std::optional<std::string>>(shard);
    const Callee* target = choose(*reg, partition, {});
    if (!target)
        return refuse(wamp::errors::no_available_callee,
                      "no callee of \"" + reg->uri + "\" serves partition \"" + *partition + "\"");
    Session& callee = *target->session;
    if (progress && !callee.features.callee_progressive_call_invocations)
        return refuse(wamp::errors::feature_not_supported,
                      "the callee does not support progressive call invocations");
    if (has_ppt(m.options) && !callee.features.callee_payload_passthru)
        return refuse(wamp::errors::feature_not_supported,
                      "the callee does not support payload passthru mode");

    // The call lives in its by_caller_ entry: one allocation per call.
    PendingCall& call = by_caller_[SessionRequest{&caller, m.request}];
    call.caller = &caller;
    call.call_request = m.request;
    call.caller_streaming = progress;
    call.requested_timeout = timeout;
    const bool disclose = disclose_me || force_disclose;
    // Re-routing needs what the CALL said; kept only when a callee could say
    // unavailable and another one is there to try.
    if (callee.features.callee_call_reroute && !progress &&
        std::count_if(reg->callees.begin(), reg->callees.end(),
                      [&](const Callee& c) { return !partition || c.nkey == *partition; }) > 1)
        call.reroute = std::make_unique<dealing::RerouteState>(
            dealing::RerouteState{m.options, m.procedure, m.payload, disclose, {}, partition});
    invoke(call, *reg, *target, m.options, m.procedure, std::move(m.payload), disclose);
    dealing::link_call(calls_of_caller_[&caller], call, &PendingCall::as_caller);
    ++caller.pending_calls;
    call.started = realm_.metrics().call_started();
    arm_timer(call);
    return {};
}

void DealerImpl::invoke(PendingCall& call, const Registration& reg, const Callee& target,
                        const wamp::Object& options, const std::string& procedure,
                        wamp::Payload payload, bool disclose) {
    Session& callee = *target.session;
    call.callee = &callee;
    call.invocation_request = callee.next_request_id();
    call.registration = reg.id;
    call.receive_progress =
        flag(options, "receive_progress") && callee.features.callee_progressive_call_results;
    // Either the callee times the call out (it asked for the timeout) or the
    // dealer does, never both: two timers would race and the caller could
    // hear the callee's answer to an INTERRUPT instead of wamp.error.timeout.
    const bool callee_times_out = call.requested_timeout.count() > 0 && target.forward_timeout;
    call.timeout = callee_times_out ? std::chrono::milliseconds(0) : call.requested_timeout;

    wamp::Invocation inv;
    inv.request = call.invocation_request;
    inv.registration = reg.id;
    if (reg.match != MatchPolicy::exact) inv.details.emplace("procedure", procedure);
    if (call.receive_progress) inv.details.emplace("receive_progress", true);
    if (call.caller_streaming) inv.details.emplace("progress", true);
    if (disclose || target.disclose_caller) {
        inv.details.emplace("caller", call.caller->id);
        inv.details.emplace("caller_authid", call.caller->authid);
        inv.details.emplace("caller_authrole", call.caller->authrole);
    }
    if (callee_times_out)
        inv.details.emplace("timeout", static_cast<std::uint64_t>(call.requested_timeout.count()));
    if (auto level = realm_.trustlevel(*call.caller)) inv.details.emplace("trustlevel", *level);
    copy_ppt(options, inv.details);
    inv.payload = std::move(payload);

    by_callee_request_.emplace(SessionRequest{&callee, call.invocation_request}, &call);
    dealing::link_call(calls_of_callee_[&callee], call, &PendingCall::as_callee);
    callee.send(std::move(inv));
}

wamp::Status DealerImpl::continue_call(PendingCall& call, wamp::Call&& m, bool progress) {
    if (!call.caller_streaming)
        return wamp::Failure{"CALL reuses the request id " + std::to_string(m.request) +
                             " of a call in flight that is not progressive"};
    // Only the first chunk's options count; later chunks carry progress alone.
    wamp::Invocation inv;
    inv.request = call.invocation_request;
    inv.registration = call.registration;
    if (progress) inv.details.emplace("progress", true);
    inv.payload = std::move(m.payload);
    call.caller_streaming = progress;
    call.continued = true;
    if (!progress) remember_completed_progressive(*call.caller, call.call_request);
    call.callee->send(std::move(inv));
    return {};
}

// The call an answer refers to; a protocol violation for ids never issued.
wamp::Expected<DealerImpl::PendingCall*> DealerImpl::answered(Session& callee, wamp::Id request,
                                                              const char* what) {
    auto it = by_callee_request_.find({&callee, request});
    if (it != by_callee_request_.end()) return it->second;
    if (request == 0 || request > callee.last_request_id())
        return wamp::Failure{std::string(what) + " for INVOCATION " + std::to_string(request) +
                             ", which was never sent to this session"};
    return static_cast<PendingCall*>(nullptr); // finished already: drop quietly
}

wamp::Status DealerImpl::yield(Session& callee, wamp::Yield&& m) {
    if (has_ppt(m.options) && !callee.features.callee_payload_passthru)
        return wamp::Failure{"YIELD with ppt_* options from a callee that did not announce "
                             "payload_passthru_mode"};
    if (!relays_.empty() && relays_.contains({&callee, m.request}))
        return relayed_answer(callee, m.request, std::move(m)), wamp::Status{};
    auto found = answered(callee, m.request, "YIELD");
    if (!found) return found.error();
    PendingCall* call = *found;
    if (!call) return {};
    if (has_ppt(m.options) && !call->caller->features.caller_payload_passthru) {
        // ⚠A18: no message can tell the callee; the caller learns why its call failed.
        send_error(*call->caller, wamp::MessageType::call, call->call_request,
                   wamp::errors::feature_not_supported,
                   "the callee answered in payload passthru mode, which this caller does not "
                   "support");
        call->outcome = CallOutcome::error;
        finish(*call);
        return {};
    }
    const bool progress = flag(m.options, "progress");
    if (progress && !call->receive_progress) return {}; // not asked for: drop it
    // A callee that streams has committed to this call: no re-routing now.
    if (progress) call->reroute.reset();

    wamp::Result result;
    result.request = call->call_request;
    if (progress) result.details.emplace("progress", true);
    copy_ppt(m.options, result.details);
    result.payload = std::move(m.payload);
    call->caller->send(std::move(result));
    if (progress) {
        arm_timer(*call); // the timeout runs between results
    } else {
        call->outcome = CallOutcome::completed;
        finish(*call);
    }
    return {};
}

wamp::Status DealerImpl::invocation_error(Session& callee, wamp::Error&& m) {
    if (!relays_.empty() && relays_.contains({&callee, m.request}))
        return relayed_answer(callee, m.request, std::move(m)), wamp::Status{};
    auto found = answered(callee, m.request, "ERROR");
    if (!found) return found.error();
    PendingCall* call = *found;
    if (!call) return {};
    // rpc_call_rerouting.md: a callee that announced call_reroute may decline
    // with wamp.error.unavailable; the call goes to another callee by the
    // registration's policy, and when none is left the caller hears
    // wamp.error.no_available_callee. Calls with progressive inputs already
    // streamed to the callee cannot be replayed elsewhere.
    if (m.error == wamp::errors::unavailable && callee.features.callee_call_reroute &&
        !call->caller_streaming && !call->continued) {
        if (call->reroute) {
            reroute(*call);
        } else {
            send_error(*call->caller, wamp::MessageType::call, call->call_request,
                       wamp::errors::no_available_callee,
                       "the callee of the procedure is unavailable");
            call->outcome = CallOutcome::error;
            finish(*call);
        }
        return {};
    }
    wamp::Error e;
    e.request_type = wamp::MessageType::call;
    e.request = call->call_request;
    e.details = std::move(m.details);
    e.error = std::move(m.error);
    e.payload = std::move(m.payload);
    call->caller->send(std::move(e));
    call->outcome = CallOutcome::error;
    finish(*call);
    return {};
}

} // namespace nexus::router
