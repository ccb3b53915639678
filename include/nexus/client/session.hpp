// nexus::client::Session — one WAMP session over a client Transport.
//
//   auto transport = co_await client::async_connect(ex, "tcp://127.0.0.1:8081");
//   client::Session session(ex, transport);
//   co_await session.join("realm1");
//   auto result = co_await session.call("com.example.add", {2, 3});
//   co_await session.leave();
//
// Every asynchronous operation takes an Asio completion token: the default,
// use_awaitable, makes it `co_await`-able; `use_future` or a callback
// `void(std::exception_ptr, T)` work as well. Failures arrive as an
// exception_ptr holding a WampError (an ERROR/ABORT with its URI, args and
// kwargs), a SessionError (not joined, or the session ended) or another
// std::exception. Completions run on the token's associated executor.
//
// All members are thread-safe: they post to the session's strand, where the
// protocol state lives and where handlers (procedures, events, progress)
// run, one at a time.
#pragma once

#include <concepts>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <nexus/client/auth.hpp>
#include <nexus/client/error.hpp>
#include <nexus/client/invocation.hpp>
#include <nexus/client/transport.hpp>
#include <nexus/client/types.hpp>

namespace nexus::client {

struct JoinOptions {
    // A declared constructor makes this a non-aggregate: g++ 12 destroys
    // aggregate temporaries with member initializers twice when they appear
    // in a co_await expression (e.g. a defaulted options argument).
    JoinOptions() = default;

    /// HELLO.Details.authid (required by ticket and wampcra).
    std::string authid;
    /// Authentication methods in order of preference; none = anonymous.
    std::vector<std::shared_ptr<Authenticator>> authenticators;
    /// Extra HELLO.Details.authextra entries (the authenticators add theirs).
    wamp::Object authextra;
    /// HELLO.Details.agent
    std::string agent = "nexus-cpp-client";
};

/// A procedure implemented by a plain function, run on the session's strand:
/// return the result, or throw WampError to answer with that error (any other
/// exception is answered with wamp.error.runtime_error and its what()).
using ProcedureHandler = std::function<Result(const Invocation&)>;
/// A procedure implemented by a coroutine, spawned on the session's strand;
/// INTERRUPT cancels it.
using CoroutineProcedureHandler = std::function<boost::asio::awaitable<Result>(Invocation)>;
using EventHandler = std::function<void(const Event&)>;
/// Told about an exception that escaped an event handler or a progress
/// handler (nothing awaits those): the exception, and which handler threw
/// ("event handler for com.example.topic", "progress handler of a call to ...").
using HandlerErrorHandler = std::function<void(std::exception_ptr error, const std::string& where)>;

using JoinSignature = void(std::exception_ptr, SessionInfo);
using LeaveSignature = void(std::exception_ptr, CloseInfo);
using CallSignature = void(std::exception_ptr, CallResult);
using RegisterSignature = void(std::exception_ptr, Registration);
using SubscribeSignature = void(std::exception_ptr, Subscription);
/// The publication id when acknowledged, else nullopt.
using PublishSignature = void(std::exception_ptr, std::optional<wamp::Id>);
using DoneSignature = void(std::exception_ptr);
using ClosedSignature = void(CloseInfo);

namespace detail {
class SessionImpl;
struct ProgressiveCallState;
template <class Sig> using Handler = boost::asio::any_completion_handler<Sig>;
/// `T` names a `U` (for the overloads that take options without placeholders;
/// a template parameter also keeps a braced list `{}` from choosing them).
template <class T, class U>
concept names = std::same_as<std::remove_cvref_t<T>, U>;
} // namespace detail

/// A call whose arguments are sent in chunks (progressive call inputs):
/// send() chunks, then finish() with the last one and await the result.
class ProgressiveCall {
public:
    explicit ProgressiveCall(std::shared_ptr<detail::ProgressiveCallState> state)
        : state_(std::move(state)) {}

