// Channels of the forwarder: the connections that asked to exchange frames.
// A frame from one member goes to every other member that receives ("rw").
// Membership changes take a lock and publish a new immutable list, so the
// forwarding path only copies one shared pointer.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace forwarder {

class Connection;

struct Members {
    std::vector<std::shared_ptr<Connection>> receivers;
};

class Channel {
public:
    void join(const std::shared_ptr<Connection>& c, bool receives);
    void leave(const Connection* c);
    std::shared_ptr<const Members> members() const;

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const Members> members_ = std::make_shared<Members>();
};

class Channels {
public:
    /// The channel named `name`, created on first use; it lives as long as the registry.
    Channel& get(const std::string& name);

private:
    std::mutex mutex_;
    std::map<std::string, std::unique_ptr<Channel>> channels_;
};

} // namespace forwarder
