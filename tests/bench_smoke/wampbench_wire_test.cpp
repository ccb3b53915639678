// wampbench's own wire codec must speak the same WAMP as nexus::serialize
// (which the interop tests hold to the spec), and its histogram must keep
// its precision promise.
#include <gtest/gtest.h>

#include <nexus/serialize/serializer.hpp>

#include "histogram.hpp"
#include "stamp.hpp"
#include "wire_reader.hpp"
#include "wire_writer.hpp"

namespace {

using namespace wampbench;
namespace wamp = nexus::wamp;

class WireCodec : public ::testing::TestWithParam<Format> {};

TEST_P(WireCodec, CallDecodesWithTheLibrary) {
    const Format f = GetParam();
    const StampWriter stamp(f, 100);
    std::string frame;
    WireWriter w(f, frame);
    w.begin_list(5);
    w.uint(48);
    w.uint(300000);
    w.empty_dict();
    w.raw(encode_string_item(f, "bench.rpc.0"));
    stamp.write(w, {1234567890123ull, 7, 99});
    w.end_list();
    EXPECT_NEAR(static_cast<double>(frame.size()), 120.0, 30.0);

    auto decoded = nexus::serialize::decode(f, frame);
    ASSERT_TRUE(decoded) << decoded.error().message;
    const auto* call = std::get_if<wamp::Call>(&*decoded);
    ASSERT_NE(call, nullptr);
    EXPECT_EQ(call->request, 300000u);
    EXPECT_EQ(call->procedure, "bench.rpc.0");

    ListItems items;
    ASSERT_TRUE(split_list(f, frame, items));
    ASSERT_EQ(items.count, 5u);
    EXPECT_EQ(read_uint(f, items.item[0]), 48u);
    EXPECT_EQ(read_uint(f, items.item[1]), 300000u);
    const auto s = read_stamp(f, items.item[4]);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->sent_ns, 1234567890123ull);
    EXPECT_EQ(s->sender, 7u);
    EXPECT_EQ(s->seq, 99u);
}

TEST_P(WireCodec, ReadsWhatTheLibraryEncodes) {
    const Format f = GetParam();
    wamp::Event event{5,
                      6,
                      {{"x", wamp::Value::array({1, "a\"b", 2.5})}},
                      wamp::Payload(wamp::Array{std::uint64_t{1} << 40, 3, 4, "pad"})};
    auto bytes = nexus::serialize::encode(f, event);
    ASSERT_TRUE(bytes);
    ListItems items;
    ASSERT_TRUE(split_list(f, *bytes, items));
    ASSERT_EQ(items.count, 5u);
    EXPECT_EQ(read_uint(f, items.item[0]), 36u);
    const auto s = read_stamp(f, items.item[4]);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->sent_ns, std::uint64_t{1} << 40);
    EXPECT_EQ(s->seq, 4u);
}

TEST_P(WireCodec, RejectsTruncatedFrames) {
    const Format f = GetParam();
    auto bytes =
        nexus::serialize::encode(f, wamp::Result{9, {}, wamp::Payload(wamp::Array{1, 2, 3})});
    ASSERT_TRUE(bytes);
    ListItems items;
    for (std::size_t n = 0; n < bytes->size(); ++n)
        EXPECT_FALSE(split_list(f, std::string_view(*bytes).substr(0, n), items)) << n;
}

INSTANTIATE_TEST_SUITE_P(Formats, WireCodec,
                         ::testing::Values(Format::json, Format::msgpack, Format::cbor),
                         [](const auto& info) {
                             return std::string(wamp::format_name(info.param));
                         });

TEST(Histogram, BucketsHoldTheirValues) {
    for (std::uint64_t v :
         {0ull, 1ull, 255ull, 256ull, 257ull, 1000ull, 123456789ull, (1ull << 40) - 1}) {
        const auto i = Histogram::index_of(v);
        EXPECT_GE(Histogram::highest_in_bucket(i), v);
        if (i > 0) {
            EXPECT_LT(Histogram::highest_in_bucket(i - 1), v);
        }
        EXPECT_LE(static_cast<double>(Histogram::highest_in_bucket(i) - v), v / 128.0 + 1);
    }
}

TEST(Histogram, Percentiles) {
    Histogram h;
    for (std::uint64_t v = 1; v <= 10000; ++v)
        h.record(v * 1000);
    EXPECT_EQ(h.count(), 10000u);
    EXPECT_NEAR(static_cast<double>(h.percentile(0.5)), 5e6, 5e6 / 100);
    EXPECT_NEAR(static_cast<double>(h.percentile(0.99)), 9.9e6, 9.9e6 / 100);
    EXPECT_EQ(h.percentile(1.0), 10'000'000u);
    Histogram other;
    other.record(1);
    h.merge(other);
    EXPECT_EQ(h.min(), 1u);
    EXPECT_EQ(h.percentile(0.0), 1u);
}

} // namespace
