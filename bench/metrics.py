#!/usr/bin/env python3
"""What GET /metrics costs (docs/metrics.md), in one run of one server:

- a scrape with SESSIONS (100) live sessions: RUNS (300) sequential GET /metrics over one
  keep-alive connection, p50 and p99 at the client (the server reads /proc/PID/statm
  of every session process at scrape time, so this grows with the sessions);
- warm-exec latency ("1+1" in one warm session over keep-alive) without a scraper and
  with one scraping once a second on its own connection, in alternating blocks of 2 s,
  DURATION (20) seconds in all, so that drift of the machine falls on both alike.

Prints p50 and p99 in ms; nothing is asserted. Standard library only; reuses
bench/server.py's server and client. Run it directly or through make bench.
"""
import http.client
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import BenchError, Client, create_sessions, log, p50, p99, vivarium_server  # noqa: E402

SESSIONS = int(os.environ.get("SESSIONS", "100"))
RUNS = int(os.environ.get("RUNS", "300"))
DURATION = float(os.environ.get("DURATION", "20"))
BLOCK_SECONDS = 2.0  # a 1/s scraper lands in each block it runs in, twice


class Scraper:
    """GET /metrics over one keep-alive connection; each call returns seconds taken."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def scrape(self):
        began = time.perf_counter()
        self.conn.request("GET", "/metrics")
        response = self.conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - began
        if response.status != 200 or b"vivarium_sessions_active" not in body:
            raise BenchError(f"GET /metrics: HTTP {response.status} {body[:200]!r}")
        return elapsed, body

    def close(self):
        self.conn.close()


def scrape_cost(port):
    scraper = Scraper(port)
    try:
        _, body = scraper.scrape()
        active = [line for line in body.decode().splitlines() if line.startswith("vivarium_sessions_active ")]
        log(f"the server reports {active[0].split()[1]} active sessions; {len(body)} bytes per scrape")
        return [scraper.scrape()[0] for _ in range(RUNS)]
    finally:
        scraper.close()


def warm_exec_with_and_without_scraper(port):
    quiet, scraped = [], []
    stop = threading.Event()
    scraping = threading.Event()
    scrapes = []

    def scrape_every_second():
        scraper = Scraper(port)
        try:
            while not stop.is_set():
                if scraping.is_set():
                    scrapes.append(scraper.scrape()[0])
                stop.wait(1.0)
        finally:
            scraper.close()

    thread = threading.Thread(target=scrape_every_second, daemon=True)
    thread.start()
    try:
        with Client(port) as client:
            for _ in range(20):
                client.execute("warm", "1+1")
            for block in range(max(2, round(DURATION / BLOCK_SECONDS))):
                with_scraper = block % 2 == 1
                (scraping.set if with_scraper else scraping.clear)()
                samples = scraped if with_scraper else quiet
                ends = time.monotonic() + BLOCK_SECONDS
                while time.monotonic() < ends:
                    samples.append(client.execute("warm", "1+1"))
    finally:
        stop.set()
        thread.join()
    return quiet, scraped, scrapes


def main():
    server = vivarium_server()
    try:
        log("starting vivarium")
        server.start()
        with Client(server.port) as client:
            log(f"creating {SESSIONS} sessions")
            create_sessions(client, "live", SESSIONS)
        log(f"{RUNS} scrapes of /metrics with {SESSIONS} live sessions")
        scrapes = scrape_cost(server.port)
        log(f"{DURATION:g} s of warm execs, alternately without a scraper and with one scraping once a second")
        quiet, scraped, background = warm_exec_with_and_without_scraper(server.port)
    finally:
        server.stop()

    def row(name, samples):
        print(f"  {name:<58} {p50(samples) * 1000:>8.2f} {p99(samples) * 1000:>8.2f}")

    print(f"\nmetrics ({SESSIONS} live sessions)")
    print(f"  {'metric':<58} {'p50 ms':>8} {'p99 ms':>8}")
    row(f"GET /metrics ({RUNS} scrapes)", scrapes)
    row(f"warm exec of 1+1, no scraper ({len(quiet)})", quiet)
    row(f"warm exec of 1+1, a scrape every second ({len(scraped)})", scraped)
    print(f"  scraper's cost at p50: {(p50(scraped) - p50(quiet)) * 1000:+.3f} ms, at p99: "
          f"{(p99(scraped) - p99(quiet)) * 1000:+.3f} ms ({len(background)} scrapes during those execs)")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
    except BenchError as error:
        log(f"error: {error}")
        sys.exit(1)
