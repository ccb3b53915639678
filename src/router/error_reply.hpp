// The ERROR a router component answers a request with: the error URI and one
// argument, a message for people.
#pragma once

#include <string>
#include <string_view>

#include <nexus/wamp/message.hpp>

#include "router/session.hpp"

namespace nexus::router {

inline void send_error(Session& s, wamp::MessageType type, wamp::Id request, std::string_view uri,
                       std::string message) {
    wamp::Error e;
    e.request_type = type;
    e.request = request;
    e.error = std::string(uri);
    e.payload = wamp::Payload(wamp::Array{wamp::Value(std::move(message))});
    s.send(std::move(e));
}

} // namespace nexus::router
