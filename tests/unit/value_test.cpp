#include <nexus/wamp/value.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace nexus::wamp;

TEST(Value, DefaultIsNull) {
    Value v;
    EXPECT_TRUE(v.is_null());
    EXPECT_EQ(v, Value(nullptr));
    EXPECT_EQ(v.kind_name(), "null");
}

TEST(Value, ScalarsKeepTheirKind) {
    EXPECT_TRUE(Value(true).is_bool());
    EXPECT_EQ(Value(42).kind(), Value::Kind::integer);
    EXPECT_EQ(Value(-1).kind(), Value::Kind::integer);
    EXPECT_EQ(Value(2.5).kind(), Value::Kind::real);
    EXPECT_EQ(Value("x").kind(), Value::Kind::string);
    EXPECT_EQ(Value(std::string_view("x")).kind(), Value::Kind::string);
    EXPECT_EQ(Value(Bytes{1, 2}).kind(), Value::Kind::bytes);
}

TEST(Value, UnsignedAboveInt64UsesUnsignedStorage) {
    const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
    EXPECT_EQ(Value(big).kind(), Value::Kind::uinteger);
    EXPECT_EQ(Value(big).as_uint(), big);
    // Small unsigned values normalise to int64 storage, so they equal signed ones.
    EXPECT_EQ(Value(7u).kind(), Value::Kind::integer);
    EXPECT_EQ(Value(7u), Value(7));
    EXPECT_NE(Value(big), Value(-1));
}

TEST(Value, IntegerConversionsAreRangeChecked) {
    EXPECT_EQ(Value(300).to<int>(), 300);
    EXPECT_THROW(Value(300).to<std::uint8_t>(), TypeError);
    EXPECT_THROW(Value(-1).to<unsigned>(), TypeError);
    EXPECT_THROW(Value(std::numeric_limits<std::uint64_t>::max()).as_int(), TypeError);
    EXPECT_EQ(Value(-5).to<std::int8_t>(), -5);
    EXPECT_DOUBLE_EQ(Value(3).to<double>(), 3.0);
}

TEST(Value, MismatchMessagesNameBothTypes) {
    try {
        (void)Value("text").as_int();
        FAIL() << "no exception";
    } catch (const TypeError& e) {
        EXPECT_STREQ(e.what(), "expected integer, got string");
    }
    EXPECT_THROW((void)Value(1).as_string(), TypeError);
    EXPECT_THROW((void)Value(1.5).as_int(), TypeError);
    EXPECT_THROW((void)Value(nullptr).as_bool(), TypeError);
    EXPECT_THROW((void)Value(1).as_bool(), TypeError); // integers are not booleans in WAMP
}

TEST(Value, InitializerListOfPairsIsAnObject) {
    Value v{{"a", 1}, {"b", "x"}};
    ASSERT_TRUE(v.is_object());
    EXPECT_EQ(v.at("a"), Value(1));
    EXPECT_EQ(v.at("b").as_string(), "x");
    EXPECT_THROW((void)v.at("c"), TypeError);
}

TEST(Value, InitializerListOtherwiseIsAnArray) {
    Value v{1, "two", 3.0};
    ASSERT_TRUE(v.is_array());
    EXPECT_EQ(v.as_array().size(), 3u);
    EXPECT_EQ(v.at(1).as_string(), "two");
    EXPECT_THROW((void)v.at(3), TypeError);
    Value pairs_with_int_key{{1, 2}, {3, 4}};
    EXPECT_TRUE(pairs_with_int_key.is_array());
    EXPECT_TRUE(Value::array().is_array());
    EXPECT_TRUE(Value::object().is_object());
}

TEST(Value, ContainerConversions) {
    std::vector<int> ints{1, 2, 3};
    Value v(ints);
    EXPECT_EQ(v.to<std::vector<int>>(), ints);
    std::map<std::string, std::string> m{{"k", "v"}};
    Value mv(m);
    EXPECT_EQ((mv.to<std::map<std::string, std::string>>()), m);
    EXPECT_EQ(Value(nullptr).to<std::optional<int>>(), std::nullopt);
    EXPECT_EQ(Value(4).to<std::optional<int>>(), 4);
    EXPECT_TRUE(Value(std::optional<int>{}).is_null());
    EXPECT_THROW((Value{1, "x"}.to<std::vector<int>>()), TypeError);
}

TEST(Value, SubscriptCreatesObjectMembers) {
    Value v;
    v["roles"]["caller"] = Value::object();
    v["agent"] = "nexus";
    ASSERT_NE(v.find("roles"), nullptr);
    EXPECT_TRUE(v.at("roles").at("caller").is_object());
    EXPECT_EQ(v.find("missing"), nullptr);
    Value not_object(3);
    EXPECT_THROW(not_object["x"], TypeError);
}

TEST(Value, EqualityIsDeepAndTypeAware) {
    EXPECT_EQ((Value{{"a", Value{1, 2}}}), (Value{{"a", Value{1, 2}}}));
    EXPECT_NE((Value{{"a", Value{1, 2}}}), (Value{{"a", Value{2, 1}}}));
    EXPECT_NE(Value(1), Value(1.0));
    EXPECT_NE(Value("1"), Value(1));
    EXPECT_NE(Value(Bytes{0x61}), Value("a"));
}

TEST(Value, MovesLeaveCheapState) {
    Value big(Array(1000, Value("payload")));
    Value moved(std::move(big));
    EXPECT_EQ(moved.as_array().size(), 1000u);
}

TEST(Value, ToStringIsReadable) {
    Value v{{"a", Value{1, 2.5, nullptr, true}}, {"b", Bytes{0xde, 0xad}}, {"c", "q\"x"}};
    EXPECT_EQ(to_string(v), R"({"a":[1,2.5,null,true],"b":h'dead',"c":"q\"x"})");
}
