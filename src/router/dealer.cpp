#include "router/dealer.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <unordered_map>

#include <nexus/wamp/uris.hpp>

#include "router/metrics.hpp"
#include "router/payload_passthru.hpp"
#include "router/string_map.hpp"
#include "router/timestamp.hpp"

namespace nexus::router {

namespace {

using wamp::MatchPolicy;
using wamp::Object;
using wamp::Value;

enum class Invoke { single, roundrobin, random, first, last };

std::optional<Invoke> parse_invoke(std::string_view s) {
    if (s == "single") return Invoke::single;
    if (s == "roundrobin") return Invoke::roundrobin;
    if (s == "random") return Invoke::random;
    if (s == "first") return Invoke::first;
    if (s == "last") return Invoke::last;
    return std::nullopt;
}

std::string_view invoke_name(Invoke i) {
    switch (i) {
    case Invoke::single: return "single";
    case Invoke::roundrobin: return "roundrobin";
    case Invoke::random: return "random";
    case Invoke::first: return "first";
    case Invoke::last: return "last";
    }
    return "single";
}

enum class CancelMode { skip, kill, killnowait };

struct Callee {
    Session* session;
    bool disclose_caller;
};

struct Registration {
    wamp::Id id = 0;
    std::string uri;
    MatchPolicy match = MatchPolicy::exact;
    Invoke invoke = Invoke::single;
    std::int64_t created_ms = 0;
    std::vector<Callee> callees; // in registration order
    std::size_t next = 0;        // roundrobin position
};

struct SessionRequest {
    const Session* session;
    wamp::Id request;
    bool operator==(const SessionRequest&) const = default;
};
struct SessionRequestHash {
    std::size_t operator()(const SessionRequest& k) const noexcept {
        return std::hash<const void*>{}(k.session) * 31 + std::hash<wamp::Id>{}(k.request);
    }
};

struct PendingCall;
// A call's place in the list of its caller's calls or of its callee's.
struct CallLinks {
    PendingCall* prev = nullptr;
    PendingCall* next = nullptr;
};

// One call in flight, from its CALL to its final RESULT or ERROR.
struct PendingCall {
    Session* caller = nullptr;
    wamp::Id call_request = 0;
    Session* callee = nullptr;
    wamp::Id invocation_request = 0;
    wamp::Id registration = 0;
    bool receive_progress = false;               // the caller asked and the callee can
    bool caller_streaming = false;               // progressive call invocations still open
    bool kill_requested = false;                 // CANCEL mode=kill: waiting for the callee
    CallOutcome outcome = CallOutcome::canceled; // unless something else ends it
    std::chrono::milliseconds timeout{0};
    std::unique_ptr<Timer> timer;
    RouterMetrics::Clock::time_point started;
    // Intrusive, so that a leaving session finds its calls without a scan of
    // every call in flight and a call costs no extra allocation.
    CallLinks as_caller, as_callee;
};

void link_call(PendingCall*& head, PendingCall& call, CallLinks PendingCall::*links) {
    (call.*links).prev = nullptr;
    (call.*links).next = head;
    if (head) (head->*links).prev = &call;
    head = &call;
}

void unlink_call(PendingCall*& head, PendingCall& call, CallLinks PendingCall::*links) {
    CallLinks& l = call.*links;
    if (l.prev)
        (l.prev->*links).next = l.next;
    else
        head = l.next;
    if (l.next) (l.next->*links).prev = l.prev;
    l.prev = l.next = nullptr;
}

bool flag(const Object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->second.if_bool() && *it->second.if_bool();
}

// Progressive calls a caller completed recently, so that a late continuation
// chunk is dropped instead of starting a new call (rpc_progressive_call_invocations.md).
constexpr std::size_t completed_progressive_memory = 64;

} // namespace

class DealerImpl {
public:
    explicit DealerImpl(RealmContext& realm) : realm_(realm), rng_(wamp::random_id()) {}

    wamp::UriRule rule() const {
        return realm_.config().strict_uri ? wamp::UriRule::strict : wamp::UriRule::loose;
    }

