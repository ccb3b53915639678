// URIs (spec basic/building_blocks.md "URIs", basic/uri_reference.md,
// CHECKLIST §4) and URI pattern matching (advanced/pubsub_pattern_based_
// subscription.md, advanced/rpc_pattern_based_registration.md).
#pragma once

#include <optional>
#include <string_view>

namespace nexus::wamp {

enum class UriRule {
    /// Components are non-empty and contain no '.', '#' or whitespace (MUST).
    loose,
    /// Components contain only [0-9a-z_] (SHOULD).
    strict,
};

/// Checks `uri` against `rule`. With `allow_empty_components`, components may
/// be empty (wildcard patterns such as "com..event"; the spec allows them only
/// for match=wildcard). The empty string is never valid.
bool is_valid_uri(std::string_view uri, UriRule rule, bool allow_empty_components = false) noexcept;

/// True for URIs in the namespace reserved for the protocol: first component "wamp".
bool is_reserved_uri(std::string_view uri) noexcept;

enum class MatchPolicy { exact, prefix, wildcard };

/// "exact", "prefix", "wildcard"; nullopt otherwise.
std::optional<MatchPolicy> parse_match_policy(std::string_view name) noexcept;
std::string_view match_policy_name(MatchPolicy policy) noexcept;

/// Does `uri` match `pattern` under `policy`?
/// - exact: equal strings;
/// - prefix: `pattern` is a plain string prefix of `uri` (or equal) (CHECKLIST ⚠A5);
/// - wildcard: same number of components, every non-empty pattern component
///   equal to the uri's, empty ones matching any single component.
bool uri_matches(std::string_view pattern, MatchPolicy policy, std::string_view uri) noexcept;

/// For two wildcard patterns that both match one URI: true if `a` wins over
/// `b` (rpc_pattern_based_registration.md): the longer leading run of
/// concrete components wins, ties are broken by the next run, and so on
/// (`a1.b2..d4.e5..g7` beats `a1.b2..d4..f6.g7`).
bool wildcard_more_specific(std::string_view a, std::string_view b) noexcept;

} // namespace nexus::wamp
