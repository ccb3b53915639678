#include <nexus/client/invocation.hpp>

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
    if (!state_->receive_progress) return false;
    auto session = state_->session.lock();
    if (!session) return false;
    // Sent at once rather than posted: a YIELD posted for later could fall
    // behind the final one the handler produces next (and be dropped).
    return session->send_progress(state_, std::move(args), std::move(kwargs));
}

} // namespace nexus::client
