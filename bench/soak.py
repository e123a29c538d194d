#!/usr/bin/env python3
"""Soak test: `vivarium serve` under a long mixed workload, watched for leaks.

50 client threads (SOAK_SESSIONS), each with a session of its own, send a random mix of
requests for SOAK_MINUTES (default 10). A killer thread SIGKILLs a random session
process every few seconds. Every SOAK_INTERVAL seconds (default 60) a table row per
request kind is printed, plus the server's resources. At the end: a verdict on whether
memory, descriptors and processes stayed flat; the exit status is 1 when they did not or
when any response was unexpected, 2 when the server could not be started.

Usage: bench/soak.py [path/to/vivarium]   (default: build/vivarium)
Standard library only. Every socket has a timeout, so no loop can hang.
"""
import base64
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOAK_MINUTES = float(os.environ.get("SOAK_MINUTES", "10"))
INTERVAL = float(os.environ.get("SOAK_INTERVAL", "60"))
SESSIONS = int(os.environ.get("SOAK_SESSIONS", "50"))
KILL_EVERY = float(os.environ.get("SOAK_KILL_EVERY", "3"))  # seconds between session kills
# Each client pauses 0.5-1.5 s (times this) between requests, as users do: without it 50
# clients on a small machine measure CPU starvation (short execs hitting the 2 s limit).
THINK = float(os.environ.get("SOAK_THINK", "2"))
SAMPLE_EVERY = 5.0  # seconds between resource samples

# The server's limits, small so that every fault kind is cheap to reach.
# 5 s: on 2 cores, 50 sessions starting or re-forking at once (expiry, kills) can keep
# trivial code waiting for a core for 2-4 s, which a 2 s limit turns into timeouts.
EXECUTION_TIMEOUT = 5  # seconds
SESSION_TIMEOUT_MINUTES = 0.2  # 12 s idle and a session expires
MEMORY_LIMIT = "256M"
MAX_OUTPUT = 256 * 1024
SERVER_GRACE = 6  # the server's own grace past the execution timeout (executor.cpp)
# One exchange never takes longer than timeout + grace; past this a request "hangs".
REQUEST_TIMEOUT = EXECUTION_TIMEOUT + SERVER_GRACE + 20
FLAT_TOLERANCE = 0.10

# Kinds and their weights in the mix (expiry blocks its worker for ~20 s: rare).
KINDS = {
    "short": 40,
    "files": 12,
    "error": 10,
    "timeout": 5,
    "membomb": 5,
    "flood": 5,
    "delete": 6,
    "expiry": 1,
}


