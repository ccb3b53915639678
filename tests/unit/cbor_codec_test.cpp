// The CBOR serializer: exact bytes for hand-encoded messages, raw payload
// splicing, value round trips and a long list of inputs that must fail cleanly.
#include <nexus/serialize/serializer.hpp>

#include "serialize/codec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

using namespace nexus;
using serialize::DecodeLimits;
using wamp::Array;
using wamp::Bytes;
using wamp::Format;
using wamp::Object;
using wamp::Payload;
using wamp::Status;
using wamp::Value;

namespace {

// "83 01 69..." -> bytes; spaces are for the reader.
std::string unhex(std::string_view text) {
    std::string out;
    int high = -1;
    for (const char c : text) {
        int nibble;
        if (c >= '0' && c <= '9') {
            nibble = c - '0';
        } else if (c >= 'a' && c <= 'f') {
            nibble = c - 'a' + 10;
        } else {
            continue;
        }
        if (high < 0) {
            high = nibble;
        } else {
            out.push_back(static_cast<char>(high << 4 | nibble));
            high = -1;
        }
    }
    return out;
}

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        if (!out.empty()) out += ' ';
        out += digits[b >> 4];
        out += digits[b & 0xf];
    }
    return out;
}

// Text as it appears on the wire, for building expected frames readably.
std::string text_bytes(std::string_view s) { return hex(s); }

wamp::Message decode_ok(std::string_view cbor, const DecodeLimits& limits = {}) {
    auto m = serialize::decode(Format::cbor, cbor, limits);
    EXPECT_TRUE(m.ok()) << hex(cbor) << "\n -> " << (m.ok() ? "" : m.error().message);
    if (!m) return wamp::Hello{};
    return std::move(m).value();
}

std::string encode_ok(const wamp::Message& m) {
    auto out = serialize::encode(Format::cbor, m);
    EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
    return out.ok() ? *out : std::string();
}

// Decodes and checks that the failure carries a message.
void expect_rejected(std::string_view cbor, const DecodeLimits& limits = {}) {
    auto m = serialize::decode(Format::cbor, cbor, limits);
    EXPECT_FALSE(m.ok()) << "accepted: " << hex(cbor.substr(0, 64));
    if (!m) {
        EXPECT_FALSE(m.error().message.empty());
    }
}

Value decode_value_ok(std::string_view cbor, const DecodeLimits& limits = {}) {
    auto v = serialize::detail::cbor_decode_value(cbor, limits);
    EXPECT_TRUE(v.ok()) << hex(cbor) << "\n -> " << (v.ok() ? "" : v.error().message);
    return v.ok() ? *v : Value();
}

std::string encode_value_ok(const Value& v) {
    std::string out;
    Status s = serialize::detail::cbor_encode_value(v, out);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return out;
}

void expect_value_rejected(std::string_view cbor, const DecodeLimits& limits = {}) {
    auto v = serialize::detail::cbor_decode_value(cbor, limits);
    EXPECT_FALSE(v.ok()) << "accepted: " << hex(cbor.substr(0, 64));
    if (!v) {
        EXPECT_FALSE(v.error().message.empty());
    }
}

Value round_trip(const Value& v) { return decode_value_ok(encode_value_ok(v)); }

// [1, "somerealm", {}]
const std::string hello_cbor = unhex("83 01 69" + text_bytes("somerealm") + "a0");

// [48, 7814135, {}, "com.myapp.echo", ["Hello, world!"], {"a": 1}]
const std::string call_cbor = unhex("86 18 30 1a 00 77 3b f7 a0 6e" + text_bytes("com.myapp.echo") +
                                    "81 6d" + text_bytes("Hello, world!") + "a1 61 61 01");

// [36, 5512315355, 4429313566, {}, [h'010203']]
const std::string event_cbor =
    unhex("85 18 24 1b 00 00 00 01 48 8f 41 db 1b 00 00 00 01 08 01 f6 1e a0 81 43 01 02 03");

// CALL envelope [48, 1, {}, "p"] without its length head, to append a payload to.
const std::string call_envelope = unhex("18 30 01 a0 61 70");

std::string call_with(std::string_view payload, int payload_elements) {
    std::string out(1, static_cast<char>(0x84 + payload_elements));
    out += call_envelope;
    out += payload;
    return out;
}

} // namespace

// Exact bytes ------------------------------------------------------------------

TEST(CborCodec, HelloBytes) {
    const auto m = decode_ok(hello_cbor);
    const auto* hello = std::get_if<wamp::Hello>(&m);
    ASSERT_NE(hello, nullptr);
    EXPECT_EQ(hello->realm, "somerealm");
    EXPECT_TRUE(hello->details.empty());
    EXPECT_EQ(hex(encode_ok(wamp::Hello{"somerealm", {}})), hex(hello_cbor));
}