    /// Sends one non-final chunk (CALL progress=true). Thread-safe; ignored
    /// after finish().
    void send(wamp::Array args, wamp::Object kwargs = {});

    /// Sends the final chunk and completes with the call's result (or an
    /// error the router or callee sent at any point).
    template <class Token = boost::asio::use_awaitable_t<>>
    auto finish(wamp::Array args = {}, wamp::Object kwargs = {}, Token&& token = {}) {
        return boost::asio::async_initiate<Token, CallSignature>(
            [state = state_](auto handler, wamp::Array a, wamp::Object kw) {
                finish_impl(state, std::move(a), std::move(kw),
                            detail::Handler<CallSignature>(std::move(handler)));
            },
            token, std::move(args), std::move(kwargs));
    }

private:
    static void finish_impl(const std::shared_ptr<detail::ProgressiveCallState>& state,
                            wamp::Array args, wamp::Object kwargs,
                            detail::Handler<CallSignature> handler);
    std::shared_ptr<detail::ProgressiveCallState> state_;
};

class Session {
public:
    /// A session on `transport`; its strand is made from `executor`.
    Session(boost::asio::any_io_executor executor, std::shared_ptr<Transport> transport);
    /// Drops the transport (no GOODBYE: leave() first for a clean end) and
    /// fails what is pending.
    ~Session();
    Session(Session&&) noexcept;
    Session& operator=(Session&&) noexcept;

    /// The session's strand.
    boost::asio::any_io_executor get_executor() const;

    /// HELLO -> (CHALLENGE -> AUTHENTICATE)* -> WELCOME. Fails with WampError
    /// carrying the ABORT's reason. After a leave() the same transport can join
    /// again if the router kept the connection open (WAMP allows it to close
    /// it); once the transport is closed, join() fails with SessionError and
    /// a new Session on a new transport is needed (Reconnector does that).
    template <class Token = boost::asio::use_awaitable_t<>>
    auto join(std::string realm, JoinOptions options = {}, Token&& token = {}) {
        return boost::asio::async_initiate<Token, JoinSignature>(
            [impl = impl_](auto handler, std::string r, JoinOptions o) {
                join_impl(impl, std::move(r), std::move(o),
                          detail::Handler<JoinSignature>(std::move(handler)));
            },
            token, std::move(realm), std::move(options));
    }

    /// GOODBYE -> GOODBYE. Completes with the close (reason = the router's answer).
    template <class Token = boost::asio::use_awaitable_t<>>
    auto leave(std::string reason = "wamp.close.close_realm", Token&& token = {}) {
        return boost::asio::async_initiate<Token, LeaveSignature>(
            [impl = impl_](auto handler, std::string r) {
                leave_impl(impl, std::move(r), detail::Handler<LeaveSignature>(std::move(handler)));
            },
            token, std::move(reason));
    }

    /// Completes when the session (joined now or later) ends, whoever ends it.
    template <class Token = boost::asio::use_awaitable_t<>> auto wait_closed(Token&& token = {}) {
        return boost::asio::async_initiate<Token, ClosedSignature>(
            [impl = impl_](auto handler) {
                wait_closed_impl(impl, detail::Handler<ClosedSignature>(std::move(handler)));
            },
            token);
    }

    /// Drops the transport without GOODBYE (as if the network failed).
    void disconnect();

    /// Replaces what is done with exceptions thrown by event and progress
    /// handlers; it runs on the session's strand. The default writes them to
    /// stderr. Thread-safe.
    void on_handler_error(HandlerErrorHandler handler);

    bool is_joined() const;
    /// The current session (WELCOME), if joined.
    std::optional<SessionInfo> info() const;

    // -- Caller ---------------------------------------------------------------

