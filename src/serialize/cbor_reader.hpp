// Reads CBOR items from untrusted bytes, one at a time: either building a
// wamp::Value or only validating (for payload slices that stay encoded).
//
// Both walk the input iteratively with an explicit stack, so nesting costs
// heap, not native stack, and the depth limit is the only bound that matters.
// A reader is reused for all the elements of a message so that its stacks
// and scratch buffers are allocated once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <vector>

#include <nexus/serialize/serializer.hpp>

#include "serialize/cbor_head.hpp"

namespace nexus::serialize::detail::cbor {

/// Builds the Value of one item.
class ValueSink {
public:
    void reset() {
        frames_.clear();
        result_ = wamp::Value();
    }
    bool null() { return attach(wamp::Value()); }
    bool boolean(bool b) { return attach(wamp::Value(b)); }
    bool integer(std::int64_t i) { return attach(wamp::Value(i)); }
    bool uinteger(std::uint64_t u) { return attach(wamp::Value(u)); }
    bool real(double d) { return attach(wamp::Value(d)); }
    bool text(std::string_view s) { return attach(wamp::Value(std::string(s))); }
    bool bytes(std::string_view b) { return attach(wamp::Value(wamp::Bytes(b.data(), b.size()))); }
    void begin_array(std::uint64_t declared);
    /// Returns a mark the walk hands back to end_map (unused here).
    std::size_t begin_map();
    /// `stable` says whether `key` stays valid after the call (it does not
    /// when it was assembled from chunks in a scratch buffer).
    bool key(std::string_view key, bool stable);
    bool end_array() { return end_container(); }
    bool end_map(std::size_t) { return end_container(); }

    /// The key a failed call found twice.
    std::string_view duplicate() const { return duplicate_; }
    wamp::Value take() { return std::move(result_); }

private:
    struct Frame {
        wamp::Value container;
        std::string key; // pending key while the value of a map entry is read
    };
    bool end_container();
    bool attach(wamp::Value&& v);

    std::vector<Frame> frames_;
    wamp::Value result_;
    std::string duplicate_;
};

/// Checks one item without building it. Only map keys are kept (as views into
/// the input where possible), to find duplicates when each map closes.
class ValidateSink {
public:
    void reset() {
        keys_.clear();
        owned_.clear();
    }
    bool null() { return true; }
    bool boolean(bool) { return true; }
    bool integer(std::int64_t) { return true; }
    bool uinteger(std::uint64_t) { return true; }
    bool real(double) { return true; }
    bool text(std::string_view) { return true; }
    bool bytes(std::string_view) { return true; }
    void begin_array(std::uint64_t) {}
    /// Where this map's keys start in keys_; the walk keeps it per level.
    std::size_t begin_map() { return keys_.size(); }
    bool key(std::string_view key, bool stable) {
        if (!stable) key = own(key);
        keys_.push_back(key);
        return true;
    }
    bool end_array() { return true; }
    bool end_map(std::size_t mark) {
        // Zero or one key cannot clash: skip the call for the common small maps.
        if (keys_.size() - mark < 2) {
            keys_.resize(mark);
            return true;
        }
        return check_unique(mark);
    }

    std::string_view duplicate() const { return duplicate_; }

private:
    std::string_view own(std::string_view key);
    bool check_unique(std::size_t mark);

    std::vector<std::string_view> keys_; // keys of all open maps, innermost last
    std::list<std::string> owned_;       // chunked keys; list nodes never move
    std::string duplicate_;
};

class CborReader {
public:
    explicit CborReader(std::string_view bytes) noexcept
        : begin_(reinterpret_cast<const std::uint8_t*>(bytes.data())), pos_(begin_),
          end_(begin_ + bytes.size()) {}

    /// Decodes the next item. `max_depth` bounds the nesting of arrays, maps
    /// and tags (a top-level array is depth 1; 0 allows only scalars).
    Expected<wamp::Value> read_value(std::size_t max_depth);
    /// Validates the next item like read_value would and returns its major
    /// type (looking through tags), without building it.
    Expected<std::uint8_t> skip_value(std::size_t max_depth);

    /// Reads one head, turning a truncated or reserved head into a Failure.
    Status read_head(Head& h);

    bool at_end() const noexcept { return pos_ == end_; }
    std::size_t offset() const noexcept { return static_cast<std::size_t>(pos_ - begin_); }
    std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - pos_); }
    /// The next byte; only when !at_end().
    std::uint8_t peek() const noexcept { return *pos_; }
    void skip_byte() noexcept { ++pos_; }

    /// "<what> at byte N" for the current position (callers say it is CBOR).
    Failure failure(std::string_view what) const { return failure_at(what, offset()); }
    static Failure failure_at(std::string_view what, std::size_t offset);

private:
    struct Level {
        std::uint64_t declared; // items (keys and values) a definite container holds
        std::uint64_t seen;     // items read so far
        std::size_t depth;      // nesting of this container, tags included
        std::size_t mark;       // the sink's begin_map() token
        bool map;
        bool indefinite;
    };

    // What went wrong; the message is only built on failure, from the code,
    // the head byte at the failing position and one number.
    enum class Problem : std::uint8_t {
        truncated,
        reserved_info,
        indefinite_not_allowed,
        unexpected_break,
        too_deep,
        key_not_text,
        below_int64_min,
        unsupported_simple,   // detail: the simple value
        length_exceeds_input, // detail: the declared length
        invalid_utf8,
        bad_chunk,
    };

    // The walk reports failures through error_ and a bool so that the per-item
    // path never constructs a Status or a message.
    template <class Sink> bool walk(Sink& sink, std::size_t max_depth, std::uint8_t* top_major);
    /// Reads the string whose head `h` started at `item` into `out`; `stable`
    /// tells whether `out` points into the input (definite length) or into
    /// scratch_ (chunks).
    bool read_string(const Head& h, const std::uint8_t* item, std::string_view& out, bool& stable);
    bool read_chunks(const Head& h, std::string_view& out);
    [[gnu::cold]] bool fail(Problem problem, const std::uint8_t* at, std::uint64_t detail = 0);
    [[gnu::cold]] bool fail_duplicate(std::string_view key, const std::uint8_t* at);

    const std::uint8_t* begin_;
    const std::uint8_t* pos_;
    const std::uint8_t* end_;
    // Open containers are levels_[0, open_); the vector only grows, so that
    // entering a container is a store, not a push_back.
    std::vector<Level> levels_;
    std::size_t open_ = 0;
    std::string scratch_; // chunks of an indefinite-length string
    std::string error_;
    ValueSink builder_;
    ValidateSink validator_;
};

} // namespace nexus::serialize::detail::cbor
