// Dealer: the public face of DealerImpl (router/dealer/).
#include "router/dealer.hpp"

#include "router/dealer/dealer_impl.hpp"

namespace nexus::router {

Dealer::Dealer(RealmContext& realm) : impl_(std::make_unique<DealerImpl>(realm)) {}
Dealer::~Dealer() = default;
wamp::Status Dealer::register_(Session& s, wamp::Register&& m) {
    return impl_->register_(s, std::move(m));
}
wamp::Status Dealer::unregister(Session& s, const wamp::Unregister& m) {
    return impl_->unregister(s, m);
}
wamp::Status Dealer::call(Session& s, wamp::Call&& m, bool force_disclose) {
    return impl_->call(s, std::move(m), force_disclose);
}
wamp::Status Dealer::cancel(Session& s, const wamp::Cancel& m) { return impl_->cancel(s, m); }
wamp::Status Dealer::yield(Session& s, wamp::Yield&& m) { return impl_->yield(s, std::move(m)); }
wamp::Status Dealer::invocation_error(Session& s, wamp::Error&& m) {
    return impl_->invocation_error(s, std::move(m));
}
void Dealer::answer_undeliverable(Session& caller, wamp::Id request, Undeliverable why) {
    impl_->answer_undeliverable(caller, request, why);
}
void Dealer::invocation_undeliverable(Session& callee, wamp::Id request, Undeliverable why) {
    impl_->invocation_undeliverable(callee, request, why);
}
void Dealer::remove_session(Session& s) { impl_->remove_session(s); }
OrUriError<std::vector<wamp::Id>> Dealer::revoke(wamp::Id id, std::optional<wamp::Id> callee,
                                                 const std::string& reason) {
    return impl_->revoke(id, callee, reason);
}
void Dealer::cancel_all() { impl_->cancel_all(); }
void Dealer::claim_result(const std::string& key, const std::optional<UriError>& refusal) {
    impl_->claim_result(key, refusal);
}
void Dealer::add_remote(Session& proxy, wamp::MatchPolicy match, std::string uri,
                        const RemoteCallee& c) {
    auto invoke = dealing::parse_invoke(c.invoke);
    if (!invoke) return;
    impl_->add_remote(
        proxy, match, std::move(uri), *invoke,
        dealing::Callee{&proxy, c.disclose_caller, c.forward_timeout, c.nkey, c.order});
}
void Dealer::remove_remote(Session& proxy, wamp::MatchPolicy match, std::string_view uri) {
    impl_->remove_remote(proxy, match, uri);
}
void Dealer::relay_invocation(std::uint32_t origin, Session& callee, wamp::Invocation&& m) {
    impl_->relay_invocation(origin, callee, std::move(m));
}
void Dealer::relay_interrupt(std::uint32_t origin, Session& callee, wamp::Interrupt&& m) {
    impl_->relay_interrupt(origin, callee, std::move(m));
}
void Dealer::forget_origin(std::uint32_t origin) { impl_->forget_origin(origin); }
std::map<std::uint32_t, wamp::Array>
Dealer::remote_invocations(std::chrono::steady_clock::time_point sent_before) const {
    return impl_->remote_invocations(sent_before);
}
bool Dealer::relaying(std::uint32_t origin, const Session& callee, wamp::Id request) const {
    return impl_->relaying(origin, callee, request);
}
void Dealer::invocation_lost(Session& proxy, wamp::Id request, const std::string& nodes) {
    impl_->invocation_lost(proxy, request, nodes);
}
void Dealer::snapshot(wamp::Array& out) const { impl_->snapshot(out); }
std::vector<std::pair<std::string, std::string>> Dealer::claims() const { return impl_->claims(); }
std::size_t Dealer::count() const { return impl_->count(); }
std::vector<wamp::Id> Dealer::list(wamp::MatchPolicy match) const { return impl_->list(match); }
std::optional<wamp::Id> Dealer::lookup(std::string_view uri, wamp::MatchPolicy match) const {
    return impl_->lookup(uri, match);
}
std::optional<wamp::Id> Dealer::match(std::string_view uri) const { return impl_->match(uri); }
std::optional<Dealer::RegistrationInfo> Dealer::get(wamp::Id id) const { return impl_->get(id); }
std::optional<std::vector<wamp::Id>> Dealer::callees(wamp::Id id) const {
    return impl_->callees(id);
}

} // namespace nexus::router
