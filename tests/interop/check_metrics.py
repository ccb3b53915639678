#!/usr/bin/python3
"""nexusd's /metrics read by a real Prometheus parser (Debian's python3-prometheus-client).

usage: check_metrics.py NEXUSD

Starts nexusd (RawSocket and HTTP on free loopback ports), scrapes /metrics,
drives known traffic with a small RawSocket JSON client (3 calls, 2 events to
2 subscribers), scrapes again and checks: every family has HELP and a TYPE,
counters end in _total, the histogram's buckets are cumulative and end in
+Inf, and the counters moved by exactly the traffic. Exits 0 when all holds.
"""
import json
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

NEXUSD = sys.argv[1]
failures = []


def check(name, condition, detail=""):
    if not condition:
        failures.append(f"{name}: {detail}")


class RawSocketClient:
    """WAMP over RawSocket with JSON, one blocking socket (enough for a test).
    Counts the bytes it wrote and read (all clients together)."""

    sent = 0
    received = 0

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sendall(bytes([0x7F, 0xF1, 0, 0]))  # JSON, 16 MiB
        reply = self.recv_exact(4)
        assert reply[0] == 0x7F and reply[1] & 0x0F == 1, reply
        self.request = 0

    def sendall(self, data):
        self.sock.sendall(data)
        RawSocketClient.sent += len(data)

    def recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise EOFError("closed by nexusd")
            data += chunk
        RawSocketClient.received += len(data)
        return data

    def send(self, message):
        body = json.dumps(message).encode()
        self.sendall(struct.pack(">I", len(body)) + body)

    def receive(self):
        while True:
            header = self.recv_exact(4)
            length = struct.unpack(">I", b"\0" + header[1:])[0]
            body = self.recv_exact(length)
            if header[0] & 0x07 == 0:
                return json.loads(body)
            if header[0] & 0x07 == 1:  # PING: answer
                self.sendall(bytes([2]) + header[1:] + body)

    def expect(self, code):
        message = self.receive()
        assert message[0] == code, f"expected {code}, got {message}"
        return message

    def next_request(self):
        self.request += 1
        return self.request

    def join(self):
        roles = {r: {} for r in ("caller", "callee", "publisher", "subscriber")}
        self.send([1, "realm1", {"roles": roles}])
        return self.expect(2)[1]


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        check("content type", response.headers["Content-Type"].startswith(
            "text/plain; version=0.0.4"), response.headers["Content-Type"])
        text = response.read().decode()
    families = list(text_string_to_metric_families(text))
    samples = {}
    for family in families:
        check(f"{family.name} HELP", family.documentation != "", "no HELP text")
        check(f"{family.name} TYPE", family.type != "unknown", "no TYPE")
        for s in family.samples:
            key = s.name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items())) + "}"
            samples[key] = s.value
        if family.type == "counter":
            check(f"{family.name} counter name", all(s.name.endswith("_total")
                                                     for s in family.samples), family.samples)
        if family.type == "histogram":
            buckets = [s for s in family.samples if s.name.endswith("_bucket")]
            check(f"{family.name} +Inf bucket", buckets and buckets[-1].labels["le"] == "+Inf",
                  buckets[-1:] if buckets else "no buckets")
            values = [s.value for s in buckets]
            check(f"{family.name} cumulative", values == sorted(values), values)
    # Each family once, TYPE before its samples (the parser is lenient there).
    typed = []
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) ", line)
        if m:
            typed.append(m.group(1))
    check("families once", len(typed) == len(set(typed)), typed)
    return samples


