// InternalCaller: the router calling a procedure of its own realm, e.g. a
// dynamic authenticator registered by a trusted backend session.
//
// It is a session that never joins the member table (so the meta API does
// not list it) but that the dealer treats like any caller: CALLs go through
// Dealer::call with its Session, and the RESULT or ERROR the dealer queues
// for it is handed to the callback registered for that request id, on a
// strand, without the realm lock held.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>

#include <nexus/wamp/message.hpp>

#include "router/session.hpp"

namespace nexus::router {

class InternalCaller {
public:
    /// Gets the RESULT or ERROR answering the call.
    using Done = std::function<void(const wamp::Message&)>;

    /// `session`: the id of the router's own session in `realm`.
    InternalCaller(std::string realm, boost::asio::any_io_executor executor, wamp::Id session);
    ~InternalCaller();

    Session& session() { return *session_; }
    /// The request id for the next CALL, whose answer goes to `done`.
    wamp::Id expect_answer(Done done);

private:
    struct State;
    class Peer;
    std::shared_ptr<State> state_;
    std::shared_ptr<Session> session_;
};

} // namespace nexus::router