TEST(CborCodec, HelloWithRolesBytes) {
    wamp::Hello hello{"r", Object{{"roles", Object{{"caller", Object{}}}}}};
    // [1, "r", {"roles": {"caller": {}}}]
    const std::string expected =
        unhex("83 01 61 72 a1 65" + text_bytes("roles") + "a1 66" + text_bytes("caller") + "a0");
    EXPECT_EQ(hex(encode_ok(hello)), hex(expected));
    EXPECT_EQ(decode_ok(expected), wamp::Message(hello));
}

TEST(CborCodec, CallWithArgsAndKwargsBytes) {
    wamp::Call call{
        7814135, {}, "com.myapp.echo", Payload(Array{"Hello, world!"}, Object{{"a", 1}})};
    EXPECT_EQ(hex(encode_ok(call)), hex(call_cbor));

    const auto m = decode_ok(call_cbor);
    const auto* decoded = std::get_if<wamp::Call>(&m);
    ASSERT_NE(decoded, nullptr);
    EXPECT_EQ(decoded->request, 7814135u);
    EXPECT_EQ(decoded->procedure, "com.myapp.echo");
    // The payload stays as the slices of the frame it arrived in.
    ASSERT_EQ(decoded->payload.raw_format(), Format::cbor);
    EXPECT_EQ(hex(decoded->payload.raw_args()), hex(unhex("81 6d" + text_bytes("Hello, world!"))));
    EXPECT_EQ(hex(decoded->payload.raw_kwargs()), "a1 61 61 01");
    EXPECT_EQ(decoded->payload.args(), (Array{"Hello, world!"}));
    EXPECT_EQ(decoded->payload.kwargs(), (Object{{"a", 1}}));
    EXPECT_EQ(m, wamp::Message(call));
}

TEST(CborCodec, EventWithBytes) {
    wamp::Event event{5512315355, 4429313566, {}, Payload(Array{Bytes{1, 2, 3}})};
    EXPECT_EQ(hex(encode_ok(event)), hex(event_cbor));
    const auto m = decode_ok(event_cbor);
    const auto* decoded = std::get_if<wamp::Event>(&m);
    ASSERT_NE(decoded, nullptr);
    EXPECT_EQ(decoded->subscription, 5512315355u);
    EXPECT_EQ(decoded->publication, 4429313566u);
    EXPECT_FALSE(decoded->payload.has_kwargs());
    EXPECT_EQ(decoded->payload.args(), (Array{Bytes{1, 2, 3}}));
}

TEST(CborCodec, PublishWithEmptyArgsBeforeKwargs) {
    // [16, 239714735, {}, "t", [], {"color": "orange"}]
    wamp::Publish publish{239714735, {}, "t", Payload(Array{}, Object{{"color", "orange"}})};
    const std::string expected = unhex("86 10 1a 0e 49 c1 af a0 61 74 80 a1 65" +
                                       text_bytes("color") + "66" + text_bytes("orange"));
    EXPECT_EQ(hex(encode_ok(publish)), hex(expected));
    EXPECT_EQ(decode_ok(expected), wamp::Message(publish));
}

TEST(CborCodec, MessagesWithoutPayload) {
    // [33, 713845233, 5512315355]
    const std::string subscribed = unhex("83 18 21 1a 2a 8c 69 f1 1b 00 00 00 01 48 8f 41 db");
    EXPECT_EQ(hex(encode_ok(wamp::Subscribed{713845233, 5512315355})), hex(subscribed));
    EXPECT_EQ(decode_ok(subscribed), wamp::Message(wamp::Subscribed{713845233, 5512315355}));
    // [6, {}, "wamp.close.normal"]
    const std::string goodbye = unhex("83 06 a0 71" + text_bytes("wamp.close.normal"));
    EXPECT_EQ(hex(encode_ok(wamp::Goodbye{{}, "wamp.close.normal"})), hex(goodbye));
    // [67, 0, {"reason": "x"}]: the revocation form of UNREGISTERED.
    const std::string unregistered = unhex("83 18 43 00 a1 66" + text_bytes("reason") + "61 78");
    wamp::Unregistered revoked{0, Object{{"reason", "x"}}};
    EXPECT_EQ(hex(encode_ok(revoked)), hex(unregistered));
}

TEST(CborCodec, TranscodedFromJsonGivesTheSameBytes) {
    auto m = serialize::decode(Format::json,
                               R"([48,7814135,{},"com.myapp.echo",["Hello, world!"],{"a":1}])");
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(hex(encode_ok(*m)), hex(call_cbor));
    // And back: the CBOR payload transcodes to JSON.
    auto json = serialize::encode(Format::json, decode_ok(call_cbor));
    ASSERT_TRUE(json.ok());
    EXPECT_EQ(*json, R"([48,7814135,{},"com.myapp.echo",["Hello, world!"],{"a":1}])");
}

