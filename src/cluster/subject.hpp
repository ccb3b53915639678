// NATS subject syntax for the in-memory bus: tokens separated by '.', and in
// subscriptions the wildcards '*' (one token) and '>' (the rest, at least one
// token), each a whole token.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace nexus::cluster::subject {

/// A subject a message can be published to: non-empty tokens, no white space,
/// no wildcard token.
bool valid_literal(std::string_view subject);

/// A subject a subscription can name: as a literal, but tokens may be '*', and
/// the last one '>'.
bool valid_pattern(std::string_view pattern);

/// A pattern split into its tokens, for matching many subjects.
class Pattern {
public:
    explicit Pattern(std::string_view pattern);
    bool matches(std::string_view subject) const;

private:
    std::vector<std::string> tokens_;
};

} // namespace nexus::cluster::subject
