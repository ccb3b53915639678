// Publisher and subscriber (basic/publish_subscribe.md and the advanced
// pub/sub features): PUBLISH/PUBLISHED, SUBSCRIBE/UNSUBSCRIBE, EVENT.
#include "client/session_impl.hpp"

#include <nexus/wamp/uris.hpp>

namespace nexus::client::detail {

namespace {

wamp::Object publish_options(const PublishOptions& o) {
    wamp::Object options;
    if (o.acknowledge) options.emplace("acknowledge", true);
    if (!o.exclude_me) options.emplace("exclude_me", false);
    if (o.disclose_me) options.emplace("disclose_me", true);
    if (o.retain) options.emplace("retain", true);
    const auto list = [&](const char* key, const auto& items) {
        if (!items.empty()) options.emplace(key, wamp::Value(items));
    };
    list("exclude", o.exclude);
    list("eligible", o.eligible);
    list("exclude_authid", o.exclude_authid);
    list("eligible_authid", o.eligible_authid);
    list("exclude_authrole", o.exclude_authrole);
    list("eligible_authrole", o.eligible_authrole);
    return options;
}

} // namespace

void SessionImpl::publish(std::string topic, wamp::Array args, wamp::Object kwargs,
                          PublishOptions options, Completion<PublishSignature> done) {
    if (!require_joined(done)) return;
    const wamp::Id request = requests_.next();
    send(wamp::Publish{request, publish_options(options), std::move(topic),
                       wamp::Payload(std::move(args), std::move(kwargs))});
    if (options.acknowledge)
        publishing_.emplace(request, std::move(done));
    else
        done.complete(nullptr, std::nullopt); // nothing will answer
}

void SessionImpl::on_published(wamp::Published& m) {
    auto it = publishing_.find(m.request);
    if (it == publishing_.end()) return;
    it->second.complete(nullptr, m.publication);
    publishing_.erase(it);
}

void SessionImpl::subscribe(std::string topic, EventHandler handler, SubscribeOptions options,
                            Completion<SubscribeSignature> done) {
    if (!require_joined(done)) return;
    if (!handler)
        return fail(done, std::make_exception_ptr(std::invalid_argument("empty event handler")));
    const wamp::Id request = requests_.next();
    wamp::Object o;
    if (options.match != wamp::MatchPolicy::exact)
        o.emplace("match", std::string(wamp::match_policy_name(options.match)));
    if (options.get_retained) o.emplace("get_retained", true);
    subscribing_.emplace(request, PendingSubscribe{std::move(done), topic, std::move(handler)});
    send(wamp::Subscribe{request, std::move(o), std::move(topic)});
}

void SessionImpl::on_subscribed(wamp::Subscribed& m) {
    auto it = subscribing_.find(m.request);
    if (it == subscribing_.end()) return;
    auto pending = std::move(it->second);
    subscribing_.erase(it);
    // The router gives every subscription of one topic and policy the same
    // id, so several local handlers may share it.
    auto& entry = subscriptions_[m.subscription];
    if (entry.handlers.empty()) entry.topic = pending.topic;
    const std::uint64_t handler = ++next_handler_;
    entry.handlers.emplace(handler, std::move(pending.handler));
    pending.done.complete(nullptr, Subscription{m.subscription, pending.topic, handler});
}

void SessionImpl::unsubscribe(Subscription subscription, Completion<DoneSignature> done) {
    if (!require_joined(done)) return;
    auto it = subscriptions_.find(subscription.id);
    if (it == subscriptions_.end() || it->second.handlers.erase(subscription.handler) == 0)
        return done.complete(
            std::make_exception_ptr(WampError(std::string(wamp::errors::no_such_subscription))));
    if (!it->second.handlers.empty()) return done.complete(nullptr); // others still listen
    subscriptions_.erase(it);
    const wamp::Id request = requests_.next();
    unsubscribing_.emplace(request, std::move(done));
    send(wamp::Unsubscribe{request, subscription.id});
}

void SessionImpl::on_unsubscribed(wamp::Unsubscribed& m) {
    if (m.request == 0) {
        // Revocation by the router (subscription_revocation): forget it.
        if (m.details)
            if (auto it = m.details->find("subscription"); it != m.details->end())
                if (auto id = it->second.to_uint()) subscriptions_.erase(*id);
        return;
    }
    auto it = unsubscribing_.find(m.request);
    if (it == unsubscribing_.end()) return;
    it->second.complete(nullptr);
    unsubscribing_.erase(it);
}

void SessionImpl::on_event(wamp::Event& m) {
    auto it = subscriptions_.find(m.subscription);
    if (it == subscriptions_.end()) return; // unsubscribed while it was on its way
    Event event;
    event.subscription = m.subscription;
    event.publication = m.publication;
    event.args = m.payload.args();
    event.kwargs = m.payload.kwargs();
    auto t = m.details.find("topic");
    event.topic =
        t != m.details.end() && t->second.is_string() ? t->second.as_string() : it->second.topic;
    event.details = std::move(m.details);
    // A handler may unsubscribe (itself or others): iterate over a copy.
    auto handlers = it->second.handlers;
    for (auto& [id, handler] : handlers) {
        // Nothing awaits an event handler: its exception goes to the
        // session's handler-error handler, and the other handlers still run.
        try {
            handler(event);
        } catch (...) {
            handler_failed(std::current_exception(), "event handler for " + event.topic);
        }
    }
}

} // namespace nexus::client::detail
