// Caller (basic/remote_procedure_call.md and the advanced RPC features):
// CALL/RESULT/ERROR, progressive results and inputs, timeouts, cancellation.
#include "client/session_impl.hpp"

#include <boost/asio/post.hpp>

#include <nexus/wamp/uris.hpp>

namespace nexus::client::detail {

namespace asio = boost::asio;

namespace {

wamp::Object call_options(const CallOptions& o) {
    wamp::Object options;
    if (o.timeout) options.emplace("timeout", static_cast<std::int64_t>(o.timeout->count()));
    if (o.disclose_me) options.emplace("disclose_me", true);
    if (o.on_progress) options.emplace("receive_progress", true);
    return options;
}

CallResult to_call_result(wamp::Object details, const wamp::Payload& payload) {
    return CallResult{payload.args(), payload.kwargs(), std::move(details)};
}

} // namespace

void SessionImpl::call(std::string procedure, wamp::Array args, wamp::Object kwargs,
                       CallOptions options, Completion<CallSignature> done) {
    if (!require_joined(done)) return;
    const wamp::Id request = requests_.next();
    wamp::Call call{request, call_options(options), std::move(procedure),
                    wamp::Payload(std::move(args), std::move(kwargs))};

    // Cancelling the operation (its slot) becomes a CANCEL; the slot handler
    // may run on another thread, so it only posts to the strand.
    if (auto slot = done.cancellation_slot(); slot.is_connected()) {
        slot.assign([weak = weak_from_this(), request, strand = strand_](asio::cancellation_type) {
            asio::post(strand, [weak, request] {
                if (auto self = weak.lock()) self->cancel_call(request);
            });
        });
    }
    PendingCall pending;
    pending.done = std::move(done);
    pending.on_progress = std::move(options.on_progress);
    pending.cancel_mode = options.cancel_mode;
    calls_.emplace(request, std::move(pending));
    send(std::move(call));
    watch_call(request, options);
}

void SessionImpl::watch_call(wamp::Id request, const CallOptions& options) {
    auto it = calls_.find(request);
    if (it == calls_.end()) return;
    if (options.timeout) {
        // The timer runs on the strand (its executor); destroying it with
        // the pending call cancels the wait.
        auto timer = std::make_unique<asio::steady_timer>(strand_, *options.timeout);
        timer->async_wait([weak = weak_from_this(), request,
                           timeout = *options.timeout](boost::system::error_code ec) {
            if (ec) return;
            if (auto self = weak.lock()) self->on_deadline(request, timeout);
        });
        it->second.deadline = std::move(timer);
    }
    if (options.cancel_handle) {
        auto state = options.cancel_handle->state_;
        std::optional<CancelMode> requested;
        {
            std::lock_guard lock(state->mutex);
            state->session = weak_from_this();
            state->request = request;
            state->over = false;
            requested = state->requested;
        }
        it->second.cancel = std::move(state);
        if (requested) cancel_call(request, requested); // cancel() came before the call
    }
}

void SessionImpl::on_deadline(wamp::Id request, std::chrono::milliseconds timeout) {
    auto it = calls_.find(request);
    if (it == calls_.end() || it->second.ended) return;
    // The router may not know call timeouts (or its answer is late): stop
    // the call there, and end it here now.
    cancel_call(request);
    finish_call(request,
                std::make_exception_ptr(
                    WampError(std::string(wamp::errors::timeout),
                              {"no answer within " + std::to_string(timeout.count()) + " ms"})),
                {});
}

void SessionImpl::cancel_call(wamp::Id request, std::optional<CancelMode> mode) {
    auto it = calls_.find(request);
    if (it == calls_.end() || it->second.cancel_sent || it->second.ended) return;
    it->second.cancel_sent = true;
    send(wamp::Cancel{
        request, {{"mode", std::string(cancel_mode_name(mode.value_or(it->second.cancel_mode)))}}});
}

void SessionImpl::progressive_send(const std::shared_ptr<ProgressiveCallState>& call,
                                   wamp::Array args, wamp::Object kwargs,
                                   Completion<CallSignature>* final_done) {
    if (call->finished) {
        if (final_done)
            fail(*final_done, std::make_exception_ptr(
                                  SessionError("the progressive call was finished already")));
        return;
    }
    const bool last = final_done != nullptr;
    if (call->request == 0) {
        if (state_ != State::joined) {
            call->finished = true;
            if (final_done) require_joined(*final_done);
            return;
        }
        // The first chunk opens the call with all its options.
        call->request = requests_.next();
        PendingCall pending;
        pending.on_progress = call->options.on_progress;
        pending.cancel_mode = call->options.cancel_mode;
        calls_.emplace(call->request, std::move(pending));
        wamp::Object options = call_options(call->options);
        if (!last) options.emplace("progress", true);
        send(wamp::Call{call->request, std::move(options), call->procedure,
                        wamp::Payload(std::move(args), std::move(kwargs))});
        watch_call(call->request, call->options);
    } else {
        auto it = calls_.find(call->request);
        if (it == calls_.end()) {
            // The session ended in between (end_session forgot the call).
            call->finished = true;
            if (final_done)
                fail(*final_done, std::make_exception_ptr(SessionError(
                                      "call: the session ended before the call was finished")));
            return;
        }
        // Once the call ended early (an ERROR), more chunks would be noise.
        if (!it->second.ended) {
            wamp::Object options;
            if (!last) options.emplace("progress", true);
            send(wamp::Call{call->request, std::move(options), call->procedure,
                            wamp::Payload(std::move(args), std::move(kwargs))});
        }
    }
    if (!last) return;
    call->finished = true;
    auto it = calls_.find(call->request);
    if (it == calls_.end()) return; // cannot happen: kept until done is attached
    if (it->second.ended) {
        final_done->complete(it->second.early_error, std::move(it->second.early_result));
        it->second.release();
        calls_.erase(it);
        return;
    }
    it->second.done = std::move(*final_done);
}

void SessionImpl::finish_call(wamp::Id request, std::exception_ptr error, CallResult result) {
    auto it = calls_.find(request);
    if (it == calls_.end()) return;
    if (!it->second.done) {
        // A progressive-input call whose caller has not called finish() yet.
        it->second.ended = true;
        it->second.early_error = error;
        it->second.early_result = std::move(result);
        it->second.deadline.reset();
        it->second.release();
        return;
    }
    it->second.done.complete(error, std::move(result));
    it->second.release();
    calls_.erase(it);
}

void SessionImpl::on_result(wamp::Result& m) {
    auto it = calls_.find(m.request);
    if (it == calls_.end()) return;
    CallResult result = to_call_result(std::move(m.details), m.payload);
    if (result.progress()) {
        if (it->second.on_progress) {
            // Nothing awaits a progress handler: its exception goes to the
            // session's handler-error handler; the call goes on.
            try {
                it->second.on_progress(result);
            } catch (...) {
                handler_failed(std::current_exception(),
                               "progress handler of call " + std::to_string(m.request));
            }
        }
        return;
    }
    finish_call(m.request, nullptr, std::move(result));
}

} // namespace nexus::client::detail
