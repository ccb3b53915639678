// Remote procedure calls through the full router (the dealer's own unit
// tests cover each rule in isolation; these prove the wiring end to end).
#include "support/router_fixture.hpp"

using namespace nexus;
using namespace nexus::test;
using wamp::Array;
using wamp::Object;
using wamp::Payload;
using wamp::Value;

namespace {

class Rpc : public RouterFixture {
protected:
    explicit Rpc(router::RouterConfig config = default_config())
        : RouterFixture(std::move(config)) {}

    wamp::Id register_(TestClient& c, const std::string& uri, Object options = {}) {
        const wamp::Id req = c.next_request();
        c.send(wamp::Register{req, std::move(options), uri});
        auto r = c.expect<wamp::Registered>();
        EXPECT_EQ(r.request, req);
        return r.registration;
    }
    wamp::Id call(TestClient& c, const std::string& uri, Object options = {},
                  Payload payload = {}) {
        const wamp::Id req = c.next_request();
        c.send(wamp::Call{req, std::move(options), uri, std::move(payload)});
        return req;
    }
};

} // namespace

TEST_F(Rpc, CallInvocationYieldResult) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    const wamp::Id reg = register_(callee, "com.example.add");
    const wamp::Id req =
        call(caller, "com.example.add", {}, Payload(Array{2, 3}, Object{{"x", 1}}));
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_EQ(inv.registration, reg);
    EXPECT_EQ(inv.payload.args(), (Array{2, 3}));
    EXPECT_EQ(inv.payload.kwargs(), (Object{{"x", 1}}));
    EXPECT_FALSE(inv.details.contains("caller"));
    callee.send(wamp::Yield{inv.request, {}, Payload(Array{5})});
    auto res = caller.expect<wamp::Result>();
    EXPECT_EQ(res.request, req);
    EXPECT_EQ(res.payload.args(), (Array{5}));
}

TEST_F(Rpc, CalleeErrorIsForwarded) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    register_(callee, "com.example.fail");
    const wamp::Id req = call(caller, "com.example.fail");
    auto inv = callee.expect<wamp::Invocation>();
    callee.send(wamp::Error{wamp::MessageType::invocation,
                            inv.request,
                            {},
                            "com.example.oops",
                            Payload(Array{"why"}, Object{{"code", 7}})});
    auto err = caller.expect<wamp::Error>();
    EXPECT_EQ(err.request_type, wamp::MessageType::call);
    EXPECT_EQ(err.request, req);
    EXPECT_EQ(err.error, "com.example.oops");
    EXPECT_EQ(err.payload.args(), (Array{"why"}));
    EXPECT_EQ(err.payload.kwargs(), (Object{{"code", 7}}));
}

TEST_F(Rpc, NoSuchProcedureAndDuplicateRegistration) {
    TestClient& a = joined();
    TestClient& b = joined();
    call(a, "com.example.none");
    EXPECT_EQ(a.expect<wamp::Error>().error, wamp::errors::no_such_procedure);
    register_(a, "com.example.p");
    b.send(wamp::Register{b.next_request(), {}, "com.example.p"});
    EXPECT_EQ(b.expect<wamp::Error>().error, wamp::errors::procedure_already_exists);
    b.send(wamp::Register{b.next_request(), {}, "wamp.session.count"});
    EXPECT_EQ(b.expect<wamp::Error>().error, wamp::errors::invalid_uri);
    b.send(wamp::Unregister{b.next_request(), 424242});
    EXPECT_EQ(b.expect<wamp::Error>().error, wamp::errors::no_such_registration);
}

