#include "callback_thread.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <utility>

namespace nexus::cluster {

// Shared with the thread itself, so that a thread which cannot be joined
// (stopped from one of its own tasks) still has it while it finishes.
struct CallbackThread::State {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Task> tasks;
    // Ordered by due time, then by posting order.
    std::map<std::pair<Clock::time_point, std::uint64_t>, Task> timers;
    std::uint64_t timer_seq = 0;
    bool accepting = true;
    bool exit_when_idle = false;
    bool exit_now = false;
    std::thread::id id;

    void run() {
        std::unique_lock lock(mutex);
        while (!exit_now) {
            const auto now = Clock::now();
            while (!timers.empty() && timers.begin()->first.first <= now) {
                tasks.push_back(std::move(timers.begin()->second));
                timers.erase(timers.begin());
            }
            if (!tasks.empty()) {
                Task task = std::move(tasks.front());
                tasks.pop_front();
                lock.unlock();
                try {
                    task();
                } catch (...) {
                }
                task = nullptr; // its captures go before the lock is taken again
                lock.lock();
                continue;
            }
            if (exit_when_idle) break;
            if (timers.empty())
                wake.wait(lock);
            else
                wake.wait_until(lock, timers.begin()->first.first);
        }
        // What is left is destroyed here, on this thread, outside the lock.
        auto dropped_tasks = std::move(tasks);
        auto dropped_timers = std::move(timers);
        lock.unlock();
    }
};

CallbackThread::CallbackThread() : state_(std::make_shared<State>()) {
    std::lock_guard lock(state_->mutex);
    thread_ = std::thread([state = state_] { state->run(); });
    state_->id = thread_.get_id();
}

CallbackThread::~CallbackThread() { stop(true); }

bool CallbackThread::post(Task task) {
    std::lock_guard lock(state_->mutex);
    if (!state_->accepting) return false;
    state_->tasks.push_back(std::move(task));
    state_->wake.notify_one();
    return true;
}

bool CallbackThread::post_at(Clock::time_point when, Task task) {
    std::lock_guard lock(state_->mutex);
    if (!state_->accepting) return false;
    state_->timers.emplace(std::pair{when, state_->timer_seq++}, std::move(task));
    state_->wake.notify_one();
    return true;
}

void CallbackThread::stop(bool run_queued) {
    std::map<std::pair<Clock::time_point, std::uint64_t>, Task> timers;
    std::deque<Task> tasks;
    {
        std::lock_guard lock(state_->mutex);
        state_->accepting = false;
        state_->exit_when_idle = true;
        timers = std::move(state_->timers);
        state_->timers.clear();
        if (!run_queued) {
            state_->exit_now = true;
            tasks = std::move(state_->tasks);
            state_->tasks.clear();
        }
        state_->wake.notify_one();
    }
    if (!thread_.joinable()) return;
    if (on_this_thread())
        thread_.detach();
    else
        thread_.join();
}

bool CallbackThread::on_this_thread() const { return std::this_thread::get_id() == state_->id; }

} // namespace nexus::cluster
