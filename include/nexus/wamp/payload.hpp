// Payload: the application arguments (Arguments|list, ArgumentsKw|dict) of
// ABORT, ERROR, PUBLISH, EVENT, CALL, RESULT, INVOCATION and YIELD.
//
// A decoded message keeps its payload as the raw encoded slice it arrived in
// (no value tree is built). Encoding it again with the same serializer splices
// those bytes unchanged; another serializer transcodes. Only a caller that
// asks for args()/kwargs() pays for decoding.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nexus/wamp/expected.hpp>
#include <nexus/wamp/format.hpp>
#include <nexus/wamp/value.hpp>

namespace nexus::wamp {

/// The received frame, shared by every message and payload sliced from it.
using SharedFrame = std::shared_ptr<const std::string>;

class Payload {
public:
    /// No arguments at all.
    Payload() = default;
    /// Empty args/kwargs count as absent, so that encoders omit them as the
    /// spec recommends (an empty list is still sent before non-empty kwargs).
    explicit Payload(Array args) { set(std::move(args)); }
    Payload(Array args, Object kwargs) { set(std::move(args), std::move(kwargs)); }

    /// A payload that stays encoded: `args`/`kwargs` are views into `frame` holding
    /// one complete, already validated encoded array / map each (empty view = absent).
    /// Used by the decoders; the slices must lie inside *frame.
    static Payload raw(Format format, SharedFrame frame, std::string_view args,
                       std::string_view kwargs);

    bool has_args() const noexcept { return has_args_; }
    bool has_kwargs() const noexcept { return has_kwargs_; }
    /// True when neither args nor kwargs are present.
    bool absent() const noexcept { return !has_args_ && !has_kwargs_; }

    /// The serializer whose bytes this payload still holds, if it is raw.
    std::optional<Format> raw_format() const noexcept {
        if (frame_) return format_;
        return std::nullopt;
    }
    std::string_view raw_args() const noexcept { return raw_args_; }
    std::string_view raw_kwargs() const noexcept { return raw_kwargs_; }

    /// The arguments as values (empty when absent). For a raw payload this
    /// decodes the slice each time: keep the result if you need it twice.
    Array args() const;
    Object kwargs() const;

    /// Replace the payload with values (drops any raw bytes).
    void set(Array args);
    void set(Array args, Object kwargs);

    /// Payload equality compares values, whatever their encoding.
    friend bool operator==(const Payload& a, const Payload& b);

private:
    Format format_ = Format::json;
    SharedFrame frame_;
    std::string_view raw_args_;
    std::string_view raw_kwargs_;
    Array args_;
    Object kwargs_;
    bool has_args_ = false;
    bool has_kwargs_ = false;
};

} // namespace nexus::wamp
