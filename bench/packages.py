#!/usr/bin/env python3
"""What packages cost: start-up, new sessions and memory, with and without a preload,
and the time micropip takes to install from the wheel folder.

Compares, in one run, the same vivarium with `--preload none` (the baseline) and with a
preload list. With the official Pyodide distribution in assets/packages (make packages)
it preloads numpy,pandas,matplotlib; otherwise it builds the tests' small wheels
(tests/packages/make_test_packages.py) into a temporary folder and preloads vivtest-app,
which measures the fixed cost of Pyodide's package loading rather than numpy's.

Environment: RUNS (8) runs of `vivarium run`, SESSIONS (10) sessions per server.
Prints numbers; nothing is asserted. Standard library only. Run through bench/packages.sh.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import (  # noqa: E402 (bench/server.py: the HTTP benchmark's helpers)
    ROOT, VIVARIUM, BenchError, Client, Server, log, measure_new_sessions, p50, vivarium_memory)

RUNS = int(os.environ.get("RUNS", "8"))
SESSIONS = int(os.environ.get("SESSIONS", "10"))
OFFICIAL = ROOT / "assets" / "packages"
MAKE_TEST_PACKAGES = ROOT / "tests" / "packages" / "make_test_packages.py"
BUNDLE_LOCK = ROOT / "assets" / "pyodide" / "pyodide-lock.json"


def package_folders(scratch):
    """(package folder, wheel folder, preload list, what was preloaded, in words)."""
    wheels = scratch / "wheels"
    subprocess.run([sys.executable, str(MAKE_TEST_PACKAGES), str(wheels), "--wheels"], check=True)
    if (OFFICIAL / "pyodide-lock.json").exists():
        return OFFICIAL, wheels, "numpy,pandas,matplotlib", "numpy, pandas, matplotlib (official distribution)"
    packages = scratch / "packages"
    subprocess.run([sys.executable, str(MAKE_TEST_PACKAGES), str(packages), str(BUNDLE_LOCK)], check=True)
    return packages, wheels, "vivtest-app", "the tests' vivtest-app + vivtest-base (official distribution absent)"


def time_run(args):
    """Median wall time of `vivarium run ARGS -c pass`, after one untimed run."""
    command = [str(VIVARIUM), "run", *args, "-c", "pass"]
    subprocess.run(command, check=True, capture_output=True)
    samples = []
    for _ in range(RUNS):
        began = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def serve_costs(packages, wheels, preload):
    server = Server(f"vivarium (preload {preload})", lambda port: [
        str(VIVARIUM), "serve", "--port", str(port), "--packages-dir", str(packages), "--wheels-dir", str(wheels),
        "--preload", preload], dict(os.environ, LOG_LEVEL="info"))
    began = time.perf_counter()
    server.start()
    results = {"ready": time.perf_counter() - began}
    try:
        results["new"] = p50(measure_new_sessions(server.port, "new", SESSIONS))
        results["memory"] = vivarium_memory(server, SESSIONS)
        installs = []
        with Client(server.port) as client:
            for i in range(SESSIONS):
                installs.append(client.execute(f"pip-{i}", "import micropip\nawait micropip.install(['vivtest-pure', 'vivtest-fancy'])"))
            client.delete_all_sessions()
        results["install"] = p50(installs)
    finally:
        server.stop()
    return results


def main():
    with tempfile.TemporaryDirectory(prefix="vivarium-bench-") as scratch:
        packages, wheels, preload, described = package_folders(Path(scratch))
        log(f"preload under test: {described}")
        log(f"vivarium run, {RUNS} runs each")
        run_without = time_run(["--packages-dir", str(packages)])
        run_with = time_run(["--packages-dir", str(packages), "--preload", preload])
        log(f"vivarium serve, {SESSIONS} sessions each")
        without = serve_costs(packages, wheels, "none")
        with_preload = serve_costs(packages, wheels, preload)

    def row(name, base, value, unit, scale):
        print(f"  {name:<44} {base * scale:>10.1f} {value * scale:>12.1f} {(value - base) * scale:>+10.1f}  {unit}")

    print(f"\npackage costs, preload: {described}")
    print(f"  {'metric':<44} {'none':>10} {'preloaded':>12} {'cost':>10}")
    row("run -c pass, median wall time", run_without, run_with, "ms", 1000)
    row("serve: start until /ready answers 200", without["ready"], with_preload["ready"], "ms", 1000)
    row("serve: new session + first exec, p50", without["new"], with_preload["new"], "ms", 1000)
    mib = 1 / 2**20
    row("serve: PSS per idle session", without["memory"]["per_session"], with_preload["memory"]["per_session"],
        "MiB", mib)
    row("serve: PSS of the zygote", without["memory"]["zygote"], with_preload["memory"]["zygote"], "MiB", mib)
    row("serve: micropip.install of 2 wheels, p50", without["install"], with_preload["install"], "ms", 1000)
    print("  (the micropip row: a new session's exec that installs vivtest-pure and vivtest-fancy from\n"
          "   the wheel folder, session creation included)")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted")
        sys.exit(130)
    except (BenchError, subprocess.CalledProcessError) as error:
        log(f"error: {error}")
        sys.exit(1)
