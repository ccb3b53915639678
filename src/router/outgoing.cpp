#include <nexus/router/outgoing.hpp>
#include <nexus/serialize/serializer.hpp>

namespace nexus::router {

wamp::Expected<std::string_view> SharedDetail::encoded(wamp::Format format) const {
    std::lock_guard lock(mutex_);
    auto bytes = encodings_.get(format, [&](std::string& out) {
        return serialize::encode_value_into(format, value_, out);
    });
    if (!bytes) return bytes.error();
    return std::string_view(**bytes);
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
    std::lock_guard lock(mutex_);
    auto bytes = encodings_.get(format, [&](std::string& out) { return encode(format, out); });
    if (!bytes) return bytes.error();
    // Once made, the bytes never change again: sharing them is safe.
    if (auto owner = weak_from_this().lock())
        return std::shared_ptr<const std::string>(owner, *bytes);
    return std::make_shared<const std::string>(**bytes); // not owned by a shared_ptr
}

} // namespace nexus::router
