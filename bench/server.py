#!/usr/bin/env python3
"""HTTP server benchmark: `vivarium serve` against the original design.

The baseline (bench/baseline_server.mjs) is the original vivarium's design:
one Node 20 process holding one Pyodide instance per session. Both servers get
the same requests over HTTP on 127.0.0.1; the script prints one comparison
table and the targets. Numbers are printed, not asserted: the exit status is
non-zero only when something broke.

New sessions arrive open-loop (each at its scheduled time, on a connection of its own,
whether or not the ones before have answered) at ARRIVAL_RATE a second (5: the spare
pool refills between arrivals) and in a BURST_RATE burst (50 a second: arrivals outrun
the refill), against vivarium with its default spares and again with --spare-sessions 0.

Environment: VIVARIUM_SESSIONS (20), BASELINE_SESSIONS (5), DURATION (5 s), ARRIVALS (50),
ARRIVAL_RATE (5), BURST_RATE (50), BASELINE_ARRIVALS (10), VIVARIUM_BINARY (default build/vivarium).
Standard library only. Run through bench/server.sh.
"""
import http.client
import json
import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIVARIUM = Path(os.environ.get("VIVARIUM_BINARY", ROOT / "build" / "vivarium"))  # another build to compare
BASELINE = ROOT / "bench" / "baseline_server.mjs"

VIVARIUM_SESSIONS = int(os.environ.get("VIVARIUM_SESSIONS", "20"))
BASELINE_SESSIONS = int(os.environ.get("BASELINE_SESSIONS", "5"))
DURATION = float(os.environ.get("DURATION", "5"))
ARRIVALS = int(os.environ.get("ARRIVALS", "50"))
ARRIVAL_RATE = float(os.environ.get("ARRIVAL_RATE", "5"))
BURST_RATE = float(os.environ.get("BURST_RATE", "50"))
BASELINE_ARRIVALS = int(os.environ.get("BASELINE_ARRIVALS", "10"))  # ~2 s of CPU each
DEFAULT_SPARES = 2  # vivarium serve's documented default (--spare-sessions)
SPARE_REST = 2.0  # seconds a spare waits before the warm execs take it, and the refill after
WARM_EXECS = 1000  # p99 is then the 10th slowest, not the 2nd
WARM_UP_EXECS = 20
THREADS = 8
HEALTH_CALLS = 50
HEALTH_TIMEOUT = 2.0  # seconds; past it a /health call counts as "no answer"
HEALTH_GIVE_UP = 3  # timeouts before we stop asking a frozen server
# A new baseline session loads a whole Pyodide (seconds), so requests get room.
EXEC_TIMEOUT = 120.0
GIB = 1024**3


class BenchError(Exception):
    """Something broke: the benchmark cannot give meaningful numbers."""


