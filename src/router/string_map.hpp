// unordered_map keyed by std::string that can be searched with a
// std::string_view (no temporary string per lookup on the routing path).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace nexus::router {

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
        return std::hash<std::string_view>{}(s);
    }
};

template <class T>
using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

} // namespace nexus::router