    static void send_error(Session& s, wamp::MessageType type, wamp::Id request,
                           std::string_view uri, std::string message) {
        wamp::Error e;
        e.request_type = type;
        e.request = request;
        e.error = std::string(uri);
        e.payload = wamp::Payload(wamp::Array{Value(std::move(message))});
        s.send(std::move(e));
    }

    bool valid_pattern(std::string_view uri, MatchPolicy match) const {
        switch (match) {
        case MatchPolicy::exact: return wamp::is_valid_uri(uri, rule());
        case MatchPolicy::wildcard: return wamp::is_valid_uri(uri, rule(), true);
        case MatchPolicy::prefix:
            if (uri.ends_with('.')) uri.remove_suffix(1);
            return wamp::is_valid_uri(uri, rule());
        }
        return false;
    }

    // --- REGISTER / UNREGISTER ------------------------------------------------

    wamp::Status register_(Session& callee, wamp::Register&& m) {
        const auto refuse = [&](std::string_view uri, std::string message) {
            send_error(callee, wamp::MessageType::register_, m.request, uri, std::move(message));
            return wamp::Status{};
        };
        MatchPolicy match = MatchPolicy::exact;
        Invoke invoke = Invoke::single;
        // Null is unset, as in SUBSCRIBE (see BrokerImpl::subscribe).
        if (auto it = m.options.find("match"); it != m.options.end() && !it->second.is_null()) {
            const std::string* s = it->second.if_string();
            auto p = s ? wamp::parse_match_policy(*s) : std::nullopt;
            if (!p)
                return refuse(wamp::errors::invalid_argument,
                              "match must be \"exact\", \"prefix\" or \"wildcard\"");
            match = *p;
        }
        if (auto it = m.options.find("invoke"); it != m.options.end() && !it->second.is_null()) {
            const std::string* s = it->second.if_string();
            auto p = s ? parse_invoke(*s) : std::nullopt;
            if (!p)
                return refuse(wamp::errors::invalid_argument,
                              "invoke must be single, roundrobin, random, first or last");
            invoke = *p;
        }
        if (!valid_pattern(m.procedure, match))
            return refuse(wamp::errors::invalid_uri, "invalid procedure \"" + m.procedure + "\"");
        if (wamp::is_reserved_uri(m.procedure))
            return refuse(wamp::errors::invalid_uri,
                          "procedures starting with \"wamp.\" are reserved for the router");

        if (const std::size_t max = realm_.config().max_registrations_per_session; max != 0) {
            auto mine = by_callee_.find(&callee);
            if (mine != by_callee_.end() && mine->second.size() >= max)
                return refuse(wamp::errors::limit_exceeded,
                              "this session already has " + std::to_string(max) +
                                  " registrations (max_registrations_per_session)");
        }
        Registration* reg = find(m.procedure, match);
        if (reg) {
            const bool already = std::any_of(reg->callees.begin(), reg->callees.end(),
                                             [&](const Callee& c) { return c.session == &callee; });
            if (reg->invoke == Invoke::single || reg->invoke != invoke || already)
                return refuse(wamp::errors::procedure_already_exists,
                              "procedure \"" + m.procedure + "\" is already registered" +
                                  (reg->invoke != Invoke::single && reg->invoke != invoke
                                       ? " with invoke=" + std::string(invoke_name(reg->invoke))
                                       : std::string()));
        }
        const bool created = !reg;
        if (created) reg = create(std::move(m.procedure), match, invoke);
        reg->callees.push_back(Callee{&callee, flag(m.options, "disclose_caller")});
        by_callee_[&callee].push_back(reg->id);
        callee.send(wamp::Registered{m.request, reg->id});
        const wamp::Id id = reg->id;
        if (created)
            realm_.publish_meta("wamp.registration.on_create", [&] {
                auto info = *get(id);
                return wamp::Array{Value(callee.id),
                                   Value{{"id", info.id},
                                         {"created", info.created},
                                         {"uri", info.uri},
                                         {"match", wamp::match_policy_name(info.match)},
                                         {"invoke", info.invoke}}};
            });
        meta_membership("wamp.registration.on_register", callee.id, id);
        return {};
    }

