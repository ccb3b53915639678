// The JSON serializer: exact bytes for spec examples, raw payload splicing,
// value round trips and a long list of inputs that must fail cleanly.
#include <nexus/serialize/serializer.hpp>

#include "serialize/codec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
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

wamp::Message decode_ok(std::string_view json) {
    auto m = serialize::decode(Format::json, json);
    EXPECT_TRUE(m.ok()) << json << "\n -> " << (m.ok() ? "" : m.error().message);
    if (!m) return wamp::Hello{};
    return std::move(m).value();
}

std::string encode_ok(const wamp::Message& m) {
    auto out = serialize::encode(Format::json, m);
    EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
    return out.ok() ? *out : std::string();
}

// Decodes and checks that the failure carries a message.
void expect_rejected(std::string_view json, const DecodeLimits& limits = {}) {
    auto m = serialize::decode(Format::json, json, limits);
    EXPECT_FALSE(m.ok()) << "accepted: " << json;
    if (!m) {
        EXPECT_FALSE(m.error().message.empty());
    }
}

Value decode_value_ok(std::string_view json, const DecodeLimits& limits = {}) {
    auto v = serialize::detail::json_decode_value(json, limits);
    EXPECT_TRUE(v.ok()) << json << "\n -> " << (v.ok() ? "" : v.error().message);
    return v.ok() ? *v : Value();
}

std::string encode_value_ok(const Value& v) {
    std::string out;
    Status s = serialize::detail::json_encode_value(v, out);
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return out;
}

void expect_value_rejected(std::string_view json, const DecodeLimits& limits = {}) {
    auto v = serialize::detail::json_decode_value(json, limits);
    EXPECT_FALSE(v.ok()) << "accepted: " << json;
}

Value round_trip(const Value& v) { return decode_value_ok(encode_value_ok(v)); }

std::string nested_lists(std::size_t depth, std::string_view inner = "") {
    return std::string(depth, '[') + std::string(inner) + std::string(depth, ']');
}

const char* const hello_json = R"([1,"somerealm",{"roles":{"publisher":{},"subscriber":{}}}])";
const char* const call_json = R"([48,7814135,{},"com.myapp.echo",["Hello, world!"]])";
const char* const publish_json =
    R"([16,239714735,{},"com.myapp.mytopic1",[],{"color":"orange","sizes":[23,42,7]}])";

} // namespace

// --- spec vectors ----------------------------------------------------------

TEST(JsonCodec, DecodesHello) {
    auto m = decode_ok(hello_json);
    const auto* hello = std::get_if<wamp::Hello>(&m);
    ASSERT_NE(hello, nullptr);
    EXPECT_EQ(hello->realm, "somerealm");
    EXPECT_EQ(Value(hello->details),
              Value(Object{{"roles", Value(Object{{"publisher", Value(Object{})},
                                                  {"subscriber", Value(Object{})}})}}));
    EXPECT_EQ(encode_ok(m), hello_json);
}

TEST(JsonCodec, EncodesHelloBuiltFromValues) {
    wamp::Hello hello;
    hello.realm = "somerealm";
    hello.details["roles"] =
        Value(Object{{"subscriber", Value(Object{})}, {"publisher", Value(Object{})}});
    EXPECT_EQ(encode_ok(hello), hello_json);
}

TEST(JsonCodec, DecodesCallWithRawPayload) {
    auto m = decode_ok(call_json);
    const auto* call = std::get_if<wamp::Call>(&m);
    ASSERT_NE(call, nullptr);
    EXPECT_EQ(call->request, 7814135u);
    EXPECT_TRUE(call->options.empty());
    EXPECT_EQ(call->procedure, "com.myapp.echo");
    EXPECT_EQ(call->payload.raw_format(), Format::json);
    EXPECT_EQ(call->payload.raw_args(), R"(["Hello, world!"])");
    EXPECT_FALSE(call->payload.has_kwargs());
    EXPECT_EQ(call->payload.args(), (Array{"Hello, world!"}));
    EXPECT_EQ(encode_ok(m), call_json);
}