TEST_F(Rpc, RoundRobinSharedRegistration) {
    TestClient& c1 = joined();
    TestClient& c2 = joined();
    TestClient& caller = joined();
    const wamp::Id r1 = register_(c1, "com.shared", {{"invoke", "roundrobin"}});
    const wamp::Id r2 = register_(c2, "com.shared", {{"invoke", "roundrobin"}});
    EXPECT_EQ(r1, r2);
    for (int i = 0; i < 4; ++i) {
        call(caller, "com.shared");
        TestClient& expected = (i % 2 == 0) ? c1 : c2;
        auto inv = expected.expect<wamp::Invocation>();
        expected.send(wamp::Yield{inv.request, {}, {}});
        caller.expect<wamp::Result>();
    }
    TestClient& c3 = joined();
    c3.send(wamp::Register{c3.next_request(), {{"invoke", "random"}}, "com.shared"});
    EXPECT_EQ(c3.expect<wamp::Error>().error, wamp::errors::procedure_already_exists);
}

// Null match and invoke options are unset ones (JavaScript's undefined over CBOR/MessagePack).
TEST_F(Rpc, NullMatchAndInvokeAreDefaults) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    const wamp::Id reg =
        register_(callee, "com.example.null", {{"match", Value()}, {"invoke", Value()}});
    call(caller, "com.example.null");
    EXPECT_EQ(callee.expect<wamp::Invocation>().registration, reg);
    // single invocation: a second registration of the exact URI is refused
    callee.send(wamp::Register{callee.next_request(), {}, "com.example.null"});
    EXPECT_EQ(callee.expect<wamp::Error>().error, wamp::errors::procedure_already_exists);
    callee.send(wamp::Register{callee.next_request(), {{"invoke", 1}}, "com.example.other"});
    EXPECT_EQ(callee.expect<wamp::Error>().error, wamp::errors::invalid_argument);
}

TEST_F(Rpc, PatternRegistrationsCarryTheProcedure) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    register_(callee, "com.example", {{"match", "prefix"}});
    call(caller, "com.example.deep.name");
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_EQ(inv.details.at("procedure"), Value("com.example.deep.name"));
}

TEST_F(Rpc, CallerDisclosure) {
    TestClient& callee = joined();
    TestClient& caller = client();
    caller.join_as("carol");
    register_(callee, "com.p");
    call(caller, "com.p", {{"disclose_me", true}});
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_EQ(inv.details.at("caller"), Value(caller.session()));
    EXPECT_EQ(inv.details.at("caller_authid"), Value("carol"));
}

TEST_F(Rpc, ProgressiveResults) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    register_(callee, "com.stream");
    const wamp::Id req = call(caller, "com.stream", {{"receive_progress", true}});
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_EQ(inv.details.at("receive_progress"), Value(true));
    for (int i = 0; i < 3; ++i)
        callee.send(wamp::Yield{inv.request, {{"progress", true}}, Payload(Array{i})});
    callee.send(wamp::Yield{inv.request, {}, Payload(Array{"done"})});
    for (int i = 0; i < 3; ++i) {
        auto r = caller.expect<wamp::Result>();
        EXPECT_EQ(r.request, req);
        EXPECT_EQ(r.details.at("progress"), Value(true));
        EXPECT_EQ(r.payload.args(), (Array{i}));
    }
    auto last = caller.expect<wamp::Result>();
    EXPECT_FALSE(last.details.contains("progress") && last.details.at("progress") == Value(true));
    EXPECT_EQ(last.payload.args(), (Array{"done"}));
}

TEST_F(Rpc, ProgressiveInvocations) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    register_(callee, "com.upload");
    const wamp::Id req = caller.next_request();
    caller.send(wamp::Call{req, {{"progress", true}}, "com.upload", Payload(Array{"chunk1"})});
    auto first = callee.expect<wamp::Invocation>();
    EXPECT_EQ(first.details.at("progress"), Value(true));
    caller.send(wamp::Call{req, {{"progress", true}}, "com.upload", Payload(Array{"chunk2"})});
    caller.send(wamp::Call{req, {}, "com.upload", Payload(Array{"last"})});
    auto second = callee.expect<wamp::Invocation>();
    auto third = callee.expect<wamp::Invocation>();
    EXPECT_EQ(second.request, first.request);
    EXPECT_EQ(third.request, first.request);
    EXPECT_EQ(third.payload.args(), (Array{"last"}));
    callee.send(wamp::Yield{first.request, {}, Payload(Array{3})});
    EXPECT_EQ(caller.expect<wamp::Result>().request, req);
}