def log(message):
    print(f"[soak] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the server


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(binary, port):
    args = [
        str(binary), "serve", "--port", str(port),
        "--execution-timeout", str(EXECUTION_TIMEOUT),
        "--memory-limit", MEMORY_LIMIT,
        "--max-output-size", str(MAX_OUTPUT // 1024) + "K",
        "--session-timeout", str(SESSION_TIMEOUT_MINUTES),
        "--max-sessions", str(SESSIONS * 3),
    ]
    env = dict(os.environ, LOG_LEVEL="warn")
    server = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Drain its log into ours so that a full pipe never blocks it.
    lines = []

    def drain():
        for line in server.stderr:
            text = line.decode(errors="replace").rstrip()
            lines.append(text)
            log("server: " + text)

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + 180  # a first boot with this memory cap compiles wasm
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"vivarium serve exited with {server.returncode}:\n" + "\n".join(lines))
        try:
            status, _ = request(port, "GET", "/ready", timeout=2)  # 503 while the zygote boots
            if status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit("vivarium serve was not ready (GET /ready) within 180 s")


def request(port, method, path, body=None, timeout=REQUEST_TIMEOUT):
    """One request on a new connection: (status, parsed JSON or None)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = connection.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, None
    finally:
        connection.close()


# ------------------------------------------------------------------ processes


def children_of(pid):
    """Direct children of pid (from /proc/PID/task/*/children)."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found.extend(int(p) for p in text.split())
    except OSError:
        pass
    return found


def descendants(pid):
    result, stack = [], [pid]
    while stack:
        for child in children_of(stack.pop()):
            result.append(child)
            stack.append(child)
    return result


def comm(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def status_kib(pid, field):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def session_pids(server_pid):
    return [p for p in descendants(server_pid) if comm(p) == "vivarium-sess"]


def sample(server_pid):
    """One look at the server's resources."""
    tree = descendants(server_pid)
    zygotes = [p for p in tree if comm(p) == "vivarium-zyg"]
    try:
        fds = len(os.listdir(f"/proc/{server_pid}/fd"))
    except OSError:
        fds = 0
    return {
        "server_rss": status_kib(server_pid, "VmRSS"),
        "zygote_rss": sum(status_kib(p, "VmRSS") for p in zygotes),
        "total_pss": pss_kib(server_pid) + sum(pss_kib(p) for p in tree),
        "fds": fds,
        "processes": 1 + len([p for p in tree if Path(f"/proc/{p}").exists()]),
    }


# ------------------------------------------------------------------ the workload


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)  # kind -> seconds, this interval
        self.requests = defaultdict(int)  # kind -> total
        self.unexpected = defaultdict(int)  # kind -> total
        self.unanswered = defaultdict(int)  # kind -> total (dropped, or past the socket timeout)
        self.shown = defaultdict(int)  # kind -> unexpected answers logged
        # Kills not yet answered by a "crashed and reset" reply, as times (monotonic).
        self.kills = []
        self.kills_total = 0
        self.crash_replies = 0

    def record(self, kind, seconds, ok, detail="", answered=True):
        with self.lock:
            self.requests[kind] += 1
            if not answered:
                self.unanswered[kind] += 1
            self.latencies[kind].append(seconds)
            if not ok:
                self.unexpected[kind] += 1
                if self.shown[kind] < 3:
                    self.shown[kind] += 1
                    log(f"UNEXPECTED {kind}: {detail[:400]}")

    def note_kill(self):
        with self.lock:
            self.kills.append(time.monotonic())
            self.kills_total += 1

    def claim_kill(self):
        """A crash reply is expected only as the answer to a kill from the last 60 s."""
        with self.lock:
            now = time.monotonic()
            self.kills = [t for t in self.kills if now - t < 60]
            if not self.kills:
                return False
            self.kills.pop(0)
            self.crash_replies += 1
            return True


def is_crash_reset(status, body):
    """The reply to a request in a session whose process was killed from outside."""
    if status != 200 or not isinstance(body, dict) or body.get("success") is not False:
        return False
    error = body.get("error") or {}
    return error.get("session_reset") is True and "crashed" in str(error.get("message", ""))


def exec_in(port, session, code, files=None):
    body = {"code": code}
    if files is not None:
        body["files"] = files
    return request(port, "POST", f"/exec?sessionId={session}", body)


# Each check says precisely which answer is the expected one for its kind.
def check_short(status, body, _context):
    return status == 200 and body["success"] is True and isinstance(body["result"]["final_expression"], int)


def check_files(status, body, context):
    if status != 200 or body["success"] is not True:
        return False
    result = body["result"]
    if result["final_expression"] != len(context["data"]):
        return False
    files = {f["filename"]: f["b64_data"] for f in result["output_files"]}
    return base64.b64decode(files.get("out/reversed.bin", "")) == context["data"][::-1]


def check_error(status, body, _context):
    error = body.get("error") or {}
    return (status == 200 and body["success"] is False and error.get("type") == "execution"
            and error.get("exception") == "ZeroDivisionError")


def check_timeout(status, body, _context):
    # The interrupt stops the sleep (no reset); a reset is allowed too.
    return status == 200 and body["success"] is False and (body.get("error") or {}).get("type") == "timeout"


def check_membomb(status, body, _context):
    # MemoryError inside the cap (the session lives on), or a reset past it.
    return status == 200 and body["success"] is False and (body.get("error") or {}).get("type") == "resource_limit"


def check_flood(status, body, _context):
    # Cut at the limit with a short marker: the response stays small and succeeds.
    if status != 200 or body["success"] is not True:
        return False
    out = body["result"]["std_out"]
    return MAX_OUTPUT // 2 <= len(out) <= MAX_OUTPUT + 1024 and out.startswith("x" * 1000)


def run_kind(kind, port, session, worker):
    """Sends one request of `kind`; returns (status, body, context, checker, seconds)."""
    context = {}
    if kind == "short":
        code, checker, files = "n = globals().get('n', 0) + 1\nn", check_short, None
    elif kind == "files":
        data = os.urandom(random.randint(1, 64 * 1024))
        context["data"] = data
        files = [{"filename": "in/data.bin", "b64_data": base64.b64encode(data).decode()}]
        code = ("import os\nos.makedirs('out', exist_ok=True)\ndata = open('in/data.bin', 'rb').read()\n"
                "open('out/reversed.bin', 'wb').write(data[::-1])\nlen(data)")
        checker = check_files
    elif kind == "error":
        code, checker, files = "1 / 0", check_error, None
    elif kind == "timeout":
        # A sleep, not a busy loop: the limit is reached without starving the machine.
        code, checker, files = "import time\ntime.sleep(30)", check_timeout, None
    elif kind == "membomb":
        code, checker, files = "hog = bytearray(1_500_000_000)", check_membomb, None
    elif kind == "flood":
        code, checker, files = f"import sys\nsys.stdout.write('x' * {4 * MAX_OUTPUT})", check_flood, None
    else:
        raise ValueError(kind)
    started = time.monotonic()
    status, body = exec_in(port, session, code, files)
    return status, body, context, checker, time.monotonic() - started


def worker_loop(worker, port, stats, stop_at):
    rng = random.Random(worker)
    kinds, weights = list(KINDS), list(KINDS.values())
    session = f"soak-{worker}"
    generation = 0
    # Workers start over ~20 s, not all at once: 50 first executions in the same second
    # measure the start-up stampede, not the steady state this soak is about.
    time.sleep(worker * 0.4)
    while time.monotonic() < stop_at:
        time.sleep(rng.uniform(0.5, 1.5) * THINK)
        kind = rng.choices(kinds, weights)[0]
        attempt_started = time.monotonic()
        try:
            if kind == "delete":
                started = time.monotonic()
                status, body = request(port, "DELETE", f"/sessions/{session}")
                seconds = time.monotonic() - started
                # 200 when it existed; 404 not_found when it had expired or never existed.
                ok = (status == 200 and body == {"success": True}) or (
                    status == 404 and (body.get("error") or {}).get("type") == "not_found")
                stats.record(kind, seconds, ok, f"{status} {body}")
                generation += 1
                session = f"soak-{worker}-{generation}"
                continue
            if kind == "expiry":
                if time.monotonic() + SESSION_TIMEOUT_MINUTES * 60 + 15 > stop_at:
                    continue
                gone = f"soak-expire-{worker}-{generation}"
                generation += 1
                status, body = exec_in(port, gone, "marker = 1")
                set_up = status == 200 and isinstance(body, dict) and body.get("success") is True
                if not set_up and not (is_crash_reset(status, body) and stats.claim_kill()):
                    stats.record(kind, 0, False, f"set-up {status} {body}")
                    continue
                time.sleep(SESSION_TIMEOUT_MINUTES * 60 + 8)  # past expiry plus the sweep
                _, listing = request(port, "GET", "/sessions")
                listed = any(s.get("id") == gone for s in (listing or {}).get("sessions", []))
                started = time.monotonic()
                status, body = exec_in(port, gone, "'marker' in globals()")
                seconds = time.monotonic() - started
                ok = (not listed and status == 200 and body.get("success") is True
                      and body["result"]["final_expression"] is False)
                # The killer may pick the fresh process of this very check.
                if not ok and not listed and is_crash_reset(status, body) and stats.claim_kill():
                    stats.record("killed", seconds, True)
                else:
                    stats.record(kind, seconds, ok, f"listed={listed} {status} {body}")
                request(port, "DELETE", f"/sessions/{gone}")
                continue
            status, body, context, checker, seconds = run_kind(kind, port, session, worker)
            if not isinstance(body, dict):
                stats.record(kind, seconds, False, f"{status} (not JSON)")
                continue
            try:
                ok = checker(status, body, context)
            except (KeyError, TypeError) as error:
                ok = False
                body = {"checker": repr(error), "body": body}
            if not ok and is_crash_reset(status, body) and stats.claim_kill():
                stats.record("killed", seconds, True)
                continue
            stats.record(kind, seconds, ok, f"{status} {json.dumps(body)[:400]}")
        except (OSError, http.client.HTTPException) as error:
            stats.record(kind, time.monotonic() - attempt_started, False, f"no answer: {error!r}", answered=False)


def killer_loop(server_pid, stats, stop_at):
    rng = random.Random(12345)
    while time.monotonic() < stop_at - 5:
        time.sleep(KILL_EVERY)
        pids = session_pids(server_pid)
        if not pids:
            continue
        victim = rng.choice(pids)
        try:
            os.kill(victim, signal.SIGKILL)
            stats.note_kill()
        except OSError:
            pass


# ------------------------------------------------------------------ the report


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def print_interval(minute, stats, samples):
    with stats.lock:
        latencies, stats.latencies = stats.latencies, defaultdict(list)
        requests, unexpected = dict(stats.requests), dict(stats.unexpected)
        unanswered = dict(stats.unanswered)
        kills, crashes = stats.kills_total, stats.crash_replies
    last = samples[-1]
    print(f"\n== {minute:5.1f} min: server RSS {last['server_rss'] / 1024:.0f} MiB, zygote RSS "
          f"{last['zygote_rss'] / 1024:.0f} MiB, total PSS {last['total_pss'] / 1024:.0f} MiB, server fds "
          f"{last['fds']}, processes {last['processes']}; kills {kills}, crash replies {crashes}", flush=True)
    print(f"{'kind':<9} {'requests':>9} {'unexpected':>10} {'unanswered':>10} {'p50 ms':>8} {'p99 ms':>8}"
          "  (counts: so far; p50/p99: this interval)")
    for kind in list(KINDS) + ["killed"]:
        values = latencies.get(kind, [])
        p50 = percentile(values, 0.5) * 1000
        p99 = percentile(values, 0.99) * 1000
        print(f"{kind:<9} {requests.get(kind, 0):>9} {unexpected.get(kind, 0):>10} {unanswered.get(kind, 0):>10} "
              f"{p50:>8.0f} {p99:>8.0f}")
    sys.stdout.flush()


def verdict(intervals):
    """Compares the first full interval after warm-up with the last full one (medians of samples)."""
    if len(intervals) < 3:
        print("\nverdict: too short to judge flatness (need 3 intervals: warm-up, first, last)")
        return True
    first, last = intervals[1], intervals[-1]
    flat = True
    print("\nflatness (median of the samples in the first interval after warm-up vs the last;"
          f" growth over {FLAT_TOLERANCE:.0%} fails):")
    for key, label in [("total_pss", "total PSS KiB"), ("server_rss", "server RSS KiB"),
                       ("zygote_rss", "zygote RSS KiB"), ("fds", "server fds"), ("processes", "processes")]:
        a = statistics.median(s[key] for s in first)
        b = statistics.median(s[key] for s in last)
        change = (b - a) / a if a else 0.0
        ok = change <= FLAT_TOLERANCE
        flat = flat and ok
        print(f"  {label:<15} {a:>10.0f} -> {b:>10.0f}  {change:+6.1%}  {'flat' if ok else 'GROWS'}")
    return flat


def main():
    binary = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "vivarium"
    if not binary.exists():
        print(f"no vivarium binary at {binary}: build it first (make build) or pass its path", file=sys.stderr)
        return 2
    port = free_port()
    log(f"starting {binary} serve on port {port}: {SESSIONS} sessions for {SOAK_MINUTES} min")
    server = start_server(binary, port)
    stats = Stats()
    start = time.monotonic()
    stop_at = start + SOAK_MINUTES * 60
    threads = [threading.Thread(target=worker_loop, args=(i, port, stats, stop_at), daemon=True)
               for i in range(SESSIONS)]
    threads.append(threading.Thread(target=killer_loop, args=(server.pid, stats, stop_at), daemon=True))
    for thread in threads:
        thread.start()
    intervals, current = [], []
    next_sample = start
    next_report = start + INTERVAL
    try:
        while time.monotonic() < stop_at:
            if server.poll() is not None:
                print(f"the server died (exit {server.returncode})", flush=True)
                return 1
            now = time.monotonic()
            if now >= next_sample:
                current.append(sample(server.pid))
                next_sample += SAMPLE_EVERY
            if now >= next_report:
                print_interval((now - start) / 60, stats, current)
                intervals.append(current)
                current = []
                next_report += INTERVAL
            time.sleep(0.2)
        for thread in threads:
            thread.join(timeout=REQUEST_TIMEOUT + 30)
        if current:  # a partial interval while the clients wind down: shown, not judged
            current.append(sample(server.pid))
            print_interval((time.monotonic() - start) / 60, stats, current)
        hung = sum(thread.is_alive() for thread in threads)
        unexpected = sum(stats.unexpected.values())
        print(f"\ntotal requests {sum(stats.requests.values())}, unexpected {unexpected}, "
              f"threads still waiting {hung}")
        flat = verdict(intervals)
        ok = flat and unexpected == 0 and hung == 0
        print(f"verdict: {'PASS' if ok else 'FAIL'}")
        return 0 if ok else 1
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
