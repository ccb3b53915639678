#include <stdexcept>

#include <nexus/client/auth.hpp>

#include "router/auth/crypto.hpp"

namespace nexus::client::auth {

std::string to_hex(std::span<const std::uint8_t> bytes) {
    return router::auth::to_hex(router::auth::Bytes(bytes.begin(), bytes.end()));
}

std::vector<std::uint8_t> from_hex(std::string_view hex) {
    auto bytes = router::auth::from_hex(hex);
    if (!bytes)
        throw std::invalid_argument("not a hex string of even length: \"" + std::string(hex) +
                                    "\"");
    return std::move(*bytes);
}

} // namespace nexus::client::auth
