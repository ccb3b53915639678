#include "channel.hpp"

#include <algorithm>

namespace forwarder {

void Channel::join(const std::shared_ptr<Connection>& c, bool receives) {
    if (!receives) return; // senders need no entry: they look the channel up themselves
    std::lock_guard lock(mutex_);
    auto next = std::make_shared<Members>(*members_);
    next->receivers.push_back(c);
    members_ = std::move(next);
}

void Channel::leave(const Connection* c) {
    std::lock_guard lock(mutex_);
    auto next = std::make_shared<Members>(*members_);
    std::erase_if(next->receivers, [c](const auto& r) { return r.get() == c; });
    members_ = std::move(next);
}

std::shared_ptr<const Members> Channel::members() const {
    std::lock_guard lock(mutex_);
    return members_;
}

Channel& Channels::get(const std::string& name) {
    std::lock_guard lock(mutex_);
    auto& slot = channels_[name];
    if (!slot) slot = std::make_unique<Channel>();
    return *slot;
}

} // namespace forwarder