    wamp::Status unregister(Session& callee, const wamp::Unregister& m) {
        auto it = registrations_.find(m.registration);
        if (it == registrations_.end() || !remove_callee(*it->second, callee)) {
            send_error(callee, wamp::MessageType::unregister, m.request,
                       wamp::errors::no_such_registration,
                       "no registration " + std::to_string(m.registration) + " of this session");
            return {};
        }
        auto& mine = by_callee_[&callee];
        mine.erase(std::remove(mine.begin(), mine.end(), m.registration), mine.end());
        if (mine.empty()) by_callee_.erase(&callee);
        const wamp::Id id = m.registration;
        const bool deleted = it->second->callees.empty();
        if (deleted) destroy(it->second.get());
        callee.send(wamp::Unregistered{m.request, std::nullopt});
        meta_membership("wamp.registration.on_unregister", callee.id, id);
        if (deleted) meta_membership("wamp.registration.on_delete", callee.id, id);
        return {};
    }

    // --- CALL -------------------------------------------------------------------

    wamp::Status call(Session& caller, wamp::Call&& m, bool force_disclose) {
        const bool progress = flag(m.options, "progress");
        if (progress && !caller.features.caller_progressive_call_invocations)
            return wamp::Failure{"CALL with progress=true from a caller that did not announce "
                                 "progressive_call_invocations"};
        if (has_ppt(m.options) && !caller.features.caller_payload_passthru)
            return wamp::Failure{"CALL with ppt_* options from a caller that did not announce "
                                 "payload_passthru_mode"};

        // A continuation of a progressive call in flight?
        if (auto it = by_caller_.find({&caller, m.request}); it != by_caller_.end())
            return continue_call(it->second, std::move(m), progress);
        if (completed_progressive(caller, m.request)) return {}; // late chunk: drop

        const auto refuse = [&](std::string_view uri, std::string message) {
            realm_.metrics().call_refused();
            send_error(caller, wamp::MessageType::call, m.request, uri, std::move(message));
            return wamp::Status{};
        };
        if (!wamp::is_valid_uri(m.procedure, rule()))
            return refuse(wamp::errors::invalid_uri, "invalid procedure \"" + m.procedure + "\"");
        // An authorization rule may disclose the caller whatever it asked.
        const bool disclose_me = flag(m.options, "disclose_me");
        if (disclose_me && !force_disclose && !realm_.config().allow_disclose)
            return refuse(wamp::errors::option_disallowed_disclose_me,
                          "this realm does not allow caller disclosure");
        std::chrono::milliseconds timeout{0};
        if (auto it = m.options.find("timeout"); it != m.options.end()) {
            auto ms = it->second.to_uint();
            if (!ms)
                return refuse(wamp::errors::invalid_argument,
                              "timeout must be a non-negative integer (milliseconds)");
            timeout =
                std::chrono::milliseconds(std::min<std::uint64_t>(*ms, 30ull * 24 * 3600 * 1000));
        }

        if (const std::size_t max = realm_.config().max_pending_calls_per_session;
            max != 0 && caller.pending_calls >= max)
            return refuse(wamp::errors::limit_exceeded,
                          "this session already has " + std::to_string(max) +
                              " calls in flight (max_pending_calls_per_session)");
        Registration* reg = best_match(m.procedure);
        if (!reg)
            return refuse(wamp::errors::no_such_procedure, "no procedure \"" + m.procedure + "\"");
        const Callee& target = pick(*reg);
        Session& callee = *target.session;

        if (progress && !callee.features.callee_progressive_call_invocations)
            return refuse(wamp::errors::feature_not_supported,
                          "the callee does not support progressive call invocations");
        if (has_ppt(m.options) && !callee.features.callee_payload_passthru)
            return refuse(wamp::errors::feature_not_supported,
                          "the callee does not support payload passthru mode");

        // The call lives in its by_caller_ entry: one allocation per call.
        PendingCall& call = by_caller_[SessionRequest{&caller, m.request}];
        call.caller = &caller;
        call.call_request = m.request;
        call.callee = &callee;
        call.invocation_request = callee.next_request_id();
        call.registration = reg->id;
        call.receive_progress =
            flag(m.options, "receive_progress") && callee.features.callee_progressive_call_results;
        call.caller_streaming = progress;
        call.timeout = timeout;

        wamp::Invocation inv;
        inv.request = call.invocation_request;
        inv.registration = reg->id;
        if (reg->match != MatchPolicy::exact) inv.details.emplace("procedure", m.procedure);
        if (call.receive_progress) inv.details.emplace("receive_progress", true);
        if (progress) inv.details.emplace("progress", true);
        if (disclose_me || force_disclose || target.disclose_caller) {
            inv.details.emplace("caller", caller.id);
            inv.details.emplace("caller_authid", caller.authid);
            inv.details.emplace("caller_authrole", caller.authrole);
        }
        if (timeout.count() > 0 && callee.features.callee_call_timeout)
            inv.details.emplace("timeout", static_cast<std::uint64_t>(timeout.count()));
        copy_ppt(m.options, inv.details);
        inv.payload = std::move(m.payload);

        by_callee_request_.emplace(SessionRequest{&callee, call.invocation_request}, &call);
        link_call(calls_of_caller_[&caller], call, &PendingCall::as_caller);
        link_call(calls_of_callee_[&callee], call, &PendingCall::as_callee);
        ++caller.pending_calls;
        call.started = realm_.metrics().call_started();
        arm_timer(call);
        callee.send(std::move(inv));
        return {};
    }

