// A bench session on one Link: the setup path (WAMP HELLO/WELCOME and one
// REGISTER or SUBSCRIBE, encoded and decoded with nexus::serialize), then the
// hot path, where each received frame is only split into its items
// (wire_reader) and handed to the role.
//
// Against bench/forwarder there is no WAMP session: the first frame is the
// forwarder's join request "join <channel> <rw|w>" (see bench/forwarder), its
// reply "joined" plays WELCOME. The channel is the procedure or topic URI, so
// the caller of procedure P and the callee of P meet in channel P.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/steady_timer.hpp>

#include "link.hpp"
#include "target.hpp"
#include "wire_reader.hpp"

namespace wampbench {

namespace msg {
inline constexpr std::uint64_t hello = 1, welcome = 2, abort = 3, goodbye = 6, error = 8,
                               publish = 16, published = 17, subscribed = 33, event = 36, call = 48,
                               result = 50, registered = 65, invocation = 68, yield = 70;
}

class Session : public Link::Handler {
public:
    /// `call_when_callable`: a caller whose callee is on another router (a node
    /// of a cluster, which learns of the registration a moment later): setup
    /// ends with the first RESULT of a call without arguments, repeated while
    /// the answer is wamp.error.no_such_procedure.
    enum class Setup { none, call, call_when_callable, register_procedure, publish, subscribe };
    using Done = std::function<void(bool ok, std::string_view why)>;

    Session(boost::asio::io_context& io, const Target& target, Setup setup, std::string uri);
    virtual ~Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    /// Connects, joins and performs the setup step; `ready` is called once.
    void start(Done ready);
    /// Sends GOODBYE and calls `done` on the router's reply (at once against the forwarder).
    void leave(Done done);
    void close() {
        retry_.cancel();
        link_->close();
    }

    const Target& target() const { return target_; }
    const std::string& uri() const { return uri_; }
    Link& link() { return *link_; }
    /// Session-scope request ids: sequential from 1 (basic/ids.md).
    std::uint64_t next_request() { return ++request_; }
    bool ready() const { return state_ == State::ready; }

protected:
    /// A frame after setup: `type` is its message code, `items` its first items.
    virtual void on_message(std::uint64_t type, const ListItems& items) = 0;
    /// The connection or session ended while the bench still used it.
    virtual void on_lost(std::string_view why) = 0;

    void on_frame(std::string_view frame) override;
    void on_closed(std::string_view why) override;

private:
    enum class State { connecting, joining, setting_up, ready, leaving, done };
    void send_setup_frame(std::string_view kind_for_errors, const std::string& bytes);
    void on_setup_frame(std::string_view frame);
    void after_join();
    void finish_setup(bool ok, std::string_view why);
    void send_probe_call();

    std::unique_ptr<Link> link_;
    const Target& target_;
    Setup setup_;
    std::string uri_;
    std::uint64_t request_ = 0;
    State state_ = State::connecting;
    Done ready_;
    Done left_;
    ListItems items_;
    boost::asio::steady_timer retry_; // call_when_callable
    std::chrono::steady_clock::time_point give_up_;
};

} // namespace wampbench