TEST(CborCodec, IndefiniteMessageArrayAndNonMinimalEnvelope) {
    // [_ 1, "somerealm", {_ }] with the type code in a 2-byte head.
    const auto m = decode_ok(unhex("9f 19 00 01 69" + text_bytes("somerealm") + "bf ff ff"));
    EXPECT_EQ(m, wamp::Message(wamp::Hello{"somerealm", {}}));
    // Re-encoding normalises the envelope.
    EXPECT_EQ(hex(encode_ok(m)), hex(hello_cbor));
}

TEST(CborCodec, TaggedMessageArray) {
    // Self-described CBOR (tag 55799) around the message.
    EXPECT_EQ(decode_ok(unhex("d9 d9 f7") + hello_cbor),
              wamp::Message(wamp::Hello{"somerealm", {}}));
}

// Raw payload ------------------------------------------------------------------

TEST(CborCodec, RawPayloadIsSplicedByteIdentical) {
    // Args [_ 1 (in a 1-byte head), (_ h'61', h'62'), 1.0 (half), {"k": 2 (in 8 bytes)}]
    // and kwargs {_ "k": 5 (2-byte head), "s": (_ "a", "b")}: nothing minimal about them.
    const std::string args =
        unhex("9f 18 01 5f 41 61 41 62 ff f9 3c 00 a1 61 6b 1b 00 00 00 00 00 00 "
              "00 02 ff");
    const std::string kwargs = unhex("bf 61 6b 19 00 05 61 73 7f 61 61 61 62 ff ff");
    const std::string frame = call_with(args + kwargs, 2);
    const auto m = decode_ok(frame);
    const auto* call = std::get_if<wamp::Call>(&m);
    ASSERT_NE(call, nullptr);
    EXPECT_EQ(hex(call->payload.raw_args()), hex(args));
    EXPECT_EQ(hex(call->payload.raw_kwargs()), hex(kwargs));
    EXPECT_EQ(hex(encode_ok(m)), hex(frame));

    EXPECT_EQ(call->payload.args(), (Array{1, Bytes{'a', 'b'}, 1.0, Value(Object{{"k", 2}})}));
    EXPECT_EQ(call->payload.kwargs(), (Object{{"k", 5}, {"s", "ab"}}));

    // Another format transcodes from the values.
    auto json = serialize::encode(Format::json, m);
    ASSERT_TRUE(json.ok()) << json.error().message;
    EXPECT_EQ(*json, R"([48,1,{},"p",[1,"\u0000YWI=",1.0,{"k":2}],{"k":5,"s":"ab"}])");
}

TEST(CborCodec, RawPayloadInOtherMessages) {
    // [50, 7, {}, [42]] RESULT and [70, 7, {}, [], {"x": null}] YIELD.
    const std::string result = unhex("84 18 32 07 a0 81 18 2a");
    EXPECT_EQ(hex(encode_ok(decode_ok(result))), hex(result));
    const std::string yield = unhex("85 18 46 07 a0 80 a1 61 78 f6");
    EXPECT_EQ(hex(encode_ok(decode_ok(yield))), hex(yield));
    const auto m = decode_ok(yield);
    EXPECT_EQ(wamp::payload_of(m)->kwargs(), (Object{{"x", nullptr}}));
}

// Values -----------------------------------------------------------------------

TEST(CborCodec, IntegerHeadsAreMinimal) {
    const std::pair<Value, const char*> cases[] = {
        {Value(0), "00"},
        {Value(1), "01"},
        {Value(23), "17"},
        {Value(24), "18 18"},
        {Value(255), "18 ff"},
        {Value(256), "19 01 00"},
        {Value(65535), "19 ff ff"},
        {Value(65536), "1a 00 01 00 00"},
        {Value(4294967295u), "1a ff ff ff ff"},
        {Value(std::uint64_t{4294967296u}), "1b 00 00 00 01 00 00 00 00"},
        {Value(std::numeric_limits<std::int64_t>::max()), "1b 7f ff ff ff ff ff ff ff"},
        {Value(std::uint64_t{9223372036854775808u}), "1b 80 00 00 00 00 00 00 00"},
        {Value(std::numeric_limits<std::uint64_t>::max()), "1b ff ff ff ff ff ff ff ff"},
        {Value(-1), "20"},
        {Value(-24), "37"},
        {Value(-25), "38 18"},
        {Value(-256), "38 ff"},
        {Value(-257), "39 01 00"},
        {Value(-65536), "39 ff ff"},
        {Value(-65537), "3a 00 01 00 00"},
        {Value(std::int64_t{-4294967296}), "3a ff ff ff ff"},
        {Value(std::int64_t{-4294967297}), "3b 00 00 00 01 00 00 00 00"},
        {Value(std::numeric_limits<std::int64_t>::min()), "3b 7f ff ff ff ff ff ff ff"},
    };
    for (const auto& [v, bytes] : cases) {
        EXPECT_EQ(hex(encode_value_ok(v)), bytes) << v;
        const Value back = decode_value_ok(unhex(bytes));
        EXPECT_EQ(back, v) << bytes;
        EXPECT_EQ(back.kind(), v.kind()) << bytes;
    }
}

