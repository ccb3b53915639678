#include <nexus/client/invocation.hpp>

#include <boost/asio/post.hpp>

#include "client/session_impl.hpp"

namespace nexus::client {

Invocation::Invocation(std::shared_ptr<detail::InvocationState> state, wamp::Array args,
                       wamp::Object kwargs, wamp::Object details)
    : state_(std::move(state)), args_(std::move(args)), kwargs_(std::move(kwargs)),
      details_(std::move(details)) {}

wamp::Id Invocation::request() const noexcept { return state_->request; }
wamp::Id Invocation::registration() const noexcept { return state_->registration; }
const std::string& Invocation::procedure() const noexcept { return state_->procedure; }
bool Invocation::receive_progress() const noexcept { return state_->receive_progress; }
bool Invocation::interrupted() const noexcept { return state_->interrupted; }

std::optional<wamp::Id> Invocation::caller() const {
    if (auto it = details_.find("caller"); it != details_.end()) return it->second.to_uint();
    return std::nullopt;
}

bool Invocation::progress() const {
    auto it = details_.find("progress");
    return it != details_.end() && it->second.is_bool() && *it->second.if_bool();
}

bool Invocation::send_progress(wamp::Array args, wamp::Object kwargs) const {
    if (!state_->receive_progress || state_->finished) return false;
    auto session = state_->session.lock();
    if (!session) return false;
    boost::asio::post(session->strand(), [session, state = state_, a = std::move(args),
                                          kw = std::move(kwargs)]() mutable {
        session->send_progress(state, std::move(a), std::move(kw));
    });
    return true;
}

} // namespace nexus::client
