// What libnats calls: messages and replies posted to the bus's callbacks
// thread, connection events turned into BusStates and log lines.
#include <charconv>

#include "closure_registry.hpp"
#include "nats_bus.hpp"
#include "nats_error.hpp"

namespace nexus::cluster::natsbus {

namespace {

using SharedMsg = std::shared_ptr<natsMsg>;

SharedMsg own(natsMsg* msg) { return SharedMsg(msg, natsMsg_Destroy); }

std::string connected_url(natsConnection* nc) {
    char buffer[256] = {};
    if (natsConnection_GetConnectedUrl(nc, buffer, sizeof buffer) != NATS_OK || !*buffer)
        return "?";
    return redact_url(buffer); // libnats may give the URL with its userinfo
}

std::shared_ptr<Link> find_link(void* closure) {
    return ClosureRegistry<Link>::instance().find(closure);
}

bool power_of_two(std::uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

} // namespace

void Link::log(NatsLogLevel level, const std::string& line) const {
    if (logger) logger(level, line);
}

void Link::set_state(BusState s) {
    if (state == BusState::closed || state == s) return;
    state = s;
    if (on_state) on_state(s);
    if (s == BusState::closed) on_state = nullptr;
}

std::function<void(std::optional<std::string>)> Link::take_request(std::uint64_t id) {
    std::lock_guard lock(mutex);
    auto it = requests.find(id);
    if (it == requests.end()) return nullptr;
    auto done = std::move(it->second);
    requests.erase(it);
    return done;
}

void Link::fail_requests() {
    std::map<std::uint64_t, std::function<void(std::optional<std::string>)>> failed;
    {
        std::lock_guard lock(mutex);
        failed.swap(requests);
    }
    for (auto& [id, done] : failed)
        done(std::nullopt);
}

void on_message(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
    SharedMsg msg = own(raw);
    auto subscriber = ClosureRegistry<Subscriber>::instance().find(closure);
    if (!subscriber) return;
    Link& link = *subscriber->link;
    // Handlers that do not keep up must not make the queue grow without bound.
    if (link.pending.fetch_add(1) >= link.max_pending) {
        link.pending.fetch_sub(1);
        const std::uint64_t dropped = ++link.dropped;
        if (power_of_two(dropped))
            link.log(NatsLogLevel::warning, "NATS: message handlers do not keep up; " +
                                                std::to_string(dropped) +
                                                " messages dropped so far");
        return;
    }
    const bool posted = link.callbacks->post([subscriber, msg] {
        subscriber->link->pending.fetch_sub(1);
        subscriber->gate.run([&] {
            const char* reply = natsMsg_GetReply(msg.get());
            const int size = natsMsg_GetDataLength(msg.get());
            subscriber->handler(natsMsg_GetSubject(msg.get()),
                                std::string_view(natsMsg_GetData(msg.get()),
                                                 static_cast<std::size_t>(size > 0 ? size : 0)),
                                reply ? std::string_view(reply) : std::string_view());
        });
    });
    if (!posted) link.pending.fetch_sub(1);
}

void on_reply(natsConnection*, natsSubscription*, natsMsg* raw, void* closure) {
    SharedMsg msg = own(raw);
    auto link = find_link(closure);
    if (!link) return;
    // The subject is <inbox>.<request id>.
    const std::string_view subject = natsMsg_GetSubject(msg.get());
    if (subject.size() <= link->inbox.size() + 1) return;
    const std::string_view id_text = subject.substr(link->inbox.size() + 1);
    std::uint64_t id = 0;
    const auto [end, error] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (error != std::errc() || end != id_text.data() + id_text.size()) return;
    link->callbacks->post([link, msg, id] {
        auto done = link->take_request(id);
        if (!done) return; // timed out already, or a second reply
        if (natsMsg_IsNoResponders(msg.get())) return done(std::nullopt);
        const int size = natsMsg_GetDataLength(msg.get());
        done(
            std::string(natsMsg_GetData(msg.get()), static_cast<std::size_t>(size > 0 ? size : 0)));
    });
}

void on_connected(natsConnection* nc, void* closure) {
    auto link = find_link(closure);
    if (!link) return;
    link->log(NatsLogLevel::info, "NATS: connected to " + connected_url(nc));
    link->callbacks->post([link] { link->set_state(BusState::connected); });
}

void on_disconnected(natsConnection*, void* closure) {
    auto link = find_link(closure);
    if (!link || link->closing) return;
    link->log(NatsLogLevel::warning, "NATS: lost the connection; reconnecting");
    // A reply to a request in flight cannot come any more (the inbox
    // subscription is made again on reconnect, the responder's answer is
    // lost): end the requests now rather than at their timeouts.
    link->callbacks->post([link] {
        link->fail_requests();
        link->set_state(BusState::disconnected);
    });
}

void on_reconnected(natsConnection* nc, void* closure) {
    auto link = find_link(closure);
    if (!link) return;
    link->log(NatsLogLevel::info,
              "NATS: reconnected to " + connected_url(nc) + "; subscriptions restored");
    link->callbacks->post([link] { link->set_state(BusState::connected); });
}

void on_closed(natsConnection* nc, void* closure) {
    auto link = find_link(closure);
    ClosureRegistry<Link>::instance().remove(closure); // libnats calls no more
    if (!link || link->closing) return;
    // Out of attempts (max_reconnect), or refused in a way libnats does not
    // retry (a server certificate that fails verification, credentials refused).
    std::string why;
    const char* last = nullptr;
    if (natsConnection_GetLastError(nc, &last) != NATS_OK && last && *last)
        why = std::string(": ") + last;
    link->log(NatsLogLevel::error, "NATS: gave up connecting to " + link->servers + why);
    link->callbacks->post([link] {
        link->fail_requests();
        link->set_state(BusState::closed);
    });
}

void on_error(natsConnection*, natsSubscription* sub, natsStatus err, void* closure) {
    auto link = find_link(closure);
    if (!link) return;
    std::string line = "NATS: ";
    line += natsStatus_GetText(err);
    if (sub) line += std::string(" (subscription ") + natsSubscription_GetSubject(sub) + ")";
    link->log(NatsLogLevel::error, line);
}

int64_t reconnect_delay(natsConnection*, int attempts, void* closure) {
    auto link = find_link(closure);
    if (!link) return 1000;
    // Every round would flood the log of a node left alone for a day.
    if (power_of_two(static_cast<std::uint64_t>(attempts)))
        link->log(NatsLogLevel::warning,
                  "NATS: cannot reach " + link->servers + " (" + std::to_string(attempts) +
                      (attempts == 1 ? " round" : " rounds") + " of attempts); retrying");
    return link->reconnect_wait.count();
}

} // namespace nexus::cluster::natsbus
