#!/usr/bin/env python3
"""MCP latency: a tools/call of `1+1` over stdio (`vivarium mcp`) and over Streamable
HTTP (`vivarium serve`, /mcp), against a plain POST /exec of the same code, in one run.

Each path gets a warm session (its process forked, its code paths run) and then
REQUESTS sequential calls on one kept-alive connection or pipe; the script prints p50
and p99 per path in ms. Numbers are printed, not asserted: the exit status is non-zero
only when something broke.

Environment: REQUESTS (500), VIVARIUM_BINARY (default build/vivarium). Standard library only.
"""
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIVARIUM = Path(os.environ.get("VIVARIUM_BINARY", ROOT / "build" / "vivarium"))
REQUESTS = int(os.environ.get("REQUESTS", "500"))
WARM_UP = 30
SERVER_ARGS = ["--preload", "none"]
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def log(message):
    print(f"[mcp.py] {message}", file=sys.stderr, flush=True)


def tools_call(request_id):
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": "run_python_code", "arguments": {"python_code": "1+1"}},
    }


def check_two(answer):
    """The call ran and gave 2, whatever the path."""
    body = answer["result"].get("structuredContent", answer) if "jsonrpc" in answer else answer
    if body.get("result", {}).get("final_expression") != 2:
        raise SystemExit(f"mcp.py: unexpected answer: {json.dumps(answer)[:300]}")


def timed(call):
    """Latencies in ms of REQUESTS calls, after WARM_UP untimed ones."""
    for i in range(WARM_UP):
        call(i)
    samples = []
    for i in range(REQUESTS):
        start = time.perf_counter()
        call(WARM_UP + i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def start_serve():
    server = subprocess.Popen(
        [str(VIVARIUM), "serve", "--port", "0", "--log-level", "warn", *SERVER_ARGS],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in server.stderr:
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if match:
            return server, int(match.group(1))
    raise SystemExit("mcp.py: vivarium serve exited before listening")


def bench_exec(port):
    connection = http.client.HTTPConnection("127.0.0.1", port)

    def call(_):
        connection.request("POST", "/exec?sessionId=bench-exec", json.dumps({"code": "1+1"}),
                           {"Content-Type": "application/json"})
        check_two(json.loads(connection.getresponse().read()))

    return timed(call)


def bench_http_mcp(port):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}

    def post(message):
        connection.request("POST", "/mcp", json.dumps(message), headers)
        response = connection.getresponse()
        body = response.read()
        return response, body

    response, _ = post(INITIALIZE)
    headers["Mcp-Session-Id"] = response.getheader("Mcp-Session-Id")
    headers["MCP-Protocol-Version"] = "2025-06-18"
    post(INITIALIZED)

    def call(i):
        response, body = post(tools_call(i + 1))
        if response.getheader("Content-Type", "").startswith("text/event-stream"):
            body = [line[6:] for line in body.decode().splitlines() if line.startswith("data: ")][-1]
        check_two(json.loads(body))

    return timed(call)


def bench_stdio_mcp():
    child = subprocess.Popen(
        [str(VIVARIUM), "mcp", "--log-level", "warn", *SERVER_ARGS],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        bufsize=1,
    )

    def exchange(message):
        child.stdin.write(json.dumps(message) + "\n")
        child.stdin.flush()
        while True:
            answer = json.loads(child.stdout.readline())
            if "id" in answer:  # notifications (none for 1+1) are skipped
                return answer

    exchange(INITIALIZE)
    child.stdin.write(json.dumps(INITIALIZED) + "\n")
    try:
        return timed(lambda i: check_two(exchange(tools_call(i + 1))))
    finally:
        child.stdin.close()
        child.wait(timeout=30)


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    if not VIVARIUM.exists():
        raise SystemExit(f"mcp.py: {VIVARIUM} is missing: run `make build` first")
    log(f"{REQUESTS} sequential calls of 1+1 per path, after {WARM_UP} to warm up")
    server, port = start_serve()
    try:
        results = {"POST /exec": bench_exec(port), "MCP over HTTP (/mcp)": bench_http_mcp(port)}
    finally:
        server.terminate()
        server.wait(timeout=30)
    results["MCP over stdio (vivarium mcp)"] = bench_stdio_mcp()
    base = statistics.median(results["POST /exec"])
    print(f"{'path':32} {'p50 ms':>8} {'p99 ms':>8} {'p50 vs /exec':>13}")
    for name, samples in results.items():
        p50 = statistics.median(samples)
        print(f"{name:32} {p50:8.2f} {percentile(samples, 99):8.2f} {p50 - base:+12.2f}")


if __name__ == "__main__":
    main()
