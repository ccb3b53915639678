#include "subject.hpp"

namespace nexus::cluster::subject {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Calls fn(token, is_last) for every token; false when a token is empty.
template <class Fn> bool for_each_token(std::string_view s, Fn fn) {
    if (s.empty()) return false;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = s.find('.', start);
        const std::string_view token =
            s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (token.empty()) return false;
        const bool last = dot == std::string_view::npos;
        if (!fn(token, last)) return false;
        if (last) return true;
        start = dot + 1;
    }
}

bool plain_token(std::string_view token) {
    for (char c : token)
        if (is_space(c)) return false;
    return true;
}

} // namespace

bool valid_literal(std::string_view subject) {
    return for_each_token(subject, [](std::string_view token, bool) {
        return token != "*" && token != ">" && plain_token(token);
    });
}

bool valid_pattern(std::string_view pattern) {
    return for_each_token(pattern, [](std::string_view token, bool last) {
        if (token == ">") return last;
        return plain_token(token);
    });
}

Pattern::Pattern(std::string_view pattern) {
    for_each_token(pattern, [this](std::string_view token, bool) {
        tokens_.emplace_back(token);
        return true;
    });
}

bool Pattern::matches(std::string_view subject) const {
    std::size_t i = 0;
    std::size_t start = 0;
    while (true) {
        if (i == tokens_.size()) return false; // the subject has more tokens
        const std::size_t dot = subject.find('.', start);
        const std::string_view token = subject.substr(
            start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        const std::string& want = tokens_[i];
        if (want == ">") return true;
        if (want != "*" && want != token) return false;
        ++i;
        if (dot == std::string_view::npos) return i == tokens_.size();
        start = dot + 1;
    }
}

} // namespace nexus::cluster::subject
