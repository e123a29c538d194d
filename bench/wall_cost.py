#!/usr/bin/env python3
"""What the process wall costs (issue 9), for two or more binaries in one sitting.

For each --server NAME=BINARY, alternating run by run:
  - `BINARY run -c 'print(1)'` wall time (RUNS times);
  - `BINARY serve`: SESSIONS new sessions one after the other, each timed from the
    request to its first result, and the session processes' PSS and the machine's
    kernel slab (Slab in /proc/meminfo) per live session.
Prints one table. Nothing is asserted. Env: RUNS (10), SESSIONS (20).
"""
import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time

RUNS = int(os.environ.get("RUNS", "10"))
SESSIONS = int(os.environ.get("SESSIONS", "20"))


def run_once(binary):
    started = time.perf_counter()
    subprocess.run([binary, "run", "-c", "print(1)"], check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def meminfo_kib(field):
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def descendants(pid):
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                children.append(int(entry))
        except OSError:
            pass
    return children + [d for c in children for d in descendants(c)]


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def serve_sessions(binary):
    env = dict(os.environ, LOG_LEVEL="warn")
    env.setdefault("VIVARIUM_CACHE_DIR", os.path.join(os.path.dirname(binary), "cache"))
    server = subprocess.Popen([binary, "serve", "--port", "0", "--preload", "none", "--max-sessions", "200"],
                              stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True)
    port = None
    for line in server.stderr:
        match = re.search(r"listening on http://[^:]+:(\d+)", line)
        if match:
            port = int(match.group(1))
            break
    if port is None:
        server.kill()
        sys.exit(f"wall_cost.py: {binary} did not start listening")
    try:
        slab_before = meminfo_kib("Slab")
        latencies = []
        for i in range(SESSIONS):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            started = time.perf_counter()
            connection.request("POST", f"/exec?sessionId=s{i}", json.dumps({"code": "1"}),
                               {"Content-Type": "application/json"})
            connection.getresponse().read()
            latencies.append((time.perf_counter() - started) * 1000)
            connection.close()
        sessions = [p for p in descendants(server.pid) if open(f"/proc/{p}/comm").read().strip() == "vivarium-sess"]
        pss = sum(pss_kib(p) for p in sessions) / max(1, len(sessions))
        slab = (meminfo_kib("Slab") - slab_before) / SESSIONS
        return latencies, pss, slab
    finally:
        server.terminate()
        server.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", action="append", required=True, help="NAME=BINARY (repeatable)")
    args = parser.parse_args()
    servers = [spec.split("=", 1) for spec in args.server]
    for _, binary in servers:
        run_once(binary)  # warm caches
    runs = {name: [] for name, _ in servers}
    for _ in range(RUNS):
        for name, binary in servers:
            runs[name].append(run_once(binary))
    rows = []
    for name, binary in servers:
        latencies, pss, slab = serve_sessions(binary)
        ordered = sorted(latencies)
        rows.append((name, statistics.median(runs[name]), min(runs[name]), statistics.median(latencies),
                     ordered[int(0.9 * (len(ordered) - 1))], pss / 1024, slab))
    print(f"\nThe wall's cost: run -c 'print(1)' x{RUNS} (alternating), {SESSIONS} new sessions one after the other")
    print(f"{'binary':<12} {'run p50':>9} {'run min':>9} {'new p50':>9} {'new p90':>9} {'PSS/sess':>10} {'slab/sess':>10}")
    for name, run_p50, run_min, new_p50, new_p90, pss, slab in rows:
        print(f"{name:<12} {run_p50:>7.0f}ms {run_min:>7.0f}ms {new_p50:>7.1f}ms {new_p90:>7.1f}ms "
              f"{pss:>7.1f}MiB {slab:>7.0f}KiB")


if __name__ == "__main__":
    main()
