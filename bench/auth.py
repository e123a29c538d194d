#!/usr/bin/env python3
"""What authentication and rate limiting cost a warm execution, in one run.

Three servers side by side, each with one warm session, asked in turn, in a shuffled
order each round (so that the machine's noise falls on all three alike):
- no keys (from loopback, so no limit applies), and --rate-limit 0;
- API keys (a file of 100, the caller's last, so every digest is compared), no rate limit;
- API keys and the rate limit on, set far above the load (1e6/s, burst 1e6).
Executions in flight are capped at 100000 everywhere, so nothing is refused.

Environment: RUNS (300). Prints p50 and p99 in ms; nothing is asserted. Standard library
only. Run through bench/auth.sh (or make bench).
"""
import hashlib
import http.client
import json
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import time  # noqa: E402

from server import VIVARIUM, BenchError, Server, log, p50, p99  # noqa: E402

RUNS = int(os.environ.get("RUNS", "300"))
KEY = "viv_bench_" + "0" * 54


def key_file(folder):
    path = Path(folder) / "keys"
    lines = [f"other{i}:{hashlib.sha256(f'k{i}'.encode()).hexdigest()}" for i in range(99)]
    lines.append(f"bench:{hashlib.sha256(KEY.encode()).hexdigest()}")
    path.write_text("\n".join(lines) + "\n")
    return path


def server(name, extra):
    env = dict(os.environ, LOG_LEVEL="warn")
    return Server(name, lambda port: [str(VIVARIUM), "serve", "--port", str(port),
                                      "--max-executions-per-key", "100000", *extra], env)


class Caller:
    """A keep-alive connection that sends the key, if any."""

    def __init__(self, port, key):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Content-Type": "application/json"}
        if key:
            self.headers["Authorization"] = f"Bearer {key}"

    def execute(self, code):
        body = json.dumps({"code": code})
        began = time.perf_counter()
        self.conn.request("POST", "/exec?sessionId=bench", body=body, headers=self.headers)
        response = self.conn.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - began
        if response.status != 200 or not json.loads(payload).get("success"):
            raise BenchError(f"exec: HTTP {response.status} {payload[:200]!r}")
        return elapsed


def main():
    with tempfile.TemporaryDirectory() as folder:
        keys = str(key_file(folder))
        setups = [
            ("no keys, no rate limit", server("open", ["--rate-limit", "0"]), None),
            ("100 API keys, no rate limit", server("keys", ["--api-keys", keys, "--rate-limit", "0"]), KEY),
            ("100 API keys + rate limit (1e6/s)", server("keys+rate", [
                "--api-keys", keys, "--rate-limit", "1000000", "--rate-burst", "1000000"]), KEY),
        ]
        try:
            for _, srv, _ in setups:
                log(f"starting {srv.name}")
                srv.start()
            callers = [Caller(srv.port, key) for _, srv, key in setups]
            for caller in callers:
                caller.execute("x = 1")  # forks the session
            samples = [[] for _ in setups]
            log(f"{RUNS} warm executions of 1 + 1 on each, in turn")
            order = list(range(len(callers)))
            for _ in range(RUNS):
                random.shuffle(order)  # no server always goes first, or right after another
                for index in order:
                    samples[index].append(callers[index].execute("1 + 1"))
        finally:
            for _, srv, _ in setups:
                srv.stop()

    print(f"\nauthentication and rate limiting ({RUNS} warm executions each, interleaved)")
    print(f"  {'configuration':<40} {'p50 ms':>8} {'p99 ms':>8}")
    for (name, _, _), values in zip(setups, samples):
        print(f"  {name:<40} {p50(values) * 1000:>8.3f} {p99(values) * 1000:>8.3f}")
    base = p50(samples[0])
    print(f"  keys cost at p50: {(p50(samples[1]) - base) * 1000:+.3f} ms; "
          f"keys + rate limit: {(p50(samples[2]) - base) * 1000:+.3f} ms")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
    except BenchError as error:
        log(f"error: {error}")
        sys.exit(1)