    wamp::Status continue_call(PendingCall& call, wamp::Call&& m, bool progress) {
        if (!call.caller_streaming)
            return wamp::Failure{"CALL reuses the request id " + std::to_string(m.request) +
                                 " of a call in flight that is not progressive"};
        // Only the first chunk's options count; later chunks carry progress alone.
        wamp::Invocation inv;
        inv.request = call.invocation_request;
        inv.registration = call.registration;
        if (progress) inv.details.emplace("progress", true);
        inv.payload = std::move(m.payload);
        call.caller_streaming = progress;
        if (!progress) remember_completed_progressive(*call.caller, call.call_request);
        call.callee->send(std::move(inv));
        return {};
    }

    // --- answers from the callee ---------------------------------------------------

    // The call an answer refers to; a protocol violation for ids never issued.
    wamp::Expected<PendingCall*> answered(Session& callee, wamp::Id request, const char* what) {
        auto it = by_callee_request_.find({&callee, request});
        if (it != by_callee_request_.end()) return it->second;
        if (request == 0 || request > callee.last_request_id())
            return wamp::Failure{std::string(what) + " for INVOCATION " + std::to_string(request) +
                                 ", which was never sent to this session"};
        return static_cast<PendingCall*>(nullptr); // finished already: drop quietly
    }

    wamp::Status yield(Session& callee, wamp::Yield&& m) {
        if (has_ppt(m.options) && !callee.features.callee_payload_passthru)
            return wamp::Failure{"YIELD with ppt_* options from a callee that did not announce "
                                 "payload_passthru_mode"};
        auto found = answered(callee, m.request, "YIELD");
        if (!found) return found.error();
        PendingCall* call = *found;
        if (!call) return {};
        if (has_ppt(m.options) && !call->caller->features.caller_payload_passthru) {
            // ⚠A18: no message can tell the callee; the caller learns why its call failed.
            send_error(*call->caller, wamp::MessageType::call, call->call_request,
                       wamp::errors::feature_not_supported,
                       "the callee answered in payload passthru mode, which this caller does not "
                       "support");
            call->outcome = CallOutcome::error;
            finish(*call);
            return {};
        }
        const bool progress = flag(m.options, "progress");
        if (progress && !call->receive_progress) return {}; // not asked for: drop it

        wamp::Result result;
        result.request = call->call_request;
        if (progress) result.details.emplace("progress", true);
        copy_ppt(m.options, result.details);
        result.payload = std::move(m.payload);
        call->caller->send(std::move(result));
        if (progress) {
            arm_timer(*call); // the timeout runs between results
        } else {
            call->outcome = CallOutcome::completed;
            finish(*call);
        }
        return {};
    }

    wamp::Status invocation_error(Session& callee, wamp::Error&& m) {
        auto found = answered(callee, m.request, "ERROR");
        if (!found) return found.error();
        PendingCall* call = *found;
        if (!call) return {};
        wamp::Error e;
        e.request_type = wamp::MessageType::call;
        e.request = call->call_request;
        e.details = std::move(m.details);
        e.error = std::move(m.error);
        e.payload = std::move(m.payload);
        call->caller->send(std::move(e));
        call->outcome = CallOutcome::error;
        finish(*call);
        return {};
    }