TEST_F(Rpc, TimeoutCancelsTheCall) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    register_(callee, "com.slow");
    const wamp::Id req = call(caller, "com.slow", {{"timeout", 50}});
    auto inv = callee.expect<wamp::Invocation>();
    auto err = caller.expect<wamp::Error>();
    EXPECT_EQ(err.request, req);
    EXPECT_EQ(err.error, wamp::errors::timeout);
    auto interrupt = callee.expect<wamp::Interrupt>();
    EXPECT_EQ(interrupt.request, inv.request);
    callee.send(wamp::Yield{inv.request, {}, {}}); // late: dropped
    EXPECT_TRUE(caller.nothing_for());
}

TEST_F(Rpc, CancelModes) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    register_(callee, "com.p");

    // killnowait (the default): error now, interrupt, late yield dropped
    wamp::Id req = call(caller, "com.p");
    auto inv = callee.expect<wamp::Invocation>();
    caller.send(wamp::Cancel{req, {}});
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::canceled);
    EXPECT_EQ(callee.expect<wamp::Interrupt>().options.at("mode"), Value("killnowait"));
    callee.send(wamp::Yield{inv.request, {}, {}});
    EXPECT_TRUE(caller.nothing_for());

    // kill: interrupt, the caller gets whatever the callee answers
    req = call(caller, "com.p");
    inv = callee.expect<wamp::Invocation>();
    caller.send(wamp::Cancel{req, {{"mode", "kill"}}});
    EXPECT_EQ(callee.expect<wamp::Interrupt>().options.at("mode"), Value("kill"));
    EXPECT_TRUE(caller.nothing_for());
    callee.send(wamp::Error{
        wamp::MessageType::invocation, inv.request, {}, std::string(wamp::errors::canceled), {}});
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::canceled);

    // skip: error now, no interrupt
    req = call(caller, "com.p");
    inv = callee.expect<wamp::Invocation>();
    caller.send(wamp::Cancel{req, {{"mode", "skip"}}});
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::canceled);
    EXPECT_TRUE(callee.nothing_for());
}

TEST_F(Rpc, CalleeLeavingFailsPendingCalls) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    register_(callee, "com.p");
    const wamp::Id req = call(caller, "com.p");
    callee.expect<wamp::Invocation>();
    callee.drop();
    auto err = caller.expect<wamp::Error>();
    EXPECT_EQ(err.request, req);
    EXPECT_EQ(err.error, wamp::errors::canceled);
    call(caller, "com.p");
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::no_such_procedure);
}

TEST_F(Rpc, CallerLeavingInterruptsTheCallee) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    register_(callee, "com.p");
    call(caller, "com.p");
    auto inv = callee.expect<wamp::Invocation>();
    caller.drop();
    auto interrupt = callee.expect<wamp::Interrupt>();
    EXPECT_EQ(interrupt.request, inv.request);
    EXPECT_EQ(interrupt.options.at("mode"), Value("killnowait"));
    callee.send(wamp::Yield{inv.request, {}, {}}); // dropped, not a violation
    EXPECT_TRUE(callee.nothing_for());
}

TEST_F(Rpc, YieldForAnInvocationNeverIssuedIsAViolation) {
    TestClient& callee = joined();
    callee.send(wamp::Yield{999, {}, {}});
    EXPECT_EQ(callee.expect<wamp::Abort>().reason, wamp::errors::protocol_violation);
}