TEST(CborCodec, NonMinimalIntegersNormalise) {
    const Value five = decode_value_ok(unhex("1b 00 00 00 00 00 00 00 05"));
    EXPECT_EQ(five.kind(), Value::Kind::integer);
    EXPECT_EQ(five, Value(5));
    EXPECT_EQ(decode_value_ok(unhex("39 00 00")), Value(-1));
}

TEST(CborCodec, ScalarsAndContainers) {
    EXPECT_EQ(hex(encode_value_ok(Value())), "f6");
    EXPECT_EQ(hex(encode_value_ok(Value(false))), "f4");
    EXPECT_EQ(hex(encode_value_ok(Value(true))), "f5");
    EXPECT_EQ(hex(encode_value_ok(Value(1.5))), "fb 3f f8 00 00 00 00 00 00");
    EXPECT_EQ(hex(encode_value_ok(Value(1.1))), "fb 3f f1 99 99 99 99 99 9a");
    EXPECT_EQ(hex(encode_value_ok(Value(""))), "60");
    EXPECT_EQ(hex(encode_value_ok(Value("IETF"))), "64 49 45 54 46");
    EXPECT_EQ(hex(encode_value_ok(Value("\xc3\xbc"))), "62 c3 bc");
    EXPECT_EQ(hex(encode_value_ok(Value(Bytes{}))), "40");
    EXPECT_EQ(hex(encode_value_ok(Value(Bytes{1, 2, 3, 4}))), "44 01 02 03 04");
    EXPECT_EQ(hex(encode_value_ok(Value(Array{}))), "80");
    EXPECT_EQ(hex(encode_value_ok(Value(Object{}))), "a0");
    // Map keys come out sorted, as wamp::Object orders them.
    EXPECT_EQ(hex(encode_value_ok(Value{{"b", 1}, {"a", Value::array({2, 3})}})),
              "a2 61 61 82 02 03 61 62 01");
    EXPECT_EQ(hex(encode_value_ok(Value(std::string(24, 'x')))).substr(0, 5), "78 18");
    EXPECT_EQ(hex(encode_value_ok(Value(std::string(256, 'x')))).substr(0, 8), "79 01 00");
    EXPECT_EQ(hex(encode_value_ok(Value(Array(24, Value(0))))).substr(0, 5), "98 18");
}

TEST(CborCodec, ValueRoundTrips) {
    const Value values[] = {
        Value(),
        Value(true),
        Value(false),
        Value(0),
        Value(-1),
        Value(std::numeric_limits<std::int64_t>::min()),
        Value(std::numeric_limits<std::int64_t>::max()),
        Value(std::numeric_limits<std::uint64_t>::max()),
        Value(0.0),
        Value(-0.0),
        Value(3.141592653589793),
        Value(1e300),
        Value(-5e-324),
        Value(std::numeric_limits<double>::infinity()),
        Value(""),
        Value("h\xc3\xa9llo w\xc3\xb6rld \xe2\x98\x83 \xf0\x9d\x84\x9e"),
        Value(std::string("nul\0inside", 10)),
        Value(Bytes{}),
        Value(Bytes{0, 0xff, 0x80}),
        Value(Array{}),
        Value(Object{}),
        Value{1, "two", 3.0, nullptr, Value(Array{Value(Object{})})},
        Value{{"a", Value{{"b", Value{{"c", Array{1, 2}}}}}}, {"z", Bytes{9}}},
    };
    for (const Value& v : values)
        EXPECT_EQ(round_trip(v), v) << v;

    const Value nan = round_trip(Value(std::nan("")));
    ASSERT_TRUE(nan.is_double());
    EXPECT_TRUE(std::isnan(*nan.if_double()));
}

TEST(CborCodec, HalfAndSingleFloatsDecodeToDouble) {
    // RFC 8949 Appendix A examples.
    const std::pair<const char*, double> cases[] = {
        {"f9 00 00", 0.0},
        {"f9 3c 00", 1.0},
        {"f9 3e 00", 1.5},
        {"f9 7b ff", 65504.0},
        {"f9 00 01", 5.960464477539063e-8},
        {"f9 04 00", 0.00006103515625},
        {"f9 c4 00", -4.0},
        {"f9 7c 00", std::numeric_limits<double>::infinity()},
        {"f9 fc 00", -std::numeric_limits<double>::infinity()},
        {"fa 47 c3 50 00", 100000.0},
        {"fa 7f 7f ff ff", 3.4028234663852886e+38},
        {"fa 7f 80 00 00", std::numeric_limits<double>::infinity()},
        {"fb 7e 37 e4 3c 88 00 75 9c", 1.0e+300},
    };
    for (const auto& [bytes, expected] : cases) {
        const Value v = decode_value_ok(unhex(bytes));
        ASSERT_TRUE(v.is_double()) << bytes;
        EXPECT_EQ(*v.if_double(), expected) << bytes;
    }
    const Value negative_zero = decode_value_ok(unhex("f9 80 00"));
    EXPECT_TRUE(std::signbit(negative_zero.as_double()));
    EXPECT_TRUE(std::isnan(decode_value_ok(unhex("f9 7e 00")).as_double()));
    EXPECT_TRUE(std::isnan(decode_value_ok(unhex("fa 7f c0 00 00")).as_double()));
}

