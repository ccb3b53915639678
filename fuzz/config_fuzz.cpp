// nexusd's configuration loader (apps/nexusd/config.hpp): the input is the
// text of a nexus.json. parse_config() must answer with a Config or with its
// documented error (a Failure naming the origin), never throw or crash. What
// nexusd then does with an accepted configuration must hold up too: the
// listener addresses are parsed (which may throw std::invalid_argument, as
// documented, and nexusd exits 2) and a Router is built from the realms.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include <nexus/router/router.hpp>
#include <nexus/wamp/uri.hpp>

#include "config.hpp"
#include "transport/net/address.hpp"

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

void parse_address(const std::string& address) {
    if (address.empty()) return;
    try {
        (void)nexus::transport::parse_endpoint(address);
    } catch (const std::invalid_argument&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static boost::asio::io_context io;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto config = nexusd::parse_config(text, "fuzz.json");
    if (!config) {
        check(config.error().message.starts_with("fuzz.json: "));
        return 0;
    }
    std::set<std::string> uris;
    for (const auto& realm : config->router.realms) {
        check(nexus::wamp::is_valid_uri(realm.uri, nexus::wamp::UriRule::loose));
        check(uris.insert(realm.uri).second);
        check(!realm.anonymous_authrole.empty());
    }
    parse_address(config->websocket.address);
    parse_address(config->rawsocket.tcp_address);
    {
        nexus::router::Router router(io.get_executor(), config->router);
        check(router.realms().size() == config->router.realms.size());
        router.shutdown();
    }
    io.restart();
    io.poll();
    return 0;
}