    // --- canceling --------------------------------------------------------------

    wamp::Status cancel(Session& caller, const wamp::Cancel& m) {
        auto it = by_caller_.find({&caller, m.request});
        if (it == by_caller_.end()) return {}; // finished or unknown: nothing to cancel
        PendingCall& call = it->second;
        CancelMode mode = CancelMode::killnowait; // CHECKLIST ⚠A13: the Go nexus's default
        if (auto o = m.options.find("mode"); o != m.options.end()) {
            const std::string* s = o->second.if_string();
            if (s && *s == "skip")
                mode = CancelMode::skip;
            else if (s && *s == "kill")
                mode = CancelMode::kill;
            else if (s && *s == "killnowait")
                mode = CancelMode::killnowait;
            else {
                // No message answers a CANCEL; the caller gets the call's one
                // final ERROR now, and the callee's answer will be dropped.
                send_error(caller, wamp::MessageType::call, call.call_request,
                           wamp::errors::invalid_argument,
                           "CANCEL mode must be skip, kill or killnowait");
                finish(call);
                return {};
            }
        }
        if (!call.callee->features.callee_call_canceling) mode = CancelMode::skip;
        switch (mode) {
        case CancelMode::skip:
            send_error(caller, wamp::MessageType::call, call.call_request, wamp::errors::canceled,
                       "the call was canceled");
            finish(call);
            break;
        case CancelMode::killnowait:
            interrupt(call, "killnowait");
            send_error(caller, wamp::MessageType::call, call.call_request, wamp::errors::canceled,
                       "the call was canceled");
            finish(call);
            break;
        case CancelMode::kill:
            if (!call.kill_requested) {
                call.kill_requested = true;
                interrupt(call, "kill");
            }
            break;
        }
        return {};
    }

    void on_timeout(PendingCall& call) {
        if (call.callee->features.callee_call_canceling) interrupt(call, "killnowait");
        send_error(*call.caller, wamp::MessageType::call, call.call_request, wamp::errors::timeout,
                   "the call timed out after " + std::to_string(call.timeout.count()) + " ms");
        call.outcome = CallOutcome::timed_out;
        finish(call);
    }

    // --- sessions leaving -------------------------------------------------------------

    void remove_session(Session& session) {
        // Its registrations go away.
        std::vector<std::pair<wamp::Id, bool>> gone; // (registration, deleted)
        if (auto it = by_callee_.find(&session); it != by_callee_.end()) {
            for (wamp::Id id : it->second) {
                auto reg = registrations_.find(id);
                if (reg == registrations_.end()) continue;
                remove_callee(*reg->second, session);
                gone.emplace_back(id, reg->second->callees.empty());
                if (reg->second->callees.empty()) destroy(reg->second.get());
            }
            by_callee_.erase(it);
        }
        for (auto [id, deleted] : gone) {
            meta_membership("wamp.registration.on_unregister", session.id, id);
            if (deleted) meta_membership("wamp.registration.on_delete", session.id, id);
        }
        // Its calls and invocations end.
        std::vector<PendingCall*> affected;
        for (PendingCall* call = calls_of_caller_[&session]; call; call = call->as_caller.next)
            affected.push_back(call);
        for (PendingCall* call = calls_of_callee_[&session]; call; call = call->as_callee.next)
            if (call->caller != &session) affected.push_back(call); // else listed already
        for (PendingCall* call : affected) {
            if (call->callee == &session) {
                if (call->caller != &session)
                    send_error(*call->caller, wamp::MessageType::call, call->call_request,
                               wamp::errors::canceled, "the callee left before answering");
            } else if (call->callee->features.callee_call_canceling) {
                interrupt(*call, "killnowait"); // the caller left
            }
            finish(*call);
        }
        calls_of_caller_.erase(&session);
        calls_of_callee_.erase(&session);
        completed_.erase(&session);
    }

    void cancel_all() {
        std::vector<PendingCall*> all;
        for (auto& [key, call] : by_caller_)
            all.push_back(&call);
        for (PendingCall* call : all) {
            if (call->callee->features.callee_call_canceling) interrupt(*call, "killnowait");
            send_error(*call->caller, wamp::MessageType::call, call->call_request,
                       wamp::errors::canceled, "the router is shutting down");
            finish(*call);
        }
    }