TEST(JsonCodec, DecodesPublishWithEmptyArgsAndKwargs) {
    auto m = decode_ok(publish_json);
    const auto* publish = std::get_if<wamp::Publish>(&m);
    ASSERT_NE(publish, nullptr);
    EXPECT_EQ(publish->request, 239714735u);
    EXPECT_EQ(publish->topic, "com.myapp.mytopic1");
    EXPECT_EQ(publish->payload.raw_args(), "[]");
    EXPECT_EQ(publish->payload.raw_kwargs(), R"({"color":"orange","sizes":[23,42,7]})");
    EXPECT_TRUE(publish->payload.args().empty());
    EXPECT_EQ(Value(publish->payload.kwargs()),
              Value(Object{{"color", "orange"}, {"sizes", Value(Array{23, 42, 7})}}));
    EXPECT_EQ(encode_ok(m), publish_json);
}

TEST(JsonCodec, RawPayloadIsSplicedByteForByte) {
    const std::string odd =
        "[36 ,\t5, 6\n, { } , [ \"a\" ,  1.50 , {\"z\" : null} ] ,\r\n{ \"k\" : [ ] } ]";
    auto m = decode_ok(odd);
    ASSERT_TRUE(std::holds_alternative<wamp::Event>(m));
    EXPECT_EQ(encode_ok(m), R"([36,5,6,{},[ "a" ,  1.50 , {"z" : null} ],{ "k" : [ ] }])");
    const auto& event = std::get<wamp::Event>(m);
    EXPECT_EQ(event.payload.args(), (Array{"a", 1.5, Value(Object{{"z", nullptr}})}));
}

TEST(JsonCodec, EncodesPayloadBuiltFromValues) {
    wamp::Event event;
    event.subscription = 5;
    event.publication = 6;
    event.payload = Payload(Array{1, "two", 3.5, nullptr, true}, Object{{"b", 2}, {"a", 1}});
    EXPECT_EQ(encode_ok(event), R"([36,5,6,{},[1,"two",3.5,null,true],{"a":1,"b":2}])");

    event.payload = Payload(Array{}, Object{{"a", 1}});
    EXPECT_EQ(encode_ok(event), R"([36,5,6,{},[],{"a":1}])");

    event.payload = Payload();
    EXPECT_EQ(encode_ok(event), R"([36,5,6,{}])");
}

TEST(JsonCodec, EncodesOtherMessages) {
    EXPECT_EQ(encode_ok(wamp::Subscribed{713845233, 5512315355}), "[33,713845233,5512315355]");
    EXPECT_EQ(encode_ok(wamp::Goodbye{{}, "wamp.close.system_shutdown"}),
              R"([6,{},"wamp.close.system_shutdown"])");
    wamp::Error error;
    error.request_type = wamp::MessageType::call;
    error.request = 7814135;
    error.error = "com.myapp.error.object_write_protected";
    error.payload = Payload(Array{"Object is write protected."}, Object{{"severity", 3}});
    EXPECT_EQ(encode_ok(error), R"([8,48,7814135,{},"com.myapp.error.object_write_protected",)"
                                R"(["Object is write protected."],{"severity":3}])");
}

TEST(JsonCodec, SpecBinaryExample) {
    const Bytes expected{0x10, 0xe3, 0xff, 0x90, 0x53, 0x07, 0x5c, 0x52,
                         0x6f, 0x5f, 0xc0, 0x6d, 0x4f, 0xe3, 0x7c, 0xdb};
    const std::string json = R"("\u0000EOP/kFMHXFJvX8BtT+N82w==")";
    EXPECT_EQ(decode_value_ok(json), Value(expected));
    EXPECT_EQ(encode_value_ok(Value(expected)), json);
}

