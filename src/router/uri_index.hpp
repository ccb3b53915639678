// UriIndex<T>: the broker's subscriptions and the dealer's registrations by
// (URI, match policy), and the lookups both need: every entry matching a
// concrete URI (pub/sub: an event goes to all of them) and the best one
// (RPC: exact, else the longest prefix, else the most specific wildcard;
// rpc_pattern_based_registration.md).
//
// Exact entries are a hash map; prefixes a hash map probed once per prefix
// length in use; wildcards a trie of URI components in which an empty
// component is a branch of its own, so matching follows at most two branches
// per component instead of testing every wildcard pattern. Entries are not
// owned: the index maps to T*, the owner keeps the T alive while indexed.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nexus/wamp/uri.hpp>

#include "router/string_map.hpp"

namespace nexus::router {

/// Whether `uri` is a valid subscription topic or registered procedure for
/// `match`; a prefix may end in '.' ("com.myapp." matches "com.myapp.x" only).
inline bool valid_pattern(std::string_view uri, wamp::MatchPolicy match, wamp::UriRule rule) {
    switch (match) {
    case wamp::MatchPolicy::exact: return wamp::is_valid_uri(uri, rule);
    case wamp::MatchPolicy::wildcard: return wamp::is_valid_uri(uri, rule, true);
    case wamp::MatchPolicy::prefix:
        if (uri.ends_with('.')) uri.remove_suffix(1);
        return wamp::is_valid_uri(uri, rule);
    }
    return false;
}

template <class T> class UriIndex {
public:
    T* find(std::string_view uri, wamp::MatchPolicy match) const {
        switch (match) {
        case wamp::MatchPolicy::exact: return lookup(exact_, uri);
        case wamp::MatchPolicy::prefix: return lookup(prefix_, uri);
        case wamp::MatchPolicy::wildcard: {
            const Node* node = &root_;
            for_each_component(uri, [&](std::string_view c) {
                if (!node) return;
                auto it = node->children.find(c);
                node = it == node->children.end() ? nullptr : it->second.get();
            });
            return node ? node->entry : nullptr;
        }
        }
        return nullptr;
    }

    /// Adds `entry` under (uri, match); there must be none there yet.
    void insert(const std::string& uri, wamp::MatchPolicy match, T* entry) {
        switch (match) {
        case wamp::MatchPolicy::exact: exact_.emplace(uri, entry); break;
        case wamp::MatchPolicy::prefix:
            prefix_.emplace(uri, entry);
            ++prefix_lengths_[uri.size()];
            break;
        case wamp::MatchPolicy::wildcard: {
            Node* node = &root_;
            for_each_component(uri, [&](std::string_view c) {
                auto& child = node->children[std::string(c)];
                if (!child) child = std::make_unique<Node>();
                node = child.get();
            });
            node->entry = entry;
            ++wildcards_;
            break;
        }
        }
    }

    void erase(std::string_view uri, wamp::MatchPolicy match) {
        switch (match) {
        case wamp::MatchPolicy::exact:
            if (auto it = exact_.find(uri); it != exact_.end()) exact_.erase(it);
            break;
        case wamp::MatchPolicy::prefix:
            if (auto it = prefix_.find(uri); it != prefix_.end()) {
                prefix_.erase(it);
                if (--prefix_lengths_[uri.size()] == 0) prefix_lengths_.erase(uri.size());
            }
            break;
        case wamp::MatchPolicy::wildcard:
            if (erase_wildcard(root_, uri)) --wildcards_;
            break;
        }
    }

    /// Calls f(T&) for every entry matching the concrete `uri`: the exact one,
    /// the prefixes (shortest first), then the wildcards.
    template <class F> void for_each_match(std::string_view uri, F&& f) const {
        if (auto it = exact_.find(uri); it != exact_.end()) f(*it->second);
        for (const auto& [length, count] : prefix_lengths_) {
            if (length > uri.size()) break;
            if (auto it = prefix_.find(uri.substr(0, length)); it != prefix_.end()) f(*it->second);
        }
        if (wildcards_ == 0) return;
        std::vector<std::string_view> components;
        for_each_component(uri, [&](std::string_view c) { components.push_back(c); });
        match_wildcards(root_, components, 0, f);
    }

    /// The entry a call to `uri` goes to, or nullptr.
    T* best_match(std::string_view uri) const {
        if (auto it = exact_.find(uri); it != exact_.end()) return it->second;
        for (auto len = prefix_lengths_.rbegin(); len != prefix_lengths_.rend(); ++len) {
            if (len->first > uri.size()) continue;
            if (auto it = prefix_.find(uri.substr(0, len->first)); it != prefix_.end())
                return it->second;
        }
        if (wildcards_ == 0) return nullptr;
        // The trie yields matches in an order unrelated to specificity: keep
        // the winner by the spec's rule.
        T* best = nullptr;
        std::vector<std::string_view> components;
        for_each_component(uri, [&](std::string_view c) { components.push_back(c); });
        auto keep_best = [&](T& candidate) {
            if (!best || wamp::wildcard_more_specific(uri_of(candidate), uri_of(*best)))
                best = &candidate;
        };
        match_wildcards(root_, components, 0, keep_best);
        return best;
    }

    bool empty() const { return exact_.empty() && prefix_.empty() && wildcards_ == 0; }

private:
    struct Node {
        StringMap<std::unique_ptr<Node>> children; // "" is the wildcard branch
        T* entry = nullptr;                        // a pattern ends here
    };

    // T names its pattern as `uri` (Subscription::topic is also a URI).
    static std::string_view uri_of(const T& entry) { return entry.uri; }

    static T* lookup(const StringMap<T*>& map, std::string_view uri) {
        auto it = map.find(uri);
        return it == map.end() ? nullptr : it->second;
    }

    template <class F> static void for_each_component(std::string_view uri, F&& f) {
        std::size_t start = 0;
        for (;;) {
            const std::size_t dot = uri.find('.', start);
            f(uri.substr(start,
                         dot == std::string_view::npos ? std::string_view::npos : dot - start));
            if (dot == std::string_view::npos) return;
            start = dot + 1;
        }
    }

    template <class F>
    static void match_wildcards(const Node& node, const std::vector<std::string_view>& components,
                                std::size_t i, F& f) {
        if (i == components.size()) {
            if (node.entry) f(*node.entry);
            return;
        }
        // A concrete URI has no empty components: "" only reaches the branch
        // of the wildcard.
        if (components[i].empty()) return;
        if (auto it = node.children.find(components[i]); it != node.children.end())
            match_wildcards(*it->second, components, i + 1, f);
        if (auto it = node.children.find(std::string_view()); it != node.children.end())
            match_wildcards(*it->second, components, i + 1, f);
    }

    // Removes the pattern and the branches it alone used; true if it was there.
    static bool erase_wildcard(Node& node, std::string_view rest) {
        const std::size_t dot = rest.find('.');
        const std::string_view head = rest.substr(0, dot);
        auto it = node.children.find(head);
        if (it == node.children.end()) return false;
        Node& child = *it->second;
        bool erased;
        if (dot == std::string_view::npos) {
            erased = child.entry != nullptr;
            child.entry = nullptr;
        } else {
            erased = erase_wildcard(child, rest.substr(dot + 1));
        }
        if (!child.entry && child.children.empty()) node.children.erase(it);
        return erased;
    }

    StringMap<T*> exact_;
    StringMap<T*> prefix_;
    std::map<std::size_t, std::size_t> prefix_lengths_; // length -> prefix entries
    Node root_;
    std::size_t wildcards_ = 0;
};

} // namespace nexus::router
