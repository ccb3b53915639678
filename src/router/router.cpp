#include <algorithm>

#include <nexus/router/router.hpp>
#include <nexus/wamp/features.hpp>
#include <nexus/wamp/uri.hpp>
#include <nexus/wamp/uris.hpp>

#include "router/auth/crypto.hpp"
#include "router/connection.hpp"
#include "router/nesting.hpp"
#include "router/realm.hpp"
#include "router/router_impl.hpp"
#include "router/session.hpp"

namespace nexus::router {

namespace {

wamp::Abort make_abort(std::string_view reason, std::string message) {
    wamp::Abort abort;
    abort.reason = std::string(reason);
    abort.details.emplace("message", std::move(message));
    return abort;
}

// What WELCOME announces. Every feature listed here is implemented and tested:
// clients take WELCOME at its word, so an announced feature must work. The
// same for every session: encoded once per format and spliced into each
// WELCOME.
const std::shared_ptr<const SharedDetail>& router_roles() {
    namespace f = wamp::features;
    static const auto roles = std::make_shared<const SharedDetail>(
        "roles",
        wamp::RolesBuilder()
            .add(wamp::roles::broker,
                 {f::publisher_exclusion, f::publisher_identification,
                  f::subscriber_blackwhite_listing, f::pattern_based_subscription,
                  f::event_retention, f::event_history, f::payload_passthru_mode,
                  f::subscription_meta_api, f::session_meta_api, f::subscription_revocation,
                  f::sharded_subscription, f::publication_trustlevels})
            .add(wamp::roles::dealer,
                 {f::progressive_call_results, f::progressive_call_invocations, f::call_timeout,
                  f::call_canceling, f::caller_identification, f::pattern_based_registration,
                  f::shared_registration, f::payload_passthru_mode, f::registration_meta_api,
                  f::session_meta_api, f::testament_meta_api, f::registration_revocation,
                  f::call_reroute, f::sharded_registration, f::call_trustlevels})
            .object());
    return roles;
}

bool announces_a_client_role(const wamp::Object& details) {
    const wamp::AnnouncedRoles roles(details);
    for (std::string_view role : {wamp::roles::caller, wamp::roles::callee, wamp::roles::publisher,
                                  wamp::roles::subscriber})
        if (roles.has_role(role)) return true;
    return false;
}

} // namespace

RouterImpl::RouterImpl(boost::asio::any_io_executor executor, RouterConfig config)
    : executor_(std::move(executor)), config_(std::move(config)),
      auth_secret_(config_.auth_secret.empty() ? auth::to_base64(auth::random_bytes(32))
                                               : config_.auth_secret),
      sessions_(std::make_shared<SessionBudget>(config_.max_sessions)),
      throttle_(config_.auth_throttle),
      node_(config_.cluster
                ? std::make_shared<cluster::Node>(*config_.cluster, executor_, config_.logger)
                : nullptr) {
    for (const RealmConfig& realm : config_.realms)
        realms_.emplace(realm.uri, make_realm(realm));
}

void RouterImpl::start_cluster() {
    if (!node_) return;
    std::weak_ptr<RouterImpl> weak = weak_from_this();
    node_->start(
        [weak](const std::string& uri) -> std::shared_ptr<cluster::RealmMember> {
            auto self = weak.lock();
            return self ? self->existing_realm(uri) : nullptr;
        },
        [weak] {
            std::vector<std::pair<std::string, std::shared_ptr<cluster::RealmMember>>> out;
            if (auto self = weak.lock())
                for (auto& realm : self->realm_list())
                    out.emplace_back(realm->uri(), realm);
            return out;
        });
}

std::shared_ptr<Realm> RouterImpl::make_realm(RealmConfig realm) {
    return std::make_shared<Realm>(std::move(realm), executor_, config_.logger, sessions_,
                                   auth_secret_, metrics_, node_, config_.id_generator);
}

std::shared_ptr<Realm> RouterImpl::find_realm(const std::string& uri) {
    std::lock_guard lock(mutex_);
    if (shut_down_) return nullptr;
    auto it = realms_.find(uri);
    if (it != realms_.end()) return it->second;
    if (!config_.realm_template) return nullptr;
    RealmConfig realm = *config_.realm_template;
    realm.uri = uri;
    auto created = make_realm(std::move(realm));
    realms_.emplace(uri, created);
    // What the other nodes hold of this realm, this node has not heard yet.
    if (node_) node_->refresh();
    return created;
}

std::variant<RouterImpl::Opened, RouterImpl::Authenticating, wamp::Abort>
RouterImpl::open_session(const std::shared_ptr<ConnectionImpl>& conn, wamp::Hello&& hello) {
    {
        std::lock_guard lock(mutex_);
        if (shut_down_)
            return make_abort(wamp::close::system_shutdown, "the router is shutting down");
    }
    if (!wamp::is_valid_uri(hello.realm, wamp::UriRule::loose))
        return make_abort(wamp::errors::invalid_uri,
                          "the realm \"" + hello.realm + "\" is not a valid URI");
    if (!announces_a_client_role(hello.details))
        return make_abort(wamp::errors::no_such_role,
                          "HELLO must announce at least one of the roles caller, callee, "
                          "publisher, subscriber");
    // The details go to other sessions one level deeper than they came
    // ([36, Sub, Pub, {}, [Details]] for wamp.session.on_join, likewise the
    // RESULT of wamp.session.get and, for authextra, the dynamic
    // authenticator's INVOCATION): nested to the decoders' limit they would
    // make those messages undecodable for their receivers.
    if (1 + 1 + nesting_depth(hello.details) > max_message_depth)
        return make_abort(wamp::errors::invalid_argument, "HELLO.Details are nested too deeply");
    auto realm = find_realm(hello.realm);
    if (!realm) return make_abort(wamp::errors::no_such_realm, "no realm \"" + hello.realm + "\"");

    AuthRequest request;
    request.realm = hello.realm;
    request.session = config_.id_generator ? config_.id_generator() : wamp::random_id();
    if (auto it = hello.details.find("authid"); it != hello.details.end() && it->second.is_string())
        request.authid = it->second.as_string();
    if (auto it = hello.details.find("authextra");
        it != hello.details.end() && it->second.is_object())
        request.authextra = it->second.as_object();
    request.transport = conn->transport();

    // The client's methods in its order of preference; none listed means
    // anonymous (as the Go nexus and autobahn do).
    std::vector<std::string> methods;
    if (auto it = hello.details.find("authmethods");
        it != hello.details.end() && it->second.is_array())
        for (const wamp::Value& m : it->second.as_array())
            if (m.if_string()) methods.push_back(*m.if_string());
    if (methods.empty()) methods.push_back("anonymous");
    request.hello_details = std::move(hello.details);

    bool tls_without_certificate = false;
    for (const std::string& method : methods) {
        if (method == "anonymous") {
            if (!realm->config().anonymous_auth) continue;
            Identity identity;
            // Nothing was authenticated: an authid the client names in HELLO
            // is a claim, never an identity (it would pass eligible_authid
            // lists and reach callees as caller_authid). The router assigns one.
            identity.authid = std::to_string(request.session);
            identity.authrole = realm->config().anonymous_authrole;
            identity.authmethod = "anonymous";
            identity.authprovider = "static";
            auto admitted = admit(conn, std::move(realm), std::move(request), std::move(identity));
            if (auto* opened = std::get_if<Opened>(&admitted)) return std::move(*opened);
            return std::get<wamp::Abort>(std::move(admitted));
        }
        if (method == "cookie") {
            // Only when the cookie is known; otherwise skip to the next method.
            if (!realm->config().cookie_auth) continue;
            auto it = request.transport.extra.find("cookie");
            if (it == request.transport.extra.end() || !it->second.if_string()) continue;
            auto identity = realm->identity_for_cookie(*it->second.if_string());
            if (!identity) continue;
            auto admitted = admit(conn, std::move(realm), std::move(request), std::move(*identity));
            if (auto* opened = std::get_if<Opened>(&admitted)) return std::move(*opened);
            return std::get<wamp::Abort>(std::move(admitted));
        }
        if (auto authenticator = realm->authenticator(method)) {
            // Only a certificate the listener verified says who a client is;
            // without one the client may still have another method.
            if (method == "tls" && !request.transport.client_certificate) {
                tls_without_certificate = true;
                continue;
            }
            return Authenticating{std::move(realm), std::move(authenticator), std::move(request)};
        }
    }
    if (tls_without_certificate)
        return make_abort(wamp::errors::no_auth_method,
                          "authmethod \"tls\" needs a client certificate that the listener "
                          "verified, and this connection has none (no other authentication "
                          "method offered is available on this realm)");
    return make_abort(wamp::errors::no_auth_method,
                      "none of the offered authentication methods is available on this realm");
}

std::variant<RouterImpl::Opened, wamp::Abort>
RouterImpl::admit(const std::shared_ptr<ConnectionImpl>& conn, std::shared_ptr<Realm> realm,
                  AuthRequest request, Identity identity) {
    const RealmConfig& rc = realm->config();
    // Checked here too so that a full router does no more work for a client
    // that cannot join; the exact check is at join.
    if (config_.max_sessions != 0 && session_count() >= config_.max_sessions) {
        log(RouterLogLevel::warning,
            "session limit reached (max_sessions " + std::to_string(config_.max_sessions) + ")");
        return make_abort(wamp::errors::limit_exceeded,
                          "the router has reached its session limit (max_sessions)");
    }
    if (!rc.authorizer && !rc.roles.empty() &&
        std::none_of(rc.roles.begin(), rc.roles.end(),
                     [&](const RolePermissions& r) { return r.role == identity.authrole; })) {
        log(RouterLogLevel::warning, "realm " + rc.uri + ": authid \"" + identity.authid +
                                         "\" has authrole \"" + identity.authrole +
                                         "\", which the realm does not define");
        return make_abort(wamp::errors::no_such_role, "the authrole \"" + identity.authrole +
                                                          "\" does not exist on this realm");
    }
    if (rc.cookie_auth && identity.authmethod != "anonymous" && identity.authmethod != "cookie")
        if (auto it = request.transport.extra.find("cookie");
            it != request.transport.extra.end() && it->second.if_string())
            realm->remember_cookie(*it->second.if_string(), identity);
    const wamp::Id id = request.session;
    auto session = std::make_shared<Session>(id, request.realm, conn->queue());
    session->authid = std::move(identity.authid);
    session->authrole = std::move(identity.authrole);
    session->authmethod = std::move(identity.authmethod);
    session->authprovider = std::move(identity.authprovider);
    session->authextra = std::move(identity.authextra);
    session->transport = std::move(request.transport);
    // For authentication only, which is over.
    session->transport.channel_ids.clear();
    session->transport.client_certificate.reset();
    session->features =
        parse_peer_features(request.hello_details, rc.progressive_results_without_canceling);
    session->hello_details = std::move(request.hello_details);

    wamp::Welcome welcome;
    welcome.session = id;
    welcome.details.emplace("agent", config_.agent);
    welcome.details.emplace("realm", request.realm);
    welcome.details.emplace("authid", session->authid);
    welcome.details.emplace("authrole", session->authrole);
    welcome.details.emplace("authmethod", session->authmethod);
    welcome.details.emplace("authprovider", session->authprovider);
    if (!session->authextra.empty())
        welcome.details.emplace("authextra", wamp::Value(session->authextra));
    return Opened{std::move(realm), std::move(session),
                  std::make_shared<const Outgoing>(std::move(welcome), router_roles())};
}

bool RouterImpl::add_realm(RealmConfig realm) {
    std::lock_guard lock(mutex_);
    if (shut_down_ || realms_.contains(realm.uri)) return false;
    std::string uri = realm.uri;
    realms_.emplace(std::move(uri), make_realm(std::move(realm)));
    return true;
}

bool RouterImpl::remove_realm(const std::string& uri) {
    std::shared_ptr<Realm> realm;
    {
        std::lock_guard lock(mutex_);
        auto it = realms_.find(uri);
        if (it == realms_.end()) return false;
        realm = std::move(it->second);
        realms_.erase(it);
    }
    realm->close(wamp::close::close_realm, "the realm was removed");
    return true;
}

std::vector<std::string> RouterImpl::realm_uris() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> uris;
    for (const auto& [uri, realm] : realms_)
        uris.push_back(uri);
    return uris;
}