TEST(JsonCodec, BytesOfEveryPaddingRoundTrip) {
    const std::vector<std::pair<Bytes, std::string>> cases = {
        {Bytes{}, R"("\u0000")"},
        {Bytes{'f'}, R"("\u0000Zg==")"},
        {Bytes{'f', 'o'}, R"("\u0000Zm8=")"},
        {Bytes{'f', 'o', 'o'}, R"("\u0000Zm9v")"},
        {Bytes{'f', 'o', 'o', 'b'}, R"("\u0000Zm9vYg==")"},
        {Bytes{'f', 'o', 'o', 'b', 'a'}, R"("\u0000Zm9vYmE=")"},
        {Bytes{'f', 'o', 'o', 'b', 'a', 'r'}, R"("\u0000Zm9vYmFy")"},
    };
    for (const auto& [bytes, json] : cases) {
        EXPECT_EQ(encode_value_ok(Value(bytes)), json);
        EXPECT_EQ(decode_value_ok(json), Value(bytes)) << json;
    }
    Bytes all;
    for (int i = 0; i < 256; ++i)
        all.data.push_back(static_cast<std::uint8_t>(i));
    EXPECT_EQ(round_trip(Value(all)), Value(all));
}

TEST(JsonCodec, BinaryInsidePayloadAndHead) {
    auto m = decode_ok(R"([48,1,{"blob":"\u0000Zm8="},"p",["\u0000Zg=="]])");
    const auto& call = std::get<wamp::Call>(m);
    EXPECT_EQ(call.options.at("blob"), Value(Bytes{'f', 'o'}));
    EXPECT_EQ(call.payload.args(), (Array{Value(Bytes{'f'})}));
}

// --- values ----------------------------------------------------------------

TEST(JsonCodec, ScalarEncodings) {
    EXPECT_EQ(encode_value_ok(Value()), "null");
    EXPECT_EQ(encode_value_ok(Value(true)), "true");
    EXPECT_EQ(encode_value_ok(Value(false)), "false");
    EXPECT_EQ(encode_value_ok(Value(0)), "0");
    EXPECT_EQ(encode_value_ok(Value(std::numeric_limits<std::int64_t>::min())),
              "-9223372036854775808");
    EXPECT_EQ(encode_value_ok(Value(std::numeric_limits<std::uint64_t>::max())),
              "18446744073709551615");
    EXPECT_EQ(encode_value_ok(Value(1.0)), "1.0");
    EXPECT_EQ(encode_value_ok(Value(-0.0)), "-0.0");
    EXPECT_EQ(encode_value_ok(Value(0.1)), "0.1");
    EXPECT_EQ(encode_value_ok(Value(1e300)), "1e+300");
    EXPECT_EQ(encode_value_ok(Value(Array{})), "[]");
    EXPECT_EQ(encode_value_ok(Value(Object{})), "{}");
    EXPECT_EQ(
        encode_value_ok(Value(Array{1, Value(Array{}), Value(Object{{"a", Value(Array{})}})})),
        R"([1,[],{"a":[]}])");
}

TEST(JsonCodec, IntegersKeepTheirRange) {
    const Value min = decode_value_ok("-9223372036854775808");
    EXPECT_EQ(min.kind(), Value::Kind::integer);
    EXPECT_EQ(min.as_int(), std::numeric_limits<std::int64_t>::min());

    const Value max = decode_value_ok("9223372036854775807");
    EXPECT_EQ(max.kind(), Value::Kind::integer);
    EXPECT_EQ(max.as_int(), std::numeric_limits<std::int64_t>::max());

    const Value above = decode_value_ok("9223372036854775808");
    EXPECT_EQ(above.kind(), Value::Kind::uinteger);
    EXPECT_EQ(above.as_uint(), 9223372036854775808u);

    const Value umax = decode_value_ok("18446744073709551615");
    EXPECT_EQ(umax.kind(), Value::Kind::uinteger);
    EXPECT_EQ(umax.as_uint(), std::numeric_limits<std::uint64_t>::max());

    // Beyond 64 bits JSON still has a number; it becomes a double.
    EXPECT_TRUE(decode_value_ok("18446744073709551616").is_double());
    EXPECT_TRUE(decode_value_ok("-9223372036854775809").is_double());
    EXPECT_EQ(decode_value_ok("-0").kind(), Value::Kind::integer);
    EXPECT_EQ(decode_value_ok("  42 "), Value(42));
}

