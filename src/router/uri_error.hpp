// An application error the router answers with an ERROR message: the error
// URI the peer acts on, and a message for people.
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace nexus::router {

struct UriError {
    std::string uri;
    std::string message;

    UriError(std::string_view uri, std::string message) : uri(uri), message(std::move(message)) {}
};

/// A value, or the error to answer instead.
template <class T> using OrUriError = std::variant<T, UriError>;

} // namespace nexus::router
