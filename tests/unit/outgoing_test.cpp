// Outgoing: each format encoded once, the bytes kept inside the Outgoing and
// shared without a copy; an encoding that cannot be made fails alike each time;
// a WELCOME's shared roles spliced in (SharedDetail).
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

wamp::Welcome welcome_without_roles() {
    return wamp::Welcome{77, {{"authid", "joe"}, {"realm", "realm1"}}};
}

const wamp::Value roles(wamp::Object{{"broker", wamp::Object{{"features", wamp::Object{}}}}});

wamp::Welcome whole_welcome() {
    wamp::Welcome w = welcome_without_roles();
    w.details.emplace("roles", roles);
    return w;
}

// A WELCOME's shared roles are spliced into its bytes, and into the message
// itself only for a peer that asks for the message (an in-process session).
TEST(Outgoing, AWelcomeCarriesItsSharedDetailInEveryFormat) {
    const auto shared = std::make_shared<const SharedDetail>("roles", roles);
    auto out = std::make_shared<const Outgoing>(welcome_without_roles(), shared);
    for (Format format : wamp::all_formats) {
        auto bytes = out->encoded(format);
        ASSERT_TRUE(bytes.ok());
        auto decoded = serialize::decode(format, **bytes);
        ASSERT_TRUE(decoded.ok());
        EXPECT_EQ(std::get<wamp::Welcome>(*decoded), whole_welcome());
    }
    EXPECT_EQ(std::get<wamp::Welcome>(out->message()), whole_welcome());
}

TEST(Outgoing, AWelcomeAskedForItsMessageFirstStillEncodesTheDetailOnce) {
    const auto shared = std::make_shared<const SharedDetail>("roles", roles);
    auto out = std::make_shared<const Outgoing>(welcome_without_roles(), shared);
    EXPECT_EQ(std::get<wamp::Welcome>(out->message()), whole_welcome());
    EXPECT_EQ(std::get<wamp::Welcome>(out->message()), whole_welcome());
    for (Format format : wamp::all_formats) {
        auto bytes = out->encoded(format);
        ASSERT_TRUE(bytes.ok());
        EXPECT_EQ(**bytes, *serialize::encode(format, whole_welcome()));
    }
}

TEST(SharedDetail, EachFormatIsEncodedOnce) {
    const SharedDetail shared("roles", roles);
    for (Format format : wamp::all_formats) {
        auto first = shared.encoded(format);
        auto again = shared.encoded(format);
        ASSERT_TRUE(first.ok() && again.ok());
        EXPECT_EQ(first->data(), again->data());
        std::string expected;
        ASSERT_TRUE(serialize::encode_value_into(format, roles, expected).ok());
        EXPECT_EQ(*first, expected);
    }
    // A value a format cannot carry fails there, and so does the WELCOME.
    const auto nan = std::make_shared<const SharedDetail>("roles", wamp::Value(std::nan("")));
    EXPECT_FALSE(nan->encoded(Format::json).ok());
    auto out = std::make_shared<const Outgoing>(welcome_without_roles(), nan);
    EXPECT_FALSE(out->encoded(Format::json).ok());
    EXPECT_TRUE(out->encoded(Format::cbor).ok());
}

} // namespace
} // namespace nexus::router