TEST(JsonCodec, DoublesRoundTripExactly) {
    const double cases[] = {0.1,
                            0.30000000000000004,
                            1.0,
                            -1.5,
                            1e300,
                            -2.5e-300,
                            1e21,
                            123456789012345680.0,
                            std::numeric_limits<double>::max(),
                            std::numeric_limits<double>::min(),
                            std::numeric_limits<double>::denorm_min(),
                            std::numeric_limits<double>::epsilon()};
    for (const double d : cases) {
        const Value back = round_trip(Value(d));
        ASSERT_TRUE(back.is_double()) << d;
        EXPECT_EQ(*back.if_double(), d);
    }
    const Value negative_zero = round_trip(Value(-0.0));
    ASSERT_TRUE(negative_zero.is_double());
    EXPECT_TRUE(std::signbit(*negative_zero.if_double()));
}

TEST(JsonCodec, DecimalInputIsCorrectlyRounded) {
    for (const char* text : {"2.2250738585072011e-308", "9007199254740993.0", "0.1e1", "1E5",
                             "4.9406564584124654e-324", "1.7976931348623157e308"}) {
        const Value v = decode_value_ok(text);
        ASSERT_TRUE(v.is_double()) << text;
        EXPECT_EQ(*v.if_double(), std::strtod(text, nullptr)) << text;
    }
    EXPECT_EQ(decode_value_ok("1e-400"), Value(0.0));
}

TEST(JsonCodec, NonFiniteDoublesCannotBeEncoded) {
    for (const double d :
         {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
          -std::numeric_limits<double>::infinity()}) {
        std::string out;
        Status s = serialize::detail::json_encode_value(Value(Array{1, d}), out);
        ASSERT_FALSE(s.ok());
        EXPECT_NE(s.error().message.find("NaN"), std::string::npos);
    }
    wamp::Call call;
    call.request = 1;
    call.procedure = "p";
    call.payload = Payload(Array{std::nan("")});
    EXPECT_FALSE(serialize::encode(Format::json, call).ok());
}

