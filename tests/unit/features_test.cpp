#include <nexus/wamp/features.hpp>

#include <gtest/gtest.h>

using namespace nexus::wamp;

TEST(Features, BuilderMakesTheSpecShape) {
    Object built = RolesBuilder()
                       .add(roles::broker, {features::publisher_exclusion})
                       .add(roles::dealer)
                       .object();
    EXPECT_EQ(Value(built),
              (Value{{"broker", Value{{"features", Value{{"publisher_exclusion", true}}}}},
                     {"dealer", Value::object()}}));
}

TEST(Features, ReaderAnswersRolesAndFeatures) {
    const Value caller_features{{"call_cancelling", true},
                                {"progressive_call_results", true},
                                {"caller_identification", false}};
    const Value role_dict{{"caller", Value{{"features", caller_features}}},
                          {"subscriber", Value::object()},
                          {"callee", "not a dict"}};
    const Object details{{"roles", role_dict}};
    AnnouncedRoles announced(details);
    EXPECT_TRUE(announced.has_role(roles::caller));
    EXPECT_TRUE(announced.has_role(roles::subscriber));
    EXPECT_FALSE(announced.has_role(roles::callee)); // malformed role entries do not count
    EXPECT_FALSE(announced.has_role(roles::publisher));
    EXPECT_TRUE(announced.has_feature(roles::caller, features::call_canceling)); // ⚠A8 spelling
    EXPECT_TRUE(announced.has_feature(roles::caller, features::progressive_call_results));
    EXPECT_FALSE(announced.has_feature(roles::caller, features::caller_identification));
    EXPECT_FALSE(announced.has_feature(roles::subscriber, features::pattern_based_subscription));
    EXPECT_EQ(announced.role_names().size(), 2u);
    EXPECT_FALSE(AnnouncedRoles(Object{}).has_role(roles::caller));
}
