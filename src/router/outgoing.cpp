#include <nexus/router/outgoing.hpp>
#include <nexus/serialize/serializer.hpp>

namespace nexus::router {

wamp::Expected<std::shared_ptr<const std::string>> Outgoing::encoded(wamp::Format format) const {
    const auto i = static_cast<std::size_t>(format);
    std::lock_guard lock(mutex_);
    if (bytes_[i]) return bytes_[i];
    if (!failures_[i].empty()) return wamp::Failure{failures_[i]};
    auto bytes = std::make_shared<std::string>();
    if (auto status = serialize::encode_into(format, message_, *bytes); !status) {
        failures_[i] = status.error().message;
        return status.error();
    }
    bytes_[i] = std::move(bytes);
    return bytes_[i];
}

} // namespace nexus::router