def main():
    log = tempfile.TemporaryFile()
    nexusd = subprocess.Popen([NEXUSD, "--rawsocket", "127.0.0.1:0", "--http", "127.0.0.1:0",
                               "--websocket", "127.0.0.1:0", "--threads", "2"], stderr=log)
    try:
        ports = {}
        deadline = time.time() + 10
        while len(ports) < 2 and time.time() < deadline:
            log.seek(0)
            for line in log.read().decode(errors="replace").splitlines():
                m = re.search(r"(RawSocket|HTTP) listening on .*\(port (\d+)\)", line)
                if m:
                    ports[m.group(1)] = int(m.group(2))
            time.sleep(0.05)
        if len(ports) < 2:
            log.seek(0)
            print("metrics format: FAILED nexusd did not start:", log.read().decode())
            return 1

        before = scrape(ports["HTTP"])
        callee, caller = RawSocketClient(ports["RawSocket"]), RawSocketClient(ports["RawSocket"])
        sub1, sub2 = RawSocketClient(ports["RawSocket"]), RawSocketClient(ports["RawSocket"])
        for c in (callee, caller, sub1, sub2):
            c.join()
        callee.send([64, callee.next_request(), {}, "com.metrics.echo"])
        callee.expect(65)
        for s in (sub1, sub2):
            s.send([32, s.next_request(), {}, "com.metrics.news"])
            s.expect(33)
        for i in range(3):
            caller.send([48, caller.next_request(), {}, "com.metrics.echo", [i]])
            invocation = callee.expect(68)
            callee.send([70, invocation[1], {}, invocation[4] if len(invocation) > 4 else []])
            caller.expect(50)
        for i in range(2):
            caller.send([16, caller.next_request(), {}, "com.metrics.news", [i]])
        for s in (sub1, sub2):
            s.expect(36)
            s.expect(36)
        # nexusd counts a write once it completed, which may be just after the
        # client read it: scrape again (briefly) until the bytes are in.
        received_key = 'nexus_transport_received_bytes_total{transport="rawsocket"}'
        sent_key = 'nexus_transport_sent_bytes_total{transport="rawsocket"}'
        deadline = time.time() + 3
        while True:
            after = scrape(ports["HTTP"])
            if (after.get(sent_key, 0) - before.get(sent_key, 0) >= RawSocketClient.received
                    or time.time() > deadline):
                break
            time.sleep(0.01)

        def delta(key):
            check(f"{key} present", key in after, sorted(k for k in after if k.startswith(
                key.split("{")[0]))[:5])
            return after.get(key, 0) - before.get(key, 0)

        expected = {
            'nexus_messages_received_total{type="CALL"}': 3,
            'nexus_messages_received_total{type="YIELD"}': 3,
            'nexus_messages_received_total{type="HELLO"}': 4,
            'nexus_messages_received_total{type="PUBLISH"}': 2,
            'nexus_messages_sent_total{type="INVOCATION"}': 3,
            'nexus_messages_sent_total{type="RESULT"}': 3,
            'nexus_messages_sent_total{type="WELCOME"}': 4,
            'nexus_messages_sent_total{type="EVENT"}': 4,
            "nexus_calls_started_total{}": 3,
            'nexus_calls_finished_total{outcome="completed"}': 3,
            "nexus_call_duration_seconds_count{}": 3,
            'nexus_call_duration_seconds_bucket{le="+Inf"}': 3,
            "nexus_events_published_total{}": 2,
            "nexus_events_delivered_total{}": 4,
            'nexus_sessions_opened_total{realm="realm1"}': 4,
            received_key: RawSocketClient.sent,
            sent_key: RawSocketClient.received,
            'nexus_transport_received_bytes_total{transport="websocket"}': 0,
            'nexus_transport_closes_total{reason="write_timeout",transport="rawsocket"}': 0,
        }
        for key, want in expected.items():
            got = delta(key)
            check(key, got == want, f"moved by {got}, expected {want}")
        key = 'nexus_sessions_open{realm="realm1",serializer="json",transport="rawsocket"}'
        check(key, after.get(key) == 4, after.get(key))
        check("nexus_build_info", any(k.startswith("nexus_build_info{") for k in after), "absent")
        check("process_resident_memory_bytes", after.get("process_resident_memory_bytes{}", 0) > 0,
              after.get("process_resident_memory_bytes{}"))
    finally:
        nexusd.send_signal(signal.SIGTERM)
        try:
            nexusd.wait(15)
        except subprocess.TimeoutExpired:
            nexusd.kill()
            failures.append("nexusd did not exit within 15 s of SIGTERM")
    if failures:
        for f in failures:
            print("metrics format: FAILED", f)
        return 1
    print("metrics format: all checks passed (prometheus_client parser)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
