#include <nexus/router/outgoing.hpp>
#include <nexus/serialize/serializer.hpp>

namespace nexus::router {

wamp::Expected<std::shared_ptr<const std::string>> Outgoing::encoded(wamp::Format format) const {
    const auto i = static_cast<std::size_t>(format);
    std::lock_guard lock(mutex_);
    if (state_[i] == State::not_yet) {
        if (auto status = serialize::encode_into(format, message_, text_[i]); status) {
            state_[i] = State::encoded;
        } else {
            state_[i] = State::failed;
            text_[i] = status.error().message;
        }
    }
    if (state_[i] == State::failed) return wamp::Failure{text_[i]};
    // Once encoded, text_[i] never changes again: sharing it is safe.
    if (auto owner = weak_from_this().lock())
        return std::shared_ptr<const std::string>(owner, &text_[i]);
    return std::make_shared<const std::string>(text_[i]); // not owned by a shared_ptr
}

} // namespace nexus::router
