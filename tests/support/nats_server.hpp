// Test support: nats-server (Debian's package, scripts/install-deps.sh) as a
// child process on 127.0.0.1, with JetStream on and its store in a temporary
// directory of its own. nats-server picks its client port itself (port -1)
// and tells it in a ports file, so that tests running in parallel never race
// for one; a server keeps it across stop() and start(), so that clients
// reconnect to it; several can form a NATS cluster (routes).
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
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace nexus::test {

/// A TCP port on 127.0.0.1 nobody listens on now (bound, then released):
/// for route ports, which the servers of a cluster must know of each other
/// before they start. Another process may take it meanwhile: NatsCluster
/// then starts again.
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
    /// Serve nats-server's HTTP monitoring (/varz, ...) on a port of its own.
    bool monitoring = false;
    /// Anything else for nats-server's command line (TLS, authorization).
    std::vector<std::string> extra_args;
};

/// The port of the first URL under `key` in a ports file
/// ({"nats":["nats://127.0.0.1:4222"],"cluster":[...]}); 0 if none.
inline int port_in_ports_file(const std::string& text, const std::string& key) {
    auto at = text.find("\"" + key + "\":[\"");
    if (at == std::string::npos) return 0;
    const auto end = text.find('"', at + key.size() + 5);
    const auto colon = text.rfind(':', end);
    if (end == std::string::npos || colon == std::string::npos || colon < at) return 0;
    return std::atoi(text.substr(colon + 1, end - colon - 1).c_str());
}

class NatsServer {
public:
    explicit NatsServer(NatsServerOptions options = {}) : options_(std::move(options)) {
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
    /// With NatsServerOptions::monitoring: the HTTP monitoring port.
    int monitor_port() const { return monitor_port_; }
    std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
    const std::filesystem::path& dir() const { return dir_; }
    bool running() const { return pid_ > 0; }
    /// Starts the server (again, on the same ports and store) and waits
    /// until it accepts clients. The first start lets nats-server choose the
    /// ports; a later one wants the same ports back, and tries again for a
    /// while when something else has taken one in between.
    void start() {
        if (pid_ > 0) return;
        for (int attempt = 0;; ++attempt) {
            if (launch()) return;
            if (port_ == 0 || attempt >= 50)
                throw std::runtime_error("nats-server exited at start:\n" + log_text());
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
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
    // One attempt: false when nats-server exited at start (a port taken).
    bool launch() {
        const std::filesystem::path ports_dir = dir_ / "ports";
        std::error_code ignored;
        std::filesystem::remove_all(ports_dir, ignored);
        std::filesystem::create_directories(ports_dir);
        std::vector<std::string> args{nats_server_program(),
                                      "-a",
                                      "127.0.0.1",
                                      "-p",
                                      std::to_string(port_ ? port_ : -1),
                                      "-n",
                                      options_.name,
                                      "--ports_file_dir",
                                      ports_dir.string()};
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
        if (options_.monitoring)
            args.insert(args.end(), {"-m", std::to_string(monitor_port_ ? monitor_port_ : -1)});
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
        const std::string suffix = "_" + std::to_string(pid) + ".ports";
        int client = 0;
        while (client == 0 || !accepts_connections(client)) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return false;
            }
            if (std::chrono::steady_clock::now() > deadline) {
                stop();
                throw std::runtime_error("nats-server does not accept clients:\n" + log_text());
            }
            if (client == 0) {
                // Written once the server listens on every port it has.
                for (const auto& entry : std::filesystem::directory_iterator(ports_dir)) {
                    const std::string name = entry.path().filename().string();
                    if (name.size() < suffix.size() ||
                        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
                        continue;
                    std::ifstream in(entry.path());
                    const std::string text((std::istreambuf_iterator<char>(in)),
                                           std::istreambuf_iterator<char>());
                    const int monitor = port_in_ports_file(text, "monitoring");
                    if (!options_.monitoring || monitor) {
                        client = port_in_ports_file(text, "nats");
                        monitor_port_ = monitor;
                    }
                }
            }
            if (client == 0 || !accepts_connections(client))
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        port_ = client;
        return true;
    }

    NatsServerOptions options_;
    int port_ = 0;         // 0: not started yet, nats-server picks
    int monitor_port_ = 0; // the same for HTTP monitoring
    std::filesystem::path dir_;
    pid_t pid_ = -1;
};

/// Several nats-servers routed to each other: one NATS cluster, JetStream
/// clustered over them.
class NatsCluster {
public:
    explicit NatsCluster(int size) {
        // JetStream in a cluster wants its routes from the start, so the
        // route ports are chosen beforehand; when another process takes one
        // before its server binds it, that server cannot start: start the
        // whole cluster again on other ports.
        for (int attempt = 1;; ++attempt) {
            try {
                start_all(size);
                return;
            } catch (const std::runtime_error&) {
                servers_.clear();
                if (attempt == 5) throw;
            }
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
    void start_all(int size) {
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

    std::vector<std::unique_ptr<NatsServer>> servers_;
};

} // namespace nexus::test