TEST_F(Rpc, ShutdownFailsCallsInFlight) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    register_(callee, "com.p");
    const wamp::Id req = call(caller, "com.p");
    callee.expect<wamp::Invocation>();
    router().shutdown();
    auto err = caller.expect<wamp::Error>();
    EXPECT_EQ(err.request, req);
    EXPECT_EQ(err.error, wamp::errors::canceled);
    caller.expect<wamp::Goodbye>();
    EXPECT_EQ(callee.expect<wamp::Interrupt>().options.at("mode"), Value("killnowait"));
    callee.expect<wamp::Goodbye>();
}

TEST_F(Rpc, FirstLastAndRandomPolicies) {
    TestClient& a = joined();
    TestClient& b = joined();
    TestClient& caller = joined();
    register_(a, "com.first", {{"invoke", "first"}});
    register_(b, "com.first", {{"invoke", "first"}});
    register_(a, "com.last", {{"invoke", "last"}});
    register_(b, "com.last", {{"invoke", "last"}});
    register_(a, "com.random", {{"invoke", "random"}});
    register_(b, "com.random", {{"invoke", "random"}});
    for (int i = 0; i < 2; ++i) {
        call(caller, "com.first");
        auto inv = a.expect<wamp::Invocation>();
        a.send(wamp::Yield{inv.request, {}, {}});
        caller.expect<wamp::Result>();
        call(caller, "com.last");
        inv = b.expect<wamp::Invocation>();
        b.send(wamp::Yield{inv.request, {}, {}});
        caller.expect<wamp::Result>();
    }
    int to_a = 0;
    for (int i = 0; i < 40; ++i) {
        call(caller, "com.random");
        auto m = a.next(50ms);
        TestClient& who = m ? a : b;
        auto inv = m ? std::get<wamp::Invocation>(*m) : b.expect<wamp::Invocation>();
        to_a += m ? 1 : 0;
        who.send(wamp::Yield{inv.request, {}, {}});
        caller.expect<wamp::Result>();
    }
    EXPECT_GT(to_a, 0); // both callees get calls (probability of failing: 2^-39)
    EXPECT_LT(to_a, 40);
}

TEST_F(Rpc, WildcardRegistrationPriorityFollowsTheSpec) {
    TestClient& c4 = joined();
    TestClient& c5 = joined();
    TestClient& caller = joined();
    register_(c4, "a1.b2..d4.e5", {{"match", "wildcard"}});
    register_(c5, "a1.b2.c33..e5", {{"match", "wildcard"}});
    call(caller, "a1.b2.c33.d4.e5");
    auto inv = c5.expect<wamp::Invocation>();
    EXPECT_EQ(inv.details.at("procedure"), Value("a1.b2.c33.d4.e5"));
    call(caller, "a1.b2.c55.d4.e5");
    c4.expect<wamp::Invocation>();
}

TEST_F(Rpc, RegistrationCanAskForCallerDisclosure) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    register_(callee, "com.p", {{"disclose_caller", true}});
    call(caller, "com.p");
    EXPECT_EQ(callee.expect<wamp::Invocation>().details.at("caller"), Value(caller.session()));
}

TEST_F(Rpc, ProgressiveCallWithoutTheFeatureIsAViolation) {
    TestClient& callee = joined();
    register_(callee, "com.p");
    TestClient& caller = client();
    caller.join("realm1", {}, wamp::Object{}); // announces no features
    caller.send(wamp::Call{1, {{"progress", true}}, "com.p", {}});
    EXPECT_EQ(caller.expect<wamp::Abort>().reason, wamp::errors::protocol_violation);
}

