// UriIndex: the (URI, match policy) index the broker and the dealer share.
#include "router/uri_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

using nexus::router::UriIndex;
using nexus::wamp::MatchPolicy;

namespace {

struct Entry {
    std::string uri;
    MatchPolicy match;
};

std::set<std::string> matches(const UriIndex<Entry>& index, std::string_view uri) {
    std::set<std::string> out;
    index.for_each_match(uri, [&](const Entry& e) {
        out.insert(std::string(nexus::wamp::match_policy_name(e.match)) + ":" + e.uri);
    });
    return out;
}

TEST(UriIndex, FindInsertEraseByPolicy) {
    UriIndex<Entry> index;
    Entry exact{"com.a.b", MatchPolicy::exact}, prefix{"com.a.b", MatchPolicy::prefix},
        wild{"com..b", MatchPolicy::wildcard};
    for (Entry* e : {&exact, &prefix, &wild})
        index.insert(e->uri, e->match, e);
    EXPECT_EQ(index.find("com.a.b", MatchPolicy::exact), &exact);
    EXPECT_EQ(index.find("com.a.b", MatchPolicy::prefix), &prefix);
    EXPECT_EQ(index.find("com..b", MatchPolicy::wildcard), &wild);
    EXPECT_EQ(index.find("com.a.b", MatchPolicy::wildcard), nullptr);
    EXPECT_EQ(index.find("com..", MatchPolicy::wildcard), nullptr);
    index.erase("com..b", MatchPolicy::wildcard);
    EXPECT_EQ(index.find("com..b", MatchPolicy::wildcard), nullptr);
    index.erase("com.a.b", MatchPolicy::exact);
    index.erase("com.a.b", MatchPolicy::prefix);
    EXPECT_TRUE(index.empty());
    index.erase("never.there", MatchPolicy::wildcard); // harmless
}

TEST(UriIndex, EveryMatchingEntry) {
    UriIndex<Entry> index;
    std::vector<Entry> entries{
        {"com.a.b.c", MatchPolicy::exact},   {"com.a", MatchPolicy::prefix},
        {"com.a.b", MatchPolicy::prefix},    {"com.x", MatchPolicy::prefix},
        {"com..b.c", MatchPolicy::wildcard}, {"..b.", MatchPolicy::wildcard},
        {"com.a..", MatchPolicy::wildcard},  {"com.a.b", MatchPolicy::wildcard},
        {"com...c.d", MatchPolicy::wildcard}};
    for (Entry& e : entries)
        index.insert(e.uri, e.match, &e);
    EXPECT_EQ(matches(index, "com.a.b.c"),
              (std::set<std::string>{"exact:com.a.b.c", "prefix:com.a", "prefix:com.a.b",
                                     "wildcard:com..b.c", "wildcard:..b.", "wildcard:com.a.."}));
    // Prefix is a plain string prefix; wildcards need as many components.
    EXPECT_EQ(matches(index, "com.abc"), (std::set<std::string>{"prefix:com.a"}));
    EXPECT_EQ(matches(index, "com.a.b"),
              (std::set<std::string>{"prefix:com.a", "prefix:com.a.b", "wildcard:com.a.b"}));
    // A concrete URI never has empty components.
    EXPECT_EQ(matches(index, "com..b.c"), (std::set<std::string>{}));
}

TEST(UriIndex, BestMatchIsExactThenLongestPrefixThenMostSpecificWildcard) {
    UriIndex<Entry> index;
    std::vector<Entry> entries{
        {"a1.b2.c3.d4.e55", MatchPolicy::exact},    {"a1.b2.c3", MatchPolicy::prefix},
        {"a1.b2.c3.d4", MatchPolicy::prefix},       {"a1.b2..d4.e5", MatchPolicy::wildcard},
        {"a1.b2.c33..e5", MatchPolicy::wildcard},   {"a1.b2..d4.e5..g7", MatchPolicy::wildcard},
        {"a1.b2..d4..f6.g7", MatchPolicy::wildcard}};
    for (Entry& e : entries)
        index.insert(e.uri, e.match, &e);
    EXPECT_EQ(index.best_match("a1.b2.c3.d4.e55")->match, MatchPolicy::exact);
    EXPECT_EQ(index.best_match("a1.b2.c3.d4.e5")->uri, "a1.b2.c3.d4");
    EXPECT_EQ(index.best_match("a1.b2.c3.d98.e74")->uri, "a1.b2.c3");
    EXPECT_EQ(index.best_match("a1.b2.c4.d4.e5")->uri, "a1.b2..d4.e5");
    // "a1.b2.c3" is a plain string prefix of this one: a prefix beats any wildcard.
    EXPECT_EQ(index.best_match("a1.b2.c33.d4.e5")->uri, "a1.b2.c3");
    EXPECT_EQ(index.best_match("a1.b2.c88.d4.e5.f6.g7")->uri, "a1.b2..d4.e5..g7");
    EXPECT_EQ(index.best_match("z.b2.c3"), nullptr);
    // Among wildcards alone: the longer leading run of concrete components
    // wins, then the next run (the spec's examples).
    UriIndex<Entry> wild;
    std::vector<Entry> patterns{{"a1.b2..d4.e5", MatchPolicy::wildcard},
                                {"a1.b2.c33..e5", MatchPolicy::wildcard},
                                {"a1.b2..d4.e5..g7", MatchPolicy::wildcard},
                                {"a1.b2..d4..f6.g7", MatchPolicy::wildcard}};
    for (Entry& e : patterns)
        wild.insert(e.uri, e.match, &e);
    EXPECT_EQ(wild.best_match("a1.b2.c33.d4.e5")->uri, "a1.b2.c33..e5");
    EXPECT_EQ(wild.best_match("a1.b2.c88.d4.e5.f6.g7")->uri, "a1.b2..d4.e5..g7");
}

// The trie agrees with uri_matches over random patterns and URIs, and
// erasing leaves nothing behind.
TEST(UriIndex, WildcardTrieAgreesWithUriMatches) {
    std::mt19937 rng(42);
    const char* parts[] = {"a", "b", "c", ""};
    const auto random_uri = [&](bool pattern) {
        std::string uri;
        const int n = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < n; ++i) {
            if (i) uri += '.';
            uri += parts[rng() % (pattern ? 4 : 3)];
        }
        return uri;
    };
    std::vector<std::unique_ptr<Entry>> owned;
    UriIndex<Entry> index;
    std::set<std::string> patterns;
    for (int i = 0; i < 60; ++i) {
        std::string p = random_uri(true);
        if (!patterns.insert(p).second) continue;
        owned.push_back(std::make_unique<Entry>(Entry{p, MatchPolicy::wildcard}));
        index.insert(p, MatchPolicy::wildcard, owned.back().get());
    }
    for (int i = 0; i < 200; ++i) {
        const std::string uri = random_uri(false);
        std::set<std::string> expected;
        for (const std::string& p : patterns)
            if (nexus::wamp::uri_matches(p, MatchPolicy::wildcard, uri))
                expected.insert("wildcard:" + p);
        EXPECT_EQ(matches(index, uri), expected) << uri;
    }
    for (const std::string& p : patterns)
        index.erase(p, MatchPolicy::wildcard);
    EXPECT_TRUE(index.empty());
}

} // namespace