    /// CALL -> RESULT. options.timeout bounds it (router-side and locally),
    /// options.cancel_handle cancels it (see CancelHandle); cancelling the
    /// operation through its Asio cancellation slot sends CANCEL with
    /// options.cancel_mode too. A cancelled call ends with the router's answer
    /// (normally WampError wamp.error.canceled).
    template <class Token = boost::asio::use_awaitable_t<>>
    auto call(std::string procedure, wamp::Array args = {}, wamp::Object kwargs = {},
              CallOptions options = {}, Token&& token = {}) {
        return boost::asio::async_initiate<Token, CallSignature>(
            [impl = impl_](auto handler, std::string p, wamp::Array a, wamp::Object kw,
                           CallOptions o) {
                call_impl(impl, std::move(p), std::move(a), std::move(kw), std::move(o),
                          detail::Handler<CallSignature>(std::move(handler)));
            },
            token, std::move(procedure), std::move(args), std::move(kwargs), std::move(options));
    }

    /// The same without placeholders: call(p, options), call(p, args, options),
    /// call(p, kwargs), call(p, kwargs, options).
    template <detail::names<CallOptions> O, class Token = boost::asio::use_awaitable_t<>>
    auto call(std::string procedure, O&& options, Token&& token = {}) {
        return call(std::move(procedure), wamp::Array{}, wamp::Object{},
                    CallOptions(std::forward<O>(options)), std::forward<Token>(token));
    }
    template <detail::names<CallOptions> O, class Token = boost::asio::use_awaitable_t<>>
    auto call(std::string procedure, wamp::Array args, O&& options, Token&& token = {}) {
        return call(std::move(procedure), std::move(args), wamp::Object{},
                    CallOptions(std::forward<O>(options)), std::forward<Token>(token));
    }
    template <detail::names<wamp::Object> K, class Token = boost::asio::use_awaitable_t<>>
    auto call(std::string procedure, K&& kwargs, CallOptions options = {}, Token&& token = {}) {
        return call(std::move(procedure), wamp::Array{}, wamp::Object(std::forward<K>(kwargs)),
                    std::move(options), std::forward<Token>(token));
    }

    /// Starts a call with progressive call inputs; nothing is sent until the
    /// first send() or finish().
    ProgressiveCall open_call(std::string procedure, CallOptions options = {});

    // -- Callee ---------------------------------------------------------------

    template <class Token = boost::asio::use_awaitable_t<>>
    auto provide(std::string procedure, ProcedureHandler handler, RegisterOptions options = {},
                 Token&& token = {}) {
        return provide_any(std::move(procedure), std::move(handler), nullptr, options,
                           std::forward<Token>(token));
    }
    template <class Token = boost::asio::use_awaitable_t<>>
    auto provide_coroutine(std::string procedure, CoroutineProcedureHandler handler,
                           RegisterOptions options = {}, Token&& token = {}) {
        return provide_any(std::move(procedure), nullptr, std::move(handler), options,
                           std::forward<Token>(token));
    }

    template <class Token = boost::asio::use_awaitable_t<>>
    auto unregister(Registration registration, Token&& token = {}) {
        return boost::asio::async_initiate<Token, DoneSignature>(
            [impl = impl_](auto handler, Registration r) {
                unregister_impl(impl, std::move(r),
                                detail::Handler<DoneSignature>(std::move(handler)));
            },
            token, std::move(registration));
    }

    // -- Publisher / subscriber -------------------------------------------------

    template <class Token = boost::asio::use_awaitable_t<>>
    auto publish(std::string topic, wamp::Array args = {}, wamp::Object kwargs = {},
                 PublishOptions options = {}, Token&& token = {}) {
        return boost::asio::async_initiate<Token, PublishSignature>(
            [impl = impl_](auto handler, std::string t, wamp::Array a, wamp::Object kw,
                           PublishOptions o) {
                publish_impl(impl, std::move(t), std::move(a), std::move(kw), std::move(o),
                             detail::Handler<PublishSignature>(std::move(handler)));
            },
            token, std::move(topic), std::move(args), std::move(kwargs), std::move(options));
    }

