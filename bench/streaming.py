#!/usr/bin/env python3
"""What streaming costs: time from a print inside the sandbox to its SSE event at the
client, and a streamed /exec against a plain one for the same code, in one run.

- first byte: the code prints time.time() and sleeps; the client notes time.time() when
  that stdout event arrives (one machine, one clock). N executions in one warm session.
- overhead: `print(1)\\n1 + 1` plain and streamed, alternating, in one warm session each.

Environment: RUNS (200). Prints p50 and p99 in ms; nothing is asserted. Standard library
only. Run through bench/streaming.sh (or make bench).
"""
import http.client
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import BenchError, Client, log, p50, p99, vivarium_server  # noqa: E402

RUNS = int(os.environ.get("RUNS", "200"))


def stream(port, session, code, on_event=None):
    """POSTs a streamed /exec; returns (seconds until the result event, events)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    began = time.perf_counter()
    conn.request("POST", f"/exec?sessionId={session}", body=json.dumps({"code": code}),
                 headers={"Content-Type": "application/json", "Accept": "text/event-stream"})
    response = conn.getresponse()
    if response.status != 200 or response.getheader("Content-Type") != "text/event-stream":
        raise BenchError(f"no event stream: HTTP {response.status} {response.read()[:200]!r}")
    events, name = [], None
    while True:
        line = response.readline()
        if not line:
            raise BenchError("the stream ended without a result event")
        line = line.decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data = json.loads(line[6:])
            events.append((name, data))
            if on_event:
                on_event(name, data)
            if name == "result":
                elapsed = time.perf_counter() - began
                conn.close()
                if not data.get("success"):
                    raise BenchError(f"streamed exec failed: {data}")
                return elapsed, events


def first_byte_latencies(port):
    latencies = []

    def note(name, data):
        if name == "stdout":
            latencies.append(time.time() - float(data["text"]))

    code = "import time\nprint(repr(time.time()), flush=True)\ntime.sleep(0.02)"
    stream(port, "first-byte", code)  # the session's first execution forks it
    latencies.clear()
    for _ in range(RUNS):
        stream(port, "first-byte", code, note)
    return latencies


def overhead(port):
    code = "print(1)\n1 + 1"
    plain, streamed = [], []
    with Client(port) as client:
        client.execute("plain", code)
        stream(port, "streamed", code)
        for _ in range(RUNS):
            plain.append(client.execute("plain", code))
            streamed.append(stream(port, "streamed", code)[0])
    return plain, streamed


def main():
    server = vivarium_server()
    try:
        log("starting vivarium")
        server.start()
        log(f"{RUNS} streamed executions that print their own clock")
        latencies = first_byte_latencies(server.port)
        log(f"{RUNS} plain and {RUNS} streamed executions of print(1); 1 + 1, alternating")
        plain, streamed = overhead(server.port)
    finally:
        server.stop()

    def row(name, samples):
        print(f"  {name:<52} {p50(samples) * 1000:>8.2f} {p99(samples) * 1000:>8.2f}")

    print(f"\nstreaming ({RUNS} runs each)")
    print(f"  {'metric':<52} {'p50 ms':>8} {'p99 ms':>8}")
    row("print in the sandbox -> its SSE event at the client", latencies)
    row("plain /exec of print(1); 1 + 1 (warm session)", plain)
    row("streamed /exec of the same, until the result event", streamed)
    print(f"  streaming overhead at p50: {(p50(streamed) - p50(plain)) * 1000:+.2f} ms")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
    except BenchError as error:
        log(f"error: {error}")
        sys.exit(1)
