#include <nexus/serialize/serializer.hpp>

#include "serialize/codec.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

using namespace nexus;
using wamp::Array;
using wamp::Format;
using wamp::Object;
using wamp::Payload;
using wamp::Value;

namespace {

std::string bytes(std::initializer_list<int> b) {
    std::string s;
    for (int c : b)
        s.push_back(static_cast<char>(c));
    return s;
}

std::string encode(const wamp::Message& m) {
    auto r = serialize::encode(Format::msgpack, m);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::string();
}

std::string decode_error(const std::string& frame) {
    auto r = serialize::decode(Format::msgpack, frame);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.error().message;
}

Value roundtrip(const Value& v) {
    std::string out;
    EXPECT_TRUE(serialize::encode_value_into(Format::msgpack, v, out).ok());
    auto back = serialize::decode_value(Format::msgpack, out);
    EXPECT_TRUE(back.ok()) << (back.ok() ? "" : back.error().message);
    return back.ok() ? *back : Value();
}

} // namespace

TEST(MsgpackCodec, HelloVectorFromTheSpec) {
    // [1, "somerealm", {}]
    const std::string wire =
        bytes({0x93, 0x01, 0xa9, 's', 'o', 'm', 'e', 'r', 'e', 'a', 'l', 'm', 0x80});
    EXPECT_EQ(encode(wamp::Hello{"somerealm", {}}), wire);
    auto m = serialize::decode(Format::msgpack, wire);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(std::get<wamp::Hello>(*m).realm, "somerealm");
}

TEST(MsgpackCodec, CallWithArgsAndKwargs) {
    // [48, 7814135, {}, "com.myapp.echo", ["Hello"], {"a": -1}]
    const std::string wire =
        bytes({0x96, 0x30, 0xce, 0x00, 0x77, 0x3b, 0xf7, 0x80, 0xae, 'c', 'o', 'm',
               '.',  'm',  'y',  'a',  'p',  'p',  '.',  'e',  'c',  'h', 'o', 0x91,
               0xa5, 'H',  'e',  'l',  'l',  'o',  0x81, 0xa1, 'a',  0xff});
    wamp::Call call{7814135, {}, "com.myapp.echo", Payload(Array{"Hello"}, Object{{"a", -1}})};
    EXPECT_EQ(encode(call), wire);
    auto m = serialize::decode(Format::msgpack, wire);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(*m, wamp::Message(call));
    const Payload& p = std::get<wamp::Call>(*m).payload;
    EXPECT_EQ(p.raw_format(), Format::msgpack);
    EXPECT_EQ(p.raw_args(), bytes({0x91, 0xa5, 'H', 'e', 'l', 'l', 'o'}));
}

TEST(MsgpackCodec, NonMinimalPayloadIsForwardedByteForByte) {
    // EVENT [36, 1, 2, {}, [uint32 5, int8 1, float32 1.5]]
    const std::string args = bytes({0x93, 0xce, 0, 0, 0, 5, 0xd0, 0x01, 0xca, 0x3f, 0xc0, 0, 0});
    const std::string wire = bytes({0x95, 0x24, 0x01, 0x02, 0x80}) + args;
    auto m = serialize::decode(Format::msgpack, wire);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(encode(*m), wire);
    EXPECT_EQ(std::get<wamp::Event>(*m).payload.args(), (Array{5, 1, 1.5}));
}

TEST(MsgpackCodec, ValuesRoundTrip) {
    for (const Value& v :
         {Value(), Value(true), Value(false), Value(0), Value(127), Value(128), Value(-32),
          Value(-33), Value(65535), Value(65536), Value(std::numeric_limits<std::int64_t>::min()),
          Value(std::numeric_limits<std::uint64_t>::max()), Value(0.1), Value(-1e300),
          Value("\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80"), Value(wamp::Bytes{0, 1, 255}),
          Value::array(), Value::object(), Value{{"k", Value{1, Value{2, Value{3}}}}}})
        EXPECT_EQ(roundtrip(v), v) << v;
}

