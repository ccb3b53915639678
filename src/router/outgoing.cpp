#include <nexus/router/outgoing.hpp>
#include <nexus/serialize/serializer.hpp>

namespace nexus::router {

wamp::Expected<std::string_view> SharedDetail::encoded(wamp::Format format) const {
    const auto i = static_cast<std::size_t>(format);
    std::lock_guard lock(mutex_);
    if (!status_[i]) status_[i] = serialize::encode_value_into(format, value_, text_[i]);
    if (!*status_[i]) return status_[i]->error();
    return std::string_view(text_[i]);
}

const wamp::Message& Outgoing::message() const {
    if (shared_pending_.load(std::memory_order_acquire)) {
        std::lock_guard lock(mutex_);
        if (shared_) {
            std::get<wamp::Welcome>(message_).details.insert_or_assign(shared_->key(),
                                                                       shared_->value());
            shared_.reset();
            shared_pending_.store(false, std::memory_order_release);
        }
    }
    return message_;
}

wamp::Status Outgoing::encode(wamp::Format format, std::string& out) const {
    if (!shared_) return serialize::encode_into(format, message_, out);
    auto value = shared_->encoded(format);
    if (!value) return value.error();
    return serialize::encode_welcome_into(format, std::get<wamp::Welcome>(message_), shared_->key(),
                                          *value, out);
}

wamp::Expected<std::shared_ptr<const std::string>> Outgoing::encoded(wamp::Format format) const {
    const auto i = static_cast<std::size_t>(format);
    std::lock_guard lock(mutex_);
    if (state_[i] == State::not_yet) {
        if (auto status = encode(format, text_[i]); status) {
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