void RouterImpl::shutdown() {
    std::map<std::string, std::shared_ptr<Realm>, std::less<>> realms;
    {
        std::lock_guard lock(mutex_);
        if (shut_down_) return;
        shut_down_ = true;
        realms = realms_;
    }
    for (auto& [uri, realm] : realms)
        realm->close(wamp::close::system_shutdown, "the router is shutting down");
    // After the realms said GOODBYE (and announced their sessions leaving):
    // the other nodes forget this one at once rather than after node_timeout.
    if (node_) node_->stop();
}

std::size_t RouterImpl::session_count() const { return sessions_->used(); }

// Router: the public face ------------------------------------------------

Router::Router(boost::asio::any_io_executor executor, RouterConfig config)
    : impl_(std::make_shared<RouterImpl>(std::move(executor), std::move(config))) {
    impl_->start_cluster();
}

Router::~Router() { impl_->shutdown(); }

std::unique_ptr<Connection> Router::attach(std::shared_ptr<Peer> peer, TransportInfo transport,
                                           std::size_t out_queue_size) {
    auto conn = std::make_shared<ConnectionImpl>(
        impl_, std::move(peer), std::move(transport),
        out_queue_size != 0 ? out_queue_size : impl_->config().out_queue_size,
        impl_->config().overflow, impl_->metrics());
    conn->await_hello();
    return std::make_unique<Connection>(std::move(conn));
}

