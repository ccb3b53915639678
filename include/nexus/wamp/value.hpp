// Value: the dynamically typed data that WAMP messages carry (options, details,
// application payload). It can hold every type the three serializers share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace nexus::wamp {

class Value;

using Array = std::vector<Value>;
/// Objects have string keys (the spec forbids others); ordered so that equal
/// objects encode to equal bytes.
using Object = std::map<std::string, Value, std::less<>>;

/// Binary data. Distinct from std::string so that text and bytes never mix up;
/// JSON carries it as "\u0000" + base64, MessagePack and CBOR natively.
struct Bytes {
    std::vector<std::uint8_t> data;

    Bytes() = default;
    explicit Bytes(std::vector<std::uint8_t> d) : data(std::move(d)) {}
    Bytes(std::initializer_list<std::uint8_t> d) : data(d) {}
    Bytes(const void* p, std::size_t n)
        : data(static_cast<const std::uint8_t*>(p), static_cast<const std::uint8_t*>(p) + n) {}

    std::size_t size() const noexcept { return data.size(); }
    bool empty() const noexcept { return data.empty(); }
    friend bool operator==(const Bytes&, const Bytes&) = default;
};

/// Thrown by Value's typed accessors when the held type does not fit the request.
class TypeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Value {
public:
    enum class Kind : std::uint8_t {
        null,
        boolean,
        integer,  // int64
        uinteger, // uint64 (decoders use it for non-negative integers > INT64_MAX only)
        real,     // double
        string,
        bytes,
        array,
        object,
    };

    Value() noexcept = default;
    Value(std::nullptr_t) noexcept {}
    Value(bool b) noexcept : v_(b) {}
    template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool> &&
                                            !std::is_same_v<I, char>,
                                        int> = 0>
    Value(I i) noexcept {
        if constexpr (std::is_signed_v<I>) {
            v_ = static_cast<std::int64_t>(i);
        } else if (static_cast<std::uint64_t>(i) <=
                   static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            v_ = static_cast<std::int64_t>(i);
        } else {
            v_ = static_cast<std::uint64_t>(i);
        }
    }
    Value(double d) noexcept : v_(d) {}
    Value(float f) noexcept : v_(static_cast<double>(f)) {}
    Value(const char* s) : v_(std::string(s)) {}
    Value(std::string s) noexcept : v_(std::move(s)) {}
    Value(std::string_view s) : v_(std::string(s)) {}
    Value(Bytes b) noexcept : v_(std::move(b)) {}
    Value(Array a) noexcept : v_(std::move(a)) {}
    Value(Object o) noexcept : v_(std::move(o)) {}
    template <class T> Value(const std::vector<T>& items) : v_(Array(items.begin(), items.end())) {}
    template <class T>
    Value(const std::map<std::string, T>& items) : v_(Object(items.begin(), items.end())) {}
    template <class T> Value(const std::optional<T>& o) {
        if (o) *this = Value(*o);
    }

    /// `Value{{"a", 1}, {"b", "x"}}` builds an object (every element a
    /// [string, value] pair), anything else an array: `Value{1, "two", 3.0}`.
    /// Note that `Value{x}` is then a one-element array; write `Value(x)` for x itself.
    Value(std::initializer_list<Value> items);

    static Value array(std::initializer_list<Value> items = {}) { return Value(Array(items)); }
    static Value object(std::initializer_list<std::pair<const std::string, Value>> items = {}) {
        return Value(Object(items));
    }

    Kind kind() const noexcept { return static_cast<Kind>(v_.index()); }
    std::string_view kind_name() const noexcept { return kind_name(kind()); }
    static std::string_view kind_name(Kind k) noexcept;

    bool is_null() const noexcept { return kind() == Kind::null; }
    bool is_bool() const noexcept { return kind() == Kind::boolean; }
    /// Any integer, signed or unsigned storage.
    bool is_integer() const noexcept { return kind() == Kind::integer || kind() == Kind::uinteger; }
    bool is_double() const noexcept { return kind() == Kind::real; }
    bool is_number() const noexcept { return is_integer() || is_double(); }
    bool is_string() const noexcept { return kind() == Kind::string; }
    bool is_bytes() const noexcept { return kind() == Kind::bytes; }
    bool is_array() const noexcept { return kind() == Kind::array; }
    bool is_object() const noexcept { return kind() == Kind::object; }

