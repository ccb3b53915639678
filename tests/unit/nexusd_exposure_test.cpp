// nexusd's startup warning (issue #8, security): a realm admitting anonymous
// sessions on a listener that is not on a loopback address.
#include "exposure.hpp"

#include <gtest/gtest.h>

using namespace nexusd;

namespace {

Config with(std::string ws, std::string raw, bool anonymous = true) {
    Config c;
    c.websocket.address = std::move(ws);
    c.rawsocket.tcp_address = std::move(raw);
    nexus::router::RealmConfig realm;
    realm.uri = "realm1";
    realm.anonymous_auth = anonymous;
    c.router.realms = {realm};
    return c;
}

} // namespace

TEST(NexusdExposure, LoopbackAddresses) {
    for (const char* a : {"127.0.0.1:8080", "127.1.2.3:0", "localhost:8080", "[::1]:8080",
                          "[::ffff:127.0.0.1]:8080"})
        EXPECT_TRUE(is_loopback_address(a)) << a;
    for (const char* a :
         {":8080", "0.0.0.0:8080", "[::]:8080", "192.168.1.10:8080", "[fe80::1]:8080",
          "[::ffff:10.0.0.1]:8080", "10.127.0.1:80", "", "127.0.0.1"})
        EXPECT_FALSE(is_loopback_address(a)) << a;
}

TEST(NexusdExposure, TheDefaultConfigurationIsQuiet) {
    EXPECT_TRUE(anonymous_exposure_warnings(default_config()).empty());
}

TEST(NexusdExposure, AnonymousRealmOnAPublicListenerIsReported) {
    auto w = anonymous_exposure_warnings(with("0.0.0.0:8080", "127.0.0.1:8081"));
    ASSERT_EQ(w.size(), 1u);
    EXPECT_NE(w[0].find("realm realm1"), std::string::npos) << w[0];
    EXPECT_NE(w[0].find("0.0.0.0:8080 (WebSocket)"), std::string::npos) << w[0];

    w = anonymous_exposure_warnings(with(":8080", "[::]:8081"));
    ASSERT_EQ(w.size(), 2u);
    EXPECT_NE(w[0].find("[::]:8081 (RawSocket)"), std::string::npos) << w[0];
    EXPECT_NE(w[1].find(":8080 (WebSocket)"), std::string::npos) << w[1];
}

TEST(NexusdExposure, AuthenticatedRealmsAndLoopbackListenersAreNot) {
    EXPECT_TRUE(anonymous_exposure_warnings(with("0.0.0.0:8080", ":8081", false)).empty());
    EXPECT_TRUE(anonymous_exposure_warnings(with("localhost:8080", "[::1]:8081")).empty());
    EXPECT_TRUE(anonymous_exposure_warnings(with("", "")).empty()); // Unix socket only
}

TEST(NexusdExposure, AnonymousRealmTemplateIsReported) {
    Config c = with("0.0.0.0:8080", "", false);
    nexus::router::RealmConfig tmpl;
    c.router.realm_template = tmpl; // anonymous_auth defaults to true
    auto w = anonymous_exposure_warnings(c);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_NE(w[0].find("realm_template"), std::string::npos) << w[0];
    c.router.realm_template->anonymous_auth = false;
    EXPECT_TRUE(anonymous_exposure_warnings(c).empty());
}
