#include "router/dealer/dealer_state.hpp"

namespace nexus::router::dealing {

std::optional<Invoke> parse_invoke(std::string_view s) {
    if (s == "single") return Invoke::single;
    if (s == "roundrobin") return Invoke::roundrobin;
    if (s == "random") return Invoke::random;
    if (s == "first") return Invoke::first;
    if (s == "last") return Invoke::last;
    return std::nullopt;
}

std::string_view invoke_name(Invoke i) {
    switch (i) {
    case Invoke::single: return "single";
    case Invoke::roundrobin: return "roundrobin";
    case Invoke::random: return "random";
    case Invoke::first: return "first";
    case Invoke::last: return "last";
    }
    return "single";
}

void link_call(PendingCall*& head, PendingCall& call, CallLinks PendingCall::*links) {
    (call.*links).prev = nullptr;
    (call.*links).next = head;
    if (head) (head->*links).prev = &call;
    head = &call;
}

void unlink_call(PendingCall*& head, PendingCall& call, CallLinks PendingCall::*links) {
    CallLinks& l = call.*links;
    if (l.prev)
        (l.prev->*links).next = l.next;
    else
        head = l.next;
    if (l.next) (l.next->*links).prev = l.prev;
    l.prev = l.next = nullptr;
}

bool flag(const wamp::Object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->second.if_bool() && *it->second.if_bool();
}

} // namespace nexus::router::dealing
