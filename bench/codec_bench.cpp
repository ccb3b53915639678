// Decode + re-encode of typical CALL and EVENT messages per serializer, with
// payload pass-through (what the router does) and with the payload decoded
// into values and encoded again (what a router without pass-through pays).
#include <nexus/serialize/serializer.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

using namespace nexus;
using wamp::Array;
using wamp::Format;
using wamp::Object;
using wamp::Value;

// A payload of about `bytes` bytes in JSON: a list of records with text, numbers and a flag.
wamp::Payload make_payload(std::size_t bytes) {
    Array items;
    std::size_t approx = 0;
    int i = 0;
    do {
        items.push_back(Value{{"id", i},
                              {"name", "sensor-" + std::to_string(i)},
                              {"value", 21.5 + i},
                              {"ok", i % 2 == 0}});
        approx += 50;
        ++i;
    } while (approx < bytes);
    return wamp::Payload(Array{Value("reading"), Value(std::move(items))},
                         Object{{"unit", "celsius"}, {"seq", 1234567}});
}

wamp::Message make_call(std::size_t payload_bytes) {
    wamp::Call call;
    call.request = 7814135;
    call.options = Object{{"receive_progress", true}, {"timeout", 1000}};
    call.procedure = "com.example.sensors.store";
    call.payload = make_payload(payload_bytes);
    return call;
}

wamp::Message make_event(std::size_t payload_bytes) {
    wamp::Event event;
    event.subscription = 5512315355;
    event.publication = 4429313566;
    event.details = Object{{"publisher", 3335656}, {"topic", "com.example.sensors.t1"}};
    event.payload = make_payload(payload_bytes);
    return event;
}

std::string encoded(Format f, const wamp::Message& m) {
    auto bytes = serialize::encode(f, m);
    if (!bytes) {
        std::cerr << "encode failed: " << bytes.error().message << "\n";
        std::abort();
    }
    return std::move(bytes).value();
}

void roundtrip(benchmark::State& state, Format format, bool call, bool passthrough) {
    const std::size_t payload_bytes = static_cast<std::size_t>(state.range(0));
    const std::string wire =
        encoded(format, call ? make_call(payload_bytes) : make_event(payload_bytes));
    std::string out;
    for (auto _ : state) {
        auto frame = std::make_shared<const std::string>(wire);
        auto message = serialize::decode(format, std::move(frame));
        if (!message) {
            state.SkipWithError(message.error().message.c_str());
            break;
        }
        if (!passthrough) {
            wamp::Payload* p = wamp::payload_of(*message);
            p->set(p->args(), p->kwargs());
        }
        out.clear();
        if (!serialize::encode_into(format, *message, out).ok()) {
            state.SkipWithError("encode failed");
            break;
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * wire.size()));
    state.counters["wire_bytes"] = static_cast<double>(wire.size());
}

void transcode(benchmark::State& state, Format from, Format to) {
    const std::string wire = encoded(from, make_event(static_cast<std::size_t>(state.range(0))));
    std::string out;
    for (auto _ : state) {
        auto message = serialize::decode(from, std::make_shared<const std::string>(wire));
        out.clear();
        if (!message || !serialize::encode_into(to, *message, out).ok()) {
            state.SkipWithError("transcode failed");
            break;
        }
        benchmark::DoNotOptimize(out.data());
    }
}

void register_all() {
    for (Format f : wamp::all_formats) {
        for (bool call : {true, false}) {
            for (bool pt : {true, false}) {
                std::string name = std::string(call ? "CALL" : "EVENT") + "/" +
                                   std::string(wamp::format_name(f)) +
                                   (pt ? "/passthrough" : "/decoded_payload");
                benchmark::RegisterBenchmark(name.c_str(), roundtrip, f, call, pt)
                    ->Arg(100)
                    ->Arg(4096);
            }
        }
    }
    for (Format from : wamp::all_formats)
        for (Format to : wamp::all_formats)
            if (from != to) {
                std::string name = "EVENT/transcode/" + std::string(wamp::format_name(from)) +
                                   "->" + std::string(wamp::format_name(to));
                benchmark::RegisterBenchmark(name.c_str(), transcode, from, to)
                    ->Arg(100)
                    ->Arg(4096);
            }
}

} // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