    /// The same without placeholders: publish(t, options), publish(t, args,
    /// options), publish(t, kwargs), publish(t, kwargs, options).
    template <detail::names<PublishOptions> O, class Token = boost::asio::use_awaitable_t<>>
    auto publish(std::string topic, O&& options, Token&& token = {}) {
        return publish(std::move(topic), wamp::Array{}, wamp::Object{},
                       PublishOptions(std::forward<O>(options)), std::forward<Token>(token));
    }
    template <detail::names<PublishOptions> O, class Token = boost::asio::use_awaitable_t<>>
    auto publish(std::string topic, wamp::Array args, O&& options, Token&& token = {}) {
        return publish(std::move(topic), std::move(args), wamp::Object{},
                       PublishOptions(std::forward<O>(options)), std::forward<Token>(token));
    }
    template <detail::names<wamp::Object> K, class Token = boost::asio::use_awaitable_t<>>
    auto publish(std::string topic, K&& kwargs, PublishOptions options = {}, Token&& token = {}) {
        return publish(std::move(topic), wamp::Array{}, wamp::Object(std::forward<K>(kwargs)),
                       std::move(options), std::forward<Token>(token));
    }

    /// Subscribes `handler`; it runs on the session's strand for each EVENT.
    template <class Token = boost::asio::use_awaitable_t<>>
    auto subscribe(std::string topic, EventHandler handler, SubscribeOptions options = {},
                   Token&& token = {}) {
        return boost::asio::async_initiate<Token, SubscribeSignature>(
            [impl = impl_](auto h, std::string t, EventHandler eh, SubscribeOptions o) {
                subscribe_impl(impl, std::move(t), std::move(eh), o,
                               detail::Handler<SubscribeSignature>(std::move(h)));
            },
            token, std::move(topic), std::move(handler), options);
    }

    /// Removes one handler; the router subscription ends with the last one.
    template <class Token = boost::asio::use_awaitable_t<>>
    auto unsubscribe(Subscription subscription, Token&& token = {}) {
        return boost::asio::async_initiate<Token, DoneSignature>(
            [impl = impl_](auto handler, Subscription s) {
                unsubscribe_impl(impl, std::move(s),
                                 detail::Handler<DoneSignature>(std::move(handler)));
            },
            token, std::move(subscription));
    }

private:
    template <class Token>
    auto provide_any(std::string procedure, ProcedureHandler plain,
                     CoroutineProcedureHandler coroutine, RegisterOptions options, Token&& token) {
        return boost::asio::async_initiate<Token, RegisterSignature>(
            [impl = impl_](auto handler, std::string p, ProcedureHandler ph,
                           CoroutineProcedureHandler ch, RegisterOptions o) {
                register_impl(impl, std::move(p), std::move(ph), std::move(ch), o,
                              detail::Handler<RegisterSignature>(std::move(handler)));
            },
            token, std::move(procedure), std::move(plain), std::move(coroutine), options);
    }

    using Impl = std::shared_ptr<detail::SessionImpl>;
    static void join_impl(const Impl&, std::string, JoinOptions, detail::Handler<JoinSignature>);
    static void leave_impl(const Impl&, std::string, detail::Handler<LeaveSignature>);
    static void wait_closed_impl(const Impl&, detail::Handler<ClosedSignature>);
    static void call_impl(const Impl&, std::string, wamp::Array, wamp::Object, CallOptions,
                          detail::Handler<CallSignature>);
    static void register_impl(const Impl&, std::string, ProcedureHandler, CoroutineProcedureHandler,
                              RegisterOptions, detail::Handler<RegisterSignature>);
    static void unregister_impl(const Impl&, Registration, detail::Handler<DoneSignature>);
    static void publish_impl(const Impl&, std::string, wamp::Array, wamp::Object, PublishOptions,
                             detail::Handler<PublishSignature>);
    static void subscribe_impl(const Impl&, std::string, EventHandler, SubscribeOptions,
                               detail::Handler<SubscribeSignature>);
    static void unsubscribe_impl(const Impl&, Subscription, detail::Handler<DoneSignature>);

    Impl impl_;
};

} // namespace nexus::client
