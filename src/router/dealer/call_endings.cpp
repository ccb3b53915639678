// How calls end other than with the callee's answer: CANCEL (skip, kill,
// killnowait; rpc_call_canceling.md), timeouts, answers a transport could not
// deliver, sessions leaving, and router shutdown.
#include <algorithm>

#include <nexus/wamp/uris.hpp>

#include "router/dealer/dealer_impl.hpp"

namespace nexus::router {

namespace {

enum class CancelMode { skip, kill, killnowait };

// Progressive calls a caller completed recently, so that a late continuation
// chunk is dropped instead of starting a new call (rpc_progressive_call_invocations.md).
constexpr std::size_t completed_progressive_memory = 64;

} // namespace

// --- messages a transport could not send ------------------------------------

void DealerImpl::send_undeliverable_error(Session& caller, wamp::Id request, Undeliverable why,
                                          std::string_view what) {
    if (why == Undeliverable::too_large)
        send_error(caller, wamp::MessageType::call, request, wamp::errors::payload_size_exceeded,
                   std::string(what) + " is larger than the maximum message size the " +
                       (what == "the result" ? "caller" : "callee") + " accepts");
    else
        send_error(caller, wamp::MessageType::call, request, wamp::errors::invalid_argument,
                   std::string(what) + " holds values the " +
                       (what == "the result" ? "caller" : "callee") +
                       "'s serializer cannot carry (e.g. NaN in JSON)");
}

void DealerImpl::answer_undeliverable(Session& caller, wamp::Id request, Undeliverable why) {
    if (auto it = by_caller_.find({&caller, request}); it != by_caller_.end()) {
        // A progressive result: the rest of the call is worthless now.
        PendingCall& call = it->second;
        if (call.callee->features.callee_call_canceling) interrupt(call, "killnowait");
        call.outcome = CallOutcome::error;
        finish(call);
    }
    send_undeliverable_error(caller, request, why, "the result");
}

void DealerImpl::invocation_undeliverable(Session& callee, wamp::Id request, Undeliverable why) {
    auto it = by_callee_request_.find({&callee, request});
    if (it == by_callee_request_.end()) return; // the call ended meanwhile
    PendingCall& call = *it->second;
    // Earlier chunks of a progressive call did reach the callee.
    if (call.continued && callee.features.callee_call_canceling) interrupt(call, "killnowait");
    send_undeliverable_error(*call.caller, call.call_request, why, "the call");
    call.outcome = CallOutcome::error;
    finish(call);
}

// --- canceling --------------------------------------------------------------

wamp::Status DealerImpl::cancel(Session& caller, const wamp::Cancel& m) {
    auto it = by_caller_.find({&caller, m.request});
    if (it == by_caller_.end()) return {}; // finished or unknown: nothing to cancel
    PendingCall& call = it->second;
    CancelMode mode = CancelMode::killnowait; // CHECKLIST ⚠A13: the Go nexus's default
    if (auto o = m.options.find("mode"); o != m.options.end()) {
        const std::string* s = o->second.if_string();
        if (s && *s == "skip")
            mode = CancelMode::skip;
        else if (s && *s == "kill")
            mode = CancelMode::kill;
        else if (s && *s == "killnowait")
            mode = CancelMode::killnowait;
        else {
            // No message answers a CANCEL; the caller gets the call's one
            // final ERROR now, and the callee's answer will be dropped.
            send_error(caller, wamp::MessageType::call, call.call_request,
                       wamp::errors::invalid_argument,
                       "CANCEL mode must be skip, kill or killnowait");
            finish(call);
            return {};
        }
    }
    if (!call.callee->features.callee_call_canceling) mode = CancelMode::skip;
    switch (mode) {
    case CancelMode::skip:
        send_error(caller, wamp::MessageType::call, call.call_request, wamp::errors::canceled,
                   "the call was canceled");
        finish(call);
        break;
    case CancelMode::killnowait:
        interrupt(call, "killnowait");
        send_error(caller, wamp::MessageType::call, call.call_request, wamp::errors::canceled,
                   "the call was canceled");
        finish(call);
        break;
    case CancelMode::kill:
        if (!call.kill_requested) {
            call.kill_requested = true;
            interrupt(call, "kill");
        }
        break;
    }
    return {};
}

void DealerImpl::on_timeout(PendingCall& call) {
    if (call.callee->features.callee_call_canceling) interrupt(call, "killnowait");
    send_error(*call.caller, wamp::MessageType::call, call.call_request, wamp::errors::timeout,
               "the call timed out after " + std::to_string(call.timeout.count()) + " ms");
    call.outcome = CallOutcome::timed_out;
    finish(call);
}

// --- sessions leaving -------------------------------------------------------------

void DealerImpl::remove_session(Session& session) {
    // Its registrations go away.
    std::vector<std::pair<wamp::Id, bool>> gone; // (registration, deleted)
    if (auto it = by_callee_.find(&session); it != by_callee_.end()) {
        for (wamp::Id id : it->second) {
            auto reg = registrations_.find(id);
            if (reg == registrations_.end()) continue;
            remove_callee(*reg->second, session);
            // (the session's leave tells the other nodes)
            callee_removed(session, reg->second->match, reg->second->uri,
                           reg->second->callees.empty(), false);
            gone.emplace_back(id, reg->second->callees.empty());
            if (reg->second->callees.empty()) destroy(reg->second.get());
        }
        by_callee_.erase(it);
    }
    for (auto [id, deleted] : gone) {
        meta_membership("wamp.registration.on_unregister", session.id, id);
        if (deleted) meta_membership("wamp.registration.on_delete", session.id, id);
    }
    // Its calls and invocations end.
    std::vector<PendingCall*> affected;
    for (PendingCall* call = calls_of_caller_[&session]; call; call = call->as_caller.next)
        affected.push_back(call);
    for (PendingCall* call = calls_of_callee_[&session]; call; call = call->as_callee.next)
        if (call->caller != &session) affected.push_back(call); // else listed already
    for (PendingCall* call : affected) {
        if (call->callee == &session) {
            if (call->caller != &session)
                send_error(*call->caller, wamp::MessageType::call, call->call_request,
                           wamp::errors::canceled, "the callee left before answering");
        } else if (call->callee->features.callee_call_canceling) {
            interrupt(*call, "killnowait"); // the caller left
        }
        finish(*call);
    }
    calls_of_caller_.erase(&session);
    calls_of_callee_.erase(&session);
    completed_.erase(&session);
    // Invocations other nodes sent it: their callers' nodes see it leave.
    if (!relays_.empty()) {
        std::erase_if(relays_, [&](const auto& e) { return e.first.session == &session; });
        std::erase_if(relayed_, [&](const auto& e) { return std::get<1>(e.first) == &session; });
    }
}

void DealerImpl::cancel_all() {
    std::vector<PendingCall*> all;
    for (auto& [key, call] : by_caller_)
        all.push_back(&call);
    for (PendingCall* call : all) {
        if (call->callee->features.callee_call_canceling) interrupt(*call, "killnowait");
        send_error(*call->caller, wamp::MessageType::call, call->call_request,
                   wamp::errors::canceled, "the router is shutting down");
        finish(*call);
    }
}

void DealerImpl::interrupt(PendingCall& call, std::string_view mode) {
    call.callee->send(wamp::Interrupt{call.invocation_request, {{"mode", std::string(mode)}}});
}

void DealerImpl::arm_timer(PendingCall& call) {
    if (call.timeout.count() == 0) return;
    const SessionRequest key{call.caller, call.call_request};
    call.timer = realm_.run_locked_after(call.timeout, [this, key] {
        if (auto it = by_caller_.find(key); it != by_caller_.end()) on_timeout(it->second);
    });
}

void DealerImpl::finish(PendingCall& call) {
    realm_.metrics().call_finished(call.outcome, call.started);
    --call.caller->pending_calls;
    if (call.caller_streaming) remember_completed_progressive(*call.caller, call.call_request);
    by_callee_request_.erase({call.callee, call.invocation_request});
    dealing::unlink_call(calls_of_caller_[call.caller], call, &PendingCall::as_caller);
    dealing::unlink_call(calls_of_callee_[call.callee], call, &PendingCall::as_callee);
    // Last: this destroys the call (and its timer, which cancels it).
    by_caller_.erase({call.caller, call.call_request});
}

void DealerImpl::remember_completed_progressive(const Session& caller, wamp::Id request) {
    auto& ids = completed_[&caller];
    ids.push_back(request);
    if (ids.size() > completed_progressive_memory) ids.erase(ids.begin());
}

bool DealerImpl::completed_progressive(const Session& caller, wamp::Id request) const {
    auto it = completed_.find(&caller);
    return it != completed_.end() &&
           std::find(it->second.begin(), it->second.end(), request) != it->second.end();
}

} // namespace nexus::router
