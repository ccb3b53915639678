// The session's protocol state, owned by its strand: every member below the
// "strand only" line is touched only from there. Session (the public
// handle) posts into it; the transport's handlers post into it too.
#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <nexus/client/session.hpp>
#include <nexus/wamp/id.hpp>

#include "client/completion.hpp"

namespace nexus::client::detail {

using Strand = boost::asio::strand<boost::asio::any_io_executor>;

/// One call being served by a callee handler (shared with its Invocations).
struct InvocationState {
    std::weak_ptr<SessionImpl> session;
    wamp::Id request = 0;
    wamp::Id registration = 0;
    std::string procedure;
    bool receive_progress = false;
    std::atomic<bool> interrupted{false};
    // Every answer (progressive YIELD, final YIELD or ERROR) is sent to the
    // transport while holding `answer`, checking and setting `finished`
    // under it: answers leave in the order the handler produced them, from
    // whichever thread, and none follows the final one.
    std::mutex answer;
    bool finished = false; // guarded by `answer`
    // Strand only: progressive call inputs run the handler once per chunk,
    // one chunk at a time, so chunks that arrive while it runs wait here.
    bool busy = false;
    std::deque<Invocation> backlog;
    boost::asio::cancellation_signal cancel;
};

/// What a CancelHandle shares with the call it cancels.
struct CancelState {
    std::mutex mutex;
    // Guarded by `mutex`: the call once it went out, whether it is over, and
    // the mode cancel() asked for (once).
    std::weak_ptr<SessionImpl> session;
    wamp::Id request = 0;
    bool over = false;
    std::optional<CancelMode> requested;
};

/// A call with progressive inputs (see ProgressiveCall).
struct ProgressiveCallState {
    std::weak_ptr<SessionImpl> session;
    std::string procedure;
    CallOptions options;
    // Strand only.
    wamp::Id request = 0;
    bool finished = false;
};

class SessionImpl : public std::enable_shared_from_this<SessionImpl> {
public:
    SessionImpl(boost::asio::any_io_executor executor, std::shared_ptr<Transport> transport);
    /// Hooks the transport's handlers up (needs shared_from_this).
    void start();

    const Strand& strand() const noexcept { return strand_; }

    bool is_joined() const;
    std::optional<SessionInfo> info() const;

    // Strand only ---------------------------------------------------------------
    void join(std::string realm, JoinOptions options, Completion<JoinSignature> done);
    void leave(std::string reason, Completion<LeaveSignature> done);
    void wait_closed(Completion<ClosedSignature> done);
    void drop(std::string why);

    void call(std::string procedure, wamp::Array args, wamp::Object kwargs, CallOptions options,
              Completion<CallSignature> done);
    /// Sends CANCEL (mode, else the call's cancel_mode) unless sent already.
    void cancel_call(wamp::Id request, std::optional<CancelMode> mode = std::nullopt);
    void progressive_send(const std::shared_ptr<ProgressiveCallState>& call, wamp::Array args,
                          wamp::Object kwargs, Completion<CallSignature>* final_done);

    void register_procedure(std::string procedure, ProcedureHandler plain,
                            CoroutineProcedureHandler coroutine, RegisterOptions options,
                            Completion<RegisterSignature> done);
    void unregister(Registration registration, Completion<DoneSignature> done);
    /// Any thread. Sends a progressive YIELD now; false if the call is over.
    bool send_progress(const std::shared_ptr<InvocationState>& state, wamp::Array args,
                       wamp::Object kwargs);

    void publish(std::string topic, wamp::Array args, wamp::Object kwargs, PublishOptions options,
                 Completion<PublishSignature> done);
    void subscribe(std::string topic, EventHandler handler, SubscribeOptions options,
                   Completion<SubscribeSignature> done);
    void unsubscribe(Subscription subscription, Completion<DoneSignature> done);
    void set_handler_error(HandlerErrorHandler handler) { handler_error_ = std::move(handler); }

private:
    enum class State { idle, joining, joined, leaving, closed };

