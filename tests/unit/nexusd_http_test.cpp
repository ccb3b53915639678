// nexusd's HTTP listener in-process: health and readiness, /metrics (format
// and exact deltas for known traffic), the admin API (token, errors, every
// endpoint), the dashboard page, and the listener's bounds.
#include "support/router_fixture.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <nexus/serialize/serializer.hpp>

#include "http/prometheus.hpp"
#include "http/server.hpp"
#include "http/service.hpp"

namespace nexus::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

template <class F> bool wait_until(F condition, std::chrono::milliseconds limit = 3000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

constexpr const char* token = "test-token-0123456789";

struct Reply {
    unsigned status = 0;
    std::map<std::string, std::string> headers; // lower-case names
    std::string body;
    wamp::Value json() const {
        auto v = serialize::decode_value(wamp::Format::json, body);
        EXPECT_TRUE(v) << body;
        return v ? *v : wamp::Value();
    }
};

Reply http_request(std::uint16_t port, bhttp::verb method, const std::string& target,
                   const std::string& body = "",
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port));
    bhttp::request<bhttp::string_body> req{method, target, 11};
    req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
    for (auto& [name, value] : headers)
        req.set(name, value);
    if (!body.empty()) {
        req.body() = body;
        req.prepare_payload();
    }
    bhttp::write(stream, req);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(method == bhttp::verb::head);
    parser.body_limit(64 * 1024 * 1024);
    bhttp::read(stream, buffer, parser);
    auto res = parser.release();
    Reply r;
    r.status = res.result_int();
    for (const auto& field : res) {
        std::string name(field.name_string());
        for (char& c : name)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        r.headers[name] = std::string(field.value());
    }
    r.body = res.body();
    return r;
}

const std::vector<std::pair<std::string, std::string>> auth{
    {"Authorization", std::string("Bearer ") + token}};

// The samples of a Prometheus text page by series ("name{labels}"), after
// checking that every sample's family was announced with HELP and TYPE.
std::map<std::string, double> parse_metrics(const std::string& text) {
    std::map<std::string, double> samples;
    std::set<std::string> helped, typed;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("# HELP ")) {
            helped.insert(line.substr(7, line.find(' ', 7) - 7));
            continue;
        }
        if (line.starts_with("# TYPE ")) {
            typed.insert(line.substr(7, line.find(' ', 7) - 7));
            continue;
        }
        if (line.empty()) continue;
        const auto space = line.rfind(' ');
        const std::string series = line.substr(0, space);
        std::string name = series.substr(0, series.find('{'));
        for (const char* suffix : {"_bucket", "_sum", "_count"})
            if (!typed.contains(name) && name.ends_with(suffix))
                name = name.substr(0, name.size() - std::strlen(suffix));
        EXPECT_TRUE(helped.contains(name)) << "no HELP before " << line;
        EXPECT_TRUE(typed.contains(name)) << "no TYPE before " << line;
        samples[series] = std::stod(line.substr(space + 1));
    }
    return samples;
}

class NexusdHttpTest : public RouterFixture {
protected:
    explicit NexusdHttpTest(std::string admin_token = token) {
        service_ = std::make_unique<nexusd::http::Service>(
            router(),
            nexusd::http::ServiceOptions{
                std::move(admin_token), {"https://*.example.com"}, "9.9.9", "abcdef123456"});
        nexusd::http::ServerOptions options;
        options.address = "127.0.0.1:0";
        options.max_connections = 4;
        options.max_body_size = 1024;
        options.request_timeout = std::chrono::seconds(5);
        server_ = std::make_unique<nexusd::http::Server>(
            io_.get_executor(), workers_.get_executor(), options,
            [this](const nexusd::http::Request& r, const nexusd::http::RequestContext& c) {
                return service_->handle(r, c);
            });
        service_->set_server_stats([this] { return server_->stats(); });
        server_->start();
        port_ = server_->port();
    }
    ~NexusdHttpTest() override {
        server_->stop();
        workers_.join();
    }