TEST(CborCodec, SimpleValues) {
    EXPECT_EQ(decode_value_ok(unhex("f4")), Value(false));
    EXPECT_EQ(decode_value_ok(unhex("f5")), Value(true));
    EXPECT_EQ(decode_value_ok(unhex("f6")), Value());
    EXPECT_EQ(decode_value_ok(unhex("f7")), Value()); // undefined reads as null
    for (const char* other : {"e0", "f0", "f3", "f8 20", "f8 ff", "f8 10", "f8 00"})
        expect_value_rejected(unhex(other));
}

TEST(CborCodec, TagsDecodeAsTheirContent) {
    // 0("2013-03-21T20:04:00Z"), 1(1363896240), 32("http://..."), 6(1), 23(h'01')
    EXPECT_EQ(decode_value_ok(unhex("c0 74" + text_bytes("2013-03-21T20:04:00Z"))),
              Value("2013-03-21T20:04:00Z"));
    EXPECT_EQ(decode_value_ok(unhex("c1 1a 51 4b 67 b0")), Value(1363896240));
    EXPECT_EQ(decode_value_ok(unhex("d8 20 61 78")), Value("x"));
    EXPECT_EQ(decode_value_ok(unhex("c6 01")), Value(1));
    EXPECT_EQ(decode_value_ok(unhex("d7 41 01")), Value(Bytes{1}));
    EXPECT_EQ(decode_value_ok(unhex("db ff ff ff ff ff ff ff ff 82 c6 01 c6 a1 c6 61 6b f6")),
              (Value{1, Value{{"k", nullptr}}}));
    // A tagged args list is still a list.
    const auto m = decode_ok(call_with(unhex("c6 81 01"), 1));
    EXPECT_EQ(wamp::payload_of(m)->args(), (Array{1}));
}

TEST(CborCodec, TagsCountTowardDepth) {
    const DecodeLimits one{1};
    EXPECT_EQ(decode_value_ok(unhex("c6 01"), one), Value(1));
    EXPECT_EQ(decode_value_ok(unhex("81 01"), one), Value{1});
    expect_value_rejected(unhex("c6 c6 01"), one);
    expect_value_rejected(unhex("c6 81 01"), one);
    expect_value_rejected(unhex("81 c6 01"), one);
    EXPECT_EQ(decode_value_ok(unhex("c6 c6 01"), DecodeLimits{2}), Value(1));
    // A long chain of tags is bounded like any nesting.
    std::string tags;
    for (int i = 0; i < 100000; ++i)
        tags += '\xc6';
    expect_value_rejected(tags + '\x01');
}

TEST(CborCodec, IndefiniteLengthItems) {
    EXPECT_EQ(decode_value_ok(unhex("9f ff")), Value(Array{}));
    EXPECT_EQ(decode_value_ok(unhex("bf ff")), Value(Object{}));
    EXPECT_EQ(decode_value_ok(unhex("9f 01 82 02 03 9f 04 05 ff ff")),
              (Value{1, Value{2, 3}, Value{4, 5}}));
    EXPECT_EQ(decode_value_ok(unhex("bf 61 61 01 61 62 9f 02 03 ff ff")),
              (Value{{"a", 1}, {"b", Value{2, 3}}}));
    EXPECT_EQ(decode_value_ok(unhex("5f 42 01 02 43 03 04 05 ff")), Value(Bytes{1, 2, 3, 4, 5}));
    EXPECT_EQ(decode_value_ok(unhex("5f ff")), Value(Bytes{}));
    EXPECT_EQ(decode_value_ok(unhex("7f 65 73 74 72 65 61 64 6d 69 6e 67 ff")), Value("streaming"));
    EXPECT_EQ(decode_value_ok(unhex("7f 60 ff")), Value(""));
    // A chunked key.
    EXPECT_EQ(decode_value_ok(unhex("a1 7f 61 6b 61 65 ff 01")), (Value{{"ke", 1}}));

    expect_value_rejected(unhex("7f 41 61 ff"));       // byte chunk in a text string
    expect_value_rejected(unhex("5f 61 61 ff"));       // text chunk in a byte string
    expect_value_rejected(unhex("7f 7f ff ff"));       // nested indefinite chunk
    expect_value_rejected(unhex("7f c6 61 61 ff"));    // tagged chunk
    expect_value_rejected(unhex("7f 61 c3 61 a9 ff")); // a character split across chunks
    expect_value_rejected(unhex("7f 61 61"));          // no break
    expect_value_rejected(unhex("bf 61 61 ff"));       // break between key and value
    expect_value_rejected(unhex("9f 01"));             // no break
}

