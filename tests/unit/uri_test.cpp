#include <nexus/wamp/uri.hpp>

#include <gtest/gtest.h>

using namespace nexus::wamp;

TEST(Uri, LooseRule) {
    EXPECT_TRUE(is_valid_uri("com.myapp.topic1", UriRule::loose));
    EXPECT_TRUE(is_valid_uri("com.MyApp.Topic-1", UriRule::loose));
    EXPECT_TRUE(is_valid_uri("a", UriRule::loose));
    EXPECT_TRUE(is_valid_uri("com.\xc3\xa9t\xc3\xa9", UriRule::loose)); // non-ASCII letters
    EXPECT_FALSE(is_valid_uri("", UriRule::loose));
    EXPECT_FALSE(is_valid_uri("com..topic", UriRule::loose));
    EXPECT_FALSE(is_valid_uri(".com", UriRule::loose));
    EXPECT_FALSE(is_valid_uri("com.", UriRule::loose));
    EXPECT_FALSE(is_valid_uri("com.my#app", UriRule::loose));
    EXPECT_FALSE(is_valid_uri("com.my app", UriRule::loose));
    EXPECT_FALSE(is_valid_uri("com.my\tapp", UriRule::loose));
    EXPECT_FALSE(is_valid_uri("com.my\xc2\xa0"
                              "app",
                              UriRule::loose)); // U+00A0
    EXPECT_FALSE(is_valid_uri("com.my\xe2\x80\x83"
                              "app",
                              UriRule::loose)); // U+2003
    EXPECT_FALSE(is_valid_uri("com.my\xe3\x80\x80"
                              "app",
                              UriRule::loose)); // U+3000
}

TEST(Uri, StrictRule) {
    EXPECT_TRUE(is_valid_uri("com.myapp.topic_1", UriRule::strict));
    EXPECT_FALSE(is_valid_uri("com.MyApp.topic", UriRule::strict));
    EXPECT_FALSE(is_valid_uri("com.my-app", UriRule::strict));
    EXPECT_FALSE(is_valid_uri("com.\xc3\xa9t\xc3\xa9", UriRule::strict));
    EXPECT_FALSE(is_valid_uri("com..x", UriRule::strict));
}

TEST(Uri, EmptyComponentsOnlyWhenAllowed) {
    for (UriRule rule : {UriRule::loose, UriRule::strict}) {
        EXPECT_TRUE(is_valid_uri("com..topic", rule, true));
        EXPECT_TRUE(is_valid_uri(".myapp.", rule, true));
        EXPECT_TRUE(is_valid_uri("com.myapp.", rule, true));
        EXPECT_FALSE(is_valid_uri("", rule, true));
        EXPECT_FALSE(is_valid_uri("com..my#app", rule, true));
    }
}

TEST(Uri, ReservedNamespace) {
    EXPECT_TRUE(is_reserved_uri("wamp.session.on_join"));
    EXPECT_TRUE(is_reserved_uri("wamp"));
    EXPECT_FALSE(is_reserved_uri("wampx.topic"));
    EXPECT_FALSE(is_reserved_uri("com.wamp.topic"));
}

TEST(Uri, MatchPolicyNames) {
    EXPECT_EQ(parse_match_policy("prefix"), MatchPolicy::prefix);
    EXPECT_EQ(parse_match_policy("Prefix"), std::nullopt);
    for (MatchPolicy p : {MatchPolicy::exact, MatchPolicy::prefix, MatchPolicy::wildcard})
        EXPECT_EQ(parse_match_policy(match_policy_name(p)), p);
}

TEST(Uri, ExactAndPrefixMatching) {
    EXPECT_TRUE(uri_matches("com.a", MatchPolicy::exact, "com.a"));
    EXPECT_FALSE(uri_matches("com.a", MatchPolicy::exact, "com.a.b"));
    // ⚠A5: a plain string prefix, which matches itself and longer component names.
    EXPECT_TRUE(uri_matches("com.myapp.myobject1", MatchPolicy::prefix, "com.myapp.myobject1"));
    EXPECT_TRUE(uri_matches("com.myapp.myobject1", MatchPolicy::prefix,
                            "com.myapp.myobject1-mysubobject1"));
    EXPECT_TRUE(uri_matches("com.myapp", MatchPolicy::prefix, "com.myapp.a.b"));
    EXPECT_FALSE(uri_matches("com.myapp", MatchPolicy::prefix, "com.my"));
}

TEST(Uri, WildcardMatching) {
    EXPECT_TRUE(
        uri_matches("com.myapp..userevent", MatchPolicy::wildcard, "com.myapp.foo.userevent"));
    EXPECT_TRUE(
        uri_matches("com.myapp..userevent", MatchPolicy::wildcard, "com.myapp.bar.userevent"));
    EXPECT_FALSE(
        uri_matches("com.myapp..userevent", MatchPolicy::wildcard, "com.myapp.foo.bar.userevent"));
    EXPECT_FALSE(uri_matches("com.myapp..myprocedure1", MatchPolicy::wildcard,
                             "com.myapp.myobject1.myprocedure1.mysubprocedure1"));
    EXPECT_TRUE(uri_matches("..", MatchPolicy::wildcard, "a.b.c"));
    EXPECT_FALSE(uri_matches("..", MatchPolicy::wildcard, "a.b"));
    EXPECT_TRUE(uri_matches("a.", MatchPolicy::wildcard, "a.z"));
    EXPECT_FALSE(uri_matches("a.", MatchPolicy::wildcard, "a"));
    EXPECT_TRUE(uri_matches("a.b", MatchPolicy::wildcard, "a.b"));    // no wildcard: exact
    EXPECT_FALSE(uri_matches("a..c", MatchPolicy::wildcard, "a..c")); // URIs have no empty parts
}

TEST(Uri, WildcardRankingFollowsTheSpecExamples) {
    // rpc_pattern_based_registration.md
    EXPECT_TRUE(wildcard_more_specific("a1.b2.c33..e5", "a1.b2..d4.e5"));
    EXPECT_FALSE(wildcard_more_specific("a1.b2..d4.e5", "a1.b2.c33..e5"));
    EXPECT_TRUE(wildcard_more_specific("a1.b2..d4.e5..g7", "a1.b2..d4..f6.g7"));
    EXPECT_FALSE(wildcard_more_specific("a1.b2..d4..f6.g7", "a1.b2..d4.e5..g7"));
    EXPECT_TRUE(wildcard_more_specific("a1.b2..d4", "a1...d4"));
    EXPECT_FALSE(wildcard_more_specific("a1...d4", "a1.b2..d4"));
    EXPECT_FALSE(wildcard_more_specific("a.b.", "a.b.")); // irreflexive
    EXPECT_TRUE(wildcard_more_specific("a.b.", "a..c"));
    EXPECT_TRUE(wildcard_more_specific(".b.c", "..c"));
}
