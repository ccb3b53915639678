// Server-side TLS contexts for the WebSocket and RawSocket listeners, and
// the swap that certificate reload needs.
#pragma once

#include <memory>
#include <mutex>

#include <boost/asio/ssl/context.hpp>

#include <nexus/transport/tls.hpp>

namespace nexus::transport {

/// A context with the fixed protocol settings of TlsServerOptions and its
/// certificate chain and key loaded and checked against each other. Throws
/// TlsError naming the file and OpenSSL's reason.
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(const TlsServerOptions& options);

/// The context handed to new connections. A connection keeps the context it
/// started with (by shared_ptr), so a reload never disturbs it. Thread-safe.
class ServerTls {
public:
    explicit ServerTls(TlsServerOptions options)
        : options_(std::move(options)), context_(make_server_tls_context(options_)) {}

    std::shared_ptr<boost::asio::ssl::context> current() const {
        std::lock_guard lock(mutex_);
        return context_;
    }

    /// Loads the files again; on failure throws and the current context stays.
    void reload() {
        auto fresh = make_server_tls_context(options_); // outside the lock: file I/O
        std::lock_guard lock(mutex_);
        context_.swap(fresh);
    }

private:
    const TlsServerOptions options_;
    mutable std::mutex mutex_;
    std::shared_ptr<boost::asio::ssl::context> context_;
};

} // namespace nexus::transport
