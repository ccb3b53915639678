// Callee: REGISTER/UNREGISTER, INVOCATION -> handler -> YIELD or ERROR,
// progressive results and inputs, INTERRUPT, registration revocation.
#include "client/session_impl.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>

#include <nexus/wamp/uris.hpp>

namespace nexus::client::detail {

namespace asio = boost::asio;

namespace {

bool flag(const wamp::Object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->second.is_bool() && *it->second.if_bool();
}

// The ERROR answering an invocation whose handler failed.
wamp::Error invocation_error(wamp::Id request, std::exception_ptr error, bool interrupted) {
    wamp::Error e;
    e.request_type = wamp::MessageType::invocation;
    e.request = request;
    try {
        std::rethrow_exception(error);
    } catch (const WampError& w) {
        e.error = w.uri();
        e.payload = wamp::Payload(w.args(), w.kwargs());
    } catch (const boost::system::system_error& s) {
        if (interrupted && s.code() == asio::error::operation_aborted) {
            e.error = wamp::errors::canceled;
        } else {
            e.error = "wamp.error.runtime_error";
            e.payload = wamp::Payload(wamp::Array{s.what()});
        }
    } catch (const std::exception& x) {
        e.error = "wamp.error.runtime_error";
        e.payload = wamp::Payload(wamp::Array{x.what()});
    } catch (...) {
        e.error = "wamp.error.runtime_error";
        e.payload = wamp::Payload(wamp::Array{"unknown exception"});
    }
    return e;
}

} // namespace

void SessionImpl::register_procedure(std::string procedure, ProcedureHandler plain,
                                     CoroutineProcedureHandler coroutine, RegisterOptions options,
                                     Completion<RegisterSignature> done) {
    if (!require_joined(done)) return;
    if (!plain && !coroutine)
        return fail(done, std::make_exception_ptr(std::invalid_argument("empty handler")));
    const wamp::Id request = requests_.next();
    wamp::Object o;
    if (options.match != wamp::MatchPolicy::exact)
        o.emplace("match", std::string(wamp::match_policy_name(options.match)));
    if (options.invoke != InvokePolicy::single)
        o.emplace("invoke", std::string(invoke_policy_name(options.invoke)));
    if (options.disclose_caller) o.emplace("disclose_caller", true);
    registering_.emplace(
        request, PendingRegister{std::move(done), RegistrationEntry{procedure, std::move(plain),
                                                                    std::move(coroutine)}});
    send(wamp::Register{request, std::move(o), std::move(procedure)});
}

void SessionImpl::on_registered(wamp::Registered& m) {
    auto it = registering_.find(m.request);
    if (it == registering_.end()) return;
    auto pending = std::move(it->second);
    registering_.erase(it);
    Registration r{m.registration, pending.entry.procedure};
    registrations_.insert_or_assign(m.registration, std::move(pending.entry));
    pending.done.complete(nullptr, std::move(r));
}

void SessionImpl::unregister(Registration registration, Completion<DoneSignature> done) {
    if (!require_joined(done)) return;
    const wamp::Id request = requests_.next();
    unregistering_.emplace(request, PendingUnregister{std::move(done), registration.id});
    send(wamp::Unregister{request, registration.id});
}

void SessionImpl::on_unregistered(wamp::Unregistered& m) {
    if (m.request == 0) {
        // Revocation by the router (registration_revocation): forget it.
        if (m.details)
            if (auto it = m.details->find("registration"); it != m.details->end())
                if (auto id = it->second.to_uint()) registrations_.erase(*id);
        return;
    }
    auto it = unregistering_.find(m.request);
    if (it == unregistering_.end()) return;
    registrations_.erase(it->second.registration);
    it->second.done.complete(nullptr);
    unregistering_.erase(it);
}

void SessionImpl::on_invocation(wamp::Invocation& m) {
    auto reg = registrations_.find(m.registration);
    if (reg == registrations_.end()) {
        send(wamp::Error{wamp::MessageType::invocation,
                         m.request,
                         {},
                         std::string(wamp::errors::no_such_registration),
                         {}});
        return;
    }
    std::shared_ptr<InvocationState> state;
    if (auto it = invocations_.find(m.request); it != invocations_.end()) {
        state = it->second; // the next chunk of progressive call inputs
    } else {
        state = std::make_shared<InvocationState>();
        state->session = weak_from_this();
        state->request = m.request;
        state->registration = m.registration;
        auto p = m.details.find("procedure");
        state->procedure = p != m.details.end() && p->second.is_string() ? p->second.as_string()
                                                                         : reg->second.procedure;
        state->receive_progress = flag(m.details, "receive_progress");
        invocations_.emplace(m.request, state);
    }
    Invocation invocation(state, m.payload.args(), m.payload.kwargs(), std::move(m.details));
    if (state->busy) {
        state->backlog.push_back(std::move(invocation));
        return;
    }
    run_invocation(state, std::move(invocation));
}

void SessionImpl::run_invocation(const std::shared_ptr<InvocationState>& state,
                                 Invocation invocation) {
    auto reg = registrations_.find(state->registration);
    if (reg == registrations_.end()) {
        // Unregistered while chunks were queued.
        invocation_done(
            state, false,
            std::make_exception_ptr(WampError(std::string(wamp::errors::no_such_registration))),
            {});
        return;
    }
    const bool chunk = invocation.progress();
    if (reg->second.plain) {
        Result result;
        std::exception_ptr error;
        try {
            result = reg->second.plain(invocation);
        } catch (...) {
            error = std::current_exception();
        }
        invocation_done(state, chunk, error, std::move(result));
        return;
    }
    // A coroutine: runs on the strand; INTERRUPT emits the state's signal.
    state->busy = true;
    auto coroutine = reg->second.coroutine; // the registration may go while it runs
    asio::co_spawn(
        strand_,
        [coroutine, invocation = std::move(invocation)]() mutable -> asio::awaitable<Result> {
            co_return co_await coroutine(std::move(invocation));
        },
        asio::bind_cancellation_slot(
            state->cancel.slot(),
            asio::bind_executor(strand_, [weak = weak_from_this(), state,
                                          chunk](std::exception_ptr error, Result result) {
                state->busy = false;
                if (auto self = weak.lock())
                    self->invocation_done(state, chunk, error, std::move(result));
            })));
}

void SessionImpl::invocation_done(const std::shared_ptr<InvocationState>& state, bool chunk,
                                  std::exception_ptr error, Result result) {
    {
        std::lock_guard lock(state->answer);
        if (state->finished) return; // the session ended, or the call was answered
    }
    if (error) {
        if (answer(*state, invocation_error(state->request, error, state->interrupted), true))
            invocations_.erase(state->request);
        return;
    }
    if (chunk) {
        // An intermediate answer to a chunk of progressive inputs.
        if (state->receive_progress && !(result.args.empty() && result.kwargs.empty()))
            answer(*state,
                   wamp::Yield{state->request,
                               {{"progress", true}},
                               wamp::Payload(std::move(result.args), std::move(result.kwargs))},
                   false);
        if (!state->backlog.empty()) {
            Invocation next = std::move(state->backlog.front());
            state->backlog.pop_front();
            run_invocation(state, std::move(next));
        }
        return;
    }
    if (answer(*state,
               wamp::Yield{state->request,
                           {},
                           wamp::Payload(std::move(result.args), std::move(result.kwargs))},
               true))
        invocations_.erase(state->request);
}

bool SessionImpl::answer(InvocationState& state, wamp::Message message, bool final) {
    std::lock_guard lock(state.answer);
    if (state.finished) return false; // the session ended, or the call was answered
    if (final) state.finished = true;
    // transport_ never changes after construction and Transport::send is
    // thread-safe; a send after the transport closed is dropped.
    if (transport_) transport_->send(std::move(message));
    return true;
}

void SessionImpl::abandon(InvocationState& state) {
    std::lock_guard lock(state.answer);
    state.finished = true;
}

bool SessionImpl::send_progress(const std::shared_ptr<InvocationState>& state, wamp::Array args,
                                wamp::Object kwargs) {
    return answer(*state,
                  wamp::Yield{state->request,
                              {{"progress", true}},
                              wamp::Payload(std::move(args), std::move(kwargs))},
                  false);
}

void SessionImpl::on_interrupt(wamp::Interrupt& m) {
    auto it = invocations_.find(m.request);
    if (it == invocations_.end()) return; // answered already
    auto state = it->second;
    state->interrupted = true;
    if (state->busy) {
        // The coroutine's pending operation ends with operation_aborted;
        // invocation_done then answers wamp.error.canceled.
        state->cancel.emit(asio::cancellation_type::terminal);
        return;
    }
    // Waiting for more input chunks: nothing runs, so answer now.
    invocations_.erase(it);
    answer(
        *state,
        wamp::Error{
            wamp::MessageType::invocation, m.request, {}, std::string(wamp::errors::canceled), {}},
        true);
}

} // namespace nexus::client::detail
