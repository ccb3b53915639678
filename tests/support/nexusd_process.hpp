// Test support: the nexusd program as a child process, as a service manager
// runs it. Its log is read from stderr; its listeners bind port 0 and the
// ports are read from their "<name> listening on ... (port N)" lines; it is
// killed when the test ends first, or when the test process dies.
#pragma once

#include "support/net_fault.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#ifndef NEXUSD_PATH
#error "NEXUSD_PATH: the nexusd executable (tests/CMakeLists.txt)"
#endif

extern char** environ;

namespace nexus::test {

class NexusdProcess {
public:
    /// Starts nexusd with `args`, and `env` (NAME, value) added to this
    /// process's environment.
    explicit NexusdProcess(std::vector<std::string> args,
                           const std::vector<std::pair<std::string, std::string>>& env = {}) {
        // Everything the child needs is made before fork: between fork and
        // exec only async-signal-safe calls.
        args.insert(args.begin(), "nexusd");
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        std::vector<std::string> variables;
        for (char** e = environ; *e; ++e) {
            const std::string_view v(*e);
            const bool overridden = std::any_of(env.begin(), env.end(), [&](const auto& added) {
                return v.starts_with(added.first + "=");
            });
            if (!overridden) variables.emplace_back(v);
        }
        for (const auto& [name, value] : env)
            variables.push_back(name + "=" + value);
        std::vector<char*> envp;
        for (auto& v : variables)
            envp.push_back(v.data());
        envp.push_back(nullptr);

        int err[2];
        if (::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
        const pid_t parent = ::getpid();
        pid_ = ::fork();
        if (pid_ < 0) {
            ::close(err[0]);
            ::close(err[1]);
            throw std::runtime_error("fork");
        }
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlives the test
            if (::getppid() != parent) ::_exit(127);
            ::dup2(err[1], 2);
            ::execve(NEXUSD_PATH, argv.data(), envp.data());
            ::_exit(127);
        }
        ::close(err[1]);
        log_ = std::make_unique<LineReader>(err[0]);
    }
    ~NexusdProcess() {
        kill_hard();
        log_.reset(); // its reader ends at the pipe's end of file
    }
    NexusdProcess(const NexusdProcess&) = delete;
    NexusdProcess& operator=(const NexusdProcess&) = delete;

    /// The port a listener logged (RawSocket, WebSocket, HTTP), 0 if none within `timeout`.
    std::uint16_t port(const std::string& listener, std::chrono::milliseconds timeout = 10s) {
        std::uint16_t port = 0;
        eventually(
            [&] {
                auto line = log_->find(listener + " listening on");
                if (!line) return false;
                port = std::uint16_t(std::stoi(line->substr(line->find("(port ") + 6)));
                return true;
            },
            timeout);
        return port;
    }
    LineReader& log() { return *log_; }

    void signal(int number) {
        if (pid_ > 0) ::kill(pid_, number);
    }
    /// The exit status once it exits within `timeout`, else -1.
    int wait(std::chrono::milliseconds timeout) {
        int status = -1;
        if (pid_ <= 0 ||
            !eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, timeout))
            return -1;
        pid_ = -1;
        return status;
    }
    /// SIGKILL, as a crash or the OOM killer would, and reap it.
    void kill_hard() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

private:
    pid_t pid_ = -1;
    std::unique_ptr<LineReader> log_;
};

} // namespace nexus::test
