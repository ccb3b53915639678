#include <nexus/wamp/value.hpp>

#include <charconv>
#include <ostream>

namespace nexus::wamp {

Value::Value(std::initializer_list<Value> items) {
    bool all_pairs = items.size() > 0;
    for (const Value& item : items) {
        const Array* pair = item.if_array();
        if (!pair || pair->size() != 2 || !(*pair)[0].is_string()) {
            all_pairs = false;
            break;
        }
    }
    if (!all_pairs) {
        v_ = Array(items);
        return;
    }
    Object object;
    for (const Value& item : items) {
        const Array& pair = *item.if_array();
        object.insert_or_assign(pair[0].as_string(), pair[1]);
    }
    v_ = std::move(object);
}

std::string_view Value::kind_name(Kind k) noexcept {
    switch (k) {
    case Kind::null: return "null";
    case Kind::boolean: return "bool";
    case Kind::integer: return "integer";
    case Kind::uinteger: return "integer";
    case Kind::real: return "double";
    case Kind::string: return "string";
    case Kind::bytes: return "bytes";
    case Kind::array: return "array";
    case Kind::object: return "object";
    }
    return "unknown";
}

void Value::type_mismatch(std::string_view expected) const {
    throw TypeError("expected " + std::string(expected) + ", got " + std::string(kind_name()));
}

void detail::throw_range_error(std::string_view type_name, const Value& v) {
    throw TypeError("integer " + to_string(v) + " is out of range for " + std::string(type_name));
}

std::optional<std::uint64_t> Value::to_uint() const noexcept {
    if (const auto* i = std::get_if<std::int64_t>(&v_)) {
        if (*i >= 0) return static_cast<std::uint64_t>(*i);
        return std::nullopt;
    }
    if (const auto* u = std::get_if<std::uint64_t>(&v_)) return *u;
    return std::nullopt;
}

std::optional<std::int64_t> Value::to_int() const noexcept {
    if (const auto* i = std::get_if<std::int64_t>(&v_)) return *i;
    if (const auto* u = std::get_if<std::uint64_t>(&v_)) {
        if (*u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return static_cast<std::int64_t>(*u);
    }
    return std::nullopt;
}

bool Value::as_bool() const {
    if (const bool* b = if_bool()) return *b;
    type_mismatch("bool");
}

std::int64_t Value::as_int() const {
    if (auto i = to_int()) return *i;
    if (is_integer()) detail::throw_range_error("int64", *this);
    type_mismatch("integer");
}

std::uint64_t Value::as_uint() const {
    if (auto u = to_uint()) return *u;
    if (is_integer()) detail::throw_range_error("an unsigned integer", *this);
    type_mismatch("integer");
}

double Value::as_double() const {
    if (const double* d = if_double()) return *d;
    if (const auto* i = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*i);
    if (const auto* u = std::get_if<std::uint64_t>(&v_)) return static_cast<double>(*u);
    type_mismatch("number");
}

const std::string& Value::as_string() const {
    if (const auto* s = if_string()) return *s;
    type_mismatch("string");
}

const Bytes& Value::as_bytes() const {
    if (const auto* b = if_bytes()) return *b;
    type_mismatch("bytes");
}

const Array& Value::as_array() const {
    if (const auto* a = if_array()) return *a;
    type_mismatch("array");
}

Array& Value::as_array() {
    if (auto* a = if_array()) return *a;
    type_mismatch("array");
}

const Object& Value::as_object() const {
    if (const auto* o = if_object()) return *o;
    type_mismatch("object");
}

Object& Value::as_object() {
    if (auto* o = if_object()) return *o;
    type_mismatch("object");
}

const Value* Value::find(std::string_view key) const noexcept {
    const Object* o = if_object();
    if (!o) return nullptr;
    auto it = o->find(key);
    return it == o->end() ? nullptr : &it->second;
}

Value& Value::operator[](std::string_view key) {
    if (is_null()) v_ = Object{};
    Object& o = as_object();
    auto it = o.find(key);
    if (it == o.end()) it = o.emplace(std::string(key), Value()).first;
    return it->second;
}

const Value& Value::at(std::size_t i) const {
    const Array& a = as_array();
    if (i >= a.size())
        throw TypeError("array index " + std::to_string(i) + " out of range (size " +
                        std::to_string(a.size()) + ")");
    return a[i];
}

const Value& Value::at(std::string_view key) const {
    const Value* v = find(key);
    if (!v) {
        as_object(); // throws the type error when this is no object
        throw TypeError("object has no key \"" + std::string(key) + "\"");
    }
    return *v;
}

bool operator==(const Value& a, const Value& b) noexcept {
    // Integers compare by value whatever their storage, so that a Value built
    // from an unsigned C++ type equals the same number decoded from the wire.
    if (a.is_integer() && b.is_integer()) {
        auto ai = a.to_int(), bi = b.to_int();
        if (ai && bi) return *ai == *bi;
        auto au = a.to_uint(), bu = b.to_uint();
        return au && bu && *au == *bu;
    }
    return a.v_ == b.v_;
}

namespace {

void append_quoted(std::string& out, const std::string& s) {
    out += '"';
    for (char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                static constexpr char hex[] = "0123456789abcdef";
                out += "\\u00";
                out += hex[(c >> 4) & 0xf];
                out += hex[c & 0xf];
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

void append_value(std::string& out, const Value& v) {
    switch (v.kind()) {
    case Value::Kind::null: out += "null"; return;
    case Value::Kind::boolean: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::integer: out += std::to_string(v.as_int()); return;
    case Value::Kind::uinteger: out += std::to_string(v.as_uint()); return;
    case Value::Kind::real: {
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, v.as_double());
        out.append(buf, r.ptr);
        return;
    }
    case Value::Kind::string: append_quoted(out, v.as_string()); return;
    case Value::Kind::bytes: {
        static constexpr char hex[] = "0123456789abcdef";
        out += "h'";
        for (std::uint8_t b : v.as_bytes().data) {
            out += hex[b >> 4];
            out += hex[b & 0xf];
        }
        out += '\'';
        return;
    }
    case Value::Kind::array: {
        out += '[';
        bool first = true;
        for (const Value& e : v.as_array()) {
            if (!first) out += ',';
            first = false;
            append_value(out, e);
        }
        out += ']';
        return;
    }
    case Value::Kind::object: {
        out += '{';
        bool first = true;
        for (const auto& [k, e] : v.as_object()) {
            if (!first) out += ',';
            first = false;
            append_quoted(out, k);
            out += ':';
            append_value(out, e);
        }
        out += '}';
        return;
    }
    }
}

} // namespace

std::string to_string(const Value& v) {
    std::string out;
    append_value(out, v);
    return out;
}

std::ostream& operator<<(std::ostream& os, const Value& v) { return os << to_string(v); }

} // namespace nexus::wamp
