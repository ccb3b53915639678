#include "session.hpp"

#include <nexus/serialize/serializer.hpp>
#include <nexus/wamp/uris.hpp>

namespace wampbench {

namespace wamp = nexus::wamp;

Session::Session(boost::asio::io_context& io, const Target& target, Setup setup, std::string uri)
    : link_(make_link(io, target)), target_(target), setup_(setup), uri_(std::move(uri)),
      retry_(io) {
    link_->set_handler(this);
}

void Session::start(Done ready) {
    ready_ = std::move(ready);
    link_->connect([this](const boost::system::error_code& ec, std::string_view why) {
        if (ec) return finish_setup(false, std::string(why) + ": " + ec.message());
        state_ = State::joining;
        if (target_.forwarder) {
            const char* mode = setup_ == Setup::publish ? "w" : "rw";
            send_setup_frame("join", "join " + uri_ + " " + mode);
            return;
        }
        wamp::Object roles{{"caller", wamp::Object{}},
                           {"callee", wamp::Object{}},
                           {"publisher", wamp::Object{}},
                           {"subscriber", wamp::Object{}}};
        wamp::Hello hello{target_.realm, {{"roles", roles}, {"agent", "wampbench"}}};
        auto bytes = nexus::serialize::encode(target_.format, hello);
        if (!bytes) return finish_setup(false, "cannot encode HELLO");
        send_setup_frame("HELLO", *bytes);
    });
}

void Session::send_setup_frame(std::string_view, const std::string& bytes) {
    link_->begin_frame().append(bytes);
    link_->end_frame();
    link_->flush();
}

void Session::after_join() {
    state_ = State::setting_up;
    if (target_.forwarder || setup_ == Setup::none || setup_ == Setup::call ||
        setup_ == Setup::publish)
        return finish_setup(true, {});
    if (setup_ == Setup::call_when_callable) {
        give_up_ = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        return send_probe_call();
    }
    wamp::Message m;
    if (setup_ == Setup::register_procedure)
        m = wamp::Register{next_request(), {}, uri_};
    else
        m = wamp::Subscribe{next_request(), {}, uri_};
    auto bytes = nexus::serialize::encode(target_.format, m);
    if (!bytes) return finish_setup(false, "cannot encode REGISTER/SUBSCRIBE");
    send_setup_frame("setup", *bytes);
}

void Session::send_probe_call() {
    auto bytes = nexus::serialize::encode(target_.format, wamp::Call{next_request(), {}, uri_, {}});
    if (!bytes) return finish_setup(false, "cannot encode CALL");
    send_setup_frame("CALL", *bytes);
}

void Session::finish_setup(bool ok, std::string_view why) {
    state_ = ok ? State::ready : State::done;
    if (!ok) link_->close();
    if (auto cb = std::move(ready_)) cb(ok, why);
}

void Session::on_setup_frame(std::string_view frame) {
    if (target_.forwarder) {
        if (state_ == State::joining && frame == "joined") return after_join();
        return finish_setup(false, "unexpected frame from the forwarder");
    }
    auto decoded = nexus::serialize::decode(target_.format, frame);
    if (!decoded) return finish_setup(false, "undecodable frame: " + decoded.error().message);
    const wamp::Message& m = *decoded;
    if (auto* abort = std::get_if<wamp::Abort>(&m))
        return finish_setup(false, "ABORT " + abort->reason);
    if (auto* err = std::get_if<wamp::Error>(&m)) {
        if (state_ == State::setting_up && setup_ == Setup::call_when_callable &&
            err->error == wamp::errors::no_such_procedure &&
            std::chrono::steady_clock::now() < give_up_) {
            retry_.expires_after(std::chrono::milliseconds(20));
            retry_.async_wait([this](const boost::system::error_code& ec) {
                if (!ec && state_ == State::setting_up) send_probe_call();
            });
            return;
        }
        return finish_setup(false, "ERROR " + err->error);
    }
    if (state_ == State::joining && std::holds_alternative<wamp::Welcome>(m)) return after_join();
    if (state_ == State::setting_up &&
        (std::holds_alternative<wamp::Registered>(m) ||
         std::holds_alternative<wamp::Subscribed>(m) || std::holds_alternative<wamp::Result>(m)))
        return finish_setup(true, {});
    finish_setup(false, "unexpected message during setup");
}

void Session::leave(Done done) {
    if (target_.forwarder || state_ != State::ready) {
        state_ = State::done;
        return done(true, {});
    }
    left_ = std::move(done);
    state_ = State::leaving;
    auto bytes =
        nexus::serialize::encode(target_.format, wamp::Goodbye{{}, "wamp.close.close_realm"});
    if (bytes) send_setup_frame("GOODBYE", *bytes);
}

void Session::on_frame(std::string_view frame) {
    if (state_ == State::ready) {
        if (!split_list(target_.format, frame, items_) || items_.count == 0) {
            if (target_.forwarder) return; // not ours to judge: counted as lost by the role
            return on_lost("malformed frame from the router");
        }
        const auto type = read_uint(target_.format, items_.item[0]);
        if (!type) return on_lost("frame without a message type");
        if (!target_.forwarder && (*type == msg::goodbye || *type == msg::abort)) {
            state_ = State::done;
            return on_lost("the router ended the session");
        }
        return on_message(*type, items_);
    }
    if (state_ == State::leaving) {
        state_ = State::done;
        if (auto cb = std::move(left_)) cb(true, {});
        return;
    }
    if (state_ == State::joining || state_ == State::setting_up) on_setup_frame(frame);
}

void Session::on_closed(std::string_view why) {
    if (state_ == State::ready) {
        state_ = State::done;
        return on_lost(why);
    }
    if (state_ == State::leaving) {
        state_ = State::done;
        if (auto cb = std::move(left_)) cb(true, {});
        return;
    }
    if (state_ != State::done) finish_setup(false, why);
}

} // namespace wampbench
