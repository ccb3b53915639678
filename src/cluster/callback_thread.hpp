// A thread that runs a bus's callbacks one at a time, in the order they were
// posted, and timed ones when they fall due. What it runs must not throw
// (an exception is caught and dropped so that one faulty handler cannot end
// the process).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

namespace nexus::cluster {

class CallbackThread {
public:
    using Clock = std::chrono::steady_clock;
    using Task = std::function<void()>;

    CallbackThread();
    /// Runs what is still queued (not the timers), then ends the thread.
    ~CallbackThread();
    CallbackThread(const CallbackThread&) = delete;
    CallbackThread& operator=(const CallbackThread&) = delete;

    /// False once stopped (the task is dropped).
    bool post(Task task);
    /// Runs `task` at `when` unless stopped before.
    bool post_at(Clock::time_point when, Task task);

    /// Accepts nothing more; with `run_queued` the tasks already posted still
    /// run, without it only the one running now finishes. Waits for the thread
    /// to end unless called on it (then it ends after the current task).
    void stop(bool run_queued);

    bool on_this_thread() const;

private:
    struct State;
    std::shared_ptr<State> state_;
    std::thread thread_;
};

} // namespace nexus::cluster