    /// Pointers to the held alternative, or nullptr: the non-throwing accessors.
    const bool* if_bool() const noexcept { return std::get_if<bool>(&v_); }
    const std::string* if_string() const noexcept { return std::get_if<std::string>(&v_); }
    const Bytes* if_bytes() const noexcept { return std::get_if<Bytes>(&v_); }
    const Array* if_array() const noexcept { return std::get_if<Array>(&v_); }
    const Object* if_object() const noexcept { return std::get_if<Object>(&v_); }
    std::string* if_string() noexcept { return std::get_if<std::string>(&v_); }
    Array* if_array() noexcept { return std::get_if<Array>(&v_); }
    Object* if_object() noexcept { return std::get_if<Object>(&v_); }
    double const* if_double() const noexcept { return std::get_if<double>(&v_); }
    /// The integer as uint64 if it is a non-negative integer.
    std::optional<std::uint64_t> to_uint() const noexcept;
    /// The integer as int64 if it is an integer that fits.
    std::optional<std::int64_t> to_int() const noexcept;

    /// Throwing accessors with messages like "expected string, got integer".
    bool as_bool() const;
    std::int64_t as_int() const;
    std::uint64_t as_uint() const;
    double as_double() const; // accepts integers too
    const std::string& as_string() const;
    const Bytes& as_bytes() const;
    const Array& as_array() const;
    const Object& as_object() const;
    Array& as_array();
    Object& as_object();

    /// Conversion to common C++ types: arithmetic types (range-checked),
    /// std::string, Bytes, Array, Object, std::vector<T>, std::map<std::string, T>,
    /// std::optional<T> (null -> nullopt). Throws TypeError on mismatch.
    template <class T> T to() const;

    /// Object member lookup; nullptr when this is not an object or has no such key.
    const Value* find(std::string_view key) const noexcept;
    /// Object member access; turns a null value into an object first.
    Value& operator[](std::string_view key);
    /// Array element access with bounds check.
    const Value& at(std::size_t i) const;
    const Value& at(std::string_view key) const;

    friend bool operator==(const Value& a, const Value& b) noexcept;

private:
    [[noreturn]] void type_mismatch(std::string_view expected) const;

    std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, Bytes,
                 Array, Object>
        v_;
};

/// A readable, JSON-like rendering for logs and test failures (bytes as hex).
std::string to_string(const Value& v);
std::ostream& operator<<(std::ostream& os, const Value& v);

namespace detail {
template <class T> struct is_vector : std::false_type {};
template <class T, class A> struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T> struct is_string_map : std::false_type {};
template <class T, class C, class A>
struct is_string_map<std::map<std::string, T, C, A>> : std::true_type {};
template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};
[[noreturn]] void throw_range_error(std::string_view type_name, const Value& v);
} // namespace detail

template <class T> T Value::to() const {
    if constexpr (std::is_same_v<T, Value>) {
        return *this;
    } else if constexpr (std::is_same_v<T, bool>) {
        return as_bool();
    } else if constexpr (std::is_integral_v<T>) {
        if constexpr (std::is_signed_v<T>) {
            const std::int64_t i = as_int();
            if (i < std::numeric_limits<T>::min() || i > std::numeric_limits<T>::max())
                detail::throw_range_error("the target integer type", *this);
            return static_cast<T>(i);
        } else {
            const std::uint64_t u = as_uint();
            if (u > std::numeric_limits<T>::max())
                detail::throw_range_error("the target integer type", *this);
            return static_cast<T>(u);
        }
    } else if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(as_double());
    } else if constexpr (std::is_same_v<T, std::string>) {
        return as_string();
    } else if constexpr (std::is_same_v<T, Bytes>) {
        return as_bytes();
    } else if constexpr (std::is_same_v<T, Array>) {
        return as_array();
    } else if constexpr (std::is_same_v<T, Object>) {
        return as_object();
    } else if constexpr (detail::is_optional<T>::value) {
        if (is_null()) return std::nullopt;
        return to<typename T::value_type>();
    } else if constexpr (detail::is_vector<T>::value) {
        T out;
        const Array& a = as_array();
        out.reserve(a.size());
        for (const Value& e : a)
            out.push_back(e.to<typename T::value_type>());
        return out;
    } else if constexpr (detail::is_string_map<T>::value) {
        T out;
        for (const auto& [k, e] : as_object())
            out.emplace(k, e.template to<typename T::mapped_type>());
        return out;
    } else {
        static_assert(sizeof(T) == 0, "Value::to<T>: unsupported target type");
    }
}

} // namespace nexus::wamp
