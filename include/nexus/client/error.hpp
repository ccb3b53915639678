// The exceptions the client library reports failures with. Asynchronous
// operations complete with a std::exception_ptr holding one of these, so
// `co_await` and futures rethrow them and callbacks can inspect them.
#pragma once

#include <stdexcept>
#include <string>

#include <nexus/wamp/value.hpp>

namespace nexus::client {

/// A WAMP error from the router or from the peer on the other side of a call:
/// the ERROR (or ABORT) message's URI, payload and details. A callee handler
/// throws one to answer a call with that error.
class WampError : public std::runtime_error {
public:
    explicit WampError(std::string uri, wamp::Array args = {}, wamp::Object kwargs = {},
                       wamp::Object details = {});

    /// "wamp.error.no_such_procedure", "com.example.error.bad_input", ...
    const std::string& uri() const noexcept { return uri_; }
    const wamp::Array& args() const noexcept { return args_; }
    const wamp::Object& kwargs() const noexcept { return kwargs_; }
    const wamp::Object& details() const noexcept { return details_; }

private:
    std::string uri_;
    wamp::Array args_;
    wamp::Object kwargs_;
    wamp::Object details_;
};

/// The operation needs a joined session (or a connected transport) and there
/// is none, or the session ended before the answer arrived.
class SessionError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A transport could not be opened (bad URL, refused connection, failed
/// handshake, unsupported serializer).
class TransportError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace nexus::client