    // --- meta queries -----------------------------------------------------------------

    std::size_t count() const { return registrations_.size(); }
    std::vector<wamp::Id> list(MatchPolicy match) const {
        std::vector<wamp::Id> ids;
        for (const auto& [id, reg] : registrations_)
            if (reg->match == match) ids.push_back(id);
        std::sort(ids.begin(), ids.end());
        return ids;
    }
    std::optional<wamp::Id> lookup(std::string_view uri, MatchPolicy match) const {
        if (const Registration* r = find(uri, match)) return r->id;
        return std::nullopt;
    }
    std::optional<wamp::Id> match(std::string_view uri) const {
        if (const Registration* r = best_match(uri)) return r->id;
        return std::nullopt;
    }
    std::optional<Dealer::RegistrationInfo> get(wamp::Id id) const {
        auto it = registrations_.find(id);
        if (it == registrations_.end()) return std::nullopt;
        const Registration& r = *it->second;
        return Dealer::RegistrationInfo{r.id, format_timestamp(r.created_ms), r.uri, r.match,
                                        std::string(invoke_name(r.invoke))};
    }
    std::optional<std::vector<wamp::Id>> callees(wamp::Id id) const {
        auto it = registrations_.find(id);
        if (it == registrations_.end()) return std::nullopt;
        std::vector<wamp::Id> ids;
        for (const Callee& c : it->second->callees)
            ids.push_back(c.session->id);
        return ids;
    }

private:
    Registration* find(std::string_view uri, MatchPolicy match) const {
        switch (match) {
        case MatchPolicy::exact: {
            auto it = exact_.find(uri);
            return it == exact_.end() ? nullptr : it->second;
        }
        case MatchPolicy::prefix: {
            auto it = prefix_.find(uri);
            return it == prefix_.end() ? nullptr : it->second;
        }
        case MatchPolicy::wildcard:
            for (Registration* r : wildcard_)
                if (r->uri == uri) return r;
            return nullptr;
        }
        return nullptr;
    }

    // rpc_pattern_based_registration.md: exact, else the longest prefix, else
    // the most specific wildcard.
    Registration* best_match(std::string_view uri) const {
        if (auto it = exact_.find(uri); it != exact_.end()) return it->second;
        for (auto len = prefix_lengths_.rbegin(); len != prefix_lengths_.rend(); ++len) {
            if (len->first > uri.size()) continue;
            if (auto it = prefix_.find(uri.substr(0, len->first)); it != prefix_.end())
                return it->second;
        }
        Registration* best = nullptr;
        for (Registration* r : wildcard_)
            if (wamp::uri_matches(r->uri, MatchPolicy::wildcard, uri) &&
                (!best || wamp::wildcard_more_specific(r->uri, best->uri)))
                best = r;
        return best;
    }

    const Callee& pick(Registration& reg) {
        auto& c = reg.callees;
        switch (reg.invoke) {
        case Invoke::single:
        case Invoke::first: return c.front();
        case Invoke::last: return c.back();
        case Invoke::random:
            return c[std::uniform_int_distribution<std::size_t>(0, c.size() - 1)(rng_)];
        case Invoke::roundrobin: {
            if (reg.next >= c.size()) reg.next = 0;
            return c[reg.next++];
        }
        }
        return c.front();
    }

    // on_register, on_unregister, on_delete: [session|id, registration|id]
    void meta_membership(std::string_view topic, wamp::Id session, wamp::Id registration) {
        realm_.publish_meta(topic, [&] {
            return wamp::Array{Value(session), Value(registration)};
        });
    }

    Registration* create(std::string uri, MatchPolicy match, Invoke invoke) {
        auto owned = std::make_unique<Registration>();
        Registration* r = owned.get();
        r->id = ids_.next();
        r->uri = std::move(uri);
        r->match = match;
        r->invoke = invoke;
        r->created_ms = now_ms();
        registrations_.emplace(r->id, std::move(owned));
        switch (match) {
        case MatchPolicy::exact: exact_.emplace(r->uri, r); break;
        case MatchPolicy::prefix:
            prefix_.emplace(r->uri, r);
            ++prefix_lengths_[r->uri.size()];
            break;
        case MatchPolicy::wildcard: wildcard_.push_back(r); break;
        }
        return r;
    }