TEST(CborCodec, NestingUpToTheLimit) {
    // 64 nested arrays decode with the default limit, 65 do not.
    const std::string deep64 = std::string(63, '\x81') + '\x80';
    const std::string deep65 = std::string(64, '\x81') + '\x80';
    Value v = decode_value_ok(deep64);
    for (int i = 0; i < 63; ++i) {
        ASSERT_TRUE(v.is_array() && v.as_array().size() == 1);
        v = Value(v.as_array()[0]);
    }
    EXPECT_EQ(v, Value(Array{}));
    expect_value_rejected(deep65);
    EXPECT_EQ(round_trip(decode_value_ok(deep64)), decode_value_ok(deep64));
    EXPECT_EQ(encode_value_ok(decode_value_ok(deep64)), deep64);

    // In a message the list itself is depth 1: args may nest 63 deep in all.
    decode_ok(call_with(std::string(62, '\x81') + '\x80', 1));
    expect_rejected(call_with(std::string(63, '\x81') + '\x80', 1));
    decode_ok(call_with(unhex("80 a1 61 6b") + std::string(61, '\x81') + '\x80', 2));
    expect_rejected(call_with(unhex("80 a1 61 6b") + std::string(62, '\x81') + '\x80', 2));
    // Head elements count too.
    expect_rejected(hello_cbor, DecodeLimits{1});
    decode_ok(hello_cbor, DecodeLimits{2});
    expect_rejected(hello_cbor, DecodeLimits{0});
}

TEST(CborCodec, HugeNestingFailsWithoutStackOverflow) {
    const std::string deep(100000, '\x81');
    expect_rejected(deep);
    expect_value_rejected(deep);
    expect_rejected(call_with(deep, 1));
    expect_rejected(call_with(unhex("80") + std::string(100000, '\xbf'), 2));
    expect_rejected(std::string(100000, '\x9f'));
    // Even with a huge limit the walk is iterative: it only runs out of input.
    expect_value_rejected(deep, DecodeLimits{1u << 30});
    // Validation (no value tree) of a payload that deep is fine when allowed.
    const std::string balanced = std::string(100000, '\x81') + '\x01';
    decode_ok(call_with(balanced, 1), DecodeLimits{1u << 30});
}

// Errors -----------------------------------------------------------------------

TEST(CborCodec, RejectsMalformedEnvelopes) {
    expect_rejected("");
    expect_rejected(unhex("01"));                                     // not an array
    expect_rejected(unhex("a1 61 61 01"));                            // a map
    expect_rejected(unhex("80"));                                     // empty array
    expect_rejected(unhex("9f ff"));                                  // empty indefinite array
    expect_rejected(unhex("83 61 31 61 72 a0"));                      // type code is text
    expect_rejected(unhex("83 f9 3c 00 61 72 a0"));                   // type code is a float
    expect_rejected(unhex("83 20 61 72 a0"));                         // negative type code
    expect_rejected(unhex("83 18 63 61 72 a0"));                      // unknown type code 99
    expect_rejected(unhex("83 1b ff ff ff ff ff ff ff ff 61 72 a0")); // unknown huge type code
    expect_rejected(unhex("83 1f 61 72 a0"));                         // indefinite integer
    expect_rejected(unhex("83 81 01 61 72 a0"));                      // type code is an array
    expect_rejected(hello_cbor + '\x00');                             // trailing bytes
    expect_rejected(hello_cbor + hello_cbor);
    expect_rejected(unhex("9f 01 61 72 a0 ff 00"));
    expect_rejected(unhex("83 01 61 72 a0 ff"));                // stray break after the list
    expect_rejected(unhex("83 01 61 72 a1 01 02"));             // non-text key in details
    expect_rejected(unhex("83 01 61 72 a2 61 61 01 61 61 02")); // duplicate key in details
    expect_rejected(unhex("83 01 61 ff a0"));                   // invalid UTF-8 realm
    expect_rejected(unhex("84 01 61 72 a0 a0"));                // HELLO with 4 elements
    expect_rejected(unhex("83 01 61 72 81 01"));                // details not a dict
}