def log(message):
    """Progress goes to stderr so that stdout holds only the results."""
    print(f"[server.py] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes


def proc_stat(pid):
    """(comm, ppid, session id) of a process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm is in parentheses and may hold spaces: split after the last ')'.
    comm = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    return comm, int(fields[1]), int(fields[3])


def all_processes():
    """{pid: (comm, ppid, sid)} for every process we can see."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = proc_stat(int(entry.name))
            if stat:
                table[int(entry.name)] = stat
    return table


def children(pid, comm_prefix, table=None):
    """Child pids of `pid` whose name starts with comm_prefix."""
    table = table if table is not None else all_processes()
    return [p for p, (comm, ppid, _) in table.items() if ppid == pid and comm.startswith(comm_prefix)]


def pss_bytes(pid):
    """Proportional set size: shared pages are split among the processes sharing
    them, so summing it over forked sessions does not count the zygote's pages
    once per session (RSS would)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    raise BenchError(f"no Pss in /proc/{pid}/smaps_rollup")


def free_port():
    """A port nobody listens on right now (vivarium is started on it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process on 127.0.0.1:port, its stderr drained into a short tail."""

    def __init__(self, name, argv, env=None):
        self.name = name
        self.argv = argv
        self.env = env
        self.proc = None
        self.port = None
        self.stderr_tail = deque(maxlen=30)

    def start(self, timeout=180.0):
        """Start on a free port and wait for /ready (/health for the baseline). vivarium at
        LOG_LEVEL=warn prints no "listening on" line, so readiness is asked; a lost
        race for the port shows as an early exit, and we try another one."""
        for _ in range(3):
            self.port = free_port()
            # A session of its own: Ctrl-C in the terminal reaches only us, and we
            # stop the server ourselves (vivarium must get SIGTERM, not SIGINT).
            self.proc = subprocess.Popen(
                self.argv(self.port), env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE, text=True, start_new_session=True)
            threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()
            if self._wait_ready(timeout):
                return
            if "cannot listen" not in "".join(self.stderr_tail):
                break
        raise BenchError(f"{self.name} did not start; its stderr ends with:\n" + "".join(self.stderr_tail))

    def _drain(self, proc):
        # An undrained pipe would block the server once it fills up.
        for line in proc.stderr:
            self.stderr_tail.append(line)

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with Client(self.port, timeout=1.0) as client:
                    # vivarium opens its port while it boots and says so on /ready (503
                    # until it can run code); the Node baseline has only /health.
                    status = client.request("GET", "/ready")[0]
                    if status == 200 or (status == 404 and client.request("GET", "/health")[0] == 200):
                        return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def stop(self):
        """SIGTERM (vivarium then ends its zygote and sessions), SIGKILL if it lingers."""
        if not self.proc or self.proc.poll() is not None:
            return
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            # vivarium gives in-flight executions 10 s to finish.
            self.proc.wait(timeout=20)
            log(f"{self.name} stopped {time.monotonic() - began:.1f} s after SIGTERM")
        except subprocess.TimeoutExpired:
            log(f"{self.name} ignored SIGTERM for 20 s: SIGKILL")
            self.proc.kill()
            self.proc.wait()


# -------------------------------------------------------------------- HTTP


class Client:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port, reopened after an error."""

    def __init__(self, port, timeout=EXEC_TIMEOUT):
        self.port = port
        self.timeout = timeout
        self.conn = None

    def connect(self):
        """Opens the connection now (else the first request does, inside its time)."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.conn.connect()

    def request(self, method, path, body=None):
        """(HTTP status, decoded JSON, seconds taken)."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        elapsed = time.perf_counter() - start
        return response.status, json.loads(payload or b"null"), elapsed

    def execute(self, session_id, code):
        """Seconds one successful POST /exec took; anything else is a BenchError."""
        status, answer, elapsed = self.request("POST", f"/exec?sessionId={session_id}", {"code": code})
        if status != 200 or not answer.get("success"):
            raise BenchError(f"exec {code!r} in {session_id}: HTTP {status} {answer}")
        return elapsed

    def delete_all_sessions(self):
        """Leave the server with no session, so that each measurement starts clean."""
        for session in self.request("GET", "/sessions")[1]["sessions"]:
            self.request("DELETE", f"/sessions/{session['id']}")

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    # `with Client(port) as c:` closes the connection: vivarium's shutdown waits
    # for idle keep-alive connections to time out, so none are left lying around.
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ------------------------------------------------------------ measurements


def p50(samples):
    return statistics.median(samples)


def p99(samples):
    """Nearest rank: with fewer than 100 samples this is the maximum."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.99 * len(ordered)) - 1]


def create_sessions(client, prefix, count):
    """Sessions exist once they ran something: one trivial exec each. Returns the
    ids and the latency of each first exec."""
    ids = [f"{prefix}-{i}" for i in range(count)]
    return ids, [client.execute(sid, "1+1") for sid in ids]


def measure_new_sessions(port, prefix, count):
    """Latency of a fresh session's first exec: session creation + "1+1"."""
    with Client(port) as client:
        _, latencies = create_sessions(client, prefix, count)
        client.delete_all_sessions()
    return latencies


def metric_values(port, prefix):
    """{sample: value} of the /metrics lines that start with prefix."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    values = {}
    for line in text.splitlines():
        if line.startswith(prefix):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def wait_for_spares(port, count, timeout=30.0):
    """Until the pool holds `count` ready spares (after a measurement took them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if metric_values(port, "vivarium_spare_sessions").get("vivarium_spare_sessions", 0) >= count:
            return
        time.sleep(0.05)
    raise BenchError(f"the spare pool did not refill to {count} within {timeout:g} s")


def measure_arrivals(port, prefix, rate, count, spares, metrics=True):
    """New sessions arriving open-loop at `rate` a second: session i is sent at t0 + i/rate
    on a connection of its own (opened just before, not timed), whether or not earlier
    ones have answered, as independent clients would. Returns (first-exec latencies,
    how many ran in a spare, how late the client sent them at worst)."""
    if spares:
        wait_for_spares(port, spares)
    before = metric_values(port, "vivarium_session_starts_total") if metrics else {}
    latencies = [None] * count
    late = [0.0] * count
    errors = []

    def arrive(index, scheduled):
        try:
            with Client(port) as client:
                client.connect()
                late[index] = time.perf_counter() - scheduled
                latencies[index] = client.execute(f"{prefix}-{index}", "1+1")
        except Exception as e:  # reported below; a thread must not die silently
            errors.append(e)

    threads = []
    start = time.perf_counter() + 0.05
    for index in range(count):
        scheduled = start + index / rate
        pause = scheduled - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        thread = threading.Thread(target=arrive, args=(index, scheduled), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    if errors:
        raise BenchError(f"arrivals at {rate:g}/s: {errors[0]}")
    after = metric_values(port, "vivarium_session_starts_total") if metrics else {}
    key = 'vivarium_session_starts_total{from="spare"}'
    from_spares = int(after.get(key, 0) - before.get(key, 0))
    with Client(port) as client:
        client.delete_all_sessions()
    return latencies, from_spares, max(late)


def measure_warm_exec(port, spares=0):
    """Latency of "1+1" over HTTP in a session that already ran a few times:
    (over one keep-alive connection, over a new connection per request). The
    second is a diagnostic: a server writing small responses in pieces without
    TCP_NODELAY stalls ~40 ms per keep-alive request (Nagle + delayed ACK),
    while a connection's first request is not delayed."""
    with Client(port) as client:
        for _ in range(WARM_UP_EXECS):
            client.execute("warm", "1+1")
        # The measured execs start once the server's background work is done: the spare
        # that replaces the one this session took is forked, and JIT-warmed after a second
        # unclaimed (~0.5 s of CPU, which on 2 cores shows in the p99 of execs beside it).
        if spares:
            wait_for_spares(port, spares)
        time.sleep(SPARE_REST)
        keep_alive = [client.execute("warm", "1+1") for _ in range(WARM_EXECS)]
        fresh = []
        for _ in range(WARM_EXECS):
            with Client(port) as one_shot:
                fresh.append(one_shot.execute("warm", "1+1"))
        client.delete_all_sessions()
    return keep_alive, fresh


def measure_throughput(port):
    """Execs per second with THREADS sessions busy at once, one thread each,
    each sending its next exec as soon as the previous one answered."""
    with Client(port) as client:
        session_ids, _ = create_sessions(client, "tput", THREADS)
    counts = [0] * THREADS
    errors = []
    start_gate = threading.Barrier(THREADS + 1)
    deadline = [0.0]

    def worker(index):
        with Client(port) as client:
            start_gate.wait()
            try:
                while time.perf_counter() < deadline[0]:
                    client.execute(session_ids[index], "sum(range(1000))")
                    counts[index] += 1
            except Exception as e:  # reported below; a thread must not die silently
                errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + DURATION
    began = time.perf_counter()
    start_gate.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise BenchError(f"throughput: {errors[0]}")
    with Client(port) as client:
        client.delete_all_sessions()
    return sum(counts) / elapsed


def measure_health_while_looping(port, stop_loop):
    """/health latencies while one session runs `while True: pass`. Returns
    (latencies, timeouts). The looping exec is sent from a background thread that
    nobody waits for: the baseline never answers it."""
    with Client(port) as client:
        client.execute("loop", "1+1")  # create it first: a baseline boot would muddy this
    looper = threading.Thread(target=_run_loop, args=(port,), daemon=True)
    looper.start()
    time.sleep(0.5)  # let the loop get going
    latencies, timeouts = [], 0
    with Client(port, timeout=HEALTH_TIMEOUT) as client:
        for _ in range(HEALTH_CALLS):
            try:
                status, _, elapsed = client.request("GET", "/health")
            except (socket.timeout, TimeoutError):
                timeouts += 1
                if timeouts >= HEALTH_GIVE_UP:
                    break
                continue
            if status != 200:
                raise BenchError(f"/health answered HTTP {status}")
            latencies.append(elapsed)
    if not looper.is_alive():
        log("warning: the looping exec ended before the /health calls did")
    if stop_loop:
        with Client(port, timeout=30) as client:
            client.request("DELETE", "/sessions/loop")
    return latencies, timeouts


def _run_loop(port):
    """Body of the looping thread. vivarium answers once the session is deleted
    (an error, ignored); the baseline never does."""
    try:
        with Client(port) as client:
            client.execute("loop", "while True: pass")
    except Exception:
        pass


def vivarium_memory(server, count):
    """PSS per idle session (sum over our zygote's vivarium-sess children / count),
    plus the zygote's and the server's own PSS."""
    with Client(server.port) as client:
        create_sessions(client, "idle", count)
        zygote = zygote_pid(server)
        sessions = children(zygote, "vivarium-sess")
        if len(sessions) != count:
            raise BenchError(f"expected {count} vivarium-sess processes, found {len(sessions)}")
        per_session = sum(pss_bytes(pid) for pid in sessions) / count
        wait_for_spares(server.port, DEFAULT_SPARES)
        spares = children(zygote, "vivarium-spare")
        spares_pss = sum(pss_bytes(pid) for pid in spares)
        memory = {"per_session": per_session, "zygote": pss_bytes(zygote), "server": pss_bytes(server.proc.pid),
                  "spares": spares_pss, "per_spare": spares_pss / max(1, len(spares))}
        client.delete_all_sessions()
    wait_for_no_sessions(zygote)
    return memory


def baseline_memory(server, count):
    """(PSS of the node process after `count` sessions - before) / count. Run on a
    fresh process: instances deleted earlier would be collected at unknown times."""
    before = pss_bytes(server.proc.pid)
    with Client(server.port) as client:
        create_sessions(client, "idle", count)
        after = pss_bytes(server.proc.pid)
        client.delete_all_sessions()
    return {"per_session": (after - before) / count, "server_before": before, "server": after}


def zygote_pid(server):
    zygotes = children(server.proc.pid, "vivarium-zyg")
    if len(zygotes) != 1:
        raise BenchError(f"expected one zygote under vivarium pid {server.proc.pid}, found {zygotes}")
    return zygotes[0]


def wait_for_no_sessions(zygote, timeout=10.0):
    """Deleted sessions' processes exit asynchronously; later counts need them gone."""
    deadline = time.monotonic() + timeout
    while children(zygote, "vivarium-sess") and time.monotonic() < deadline:
        time.sleep(0.05)


def our_vivarium_processes(server):
    """Zygote/session processes started by our vivarium: they inherit its session
    id (start_new_session), which survives re-parenting when the server dies.
    Other vivarium servers on this machine are left out."""
    sid = server.proc.pid
    return [(pid, comm) for pid, (comm, _, s) in all_processes().items()
            if s == sid and comm.startswith(("vivarium-sess", "vivarium-spare", "vivarium-zyg"))]


# -------------------------------------------------------------- the runs


def run_vivarium(server):
    results = {}
    log(f"vivarium: memory of {VIVARIUM_SESSIONS} idle sessions")
    results["memory"] = vivarium_memory(server, VIVARIUM_SESSIONS)
    log(f"vivarium: {VIVARIUM_SESSIONS} new sessions, back to back")
    results["new"] = measure_new_sessions(server.port, "new", VIVARIUM_SESSIONS)
    results.update(run_arrivals(server, spares=DEFAULT_SPARES))
    # The session of the warm execs starts from a spare that has waited long enough to
    # warm its JIT too (sessions/session_process.cpp), as spares do between arrivals a
    # few seconds apart; the --spare-sessions 0 column is a session forked on its request.
    wait_for_spares(server.port, DEFAULT_SPARES)
    time.sleep(SPARE_REST)
    log(f"vivarium: {WARM_EXECS} warm execs, in a session from a spare that waited {SPARE_REST:g} s")
    results["warm"] = measure_warm_exec(server.port, DEFAULT_SPARES)
    log(f"vivarium: throughput, {THREADS} sessions, {DURATION:g} s")
    results["throughput"] = measure_throughput(server.port)
    log("vivarium: /health while a session loops")
    results["health"] = measure_health_while_looping(server.port, stop_loop=True)
    return results


def run_arrivals(server, spares):
    results = {}
    for name, rate in (("steady", ARRIVAL_RATE), ("burst", BURST_RATE)):
        log(f"vivarium (--spare-sessions {spares}): {ARRIVALS} new sessions arriving at {rate:g}/s")
        results[name] = measure_arrivals(server.port, f"{name}-{spares}", rate, ARRIVALS, spares)
    return results


def run_without_spares(server):
    results = run_arrivals(server, spares=0)
    log(f"vivarium --spare-sessions 0: {WARM_EXECS} warm execs, in a session forked on its request")
    results["warm"] = measure_warm_exec(server.port)
    return results


def run_baseline(server):
    # Memory first, on a fresh process (see baseline_memory); the loop last,
    # because it freezes the baseline for good.
    results = {}
    log(f"baseline: memory of {BASELINE_SESSIONS} idle sessions (each loads Pyodide: seconds)")
    results["memory"] = baseline_memory(server, BASELINE_SESSIONS)
    log(f"baseline: {BASELINE_SESSIONS} new sessions")
    results["new"] = measure_new_sessions(server.port, "new", BASELINE_SESSIONS)
    for name, rate in (("steady", ARRIVAL_RATE), ("burst", BURST_RATE)):
        log(f"baseline: {BASELINE_ARRIVALS} new sessions arriving at {rate:g}/s")
        results[name] = measure_arrivals(server.port, f"{name}-base", rate, BASELINE_ARRIVALS, 0, metrics=False)
    log(f"baseline: {WARM_EXECS} warm execs")
    results["warm"] = measure_warm_exec(server.port)
    log(f"baseline: throughput, {THREADS} sessions, {DURATION:g} s (creating them takes a while)")
    results["throughput"] = measure_throughput(server.port)
    log("baseline: /health while a session loops (expect no answer)")
    results["health"] = measure_health_while_looping(server.port, stop_loop=False)
    return results


# ----------------------------------------------------------------- report


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def mib(size):
    return f"{size / 2**20:.1f} MiB"


def health_cells(health):
    latencies, timeouts = health
    if not latencies:
        return ["no answer", f"no answer ({timeouts} timed out)"]
    note = f" ({timeouts} timed out)" if timeouts else ""
    return [ms(p50(latencies)), ms(p99(latencies)) + note]


def idle_100_bytes(viv):
    """Server + zygote + the spares + 100 sessions at the measured PSS per session."""
    memory = viv["memory"]
    return memory["server"] + memory["zygote"] + memory["spares"] + 100 * memory["per_session"]


def arrival_cells(result, spares):
    """p50, p99 and how many ran in a spare, of one measure_arrivals result."""
    latencies, from_spares, late = result
    note = f" (client {ms(late)} late)" if late > 0.005 else ""
    return (ms(p50(latencies)), ms(p99(latencies)) + note,
            f"{from_spares}/{len(latencies)}" if spares else "-")


def print_report(viv, cold, base):
    v_health, b_health = health_cells(viv["health"]), health_cells(base["health"])
    rows = []
    for name, rate in (("steady", ARRIVAL_RATE), ("burst", BURST_RATE)):
        with_spares, without = arrival_cells(viv[name], DEFAULT_SPARES), arrival_cells(cold[name], 0)
        node = arrival_cells(base[name], 0)
        label = f"new session first exec, {rate:g} new sessions/s (n={ARRIVALS}/{BASELINE_ARRIVALS})"
        rows += [(f"{label}: p50", with_spares[0], without[0], node[0]),
                 ("  p99 (max)", with_spares[1], without[1], node[1]),
                 ("  sessions that got a spare", with_spares[2], without[2], "-")]
    rows += [
        (f"new session first exec back to back, p50 (n={len(viv['new'])}/{len(base['new'])})",
         ms(p50(viv["new"])), "", ms(p50(base["new"]))),
        ("  p99 (max)", ms(p99(viv["new"])), "", ms(p99(base["new"]))),
        (f"warm exec \"1+1\" p50 (n={WARM_EXECS})", ms(p50(viv["warm"][0])), ms(p50(cold["warm"][0])),
         ms(p50(base["warm"][0]))),
        ("warm exec \"1+1\" p99", ms(p99(viv["warm"][0])), ms(p99(cold["warm"][0])), ms(p99(base["warm"][0]))),
        ("  same, new connection per request: p50", ms(p50(viv["warm"][1])), ms(p50(cold["warm"][1])),
         ms(p50(base["warm"][1]))),
        (f"throughput, {THREADS} sessions (execs/s)", f"{viv['throughput']:.0f}", "", f"{base['throughput']:.0f}"),
        (f"PSS per idle session (K={VIVARIUM_SESSIONS}/{BASELINE_SESSIONS})",
         mib(viv["memory"]["per_session"]), "", mib(base["memory"]["per_session"])),
        (f"PSS per spare ({DEFAULT_SPARES} spares)", mib(viv["memory"]["per_spare"]), "", "-"),
        ("PSS server process", mib(viv["memory"]["server"]), "",
         f"{mib(base['memory']['server'])} (was {mib(base['memory']['server_before'])})"),
        ("PSS zygote", mib(viv["memory"]["zygote"]), "", "-"),
        (f"/health p50 while a session loops (n={HEALTH_CALLS})", v_health[0], "", b_health[0]),
        ("/health p99 while a session loops", v_health[1], "", b_health[1]),
    ]
    header = ("metric", f"vivarium ({DEFAULT_SPARES} spares)", "--spare-sessions 0", "node+pyodide")
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(4)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    print()
    print(f"HTTP server: vivarium serve vs the original design (node + one Pyodide per session); "
          f"keep-alive connections, 127.0.0.1, {os.cpu_count()} CPUs, load average before the run "
          f"{LOAD_BEFORE}")
    print(line(header))
    print(line(tuple("-" * w for w in widths)))
    for row in rows:
        print(line(row))
    print("(new sessions arrive open-loop, each on its own connection opened just before its scheduled time; "
          "the node baseline loads Pyodide per session, ~2 s of CPU, so its arrivals queue. Warm execs: "
          f"with spares, in a session from a spare that waited {SPARE_REST:g} s (its JIT warmed); with "
          "--spare-sessions 0, in a session forked on its request)")
    print_nagle_hint(viv)
    total = idle_100_bytes(viv)
    print(f"\n100 idle sessions would take {total / GIB:.2f} GiB (vivarium: server + zygote + spares + 100 x "
          f"per-session PSS)")
    print_targets(viv, total)


def print_nagle_hint(viv):
    """Name the likely cause when keep-alive requests are much slower than
    one-shot connections (see measure_warm_exec)."""
    keep_alive, fresh = (p50(samples) for samples in viv["warm"])
    if keep_alive - fresh > 0.030:
        print(f"\nnote: vivarium keep-alive p50 {ms(keep_alive)} vs {ms(fresh)} on new connections: the ~40 ms "
              f"gap is typical of the Nagle/delayed-ACK stall (a server sending headers and body in separate writes "
              f"without TCP_NODELAY); it then inflates every keep-alive row (exec, throughput, /health).")


def print_targets(viv, idle_100):
    latencies, _ = viv["health"]
    health_p99 = p99(latencies) if latencies else math.inf
    steady = viv["steady"][0]
    targets = [
        (f"new session p50 <= 5 ms at {ARRIVAL_RATE:g}/s (spares)", p50(steady) <= 0.005, ms(p50(steady))),
        (f"new session p99 <= 15 ms at {ARRIVAL_RATE:g}/s (spares)", p99(steady) <= 0.015, ms(p99(steady))),
        ("new session p50 < 50 ms back to back", p50(viv["new"]) < 0.050, ms(p50(viv["new"]))),
        ("warm exec p50 < 5 ms", p50(viv["warm"][0]) < 0.005, ms(p50(viv["warm"][0]))),
        ("warm exec p99 <= 3 ms", p99(viv["warm"][0]) <= 0.003, ms(p99(viv["warm"][0]))),
        ("/health p99 < 50 ms while a session loops", health_p99 < 0.050,
         ms(health_p99) if latencies else "no answer"),
        ("100 idle sessions fit in 24 GiB", idle_100 < 24 * GIB, f"{idle_100 / GIB:.2f} GiB"),
    ]
    print("\ntargets (vivarium):")
    for name, met, value in targets:
        print(f"  {name:<46} {value:>12}  {'met' if met else 'NOT met'}")


# ------------------------------------------------------------------- main


def vivarium_server(spares=None):
    """vivarium serve with its default spares, or with --spare-sessions `spares`."""
    env = dict(os.environ, LOG_LEVEL="warn")  # quiet: no line per request
    env.pop("SPARE_SESSIONS", None)  # the default is what is measured
    extra = [] if spares is None else ["--spare-sessions", str(spares)]
    name = "vivarium" if spares is None else f"vivarium --spare-sessions {spares}"
    return Server(name, lambda port: [
        str(VIVARIUM), "serve", "--port", str(port), "--max-sessions", "200",
        # The /health test keeps a session looping; it must not be timed out meanwhile.
        "--execution-timeout", "60", *extra], env)


def baseline_server():
    return Server("baseline", lambda port: ["node", str(BASELINE), str(port)])


def check_leftovers(server, seen):
    """After SIGTERM vivarium must have ended its zygote and sessions."""
    left = our_vivarium_processes(server) if server.proc else []
    left += [(pid, comm) for pid, comm in seen if proc_stat(pid) and proc_stat(pid)[0] == comm]
    if left:
        log(f"WARNING: vivarium processes left behind: {sorted(set(left))}")
    else:
        log("vivarium stopped cleanly: no zygote or session process left")


def on_sigterm(signum, frame):
    # Turn SIGTERM into an exception so that the finally blocks stop the servers.
    raise KeyboardInterrupt


LOAD_BEFORE = "?"


def main():
    global LOAD_BEFORE
    LOAD_BEFORE = " ".join(f"{load:.2f}" for load in os.getloadavg())
    signal.signal(signal.SIGTERM, on_sigterm)
    viv, cold, base = vivarium_server(), vivarium_server(spares=0), baseline_server()
    seen = []  # our zygote/session processes, to check they are gone at the end
    try:
        log("starting vivarium (the first start after a cache change compiles for ~15 s)")
        viv.start()
        viv_results = run_vivarium(viv)
    finally:
        if viv.proc:
            seen += our_vivarium_processes(viv)
        viv.stop()
        check_leftovers(viv, seen)
    seen = []
    try:
        log("starting vivarium --spare-sessions 0")
        cold.start()
        cold_results = run_without_spares(cold)
    finally:
        if cold.proc:
            seen += our_vivarium_processes(cold)
        cold.stop()
        check_leftovers(cold, seen)
    # The baseline runs alone, so neither server steals CPU from the other.
    try:
        log("starting the node + pyodide baseline")
        base.start()
        base_results = run_baseline(base)
    finally:
        base.stop()
    print_report(viv_results, cold_results, base_results)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; servers stopped")
        sys.exit(130)
    except BenchError as e:
        log(f"error: {e}")
        sys.exit(1)
