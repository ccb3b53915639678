#include "transport/net/connection_limits.hpp"

namespace nexus::transport {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds log_interval{1};

// A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d; they count as
// the IPv4 address they are.
boost::asio::ip::address canonical(const boost::asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
    return a;
}

} // namespace

void ConnectionSlot::release() {
    if (!state_) return;
    {
        std::lock_guard lock(state_->mutex);
        --state_->open;
        if (address_) {
            auto it = state_->per_address.find(*address_);
            if (it != state_->per_address.end() && --it->second == 0) state_->per_address.erase(it);
        }
    }
    state_.reset();
}

ConnectionLimits::ConnectionLimits(std::string listener, std::size_t max_connections,
                                   std::size_t max_per_address) {
    if (max_connections > 0 || max_per_address > 0)
        state_ = std::make_shared<ConnectionSlot::State>(std::move(listener), max_connections,
                                                         max_per_address);
}

std::optional<ConnectionSlot>
ConnectionLimits::admit(const std::optional<boost::asio::ip::address>& address,
                        const std::string& peer, router::Router& router) {
    ConnectionSlot slot;
    if (!state_) return slot; // no caps: nothing to count
    auto& s = *state_;
    // Per address only for IP peers: a Unix socket's peers have none.
    const auto key = address && s.max_per_address > 0
                         ? std::optional<boost::asio::ip::address>(canonical(*address))
                         : std::nullopt;
    const char* reason = nullptr;
    std::string detail;
    std::uint64_t also_refused = 0;
    {
        std::lock_guard lock(s.mutex);
        std::size_t* from_address = key ? &s.per_address[*key] : nullptr;
        if (s.max_connections > 0 && s.open >= s.max_connections) {
            reason = "max_connections";
            detail = std::to_string(s.open) + " connections open";
        } else if (from_address && *from_address >= s.max_per_address) {
            reason = "max_connections_per_address";
            detail =
                std::to_string(*from_address) + " connections from " + key->to_string() + " open";
        }
        if (!reason) {
            ++s.open;
            if (from_address) ++*from_address;
            slot.state_ = state_;
            slot.address_ = key;
            return slot;
        }
        if (from_address && *from_address == 0) s.per_address.erase(*key); // made by the lookup
        const auto now = Clock::now();
        if (now - s.logged_at < log_interval) {
            ++s.unlogged; // counted below, logged with the next line
            detail.clear();
        } else {
            s.logged_at = now;
            also_refused = std::exchange(s.unlogged, 0);
        }
    }
    router.connection_refused(s.listener, reason);
    if (!detail.empty())
        router.log(router::RouterLogLevel::warning,
                   s.listener + ": refused a connection from " + peer + ": " + detail + " (" +
                       reason + ")" +
                       (also_refused > 0 ? "; " + std::to_string(also_refused) +
                                               " more refused since the last line"
                                         : std::string()));
    return std::nullopt;
}

std::size_t ConnectionLimits::open() const {
    if (!state_) return 0;
    std::lock_guard lock(state_->mutex);
    return state_->open;
}

} // namespace nexus::transport