TEST(CborCodec, RejectsBadPayloads) {
    expect_rejected(call_with(unhex("a0"), 1)); // args not an array
    expect_rejected(call_with(unhex("01"), 1));
    expect_rejected(call_with(unhex("c6 a0"), 1)); // tagged, still not an array
    expect_rejected(call_with(unhex("80 80"), 2)); // kwargs not a map
    expect_rejected(call_with(unhex("80 61 78"), 2));
    expect_rejected(call_with(unhex("80 a0 01"), 3)); // too many elements
    expect_rejected(call_with(unhex("80 a0 a0 a0 a0 a0 a0"), 7));
    expect_rejected(unhex("9f") + call_envelope + unhex("80 a0 01 ff")); // too many, indefinite
    expect_rejected(call_with(unhex("81 a1 01 02"), 1));                 // non-text key inside args
    expect_rejected(call_with(unhex("80 a1 01 02"), 2));                 // non-text key in kwargs
    expect_rejected(call_with(unhex("80 a1 41 61 02"), 2));              // byte-string key
    expect_rejected(call_with(unhex("80 a2 61 61 01 61 61 02"), 2));     // duplicate kwargs key
    expect_rejected(call_with(unhex("81 a2 61 61 01 61 61 02"), 1));     // duplicate key in args
    expect_rejected(call_with(unhex("80 bf 61 61 01 7f 61 61 ff 02 ff"), 2)); // chunked duplicate
    expect_rejected(call_with(unhex("81 61 ff"), 1));                      // invalid UTF-8 in args
    expect_rejected(call_with(unhex("80 a1 62 c0 80 01"), 2));             // overlong key
    expect_rejected(call_with(unhex("81 3b 80 00 00 00 00 00 00 00"), 1)); // below INT64_MIN
    expect_rejected(call_with(unhex("81 f8 20"), 1)); // unsupported simple value

    // The sorting path of the duplicate check (more than 8 keys).
    std::string many = unhex("80 aa");
    for (char k = 'a'; k < 'a' + 9; ++k)
        many += std::string{'\x61', k, '\x01'};
    decode_ok(call_with(many + unhex("61 6a 01"), 2));
    expect_rejected(call_with(many + unhex("61 65 01"), 2));
    // Keys of sibling maps do not clash; nested maps keep their own.
    decode_ok(call_with(unhex("82 a1 61 61 01 a1 61 61 02 a1 61 61 a1 61 61 01"), 2));
}

TEST(CborCodec, RejectsInvalidUtf8) {
    const char* const invalid[] = {
        "61 80",          // lone continuation byte
        "62 c0 af",       // overlong '/'
        "62 c1 bf",       // overlong
        "63 e0 80 af",    // overlong 3-byte
        "64 f0 80 80 af", // overlong 4-byte
        "63 ed a0 80",    // surrogate U+D800
        "63 ed bf bf",    // surrogate U+DFFF
        "64 f4 90 80 80", // above U+10FFFF
        "61 f5",
        "61 ff",
        "62 c3 28",                      // bad continuation
        "61 c3",                         // truncated sequence
        "63 e2 82",                      // truncated sequence at string end
        "69 61 61 61 61 61 61 61 61 ff", // after an ASCII word
    };
    for (const char* bytes : invalid)
        expect_value_rejected(unhex(bytes));
    EXPECT_EQ(decode_value_ok(unhex("63 ed 9f bf")), Value("\xed\x9f\xbf"));        // U+D7FF
    EXPECT_EQ(decode_value_ok(unhex("64 f4 8f bf bf")), Value("\xf4\x8f\xbf\xbf")); // U+10FFFF
    // Bytes are not text: anything goes.
    EXPECT_EQ(decode_value_ok(unhex("42 ff c0")), Value(Bytes{0xff, 0xc0}));
}

TEST(CborCodec, RejectsMalformedValues) {
    expect_value_rejected("");
    expect_value_rejected(unhex("01 02")); // trailing bytes
    expect_value_rejected(unhex("3b 80 00 00 00 00 00 00 00"));
    expect_value_rejected(unhex("3b ff ff ff ff ff ff ff ff"));
    EXPECT_EQ(decode_value_ok(unhex("3b 7f ff ff ff ff ff ff ff")),
              Value(std::numeric_limits<std::int64_t>::min()));
    expect_value_rejected(unhex("a1 01 02"));
    expect_value_rejected(unhex("a1 f6 02"));
    expect_value_rejected(unhex("a1 80 02"));
    expect_value_rejected(unhex("a2 61 61 01 61 61 02"));
    for (const char* indefinite : {"1f", "3f", "df 01"})
        expect_value_rejected(unhex(indefinite));
}

TEST(CborCodec, RejectsReservedAdditionalInformation) {
    for (int major = 0; major < 8; ++major) {
        for (int info = 28; info <= 30; ++info) {
            const char initial = static_cast<char>(major << 5 | info);
            expect_value_rejected(std::string(1, initial) + std::string(8, '\x00'));
            expect_rejected(std::string{'\x83', '\x01', initial, '\xa0'});
            expect_rejected(call_with(std::string{'\x81', initial}, 1));
        }
    }
}

TEST(CborCodec, RejectsMisplacedBreak) {
    for (const char* bytes :
         {"ff", "81 ff", "82 01 ff", "a1 ff", "a1 61 61 ff", "9f 01 c6 ff", "c6 ff", "bf 61 61 ff"})
        expect_value_rejected(unhex(bytes));
    expect_rejected(unhex("ff"));
    expect_rejected(unhex("83 ff 61 72 a0"));
    expect_rejected(unhex("83 01 ff a0"));
    expect_rejected(call_with(unhex("ff"), 1));
    expect_rejected(call_with(unhex("80 ff"), 2));
}

