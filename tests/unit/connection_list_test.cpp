// ConnectionList (src/transport/net/connection_list.hpp), which both servers
// use to find their open connections at stop().
#include "transport/net/connection_list.hpp"

#include <gtest/gtest.h>

namespace nexus::transport {
namespace {

TEST(ConnectionList, TakeOpenReturnsExactlyTheLiveOnes) {
    ConnectionList<int> list;
    std::vector<std::shared_ptr<int>> alive;
    for (int i = 0; i < 1000; ++i) {
        auto c = std::make_shared<int>(i);
        list.add(c);
        if (i % 3 == 0) alive.push_back(c); // the others expire at once
    }
    auto open = list.take_open();
    ASSERT_EQ(open.size(), alive.size());
    for (std::size_t i = 0; i < open.size(); ++i)
        EXPECT_EQ(*open[i], *alive[i]); // in the order they came
    EXPECT_TRUE(list.take_open().empty());
}

// Expired entries are swept as the list grows: with one connection open at a
// time, the list never holds more than its minimum sweep size.
TEST(ConnectionList, ExpiredEntriesDoNotAccumulate) {
    ConnectionList<int> list;
    std::weak_ptr<int> first;
    for (int i = 0; i < 100'000; ++i) {
        auto c = std::make_shared<int>(i);
        if (i == 0) first = c;
        list.add(c);
    }
    EXPECT_TRUE(first.expired());
    EXPECT_LE(list.size(), 64u);
}

} // namespace
} // namespace nexus::transport