TEST(JsonCodec, StringsAreEscapedPerRfc8259) {
    EXPECT_EQ(encode_value_ok(Value(std::string("a\"b\\c/\b\f\n\r\t\x01\x1f\x7f", 14))),
              R"("a\"b\\c/\b\f\n\r\t\u0001\u001f)"
              "\x7f\"");
    // Non-ASCII text stays UTF-8.
    EXPECT_EQ(encode_value_ok(Value("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")),
              "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    // A NUL that does not start the string is ordinary text.
    EXPECT_EQ(encode_value_ok(Value(std::string("a\0b", 3))), R"("a\u0000b")");
    EXPECT_EQ(decode_value_ok(R"("a\u0000b")"), Value(std::string("a\0b", 3)));
}

TEST(JsonCodec, UnicodeEscapesDecodeToUtf8) {
    EXPECT_EQ(decode_value_ok(R"("\u00e9\u20AC\ud83d\ude00")"),
              Value("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
    EXPECT_EQ(decode_value_ok("\"\xf0\x9f\x98\x80\""), Value("\xf0\x9f\x98\x80"));
    EXPECT_EQ(decode_value_ok(R"("\"\\\/\b\f\n\r\t")"), Value("\"\\/\b\f\n\r\t"));
    // Long enough that the parser hands the unescaped text over in pieces.
    std::string long_text(20000, 'x');
    std::string long_json = "\"" + long_text + "\\n" + long_text + "\"";
    EXPECT_EQ(decode_value_ok(long_json), Value(long_text + "\n" + long_text));
}

TEST(JsonCodec, InvalidUtf8CannotBeEncoded) {
    for (const char* bad :
         {"\xff", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "abc\x80"}) {
        std::string out;
        EXPECT_FALSE(serialize::detail::json_encode_value(Value(bad), out).ok()) << bad;
        out.clear();
        EXPECT_FALSE(serialize::detail::json_encode_value(Value(Object{{bad, 1}}), out).ok());
    }
}

TEST(JsonCodec, ValuesRoundTrip) {
    const Value v{nullptr,
                  true,
                  false,
                  0,
                  -1,
                  std::numeric_limits<std::int64_t>::min(),
                  std::numeric_limits<std::int64_t>::max(),
                  std::numeric_limits<std::uint64_t>::max(),
                  0.1,
                  "",
                  "text with \"quotes\" and \\ and \n",
                  "\xe2\x82\xac\xf0\x9f\x98\x80",
                  Value(Bytes{1, 2, 3}),
                  Value(Array{}),
                  Value(Object{}),
                  Value(Object{{"nested", Value(Array{Value(Object{{"", 1}})})}})};
    EXPECT_EQ(round_trip(v), v);
}

TEST(JsonCodec, NestingUpToTheLimit) {
    const DecodeLimits limits{64};
    EXPECT_TRUE(serialize::detail::json_decode_value(nested_lists(64), limits).ok());
    expect_value_rejected(nested_lists(65), limits);

    // In a message the list itself is level 1: args is level 2.
    const std::string ok = "[36,1,2,{}," + nested_lists(63) + "]";
    auto m = serialize::decode(Format::json, ok, limits);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(encode_ok(*m), ok);
    expect_rejected("[36,1,2,{}," + nested_lists(64) + "]", limits);
    // The same holds for head elements and kwargs.
    expect_rejected("[36,1,2,{},[],{\"a\":" + nested_lists(63) + "}]", limits);
    EXPECT_TRUE(
        serialize::decode(Format::json, "[36,1,2,{},[],{\"a\":" + nested_lists(62) + "}]", limits)
            .ok());
    expect_rejected("[36,1,2,{\"a\":" + nested_lists(63) + "}]", limits);

    const Value deep = decode_value_ok(nested_lists(64, "7"), limits);
    EXPECT_EQ(round_trip(deep), deep);
}

TEST(JsonCodec, HugeNestingFailsWithoutRecursing) {
    const std::string opens(100000, '[');
    expect_rejected(opens);
    expect_rejected(nested_lists(100000));
    expect_rejected("[36,1,2,{}," + opens);
    expect_rejected("[36,1,2,{}," + std::string(100000, '{'));
    expect_value_rejected(opens);
    expect_value_rejected(nested_lists(100000));
    expect_value_rejected(std::string(50000, '{') + std::string(50000, '}'));
}

TEST(JsonCodec, ZeroDepthLimitRejectsEverything) {
    expect_rejected(call_json, DecodeLimits{0});
    // Depth 1 allows the message list but no dict inside it.
    expect_rejected(call_json, DecodeLimits{1});
    EXPECT_TRUE(serialize::decode(Format::json, "[17,1,2]", DecodeLimits{1}).ok());
}

TEST(JsonCodec, WhitespaceAroundTheMessageIsAllowed) {
    auto m = decode_ok(" \n\t[1,\"somerealm\",{}]\r\n ");
    EXPECT_EQ(std::get<wamp::Hello>(m).realm, "somerealm");
}

// --- malformed input ---------------------------------------------------------

TEST(JsonCodec, RejectsMalformedMessages) {
    const char* const cases[] = {
        "",
        "   ",
        "null",
        "1",
        "\"x\"",
        "{}",
        R"({"a":1})",
        "[]",
        " [ ] ",
        R"(["1","realm",{}])",
        "[1.5]",
        "[1.0,\"realm\",{}]",
        "[-1,\"realm\",{}]",
        "[1e0,\"realm\",{}]",
        "[01,\"realm\",{}]",
        "[7,1]",
        "[999,1]",
        "[18446744073709551616,1]",
        "[null]",
        "[[1],\"realm\",{}]",
        // separators
        R"([1,"realm",{},])",
        R"([,1,"realm",{}])",
        R"([1 "realm" {}])",
        R"([1,,"realm",{}])",
        R"([1,"realm",{}]])",
        R"([1,"realm",{}],)",
        R"([1,"realm",{}] x)",
        R"([1,"realm",{}][])",
        R"([1,"realm",{}]0)",
        R"([1,"realm",{"a":1,}])",
        R"([1,"realm",{"a" 1}])",
        R"([1,"realm",{1:2}])",
        R"([1,"realm",{}/*comment*/])",
        R"([1,"realm",{},//x
])",
        R"([1,'realm',{}])",
        R"([1,"realm",{"a":NaN}])",
        R"([1,"realm",{"a":Infinity}])",
        R"([1,"realm",{"a":tru}])",
        R"([1,"realm",{"a":+1}])",
        R"([1,"realm",{"a":.5}])",
        R"([1,"realm",{"a":0x10}])",
        R"([1,"realm",{"a":1e400}])",
        R"([48,1,{},"p",[1e400]])",
        R"([48,1,{},"p",[],{"a":-1e999}])",
        // strings
        "[1,\"realm\tx\",{}]",
        "[1,\"rea\nlm\",{}]",
        R"([1,"realm\x",{}])",
        R"([1,"realm\u12",{}])",
        R"([1,"\ud800",{}])",
        R"([1,"\udc00",{}])",
        R"([1,"\ud800\u0041",{}])",
        R"([48,1,{},"p",["\ud800"]])",
        R"([48,1,{},"p",[],{"\udfff":1}])",
        "[1,\"\xff\",{}]",
        "[1,\"\xc0\xaf\",{}]",
        "[1,\"\xed\xa0\x80\",{}]",
        "[1,\"\xf4\x90\x80\x80\",{}]",
        "[1,\"ab\xe2\x82\",{}]",
        "[48,1,{},\"p\",[\"\xff\"]]",
        "[48,1,{},\"p\",[],{\"\x80\":1}]",
        "[48,1,{},\"p\",[],{\"a\":\"\xc3\"}]",
        // duplicate keys
        R"([1,"realm",{"a":1,"a":2}])",
        R"([1,"realm",{"roles":{"x":{},"x":{}}}])",
        R"([48,1,{},"p",[],{"a":1,"b":2,"a":3}])",
        R"([48,1,{},"p",[{"k":1,"k":1}]])",
        R"([48,1,{},"p",[],{"a":{"b":1},"b":{"b":2,"c":3,"b":4}}])",
        R"([48,1,{},"p",[],{"\u0061":1,"a":2}])",
        // payload shapes
        R"([48,1,{},"p",{}])",
        R"([48,1,{},"p","args"])",
        R"([48,1,{},"p",true])",
        R"([48,1,{},"p",[],[]])",
        R"([48,1,{},"p",[],"kw"])",
        R"([48,1,{},"p",[],{},1])",
        R"([48,1,{},"p",[],{},{}])",
        R"([17,1,2,3,4,5,6,7,8,9,10])",
        R"([1,"realm",{},1,2,3,4,5,6,7,8])",
        // binary strings
        R"([48,1,{},"p",["\u0000abc"]])",
        R"([48,1,{},"p",["\u0000ab!="]])",
        R"([48,1,{},"p",["\u0000=AAA"]])",
        R"([48,1,{},"p",["\u0000AA=A"]])",
        R"([48,1,{},"p",["\u0000AA==AAAA"]])",
        R"([48,1,{},"p",[],{"b":"\u0000Zg="}])",
        R"([48,1,{"b":"\u0000*"},"p"])",
        // element types checked by make_message
        R"([1,1,{}])",
        R"([1,"realm",[]])",
        R"([48,1,{},2,[]])",
    };
    for (const char* json : cases)
        expect_rejected(json);
}