TEST_F(Rpc, PayloadPassthruIsForwardedUntouchedAndChecked) {
    wamp::Object ppt = TestClient::default_features();
    ppt.emplace("payload_passthru_mode", true);
    TestClient& callee = client();
    callee.join("realm1", {}, ppt);
    TestClient& caller = client();
    caller.join("realm1", {}, ppt);
    register_(callee, "com.e2e");
    // The four ppt_* options the spec defines travel; other options stay behind,
    // "ppt_"-prefixed or not.
    const Object options{{"ppt_scheme", "x_test"},           {"ppt_serializer", "cbor"},
                         {"ppt_cipher", "xsalsa20poly1305"}, {"ppt_keyid", "k1"},
                         {"ppt_zzz", "not a ppt option"},    {"pptx", 1}};
    call(caller, "com.e2e", options, Payload(Array{wamp::Bytes{1, 2, 3}}));
    auto inv = callee.expect<wamp::Invocation>();
    for (const char* key : {"ppt_scheme", "ppt_serializer", "ppt_cipher", "ppt_keyid"})
        EXPECT_EQ(inv.details.at(key), options.at(key)) << key;
    EXPECT_FALSE(inv.details.contains("ppt_zzz"));
    EXPECT_FALSE(inv.details.contains("pptx"));
    EXPECT_EQ(inv.payload.args(), (Array{wamp::Bytes{1, 2, 3}}));
    // The callee's ppt_* options reach the caller in RESULT.Details.
    callee.send(wamp::Yield{inv.request,
                            {{"ppt_scheme", "x_test"}, {"ppt_keyid", "k2"}},
                            Payload(Array{wamp::Bytes{4}})});
    auto result = caller.expect<wamp::Result>();
    EXPECT_EQ(result.details.at("ppt_scheme"), Value("x_test"));
    EXPECT_EQ(result.details.at("ppt_keyid"), Value("k2"));
    EXPECT_FALSE(result.details.contains("ppt_serializer"));
    EXPECT_EQ(result.payload.args(), (Array{wamp::Bytes{4}}));
    // A caller that did not announce the feature may not use it.
    TestClient& plain = joined();
    plain.send(wamp::Call{plain.next_request(), {{"ppt_scheme", "x_test"}}, "com.e2e", {}});
    EXPECT_EQ(plain.expect<wamp::Abort>().reason, wamp::errors::protocol_violation);
}

TEST_F(Rpc, DisclosureRefusedWhenTheRealmForbidsIt) {
    router::RealmConfig strict;
    strict.uri = "strict.realm";
    strict.allow_disclose = false;
    strict.strict_uri = true;
    ASSERT_TRUE(router().add_realm(strict));
    TestClient& callee = joined("strict.realm");
    TestClient& caller = joined("strict.realm");
    register_(callee, "com.p");
    call(caller, "com.p", {{"disclose_me", true}});
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::option_disallowed_disclose_me);
    callee.send(wamp::Register{callee.next_request(), {}, "com.Upper"});
    EXPECT_EQ(callee.expect<wamp::Error>().error, wamp::errors::invalid_uri); // strict rule
}

TEST_F(Rpc, TheDealerAloneTimesOutACalleeThatDidNotAskForTheTimeout) {
    // rpc_call_timeout.md: the timeout reaches only callees that registered
    // with forward_timeout; otherwise the dealer times the call out, and the
    // caller hears wamp.error.timeout whatever the callee answers later.
    TestClient& callee = joined(); // announces call_timeout and call_canceling
    TestClient& caller = joined();
    register_(callee, "com.slow");
    const wamp::Id req = call(caller, "com.slow", {{"timeout", 50}});
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_FALSE(inv.details.contains("timeout"));
    auto err = caller.expect<wamp::Error>();
    EXPECT_EQ(err.request, req);
    EXPECT_EQ(err.error, wamp::errors::timeout);
    callee.expect<wamp::Interrupt>();
    callee.send(wamp::Error{
        wamp::MessageType::invocation, inv.request, {}, std::string(wamp::errors::canceled), {}});
    EXPECT_TRUE(caller.nothing_for());
}