    Reply get(const std::string& target, bool with_token = true) {
        return http_request(port_, bhttp::verb::get, target, "",
                            with_token ? auth : decltype(auth){});
    }
    std::map<std::string, double> scrape() {
        Reply r = get("/metrics", false);
        EXPECT_EQ(r.status, 200u);
        EXPECT_EQ(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
        return parse_metrics(r.body);
    }

    asio::thread_pool workers_{1};
    std::unique_ptr<nexusd::http::Service> service_;
    std::unique_ptr<nexusd::http::Server> server_;
    std::uint16_t port_ = 0;
};

class NexusdHttpNoTokenTest : public NexusdHttpTest {
protected:
    NexusdHttpNoTokenTest() : NexusdHttpTest("") {}
};

TEST_F(NexusdHttpTest, HealthAndReadiness) {
    EXPECT_EQ(get("/healthz", false).status, 200u);
    Reply starting = get("/readyz", false);
    EXPECT_EQ(starting.status, 503u);
    EXPECT_EQ(starting.body, "starting\n");
    service_->set_readiness(nexusd::http::Readiness::ready);
    EXPECT_EQ(get("/readyz", false).status, 200u);
    EXPECT_EQ(scrape().at("nexus_ready"), 1.0);
    service_->set_readiness(nexusd::http::Readiness::draining);
    Reply draining = get("/readyz", false);
    EXPECT_EQ(draining.status, 503u);
    EXPECT_EQ(draining.body, "draining\n");
    EXPECT_EQ(get("/nothing", false).status, 404u);
    EXPECT_EQ(http_request(port_, bhttp::verb::post, "/healthz", "x").status, 405u);
    Reply head = http_request(port_, bhttp::verb::head, "/healthz");
    EXPECT_EQ(head.status, 200u);
    EXPECT_EQ(head.headers["content-length"], "3");
}

TEST_F(NexusdHttpTest, MetricsMoveByExactlyTheTrafficDriven) {
    TestClient& callee = joined();
    TestClient& caller = joined();
    TestClient& subscriber = joined();
    callee.send(wamp::Register{callee.next_request(), {}, "com.echo"});
    callee.expect<wamp::Registered>();
    subscriber.send(wamp::Subscribe{subscriber.next_request(), {}, "com.ticks"});
    subscriber.expect<wamp::Subscribed>();

    const auto before = scrape();
    for (int i = 0; i < 7; ++i) {
        caller.send(wamp::Call{caller.next_request(), {}, "com.echo", {}});
        auto inv = callee.expect<wamp::Invocation>();
        callee.send(wamp::Yield{inv.request, {}, {}});
        caller.expect<wamp::Result>();
    }
    for (int i = 0; i < 4; ++i)
        caller.send(wamp::Publish{caller.next_request(), {}, "com.ticks", {}});
    for (int i = 0; i < 4; ++i)
        subscriber.expect<wamp::Event>();
    const auto after = scrape();

    const auto delta = [&](const std::string& series) {
        EXPECT_TRUE(after.contains(series)) << series;
        const double b = before.contains(series) ? before.at(series) : 0;
        return after.count(series) ? after.at(series) - b : -1;
    };
    EXPECT_EQ(delta(R"(nexus_messages_received_total{type="CALL"})"), 7);
    EXPECT_EQ(delta(R"(nexus_messages_received_total{type="YIELD"})"), 7);
    EXPECT_EQ(delta(R"(nexus_messages_received_total{type="PUBLISH"})"), 4);
    EXPECT_EQ(delta(R"(nexus_messages_sent_total{type="INVOCATION"})"), 7);
    EXPECT_EQ(delta(R"(nexus_messages_sent_total{type="RESULT"})"), 7);
    EXPECT_EQ(delta(R"(nexus_messages_sent_total{type="EVENT"})"), 4);
    EXPECT_EQ(delta("nexus_calls_started_total"), 7);
    EXPECT_EQ(delta(R"(nexus_calls_finished_total{outcome="completed"})"), 7);
    EXPECT_EQ(delta(R"(nexus_calls_finished_total{outcome="error"})"), 0);
    EXPECT_EQ(delta("nexus_call_duration_seconds_count"), 7);
    EXPECT_EQ(delta(R"(nexus_call_duration_seconds_bucket{le="+Inf"})"), 7);
    EXPECT_EQ(delta("nexus_events_published_total"), 4);
    EXPECT_EQ(delta("nexus_events_delivered_total"), 4);
    EXPECT_EQ(delta("nexus_events_dropped_total"), 0);
    EXPECT_EQ(
        after.at(R"(nexus_sessions_open{realm="realm1",transport="local",serializer="local"})"), 3);
    EXPECT_EQ(after.at(R"(nexus_sessions_opened_total{realm="realm1"})"), 3);
    EXPECT_EQ(after.at(R"(nexus_registrations{realm="realm1"})"), 1);
    EXPECT_EQ(after.at(R"(nexus_subscriptions{realm="realm1"})"), 1);
    EXPECT_EQ(after.at(R"(nexus_build_info{version="9.9.9",git_hash="abcdef123456"})"), 1);
    EXPECT_GT(after.at("process_resident_memory_bytes"), 0);
    EXPECT_GT(after.at("process_open_fds"), 0);
    EXPECT_GE(after.at("process_threads"), 3);
    EXPECT_GE(delta("nexus_http_requests_total"), 1);
    // Buckets are cumulative.
    double last = 0;
    for (double bound : router::call_duration_bounds) {
        const double n = after.at("nexus_call_duration_seconds_bucket{le=\"" +
                                  nexusd::http::PrometheusText::number(bound) + "\"}");
        EXPECT_GE(n, last);
        last = n;
    }
}

// A listener's refusals (its caps, listener_limits_test.cpp) by listener and reason.
TEST_F(NexusdHttpTest, ConnectionsRefusedByListenerAndReason) {
    router().connection_refused("ws://127.0.0.1:8080", "max_connections");
    router().connection_refused("ws://127.0.0.1:8080", "max_connections");
    router().connection_refused("unix:///run/nexus.sock", "max_connections");
    router().connection_refused("tcp://127.0.0.1:8081", "max_connections_per_address");
    const auto m = scrape();
    EXPECT_EQ(
        m.at(
            R"(nexus_connections_refused_total{listener="ws://127.0.0.1:8080",reason="max_connections"})"),
        2);
    EXPECT_EQ(
        m.at(
            R"(nexus_connections_refused_total{listener="unix:///run/nexus.sock",reason="max_connections"})"),
        1);
    EXPECT_EQ(
        m.at(
            R"(nexus_connections_refused_total{listener="tcp://127.0.0.1:8081",reason="max_connections_per_address"})"),
        1);
}

TEST_F(NexusdHttpTest, LabelValuesAreEscaped) {
    router::RealmConfig realm;
    realm.uri = "weird\"realm\\x";
    ASSERT_TRUE(router().add_realm(realm));
    const std::string text = get("/metrics", false).body;
    EXPECT_NE(text.find(R"(nexus_sessions_opened_total{realm="weird\"realm\\x"} 0)"),
              std::string::npos);
}

TEST_F(NexusdHttpTest, AdminApiNeedsTheToken) {
    Reply none = get("/api/realms", false);
    EXPECT_EQ(none.status, 401u);
    EXPECT_EQ(none.json().as_object().at("error"), wamp::Value("unauthorized"));
    EXPECT_EQ(none.headers["www-authenticate"], "Bearer realm=\"nexusd\"");
    EXPECT_EQ(http_request(port_, bhttp::verb::get, "/api/realms", "",
                           {{"Authorization", "Bearer wrong-token-0123456789"}})
                  .status,
              401u);
    EXPECT_EQ(http_request(port_, bhttp::verb::get, "/api/realms", "",
                           {{"Authorization", std::string("Basic ") + token}})
                  .status,
              401u);
    EXPECT_EQ(get("/api/realms").status, 200u);
}

TEST_F(NexusdHttpNoTokenTest, AdminApiIsOffWithoutAToken) {
    Reply r =
        http_request(port_, bhttp::verb::get, "/api/realms", "", {{"Authorization", "Bearer "}});
    EXPECT_EQ(r.status, 404u);
    EXPECT_EQ(r.json().as_object().at("error"), wamp::Value("admin_api_off"));
    EXPECT_EQ(get("/metrics", false).status, 200u);
}

TEST_F(NexusdHttpTest, RealmsSessionsRegistrationsSubscriptions) {
    TestClient& a = joined();
    TestClient& b = joined();
    a.send(wamp::Register{a.next_request(), {{"invoke", "roundrobin"}}, "com.proc"});
    a.expect<wamp::Registered>();
    b.send(wamp::Subscribe{b.next_request(), {}, "com.topic"});
    b.expect<wamp::Subscribed>();

    auto realms = get("/api/realms").json().as_object().at("realms").as_array();
    ASSERT_EQ(realms.size(), 1u);
    EXPECT_EQ(realms[0].as_object().at("uri"), wamp::Value("realm1"));
    EXPECT_EQ(realms[0].as_object().at("sessions"), wamp::Value(2));

    auto sessions = get("/api/realms/realm1/sessions").json().as_object();
    EXPECT_EQ(sessions.at("total"), wamp::Value(2));
    const auto& list = sessions.at("sessions").as_array();
    ASSERT_EQ(list.size(), 2u);
    const auto& first = list[0].as_object();
    EXPECT_EQ(first.at("id"), wamp::Value(a.session()));
    for (const char* key : {"authid", "authrole", "authmethod", "transport", "serializer", "peer",
                            "joined_at", "messages_in", "messages_out", "queue_depth"})
        EXPECT_TRUE(first.contains(key)) << key;
    EXPECT_EQ(first.at("authmethod"), wamp::Value("anonymous"));
    EXPECT_EQ(first.at("messages_in"), wamp::Value(2));
    EXPECT_TRUE(first.at("joined_at").as_string().ends_with("Z"));

    auto page = get("/api/realms/realm1/sessions?limit=1&offset=1").json().as_object();
    EXPECT_EQ(page.at("total"), wamp::Value(2));
    ASSERT_EQ(page.at("sessions").as_array().size(), 1u);
    EXPECT_EQ(page.at("sessions").as_array()[0].as_object().at("id"), wamp::Value(b.session()));
    EXPECT_EQ(get("/api/realms/realm1/sessions?limit=x").status, 400u);

    auto regs = get("/api/realms/realm1/registrations").json().as_object().at("registrations");
    ASSERT_EQ(regs.as_array().size(), 1u);
    EXPECT_EQ(regs.as_array()[0].as_object().at("uri"), wamp::Value("com.proc"));
    EXPECT_EQ(regs.as_array()[0].as_object().at("invoke"), wamp::Value("roundrobin"));
    EXPECT_EQ(regs.as_array()[0].as_object().at("callees"), wamp::Value(wamp::Array{a.session()}));
    auto subs = get("/api/realms/realm1/subscriptions").json().as_object().at("subscriptions");
    ASSERT_EQ(subs.as_array().size(), 1u);
    EXPECT_EQ(subs.as_array()[0].as_object().at("subscribers"),
              wamp::Value(wamp::Array{b.session()}));

    for (const char* path : {"/api/realms/nope/sessions", "/api/realms/nope/registrations",
                             "/api/realms/nope/subscriptions"}) {
        Reply r = get(path);
        EXPECT_EQ(r.status, 404u) << path;
        EXPECT_EQ(r.json().as_object().at("error"), wamp::Value(wamp::errors::no_such_realm));
    }
    EXPECT_EQ(get("/api/realms/realm1/other").status, 404u);
    EXPECT_EQ(get("/api/other").status, 404u);
    EXPECT_EQ(
        http_request(port_, bhttp::verb::post, "/api/realms/realm1/sessions", "{}", auth).status,
        405u);
}

TEST_F(NexusdHttpTest, KillASession) {
    TestClient& victim = joined();
    const std::string path = "/api/realms/realm1/sessions/" + std::to_string(victim.session());
    Reply bad = http_request(port_, bhttp::verb::delete_, path, "{not json", auth);
    EXPECT_EQ(bad.status, 400u);
    Reply r = http_request(port_, bhttp::verb::delete_, path,
                           R"({"reason": "com.maintenance", "message": "back soon"})", auth);
    EXPECT_EQ(r.status, 200u) << r.body;
    auto goodbye = victim.expect<wamp::Goodbye>();
    EXPECT_EQ(goodbye.reason, "com.maintenance");
    EXPECT_EQ(goodbye.details.at("message"), wamp::Value("back soon"));

    Reply again = http_request(port_, bhttp::verb::delete_, path, "", auth);
    EXPECT_EQ(again.status, 404u);
    EXPECT_EQ(again.json().as_object().at("error"), wamp::Value(wamp::errors::no_such_session));
    EXPECT_EQ(
        http_request(port_, bhttp::verb::delete_, "/api/realms/nope/sessions/1", "", auth).status,
        404u);
    EXPECT_EQ(http_request(port_, bhttp::verb::delete_, "/api/realms/realm1/sessions/abc", "", auth)
                  .status,
              400u);
    TestClient& other = joined();
    Reply default_reason =
        http_request(port_, bhttp::verb::delete_,
                     "/api/realms/realm1/sessions/" + std::to_string(other.session()), "", auth);
    EXPECT_EQ(default_reason.status, 200u);
    EXPECT_EQ(other.expect<wamp::Goodbye>().reason, wamp::close::killed);
}

TEST_F(NexusdHttpTest, PublishThroughTheApi) {
    TestClient& sub = joined();
    sub.send(wamp::Subscribe{sub.next_request(), {}, "com.alerts"});
    sub.expect<wamp::Subscribed>();
    Reply r =
        http_request(port_, bhttp::verb::post, "/api/realms/realm1/publish",
                     R"({"topic": "com.alerts", "args": [1, "x"], "kwargs": {"k": true}})", auth);
    ASSERT_EQ(r.status, 200u) << r.body;
    auto event = sub.expect<wamp::Event>();
    EXPECT_EQ(wamp::Value(event.publication), r.json().as_object().at("publication"));
    EXPECT_EQ(event.payload.args(), (wamp::Array{1, "x"}));
    EXPECT_EQ(event.payload.kwargs(), (wamp::Object{{"k", true}}));

    const auto post = [&](const std::string& body, const std::string& realm = "realm1") {
        return http_request(port_, bhttp::verb::post, "/api/realms/" + realm + "/publish", body,
                            auth);
    };
    EXPECT_EQ(post("{broken").status, 400u);
    EXPECT_EQ(post("[1, 2]").status, 400u);
    EXPECT_EQ(post(R"({"args": []})").status, 400u);
    EXPECT_EQ(post(R"({"topic": "com.alerts", "colour": "red"})").status, 400u);
    Reply bad_uri = post(R"({"topic": "not a topic"})");
    EXPECT_EQ(bad_uri.status, 400u);
    EXPECT_EQ(bad_uri.json().as_object().at("error"), wamp::Value(wamp::errors::invalid_uri));
    Reply no_realm = post(R"({"topic": "com.alerts"})", "nope");
    EXPECT_EQ(no_realm.status, 404u);
    EXPECT_EQ(no_realm.json().as_object().at("error"), wamp::Value(wamp::errors::no_such_realm));
    EXPECT_EQ(get("/api/realms/realm1/publish").status, 405u);
    EXPECT_TRUE(sub.nothing_for(50ms));
}

TEST_F(NexusdHttpTest, OverviewFeedsTheDashboard) {
    auto o = get("/api/overview").json().as_object();
    for (const char* key :
         {"time", "uptime", "version", "readiness", "messages_received", "messages_sent", "events",
          "calls", "call_duration", "queues", "realms", "process"})
        EXPECT_TRUE(o.contains(key)) << key;
    EXPECT_EQ(o.at("version"), wamp::Value("9.9.9"));
    EXPECT_EQ(o.at("call_duration").as_object().at("buckets").as_array().size(),
              router::call_duration_bounds.size() + 1);
}

TEST_F(NexusdHttpTest, DashboardIsOnePageWithNothingFromElsewhere) {
    Reply r = get("/", false);
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.headers["content-type"], "text/html; charset=utf-8");
    EXPECT_NE(r.headers["content-security-policy"].find("default-src 'none'"), std::string::npos);
    EXPECT_NE(r.body.find("<canvas"), std::string::npos);
    EXPECT_EQ(r.body.find("http://"), std::string::npos);
    EXPECT_EQ(r.body.find("https://"), std::string::npos);
}

TEST_F(NexusdHttpTest, CrossOriginRequests) {
    Reply foreign = http_request(port_, bhttp::verb::get, "/api/realms", "",
                                 {auth[0], {"Origin", "https://evil.test"}});
    EXPECT_EQ(foreign.status, 403u);
    Reply allowed = http_request(port_, bhttp::verb::get, "/api/realms", "",
                                 {auth[0], {"Origin", "https://ops.example.com"}});
    EXPECT_EQ(allowed.status, 200u);
    EXPECT_EQ(allowed.headers["access-control-allow-origin"], "https://ops.example.com");
    Reply same = http_request(port_, bhttp::verb::get, "/api/realms", "",
                              {auth[0], {"Origin", "http://127.0.0.1:" + std::to_string(port_)}});
    EXPECT_EQ(same.status, 200u);
    Reply preflight = http_request(port_, bhttp::verb::options, "/api/realms", "",
                                   {{"Origin", "https://ops.example.com"}});
    EXPECT_EQ(preflight.status, 204u);
    EXPECT_NE(preflight.headers["access-control-allow-headers"].find("Authorization"),
              std::string::npos);
}

TEST_F(NexusdHttpTest, OversizedRequestsAreRefused) {
    Reply big = http_request(port_, bhttp::verb::post, "/api/realms/realm1/publish",
                             std::string(2000, 'x'), auth);
    EXPECT_EQ(big.status, 413u);
    Reply long_header = http_request(port_, bhttp::verb::get, "/healthz", "",
                                     {{"X-Filler", std::string(9000, 'y')}});
    EXPECT_EQ(long_header.status, 431u);
}

TEST_F(NexusdHttpTest, ConnectionsBeyondTheCapAreClosed) {
    asio::io_context io;
    std::vector<asio::ip::tcp::socket> held;
    for (int i = 0; i < 4; ++i) {
        held.emplace_back(io);
        held.back().connect({asio::ip::address_v4::loopback(), port_});
    }
    ASSERT_TRUE(wait_until([&] { return server_->stats().connections_open == 4; }));
    asio::ip::tcp::socket extra(io);
    extra.connect({asio::ip::address_v4::loopback(), port_});
    char byte;
    boost::system::error_code ec;
    asio::read(extra, asio::buffer(&byte, 1), ec); // closed without a byte
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
    EXPECT_EQ(server_->stats().connections_refused, 1u);
    held.clear();
    ASSERT_TRUE(wait_until([&] { return server_->stats().connections_open == 0; }));
    EXPECT_EQ(get("/healthz", false).status, 200u);
}

// A client that never finishes its request (or sends none) is closed once
// request_timeout has passed.
TEST(NexusdHttpTimeouts, SlowAndIdleClientsAreClosed) {
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    asio::thread_pool workers(1);
    nexusd::http::ServerOptions options;
    options.address = "127.0.0.1:0";
    options.request_timeout = std::chrono::milliseconds(200);
    nexusd::http::Server server(
        io.get_executor(), workers.get_executor(), options,
        [](const nexusd::http::Request& r, const nexusd::http::RequestContext&) {
            return nexusd::http::Response{bhttp::status::ok, r.version()};
        });
    server.start();
    std::thread runner([&] { io.run(); });
    asio::io_context client_io;
    for (const std::string& sent :
         {std::string("GET /healthz HTTP/1.1\r\nHost: x\r\n"), std::string()}) {
        asio::ip::tcp::socket socket(client_io);
        socket.connect({asio::ip::address_v4::loopback(), server.port()});
        // Bounded: a read that gets nothing for 5 s fails instead of hanging.
        const timeval limit{5, 0};
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        if (!sent.empty()) asio::write(socket, asio::buffer(sent));
        const auto start = std::chrono::steady_clock::now();
        char byte;
        boost::system::error_code ec;
        asio::read(socket, asio::buffer(&byte, 1), ec); // blocks until nexusd closes
        EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
        EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
    }
    server.stop();
    work.reset();
    runner.join();
    workers.join();
}

TEST(NexusdHttpGlob, Patterns) {
    using nexusd::http::glob_match;
    EXPECT_TRUE(glob_match("*", "anything"));
    EXPECT_TRUE(glob_match("https://*.example.com", "https://a.b.example.com"));
    EXPECT_FALSE(glob_match("https://*.example.com", "https://example.com"));
    EXPECT_FALSE(glob_match("https://*.example.com", "https://x.example.com.evil"));
    EXPECT_TRUE(glob_match("http://localhost:*", "http://localhost:8080"));
    EXPECT_FALSE(glob_match("exact", "exactly"));
}

} // namespace
} // namespace nexus::test
