// What makes BusSubscription::cancel() final: once close() returned, no run
// starts, and none is still going on another thread. A run on the closing
// thread itself (a handler that cancels its own subscription) is not waited
// for, which would never end.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace nexus::cluster {

class HandlerGate {
public:
    /// Runs `fn` unless closed; false if it did not run.
    template <class Fn> bool run(Fn&& fn) {
        const auto self = std::this_thread::get_id();
        {
            std::lock_guard lock(mutex_);
            if (closed_) return false;
            running_.push_back(self);
        }
        struct Leave {
            HandlerGate& gate;
            std::thread::id self;
            ~Leave() {
                std::lock_guard lock(gate.mutex_);
                gate.running_.erase(std::find(gate.running_.begin(), gate.running_.end(), self));
                gate.left_.notify_all();
            }
        } leave{*this, self};
        fn();
        return true;
    }

    void close() {
        const auto self = std::this_thread::get_id();
        std::unique_lock lock(mutex_);
        closed_ = true;
        left_.wait(lock, [&] {
            return std::all_of(running_.begin(), running_.end(),
                               [&](std::thread::id id) { return id == self; });
        });
    }

    bool closed() const {
        std::lock_guard lock(mutex_);
        return closed_;
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable left_;
    bool closed_ = false;
    std::vector<std::thread::id> running_;
};

} // namespace nexus::cluster