TEST(JsonCodec, RejectsInvalidValues) {
    for (const char* json : {"", " ", "[1,]", "[1", "{\"a\"}", "{\"a\":1", "\"abc", "nul", "1 2",
                             "[] []", "\"\\u0000a\"", "\"\\u0000====\"", "{\"a\":1,\"a\":1}",
                             "1e400", "-1e400", "\"\\ud800\"", "\"\xff\""}) {
        expect_value_rejected(json);
    }
}

TEST(JsonCodec, EveryPrefixOfAValidMessageFails) {
    for (const std::string& full :
         {std::string(hello_json), std::string(call_json), std::string(publish_json),
          std::string(
              R"([8,48,7814135,{},"com.myapp.error",["\u0000Zm8=",-1.5e3],{"x":"\u00e9"}])")}) {
        ASSERT_TRUE(serialize::decode(Format::json, full).ok()) << full;
        for (std::size_t n = 0; n < full.size(); ++n)
            expect_rejected(full.substr(0, n));
    }
}

TEST(JsonCodec, ErrorsSayWhatIsWrong) {
    auto failure = [](std::string_view json) {
        auto m = serialize::decode(Format::json, json);
        return m.ok() ? std::string("(accepted)") : m.error().message;
    };
    EXPECT_NE(failure(R"({"a":1})").find("list"), std::string::npos);
    EXPECT_NE(failure(R"([1,"r",{"a":1,"a":2}])").find("duplicate"), std::string::npos);
    EXPECT_NE(failure(R"([48,1,{},"p",{}])").find("Arguments"), std::string::npos);
    EXPECT_NE(failure(R"([48,1,{},"p",[],[]])").find("ArgumentsKw"), std::string::npos);
    EXPECT_NE(failure("[999]").find("999"), std::string::npos);
    EXPECT_NE(failure(nested_lists(100)).find("depth"), std::string::npos);
    EXPECT_NE(failure(R"([48,1,{},"p",["\u0000!"]])").find("base64"), std::string::npos);
}