TEST_F(Rpc, ACalleeThatAsksForTheTimeoutGetsItAndTimesTheCallOutItself) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    register_(callee, "com.slow", {{"forward_timeout", true}});
    const wamp::Id req = call(caller, "com.slow", {{"timeout", 50}});
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_EQ(inv.details.at("timeout"), Value(50));
    EXPECT_TRUE(caller.nothing_for(200ms)); // no timer of the dealer's
    EXPECT_TRUE(callee.nothing_for(10ms));  // no INTERRUPT either
    callee.send(wamp::Error{
        wamp::MessageType::invocation, inv.request, {}, std::string(wamp::errors::timeout), {}});
    auto err = caller.expect<wamp::Error>();
    EXPECT_EQ(err.request, req);
    EXPECT_EQ(err.error, wamp::errors::timeout);
}

TEST_F(Rpc, ForwardTimeoutFromACalleeWithoutTheFeatureIsTheDealersJob) {
    wamp::Object features = TestClient::default_features();
    features.erase("call_timeout");
    TestClient& callee = client();
    callee.join("realm1", {}, features);
    TestClient& caller = joined();
    register_(callee, "com.slow", {{"forward_timeout", true}});
    call(caller, "com.slow", {{"timeout", 50}});
    EXPECT_FALSE(callee.expect<wamp::Invocation>().details.contains("timeout"));
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::timeout);
}

// A callee announcing progressive_call_results without call_canceling (what
// autobahn-js and wampy do).
wamp::Object progress_without_canceling() {
    wamp::Object features = TestClient::default_features();
    features.erase("call_canceling");
    return features;
}

TEST_F(Rpc, ProgressFromACalleeThatCannotBeCancelledIsDisregardedByDefault) {
    TestClient& callee = client();
    callee.join("realm1", {}, progress_without_canceling());
    TestClient& caller = joined();
    register_(callee, "com.stream");
    call(caller, "com.stream", {{"receive_progress", true}});
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_FALSE(inv.details.contains("receive_progress"));
    callee.send(wamp::Yield{inv.request, {{"progress", true}}, Payload(Array{1})});
    callee.send(wamp::Yield{inv.request, {}, Payload(Array{"done"})});
    auto r = caller.expect<wamp::Result>();
    EXPECT_EQ(r.payload.args(), (Array{"done"}));
}

router::RouterConfig lenient_progress_config() {
    router::RouterConfig config = RouterFixture::default_config();
    config.realms[0].progressive_results_without_canceling = true;
    return config;
}

class LenientProgress : public Rpc {
protected:
    LenientProgress() : Rpc(lenient_progress_config()) {}
};

TEST_F(LenientProgress, TheRealmOptionHonoursProgressFromSuchCallees) {
    TestClient& callee = client();
    callee.join("realm1", {}, progress_without_canceling());
    TestClient& caller = joined();
    register_(callee, "com.stream");
    const wamp::Id req = call(caller, "com.stream", {{"receive_progress", true}});
    auto inv = callee.expect<wamp::Invocation>();
    EXPECT_EQ(inv.details.at("receive_progress"), Value(true));
    callee.send(wamp::Yield{inv.request, {{"progress", true}}, Payload(Array{1})});
    callee.send(wamp::Yield{inv.request, {}, Payload(Array{"done"})});
    auto progress = caller.expect<wamp::Result>();
    EXPECT_EQ(progress.request, req);
    EXPECT_EQ(progress.details.at("progress"), Value(true));
    EXPECT_EQ(progress.payload.args(), (Array{1}));
    EXPECT_EQ(caller.expect<wamp::Result>().payload.args(), (Array{"done"}));
    // Such a callee is never sent INTERRUPT (it did not announce call_canceling):
    // a timeout ends the call for the caller and drops the rest.
    call(caller, "com.stream", {{"receive_progress", true}, {"timeout", 50}});
    auto second = callee.expect<wamp::Invocation>();
    EXPECT_EQ(caller.expect<wamp::Error>().error, wamp::errors::timeout);
    callee.send(wamp::Yield{second.request, {{"progress", true}}, Payload(Array{2})});
    EXPECT_TRUE(callee.nothing_for());
    EXPECT_TRUE(caller.nothing_for());
}