    struct PendingCall {
        Completion<CallSignature> done;
        std::function<void(const CallResult&)> on_progress;
        CancelMode cancel_mode = CancelMode::kill;
        bool cancel_sent = false;
        // The local deadline (CallOptions::timeout) and the cancel handle.
        std::unique_ptr<boost::asio::steady_timer> deadline;
        std::shared_ptr<CancelState> cancel;
        // A progressive-input call can end (ERROR) before finish() is called.
        bool ended = false;
        std::exception_ptr early_error;
        CallResult early_result;
        /// The call is over: its cancel handle can do nothing more.
        void release() {
            if (!cancel) return;
            std::lock_guard lock(cancel->mutex);
            cancel->over = true;
        }
    };
    struct RegistrationEntry {
        std::string procedure;
        ProcedureHandler plain;
        CoroutineProcedureHandler coroutine;
    };
    struct PendingRegister {
        Completion<RegisterSignature> done;
        RegistrationEntry entry;
    };
    struct PendingUnregister {
        Completion<DoneSignature> done;
        wamp::Id registration = 0;
    };
    struct SubscriptionEntry {
        std::string topic;
        std::map<std::uint64_t, EventHandler> handlers;
    };
    struct PendingSubscribe {
        Completion<SubscribeSignature> done;
        std::string topic;
        EventHandler handler;
    };

    /// Hands an exception from an event or progress handler to handler_error_.
    void handler_failed(std::exception_ptr error, const std::string& where);
    void on_message(wamp::Message message);
    void on_transport_closed(std::string reason);
    void send(wamp::Message message);
    template <class Sig> bool require_joined(Completion<Sig>& done) {
        if (state_ == State::joined) return true;
        fail(done, std::make_exception_ptr(SessionError("the session is not joined")));
        return false;
    }
    /// Ends the session: fails what is pending, forgets registrations and
    /// subscriptions, tells wait_closed() waiters.
    void end_session(CloseInfo info);

    void on_welcome(wamp::Welcome& m);
    void on_abort(wamp::Abort& m);
    void on_challenge(wamp::Challenge& m);
    void on_goodbye(wamp::Goodbye& m);
    void on_error(wamp::Error& m);
    void on_result(wamp::Result& m);
    void on_registered(wamp::Registered& m);
    void on_unregistered(wamp::Unregistered& m);
    void on_invocation(wamp::Invocation& m);
    void on_interrupt(wamp::Interrupt& m);
    void on_subscribed(wamp::Subscribed& m);
    void on_unsubscribed(wamp::Unsubscribed& m);
    void on_published(wamp::Published& m);
    void on_event(wamp::Event& m);

    /// Sends one answer to an invocation unless its final answer went
    /// already; `final` ends the call. Any thread.
    bool answer(InvocationState& state, wamp::Message message, bool final);
    /// Ends an invocation without answering it (the session ended). Strand only.
    static void abandon(InvocationState& state);
    void run_invocation(const std::shared_ptr<InvocationState>& state, Invocation invocation);
    void invocation_done(const std::shared_ptr<InvocationState>& state, bool chunk,
                         std::exception_ptr error, Result result);
    void finish_call(wamp::Id request, std::exception_ptr error, CallResult result);
    /// Arms the call's deadline and attaches its cancel handle; after the
    /// CALL went out. Returns the pending call's entry.
    void watch_call(wamp::Id request, const CallOptions& options);
    void on_deadline(wamp::Id request, std::chrono::milliseconds timeout);

    Strand strand_;
    std::shared_ptr<Transport> transport_;

    mutable std::mutex info_mutex_; // info_ and state_ are read by other threads
    std::optional<SessionInfo> info_;
    State state_ = State::idle;

    // Strand only ---------------------------------------------------------------
    wamp::SessionIdGenerator requests_;
    std::string realm_;
    JoinOptions join_options_;
    /// The authenticator that answered this join's (last) CHALLENGE: the one
    /// that checks the WELCOME.
    std::shared_ptr<Authenticator> answered_;
    Completion<JoinSignature> joining_;
    Completion<LeaveSignature> leaving_;
    std::vector<Completion<ClosedSignature>> close_waiters_;
    std::optional<CloseInfo> last_close_;

    std::map<wamp::Id, PendingCall> calls_;
    std::map<wamp::Id, PendingRegister> registering_;
    std::map<wamp::Id, PendingUnregister> unregistering_;
    std::map<wamp::Id, RegistrationEntry> registrations_;
    std::map<wamp::Id, std::shared_ptr<InvocationState>> invocations_;

    std::map<wamp::Id, PendingSubscribe> subscribing_;
    std::map<wamp::Id, Completion<DoneSignature>> unsubscribing_;
    std::map<wamp::Id, SubscriptionEntry> subscriptions_;
    std::map<wamp::Id, Completion<PublishSignature>> publishing_;
    std::uint64_t next_handler_ = 0;
    HandlerErrorHandler handler_error_;
};

/// HELLO.Details.roles: every role and feature this library implements.
wamp::Object client_roles();

} // namespace nexus::client::detail