// Whatever survives mutation either fails cleanly or yields a message whose
// payload decodes (the validator and the decoder accept the same inputs).
TEST(JsonCodec, MutatedInputNeverCrashes) {
    const std::string seeds[] = {
        hello_json, call_json, publish_json,
        R"([36,5,6,{"x":[1,2.5,"\u0000Zm8="]},["a\n\u00e9",{"k":[null,true,false]}],{"z":{"y":-0.0}}])",
        R"([8,48,7814135,{},"com.myapp.error",["\ud83d\ude00"],{"e":1e-7}])"};
    const char alphabet[] = "[]{},:\"\\u0 1-e.aZ=\x00\xff\xc3\xa9";
    std::mt19937 rng(1234);
    int accepted = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string s = seeds[rng() % std::size(seeds)];
        const int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits && !s.empty(); ++e) {
            const std::size_t at = rng() % s.size();
            const char c = alphabet[rng() % (sizeof alphabet - 1)];
            switch (rng() % 3) {
            case 0: s[at] = c; break;
            case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c); break;
            default: s.erase(at, 1); break;
            }
        }
        auto m = serialize::decode(Format::json, s);
        if (!m) continue;
        ++accepted;
        if (const wamp::Payload* p = wamp::payload_of(*m)) {
            EXPECT_NO_THROW((void)p->args()) << s;
            EXPECT_NO_THROW((void)p->kwargs()) << s;
        }
        auto again = serialize::encode(Format::json, *m);
        if (again) {
            EXPECT_TRUE(serialize::decode(Format::json, *again).ok()) << *again;
        }
    }
    EXPECT_GT(accepted, 0);
}
