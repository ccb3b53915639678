// Payload lives in wamp/ but decoding a raw payload needs the serializers,
// so its out-of-line members are compiled here.
#include <nexus/serialize/serializer.hpp>
#include <nexus/wamp/payload.hpp>

#include <limits>
#include <stdexcept>

namespace nexus::wamp {

Payload Payload::raw(Format format, SharedFrame frame, std::string_view args,
                     std::string_view kwargs) {
    Payload p;
    p.format_ = format;
    p.frame_ = std::move(frame);
    p.raw_args_ = args;
    p.raw_kwargs_ = kwargs;
    p.has_args_ = !args.empty();
    p.has_kwargs_ = !kwargs.empty();
    return p;
}

namespace {

// The decoders validated the slice (depth included) when the message
// arrived, so no new depth limit applies and a failure here means a broken
// invariant, not bad input.
Value decode_slice(Format format, std::string_view bytes) {
    constexpr serialize::DecodeLimits validated{std::numeric_limits<std::size_t>::max() / 2};
    auto v = serialize::decode_value(format, bytes, validated);
    if (!v) throw std::logic_error("raw payload no longer decodes: " + v.error().message);
    return std::move(v).value();
}

} // namespace

Array Payload::args() const {
    if (!frame_) return args_;
    if (!has_args_) return {};
    return std::move(decode_slice(format_, raw_args_).as_array());
}

Object Payload::kwargs() const {
    if (!frame_) return kwargs_;
    if (!has_kwargs_) return {};
    return std::move(decode_slice(format_, raw_kwargs_).as_object());
}

void Payload::set(Array args) { set(std::move(args), Object{}); }

void Payload::set(Array args, Object kwargs) {
    frame_.reset();
    raw_args_ = {};
    raw_kwargs_ = {};
    has_kwargs_ = !kwargs.empty();
    has_args_ = !args.empty() || has_kwargs_;
    args_ = std::move(args);
    kwargs_ = std::move(kwargs);
}

bool operator==(const Payload& a, const Payload& b) {
    return a.has_args() == b.has_args() && a.has_kwargs() == b.has_kwargs() &&
           a.args() == b.args() && a.kwargs() == b.kwargs();
}

} // namespace nexus::wamp