TEST(MsgpackCodec, MalformedInputIsRefused) {
    EXPECT_FALSE(decode_error("").empty());
    EXPECT_FALSE(decode_error(bytes({0x01})).empty());                         // not an array
    EXPECT_FALSE(decode_error(bytes({0x90})).empty());                         // empty array
    EXPECT_FALSE(decode_error(bytes({0x92, 0xa1, 'x', 0x80})).empty());        // type is a string
    EXPECT_FALSE(decode_error(bytes({0x93, 0x07, 0x01, 0x80})).empty());       // unknown type 7
    EXPECT_FALSE(decode_error(bytes({0x93, 0x01, 0xa1, 0xff, 0x80})).empty()); // bad UTF-8
    EXPECT_FALSE(decode_error(bytes({0x93, 0x01, 0xa1, 'r', 0x81, 0x01, 0x02})).empty()); // int key
    EXPECT_FALSE(decode_error(bytes({0x93, 0x01, 0xa1, 'r', 0x80, 0x00})).empty()); // trailing
    EXPECT_FALSE(decode_error(bytes({0x93, 0x01, 0xa1, 'r', 0xd4, 0x01, 0x02})).empty()); // ext
    EXPECT_FALSE(decode_error(bytes({0x95, 0x24, 1, 2, 0x80, 0x80})).empty()); // args not a list
    EXPECT_FALSE(decode_error(bytes({0x96, 0x24, 1, 2, 0x80, 0x90, 0x90})).empty());       // kwargs
    EXPECT_FALSE(decode_error(bytes({0x97, 0x24, 1, 2, 0x80, 0x90, 0x80, 0x80})).empty()); // count
    // duplicate keys
    EXPECT_FALSE(
        decode_error(bytes({0x93, 0x01, 0xa1, 'r', 0x82, 0xa1, 'a', 1, 0xa1, 'a', 2})).empty());
}

// msgpackr (wampy's MessagePack) writes JavaScript's undefined as fixext 1, type 0, data 0:
// nil, like CBOR's undefined, in the envelope and in payloads; other extensions stay refused.
TEST(MsgpackCodec, MsgpackrUndefinedReadsAsNil) {
    // [32, 1, {"match": undefined}, "t"]
    const std::string subscribe =
        bytes({0x94, 0x20, 0x01, 0x81, 0xa5, 'm', 'a', 't', 'c', 'h', 0xd4, 0x00, 0x00, 0xa1, 't'});
    auto m = serialize::decode(Format::msgpack, subscribe);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(std::get<wamp::Subscribe>(*m).options, (Object{{"match", Value()}}));
    // EVENT [36, 1, 2, {}, [undefined]]: spliced as received, nil when read or transcoded
    const std::string args = bytes({0x91, 0xd4, 0x00, 0x00});
    const std::string event = bytes({0x95, 0x24, 0x01, 0x02, 0x80}) + args;
    auto e = serialize::decode(Format::msgpack, event);
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ(encode(*e), event);
    EXPECT_EQ(std::get<wamp::Event>(*e).payload.args(), (Array{Value()}));
    auto json = serialize::encode(Format::json, *e);
    ASSERT_TRUE(json.ok()) << json.error().message;
    EXPECT_EQ(*json, "[36,1,2,{},[null]]");
    // other fixext 1 values
    EXPECT_FALSE(decode_error(bytes({0x93, 0x01, 0xa1, 'r', 0xd4, 0x00, 0x01})).empty());
    EXPECT_FALSE(decode_error(bytes({0x93, 0x01, 0xa1, 'r', 0xd4, 0xff, 0x00})).empty());
}

TEST(MsgpackCodec, EveryTruncationIsRefused) {
    const std::string wire = encode(
        wamp::Call{1, {{"x", 1}}, "com.p", Payload(Array{"a", 2.5}, Object{{"k", Value{1}}})});
    for (std::size_t n = 0; n < wire.size(); ++n)
        EXPECT_FALSE(serialize::decode(Format::msgpack, wire.substr(0, n)).ok()) << n;
}

TEST(MsgpackCodec, HugeDeclaredSizesFailFast) {
    // Found by the fuzzer: msgpuck's mp_check() overflows its element counter
    // on array32 sizes near 2^31 and stops checking.
    EXPECT_FALSE(decode_error(bytes({0x93, 0x43, 0xdd, 0x92, 0x01, 0x00, 0x06})).empty());
    EXPECT_FALSE(
        decode_error(bytes({0x93, 0x01, 0xa1, 'r', 0xdf, 0x7f, 0xff, 0xff, 0xff})).empty());
    EXPECT_FALSE(
        decode_error(bytes({0x93, 0x01, 0xa1, 'r', 0xdd, 0xff, 0xff, 0xff, 0xff})).empty());
}

TEST(MsgpackCodec, DepthIsLimitedWithoutRecursionTrouble) {
    std::string deep(100000, static_cast<char>(0x91));
    deep += static_cast<char>(0x01);
    EXPECT_FALSE(serialize::decode_value(Format::msgpack, deep).ok());
    const std::string frame = bytes({0x95, 0x24, 1, 2, 0x80}) + deep;
    EXPECT_NE(decode_error(frame).find("deeper"), std::string::npos);
    std::string ok_depth(60, static_cast<char>(0x91));
    ok_depth += static_cast<char>(0x01);
    EXPECT_TRUE(
        serialize::decode(Format::msgpack, bytes({0x95, 0x24, 1, 2, 0x80}) + ok_depth).ok());
}

TEST(MsgpackCodec, EncodingRefusesInvalidUtf8) {
    std::string out;
    EXPECT_FALSE(serialize::encode_value_into(Format::msgpack, Value("\xff"), out).ok());
}