TEST(CborCodec, RejectsHugeDeclaredLengths) {
    const char* const huge[] = {
        "9b ff ff ff ff ff ff ff ff",
        "bb ff ff ff ff ff ff ff ff",
        "5b ff ff ff ff ff ff ff ff",
        "7b ff ff ff ff ff ff ff ff",
        "9a ff ff ff ff 01",
        "ba 7f ff ff ff 01 01",
        "5a ff ff ff ff 00",
        "7a 00 01 00 00 61",
        "82 01",
        "a1 61 61",
        "7f 7b ff ff ff ff ff ff ff ff ff",
        "5f 5a ff ff ff ff ff",
        "9b 00 00 00 00 00 00 00 02 01",       // more elements than bytes left
        "bb 00 00 00 00 00 00 00 02 61 61 01", // a map entry needs two bytes
    };
    for (const char* bytes : huge) {
        expect_value_rejected(unhex(bytes));
        expect_rejected(call_with(unhex(bytes), 1));
    }
    expect_rejected(unhex("9b ff ff ff ff ff ff ff ff 01"));
    expect_rejected(unhex("9b 00 00 00 00 00 00 00 04 01 61 72 a0"));
    expect_rejected(unhex("83 01 7b 7f ff ff ff ff ff ff ff a0"));
}

TEST(CborCodec, EveryTruncatedPrefixFails) {
    const std::string frames[] = {
        hello_cbor,
        call_cbor,
        event_cbor,
        call_with(unhex("9f 18 01 5f 41 61 41 62 ff f9 3c 00 ff bf 61 6b 19 00 05 ff"), 2),
        unhex("9f 19 00 01 69") + unhex(text_bytes("somerealm")) + unhex("bf ff ff"),
        unhex("d9 d9 f7") + hello_cbor,
    };
    for (const std::string& frame : frames) {
        decode_ok(frame);
        for (std::size_t n = 0; n < frame.size(); ++n)
            expect_rejected(frame.substr(0, n));
    }
    const std::string value =
        encode_value_ok(Value{{"a", Value{1, 2.5, "x", Bytes{1}}}, {"b", -300}});
    for (std::size_t n = 0; n < value.size(); ++n)
        expect_value_rejected(value.substr(0, n));
}

// Encoding ---------------------------------------------------------------------

TEST(CborCodec, EncodeRejectsInvalidUtf8) {
    std::string out;
    EXPECT_FALSE(serialize::detail::cbor_encode_value(Value("\xff"), out).ok());
    EXPECT_FALSE(serialize::detail::cbor_encode_value(Value{{"\xc0\xaf", 1}}, out).ok());
    EXPECT_FALSE(serialize::encode(Format::cbor, wamp::Hello{"\xed\xa0\x80", {}}).ok());
    // NaN and infinities are fine in CBOR.
    EXPECT_TRUE(
        serialize::detail::cbor_encode_value(Value(std::numeric_limits<double>::quiet_NaN()), out)
            .ok());
}

TEST(CborCodec, EncodeAppends) {
    std::string out = "xy";
    ASSERT_TRUE(serialize::encode_into(Format::cbor, wamp::Hello{"somerealm", {}}, out).ok());
    EXPECT_EQ(out, "xy" + hello_cbor);
}

// Robustness -------------------------------------------------------------------

TEST(CborCodec, MutatedFramesNeverCrash) {
    const std::string seeds[] = {
        hello_cbor,
        call_cbor,
        event_cbor,
        call_with(
            unhex("9f 18 01 5f 41 61 41 62 ff f9 3c 00 ff bf 61 6b 19 00 05 7f 61 61 ff 02 ff"), 2),
    };
    std::mt19937 rng(12345);
    int decoded = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string frame = seeds[round % std::size(seeds)];
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = rng() % frame.size();
            switch (rng() % 3) {
            case 0: frame[at] = static_cast<char>(rng()); break;
            case 1: frame.erase(at, 1 + rng() % 3); break;
            default: frame.insert(at, 1, static_cast<char>(rng())); break;
            }
            if (frame.empty()) frame = "\x80";
        }
        auto m = serialize::decode(Format::cbor, frame);
        if (!m) continue;
        ++decoded;
        // Whatever decodes re-encodes and decodes to the same message.
        auto again = serialize::encode(Format::cbor, *m);
        ASSERT_TRUE(again.ok()) << hex(frame);
        auto back = serialize::decode(Format::cbor, *again);
        ASSERT_TRUE(back.ok()) << hex(frame) << " -> " << hex(*again);
        // NaN != NaN: compare bytes instead of values.
        auto twice = serialize::encode(Format::cbor, *back);
        ASSERT_TRUE(twice.ok());
        EXPECT_EQ(hex(*twice), hex(*again)) << hex(frame);
    }
    // The mutations must leave enough frames valid to exercise the path above.
    EXPECT_GT(decoded, 200);
}
