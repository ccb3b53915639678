// The public Session handle: each member posts its work to the strand.
#include <nexus/client/session.hpp>

#include <boost/asio/post.hpp>

#include "client/session_impl.hpp"

namespace nexus::client {

namespace asio = boost::asio;
using detail::Completion;

namespace {
// Runs `f(impl, completion)` on the strand, with the handler wrapped so that
// it keeps its executor busy until completed.
template <class Sig, class F>
void on_strand(const std::shared_ptr<detail::SessionImpl>& impl, detail::Handler<Sig> handler,
               F f) {
    Completion<Sig> done(std::move(handler), impl->strand());
    asio::post(impl->strand(), [impl, done = std::move(done), f = std::move(f)]() mutable {
        f(*impl, std::move(done));
    });
}
} // namespace

Session::Session(asio::any_io_executor executor, std::shared_ptr<Transport> transport)
    : impl_(std::make_shared<detail::SessionImpl>(std::move(executor), std::move(transport))) {
    impl_->start();
}

Session::~Session() {
    if (!impl_) return; // moved from
    asio::post(impl_->strand(), [impl = impl_] { impl->drop("the Session object was destroyed"); });
}

Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&& other) noexcept {
    if (this != &other) {
        if (impl_)
            asio::post(impl_->strand(),
                       [impl = impl_] { impl->drop("the Session object was replaced"); });
        impl_ = std::move(other.impl_);
    }
    return *this;
}

asio::any_io_executor Session::get_executor() const { return impl_->strand(); }

void Session::disconnect() {
    asio::post(impl_->strand(), [impl = impl_] { impl->drop("disconnected by the application"); });
}

void Session::on_handler_error(HandlerErrorHandler handler) {
    asio::post(impl_->strand(), [impl = impl_, h = std::move(handler)]() mutable {
        impl->set_handler_error(std::move(h));
    });
}

bool Session::is_joined() const { return impl_->is_joined(); }
std::optional<SessionInfo> Session::info() const { return impl_->info(); }

void Session::join_impl(const Impl& impl, std::string realm, JoinOptions options,
                        detail::Handler<JoinSignature> handler) {
    on_strand<JoinSignature>(impl, std::move(handler),
                             [realm = std::move(realm), options = std::move(options)](
                                 detail::SessionImpl& s, Completion<JoinSignature> done) mutable {
                                 s.join(std::move(realm), std::move(options), std::move(done));
                             });
}

void Session::leave_impl(const Impl& impl, std::string reason,
                         detail::Handler<LeaveSignature> handler) {
    on_strand<LeaveSignature>(impl, std::move(handler),
                              [reason = std::move(reason)](
                                  detail::SessionImpl& s, Completion<LeaveSignature> done) mutable {
                                  s.leave(std::move(reason), std::move(done));
                              });
}

void Session::wait_closed_impl(const Impl& impl, detail::Handler<ClosedSignature> handler) {
    on_strand<ClosedSignature>(impl, std::move(handler),
                               [](detail::SessionImpl& s, Completion<ClosedSignature> done) {
                                   s.wait_closed(std::move(done));
                               });
}

void Session::call_impl(const Impl& impl, std::string procedure, wamp::Array args,
                        wamp::Object kwargs, CallOptions options,
                        detail::Handler<CallSignature> handler) {
    on_strand<CallSignature>(
        impl, std::move(handler),
        [p = std::move(procedure), a = std::move(args), kw = std::move(kwargs),
         o = std::move(options)](detail::SessionImpl& s, Completion<CallSignature> done) mutable {
            s.call(std::move(p), std::move(a), std::move(kw), std::move(o), std::move(done));
        });
}

ProgressiveCall Session::open_call(std::string procedure, CallOptions options) {
    auto state = std::make_shared<detail::ProgressiveCallState>();
    state->session = impl_;
    state->procedure = std::move(procedure);
    state->options = std::move(options);
    return ProgressiveCall(std::move(state));
}

void ProgressiveCall::send(wamp::Array args, wamp::Object kwargs) {
    auto impl = state_->session.lock();
    if (!impl) return;
    asio::post(impl->strand(),
               [impl, state = state_, a = std::move(args), kw = std::move(kwargs)]() mutable {
                   impl->progressive_send(state, std::move(a), std::move(kw), nullptr);
               });
}

void ProgressiveCall::finish_impl(const std::shared_ptr<detail::ProgressiveCallState>& state,
                                  wamp::Array args, wamp::Object kwargs,
                                  detail::Handler<CallSignature> handler) {
    auto impl = state->session.lock();
    if (!impl) {
        Completion<CallSignature> done(std::move(handler), asio::system_executor());
        done.complete(std::make_exception_ptr(SessionError("the session no longer exists")), {});
        return;
    }
    on_strand<CallSignature>(impl, std::move(handler),
                             [state, a = std::move(args), kw = std::move(kwargs)](
                                 detail::SessionImpl& s, Completion<CallSignature> done) mutable {
                                 s.progressive_send(state, std::move(a), std::move(kw), &done);
                             });
}

void Session::register_impl(const Impl& impl, std::string procedure, ProcedureHandler plain,
                            CoroutineProcedureHandler coroutine, RegisterOptions options,
                            detail::Handler<RegisterSignature> handler) {
    on_strand<RegisterSignature>(
        impl, std::move(handler),
        [p = std::move(procedure), ph = std::move(plain), ch = std::move(coroutine),
         options](detail::SessionImpl& s, Completion<RegisterSignature> done) mutable {
            s.register_procedure(std::move(p), std::move(ph), std::move(ch), options,
                                 std::move(done));
        });
}

void Session::unregister_impl(const Impl& impl, Registration registration,
                              detail::Handler<DoneSignature> handler) {
    on_strand<DoneSignature>(impl, std::move(handler),
                             [r = std::move(registration)](detail::SessionImpl& s,
                                                           Completion<DoneSignature> done) mutable {
                                 s.unregister(std::move(r), std::move(done));
                             });
}

void Session::publish_impl(const Impl& impl, std::string topic, wamp::Array args,
                           wamp::Object kwargs, PublishOptions options,
                           detail::Handler<PublishSignature> handler) {
    on_strand<PublishSignature>(
        impl, std::move(handler),
        [t = std::move(topic), a = std::move(args), kw = std::move(kwargs), o = std::move(options)](
            detail::SessionImpl& s, Completion<PublishSignature> done) mutable {
            s.publish(std::move(t), std::move(a), std::move(kw), std::move(o), std::move(done));
        });
}

void Session::subscribe_impl(const Impl& impl, std::string topic, EventHandler handler,
                             SubscribeOptions options, detail::Handler<SubscribeSignature> h) {
    on_strand<SubscribeSignature>(
        impl, std::move(h),
        [t = std::move(topic), eh = std::move(handler),
         options](detail::SessionImpl& s, Completion<SubscribeSignature> done) mutable {
            s.subscribe(std::move(t), std::move(eh), options, std::move(done));
        });
}

void Session::unsubscribe_impl(const Impl& impl, Subscription subscription,
                               detail::Handler<DoneSignature> handler) {
    on_strand<DoneSignature>(impl, std::move(handler),
                             [sub = std::move(subscription)](
                                 detail::SessionImpl& s, Completion<DoneSignature> done) mutable {
                                 s.unsubscribe(std::move(sub), std::move(done));
                             });
}

} // namespace nexus::client
