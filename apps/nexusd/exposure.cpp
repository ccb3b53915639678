#include "exposure.hpp"

#include <boost/asio/ip/address.hpp>

namespace nexusd {

bool is_loopback_address(std::string_view host_port) {
    const auto colon = host_port.rfind(':');
    if (colon == std::string_view::npos) return false;
    std::string_view host = host_port.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host == "localhost") return true;
    boost::system::error_code ec;
    const auto ip = boost::asio::ip::make_address(std::string(host), ec);
    if (ec) return false;
    if (ip.is_v6() && ip.to_v6().is_v4_mapped())
        return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, ip.to_v6())
            .is_loopback();
    return ip.is_loopback();
}

std::vector<std::string> anonymous_exposure_warnings(const Config& config) {
    const std::pair<const std::string*, const char*> listeners[] = {
        {&config.rawsocket.tcp_address, "RawSocket"}, {&config.websocket.address, "WebSocket"}};
    std::vector<std::string> who;
    for (const auto& realm : config.router.realms)
        if (realm.anonymous_auth) who.push_back("realm " + realm.uri + " allows");
    if (config.router.realm_template && config.router.realm_template->anonymous_auth)
        who.push_back("realms created from realm_template allow");
    std::vector<std::string> warnings;
    for (const std::string& subject : who)
        for (const auto& [address, transport] : listeners)
            if (!address->empty() && !is_loopback_address(*address))
                warnings.push_back(subject + " anonymous sessions on " + *address + " (" +
                                   transport + "), which is not a loopback address");
    return warnings;
}

} // namespace nexusd
