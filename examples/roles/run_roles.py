#!/usr/bin/env python3
"""Runs the four role examples against nexusd started with etc/nexus.json (the quick
start's configuration) on free loopback ports: callee and caller, subscriber and
publisher, over WebSocket and RawSocket.

    run_roles.py NEXUSD CONFIG BINDIR
"""
import re
import subprocess
import sys
import threading
import time

nexusd, config, bindir = sys.argv[1:4]


def start(argv):
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


class Output:
    """Collects a process's lines on a thread, so that a test can wait for one."""

    def __init__(self, process):
        self.lines, self.cond = [], threading.Condition()
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process):
        for line in process.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def wait_for(self, pattern, timeout=20):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if m := re.search(pattern, line):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines))
                self.cond.wait(left)


def stop(process):
    if process.poll() is None:
        process.terminate()
    return process.wait(10)


router = start([nexusd, "--config", config, "--websocket", "127.0.0.1:0", "--rawsocket",
                "127.0.0.1:0", "--http", "", "--log-level", "info"])
router_out = Output(router)
failures = 0
try:
    ws = router_out.wait_for(r"WebSocket listening on .*\(port (\d+)\)").group(1)
    raw = router_out.wait_for(r"RawSocket listening on .*\(port (\d+)\)").group(1)
    for url in (f"ws://127.0.0.1:{ws}/ws", f"tcp://127.0.0.1:{raw}"):
        try:
            callee = start([f"{bindir}/example_callee", url])
            subscriber = start([f"{bindir}/example_subscriber", url])
            callee_out, subscriber_out = Output(callee), Output(subscriber)
            callee_out.wait_for("providing com.example.add")
            subscriber_out.wait_for("subscribed to com.example.hello")
            caller = subprocess.run([f"{bindir}/example_caller", url], capture_output=True,
                                    text=True, timeout=20)
            assert caller.returncode == 0 and "2 + 3 = 5" in caller.stdout, caller
            publisher = subprocess.run([f"{bindir}/example_publisher", url],
                                       capture_output=True, text=True, timeout=20)
            assert publisher.returncode == 0 and "published" in publisher.stdout, publisher
            subscriber_out.wait_for(r'com\.example\.hello: "hello, world"')
            # Ctrl-C (SIGTERM here) ends them cleanly: they leave and exit 0.
            assert stop(callee) == 0, callee_out.lines
            assert stop(subscriber) == 0, subscriber_out.lines
            print(f"roles over {url}: ok")
        except AssertionError as e:
            failures += 1
            print(f"roles over {url}: FAILED {e}")
            for p in (callee, subscriber):
                stop(p)
finally:
    stop(router)
if failures:
    print("--- nexusd log ---\n" + "\n".join(router_out.lines))
sys.exit(1 if failures else 0)
