// libnats calls back with the `void*` it was given, and may do so after the
// object it stood for is gone: a subscription's handler once more after
// unsubscribing, the connection's closed callback after the connection was
// destroyed. So it is given a number, not a pointer, and each callback looks
// the number up here: a number already removed finds nothing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

namespace nexus::cluster {

template <class T> class ClosureRegistry {
public:
    static ClosureRegistry& instance() {
        // Never destroyed: libnats's own threads may still call back while
        // the process exits, after static objects are gone.
        static ClosureRegistry* const registry = new ClosureRegistry;
        return *registry;
    }

    void* add(std::shared_ptr<T> object) {
        std::lock_guard lock(mutex_);
        const std::uintptr_t id = next_++;
        objects_.emplace(id, std::move(object));
        return reinterpret_cast<void*>(id);
    }

    std::shared_ptr<T> find(void* closure) const {
        std::lock_guard lock(mutex_);
        auto it = objects_.find(reinterpret_cast<std::uintptr_t>(closure));
        return it == objects_.end() ? nullptr : it->second;
    }

    void remove(void* closure) {
        std::shared_ptr<T> removed; // released outside the lock
        std::lock_guard lock(mutex_);
        auto it = objects_.find(reinterpret_cast<std::uintptr_t>(closure));
        if (it == objects_.end()) return;
        removed = std::move(it->second);
        objects_.erase(it);
    }

private:
    mutable std::mutex mutex_;
    std::uintptr_t next_ = 1;
    std::map<std::uintptr_t, std::shared_ptr<T>> objects_;
};

} // namespace nexus::cluster
