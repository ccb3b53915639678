// Expected<T>: a value or a failure message, for operations that must not throw
// (decoding untrusted bytes, encoding, validation).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace nexus::wamp {

/// Why an operation failed, in words meant for logs and ABORT/ERROR details.
struct Failure {
    std::string message;
};

template <class T> class [[nodiscard]] Expected {
public:
    Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    Expected(Failure failure) : state_(std::in_place_index<1>, std::move(failure)) {}

    bool ok() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Failure& error() const { return std::get<1>(state_); }

private:
    std::variant<T, Failure> state_;
};

/// Success or an error, for operations without a value.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Failure failure) : error_(std::move(failure.message)), failed_(true) {}

    bool ok() const noexcept { return !failed_; }
    explicit operator bool() const noexcept { return ok(); }
    Failure error() const { return Failure{error_}; }

private:
    std::string error_;
    bool failed_ = false;
};

} // namespace nexus::wamp
