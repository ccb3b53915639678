// Outgoing: each format encoded once, the bytes kept inside the Outgoing and
// shared without a copy; an encoding that cannot be made fails alike each time.
#include <nexus/router/outgoing.hpp>
#include <nexus/serialize/serializer.hpp>

#include <gtest/gtest.h>

#include <cmath>

namespace nexus::router {
namespace {

using wamp::Array;
using wamp::Format;

wamp::Event event_with(Array args) {
    wamp::Event e;
    e.subscription = 7;
    e.publication = 9;
    e.payload = wamp::Payload(std::move(args));
    return e;
}

TEST(Outgoing, EachFormatIsEncodedOnceAndSharedWithoutCopy) {
    auto out = std::make_shared<const Outgoing>(event_with(Array{"hello", 42}));
    for (Format format : wamp::all_formats) {
        auto first = out->encoded(format);
        auto again = out->encoded(format);
        ASSERT_TRUE(first.ok() && again.ok());
        EXPECT_EQ(first->get(), again->get()); // the same bytes, not a new encoding
        EXPECT_EQ(**first, *serialize::encode(format, out->message()));
    }
    // The bytes keep their Outgoing alive: a transport may outlive the queue's reference.
    auto bytes = *out->encoded(Format::msgpack);
    const std::string expected = *bytes;
    out.reset();
    EXPECT_EQ(*bytes, expected);
}

TEST(Outgoing, AnEncodingThatCannotBeMadeFailsEveryTime) {
    auto out = std::make_shared<const Outgoing>(event_with(Array{std::nan("")}));
    auto json = out->encoded(Format::json);
    ASSERT_FALSE(json.ok());
    EXPECT_NE(json.error().message.find("NaN"), std::string::npos) << json.error().message;
    auto again = out->encoded(Format::json);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().message, json.error().message);
    EXPECT_TRUE(out->encoded(Format::msgpack).ok()); // MessagePack carries NaN
}

TEST(Outgoing, OneNotOwnedByASharedPtrHandsOutACopy) {
    const Outgoing out(event_with(Array{"x"}));
    auto bytes = out.encoded(Format::cbor);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(**bytes, *serialize::encode(Format::cbor, out.message()));
}

} // namespace
} // namespace nexus::router