    void destroy(Registration* r) {
        switch (r->match) {
        case MatchPolicy::exact: exact_.erase(r->uri); break;
        case MatchPolicy::prefix:
            prefix_.erase(r->uri);
            if (--prefix_lengths_[r->uri.size()] == 0) prefix_lengths_.erase(r->uri.size());
            break;
        case MatchPolicy::wildcard:
            wildcard_.erase(std::remove(wildcard_.begin(), wildcard_.end(), r), wildcard_.end());
            break;
        }
        registrations_.erase(r->id);
    }

    static bool remove_callee(Registration& reg, Session& session) {
        auto it = std::find_if(reg.callees.begin(), reg.callees.end(),
                               [&](const Callee& c) { return c.session == &session; });
        if (it == reg.callees.end()) return false;
        const auto index = static_cast<std::size_t>(it - reg.callees.begin());
        reg.callees.erase(it);
        if (reg.next > index) --reg.next; // keep the roundrobin turn where it was
        return true;
    }

    void interrupt(PendingCall& call, std::string_view mode) {
        call.callee->send(wamp::Interrupt{call.invocation_request, {{"mode", std::string(mode)}}});
    }

    void arm_timer(PendingCall& call) {
        if (call.timeout.count() == 0) return;
        const SessionRequest key{call.caller, call.call_request};
        call.timer = realm_.run_locked_after(call.timeout, [this, key] {
            if (auto it = by_caller_.find(key); it != by_caller_.end()) on_timeout(it->second);
        });
    }

    // Forgets a call; later answers for it are dropped quietly.
    void finish(PendingCall& call) {
        realm_.metrics().call_finished(call.outcome, call.started);
        --call.caller->pending_calls;
        if (call.caller_streaming) remember_completed_progressive(*call.caller, call.call_request);
        by_callee_request_.erase({call.callee, call.invocation_request});
        unlink_call(calls_of_caller_[call.caller], call, &PendingCall::as_caller);
        unlink_call(calls_of_callee_[call.callee], call, &PendingCall::as_callee);
        // Last: this destroys the call (and its timer, which cancels it).
        by_caller_.erase({call.caller, call.call_request});
    }

    void remember_completed_progressive(const Session& caller, wamp::Id request) {
        auto& ids = completed_[&caller];
        ids.push_back(request);
        if (ids.size() > completed_progressive_memory) ids.erase(ids.begin());
    }

    bool completed_progressive(const Session& caller, wamp::Id request) const {
        auto it = completed_.find(&caller);
        return it != completed_.end() &&
               std::find(it->second.begin(), it->second.end(), request) != it->second.end();
    }

    RealmContext& realm_;
    std::mt19937_64 rng_;
    wamp::RouterIdGenerator ids_;
    std::unordered_map<wamp::Id, std::unique_ptr<Registration>> registrations_;
    StringMap<Registration*> exact_;
    StringMap<Registration*> prefix_;
    std::map<std::size_t, std::size_t> prefix_lengths_;
    std::vector<Registration*> wildcard_;
    std::unordered_map<const Session*, std::vector<wamp::Id>> by_callee_;

    // The calls in flight, by their caller's request (node-based: a call
    // stays put while the map changes, so the indexes below point into it).
    std::unordered_map<SessionRequest, PendingCall, SessionRequestHash> by_caller_;
    std::unordered_map<SessionRequest, PendingCall*, SessionRequestHash> by_callee_request_;
    // Heads of each session's calls (CallLinks); an entry lives until its session leaves.
    std::unordered_map<const Session*, PendingCall*> calls_of_caller_;
    std::unordered_map<const Session*, PendingCall*> calls_of_callee_;
    std::unordered_map<const Session*, std::vector<wamp::Id>> completed_;
};

// Dealer: forwarding ---------------------------------------------------------

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
void Dealer::remove_session(Session& s) { impl_->remove_session(s); }
void Dealer::cancel_all() { impl_->cancel_all(); }
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
