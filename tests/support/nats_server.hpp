// Test support: nats-server (Debian's package, scripts/install-deps.sh) as a
// child process on 127.0.0.1, with JetStream on and its store in a temporary
// directory of its own. A server keeps its ports across stop() and start(),
// so that clients reconnect to it; several can form a NATS cluster (routes).
// The child is killed when the NatsServer goes, and by the kernel if the test
// process dies first.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace nexus::test {

/// A TCP port on 127.0.0.1 nobody listens on now (bound, then released).
inline int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

inline bool accepts_connections(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

inline std::string nats_server_program() {
    if (const char* env = std::getenv("NATS_SERVER")) return env;
    for (const char* path : {"/usr/sbin/nats-server", "/usr/bin/nats-server"})
        if (::access(path, X_OK) == 0) return path;
    throw std::runtime_error("nats-server not found (scripts/install-deps.sh installs it)");
}

struct NatsServerOptions {
    std::string name = "n1";
    bool jetstream = true;
    /// Set (see NatsCluster): this server's route port and the cluster's.
    int cluster_port = 0;
    std::vector<int> route_ports;
    /// Anything else for nats-server's command line (TLS, authorization).
    std::vector<std::string> extra_args;
};

class NatsServer {
public:
    explicit NatsServer(NatsServerOptions options = {})
        : options_(std::move(options)), port_(free_loopback_port()) {
        char dir[] = "/tmp/nexus-nats-XXXXXX";
        if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp");
        dir_ = dir;
        start();
    }
    ~NatsServer() {
        stop();
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    NatsServer(const NatsServer&) = delete;
    NatsServer& operator=(const NatsServer&) = delete;

    int port() const { return port_; }
    std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
    const std::filesystem::path& dir() const { return dir_; }
    bool running() const { return pid_ > 0; }

    /// Starts the server (again, on the same ports and store) and waits
    /// until it accepts clients.
    void start() {
        if (pid_ > 0) return;
        std::vector<std::string> args{nats_server_program(), "-a", "127.0.0.1",  "-p",
                                      std::to_string(port_), "-n", options_.name};
        if (options_.jetstream) {
            args.insert(args.end(), {"-js", "-sd", (dir_ / "jetstream").string()});
        }
        if (options_.cluster_port) {
            args.insert(args.end(), {"--cluster_name", "nexus-test", "--cluster",
                                     "nats://127.0.0.1:" + std::to_string(options_.cluster_port)});
            std::string routes;
            for (int p : options_.route_ports)
                if (p != options_.cluster_port)
                    routes += (routes.empty() ? "" : ",") + std::string("nats://127.0.0.1:") +
                              std::to_string(p);
            if (!routes.empty()) args.insert(args.end(), {"--routes", routes});
        }
        args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        const std::string log = (dir_ / "server.log").string();
        const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (log_fd < 0) throw std::runtime_error("cannot open " + log);

        const pid_t parent = ::getpid();
        const pid_t pid = ::fork();
        if (pid < 0) {
            ::close(log_fd);
            throw std::runtime_error("fork");
        }
        if (pid == 0) {
            // Only async-signal-safe calls between fork and exec.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(127);
            ::dup2(log_fd, STDOUT_FILENO);
            ::dup2(log_fd, STDERR_FILENO);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(log_fd);
        pid_ = pid;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!accepts_connections(port_)) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("nats-server exited at start:\n" + log_text());
            }
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("nats-server does not accept clients:\n" + log_text());
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    /// Kills the server at once (SIGKILL, as a crash would) and reaps it.
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    void restart() {
        stop();
        start();
    }

    std::string log_text() const {
        std::ifstream in(dir_ / "server.log");
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

private:
    NatsServerOptions options_;
    int port_;
    std::filesystem::path dir_;
    pid_t pid_ = -1;
};

/// Several nats-servers routed to each other: one NATS cluster, JetStream
/// clustered over them.
class NatsCluster {
public:
    explicit NatsCluster(int size) {
        std::vector<int> route_ports;
        for (int i = 0; i < size; ++i)
            route_ports.push_back(free_loopback_port());
        for (int i = 0; i < size; ++i) {
            NatsServerOptions o;
            o.name = "n" + std::to_string(i + 1);
            o.cluster_port = route_ports[static_cast<std::size_t>(i)];
            o.route_ports = route_ports;
            servers_.push_back(std::make_unique<NatsServer>(o));
        }
    }
    NatsServer& operator[](std::size_t i) { return *servers_[i]; }
    std::size_t size() const { return servers_.size(); }
    std::vector<std::string> urls() const {
        std::vector<std::string> out;
        for (const auto& s : servers_)
            out.push_back(s->url());
        return out;
    }

private:
    std::vector<std::unique_ptr<NatsServer>> servers_;
};

} // namespace nexus::test
