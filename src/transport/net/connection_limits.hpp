// Caps on a listener's open connections, in all and per peer address
// (max_connections, max_connections_per_address). A connection over a cap is
// closed at accept, before any byte of it is read: holding it open to say
// why (an HTTP 503, a RawSocket handshake error) would let the flood it is
// part of keep a descriptor and a timer each for the handshake timeout.
//
// An admitted connection holds a ConnectionSlot until it closes; slots may
// outlive the server (a connection ends after its server's stop()), so the
// counts live in a shared state the slots point to.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/asio/ip/address.hpp>

#include <nexus/router/router.hpp>

namespace nexus::transport {

class ConnectionLimits;

/// A connection's place under its listener's caps; released when destroyed.
class ConnectionSlot {
public:
    ConnectionSlot() = default;
    ConnectionSlot(ConnectionSlot&& other) noexcept = default;
    ConnectionSlot& operator=(ConnectionSlot&& other) noexcept {
        if (this != &other) {
            release();
            state_ = std::move(other.state_);
            address_ = std::move(other.address_);
        }
        return *this;
    }
    ~ConnectionSlot() { release(); }

    /// Gives the place back (once; a slot without limits holds none).
    void release();

private:
    friend class ConnectionLimits;
    struct State;
    std::shared_ptr<State> state_;
    std::optional<boost::asio::ip::address> address_;
};

class ConnectionLimits {
public:
    /// No caps.
    ConnectionLimits() = default;
    /// `listener`: as a client names it ("ws://127.0.0.1:8080"), for the log
    /// and the metric; a zero cap is no cap.
    ConnectionLimits(std::string listener, std::size_t max_connections,
                     std::size_t max_per_address);

    /// A slot for a connection from `address` (none: a Unix socket peer,
    /// which only max_connections counts), or nullopt when a cap is reached:
    /// then the refusal is counted in `router`'s metrics and logged (the
    /// first of a burst at once, the rest summed up at most once a second,
    /// so that a flood cannot flood the log). `peer` describes the peer.
    std::optional<ConnectionSlot> admit(const std::optional<boost::asio::ip::address>& address,
                                        const std::string& peer, router::Router& router);

    /// Connections holding a slot now (0 without caps: nothing is counted).
    std::size_t open() const;

private:
    std::shared_ptr<ConnectionSlot::State> state_;
};

struct ConnectionSlot::State {
    State(std::string name, std::size_t total, std::size_t address)
        : listener(std::move(name)), max_connections(total), max_per_address(address) {}

    const std::string listener;
    const std::size_t max_connections;
    const std::size_t max_per_address;
    mutable std::mutex mutex;
    std::size_t open = 0;
    std::map<boost::asio::ip::address, std::size_t> per_address;
    // Refusals not yet logged, and when the last line was written.
    std::uint64_t unlogged = 0;
    std::chrono::steady_clock::time_point logged_at{};
};

} // namespace nexus::transport