bool Router::add_realm(RealmConfig realm) { return impl_->add_realm(std::move(realm)); }
bool Router::remove_realm(const std::string& uri) { return impl_->remove_realm(uri); }
std::vector<std::string> Router::realms() const { return impl_->realm_uris(); }
void Router::shutdown() { impl_->shutdown(); }
std::size_t Router::session_count() const { return impl_->session_count(); }
void Router::log(RouterLogLevel level, std::string_view message) const {
    impl_->log(level, message);
}

void Router::connection_refused(std::string_view listener, std::string_view reason) {
    impl_->metrics()->connection_refused(listener, reason);
}

namespace {

class MetricsTransportMeter final : public TransportMeter {
public:
    MetricsTransportMeter(std::shared_ptr<RouterMetrics> metrics, NetTransport transport)
        : metrics_(std::move(metrics)), transport_(transport) {}
    void transferred(std::uint64_t received, std::uint64_t sent) override {
        metrics_->transferred(transport_, received, sent);
    }
    void closed(TransportClose why) override { metrics_->transport_closed(transport_, why); }

private:
    const std::shared_ptr<RouterMetrics> metrics_;
    const NetTransport transport_;
};

} // namespace

std::shared_ptr<TransportMeter> Router::transport_meter(NetTransport transport) {
    return std::make_shared<MetricsTransportMeter>(impl_->metrics(), transport);
}

} // namespace nexus::router
