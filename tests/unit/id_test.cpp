#include <nexus/wamp/id.hpp>

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

using namespace nexus::wamp;

TEST(Id, RandomIdsAreInRangeAndDistinct) {
    std::set<Id> seen;
    bool high_half = false, low_half = false;
    for (int i = 0; i < 20000; ++i) {
        const Id id = random_id();
        ASSERT_TRUE(is_valid_id(id)) << id;
        seen.insert(id);
        (id > max_id / 2 ? high_half : low_half) = true;
    }
    EXPECT_EQ(seen.size(), 20000u); // a collision among 2^53 values here is ~2e-8
    EXPECT_TRUE(high_half);
    EXPECT_TRUE(low_half);
}

TEST(Id, RandomIdsFromManyThreads) {
    std::vector<std::vector<Id>> per_thread(4);
    std::vector<std::thread> threads;
    for (auto& ids : per_thread)
        threads.emplace_back([&ids] {
            for (int i = 0; i < 5000; ++i)
                ids.push_back(random_id());
        });
    for (auto& t : threads)
        t.join();
    std::set<Id> all;
    for (auto& ids : per_thread)
        all.insert(ids.begin(), ids.end());
    EXPECT_EQ(all.size(), 20000u);
}

TEST(Id, ValidRange) {
    EXPECT_FALSE(is_valid_id(0));
    EXPECT_TRUE(is_valid_id(1));
    EXPECT_TRUE(is_valid_id(9007199254740992ull));
    EXPECT_FALSE(is_valid_id(9007199254740993ull));
}

TEST(Id, SessionScopeStartsAtOneAndCounts) {
    SessionIdGenerator g;
    EXPECT_EQ(g.last(), 0u);
    EXPECT_EQ(g.next(), 1u);
    EXPECT_EQ(g.next(), 2u);
    EXPECT_EQ(g.last(), 2u);
}

TEST(Id, RouterScopeIsSequentialAndThreadSafe) {
    RouterIdGenerator g;
    EXPECT_EQ(g.next(), 1u);
    std::vector<std::thread> threads;
    std::vector<std::vector<Id>> got(4);
    for (auto& ids : got)
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i)
                ids.push_back(g.next());
        });
    for (auto& t : threads)
        t.join();
    std::set<Id> all;
    for (auto& ids : got)
        all.insert(ids.begin(), ids.end());
    EXPECT_EQ(all.size(), 4000u);
    EXPECT_EQ(*all.begin(), 2u);
    EXPECT_EQ(*all.rbegin(), 4001u);
}
