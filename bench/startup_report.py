"""Prints bench/startup.sh's results: hyperfine's JSON (seconds) as tables in ms, the
memory samples in MiB, and issue 13's targets as met / NOT met.

usage: startup_report.py STARTUP_JSON BATCH_JSON MEMORY_TXT RUNS BATCH HAS_DAEMON [baseline]
"""

import json
import sys


def results(path):
    return {r["command"]: r for r in json.load(open(path))["results"]}


def main():
    startup_json, batch_json, memory_txt, runs, batch, has_daemon = sys.argv[1:7]
    has_baseline = len(sys.argv) > 7 and sys.argv[7] == "baseline"
    has_daemon = has_daemon == "1"
    startup, batches = results(startup_json), results(batch_json)

    def median(name):
        return startup[name]["median"] * 1000 if name in startup else None

    py = median("python3")
    print(f"\nstart-up, print(1), {runs} runs each (ms)")
    print(f"{'command':<22}{'median':>9}{'min':>9}{'max':>9}{'stddev':>9}{'x python3':>11}")
    for name, r in startup.items():
        ms = lambda key: (r[key] or 0) * 1000
        print(f"{name:<22}{ms('median'):>9.1f}{ms('min'):>9.1f}{ms('max'):>9.1f}{ms('stddev'):>9.1f}"
              f"{ms('median') / py:>11.2f}")

    viv, pyb = batches["vivarium batch"], batches["python3 batch"]
    print(f"\nbatch of {batch} runs of `run -c pass` (s, mean of {len(viv['times'])})")
    for name, r in batches.items():
        print(f"{name:<22}{r['mean']:>9.2f}   per run {r['mean'] * 1000 / int(batch):.1f} ms")
    print(f"{'ratio':<22}{viv['mean'] / pyb['mean']:>9.2f}")

    print("\nresident memory (MiB; PSS shares pages among the processes that map them)")
    print(f"{'process':<22}{'RSS':>9}{'PSS':>9}")
    for line in open(memory_txt):
        *label, rss, pss = line.split()
        if int(rss) == 0:
            print(f"{' '.join(label):<22}{'not found':>9}")
        else:
            print(f"{' '.join(label):<22}{int(rss) / 1024:>9.1f}{int(pss) / 1024:>9.1f}")

    print("\ntargets (issue 13)")

    def target(text, value, limit, unit=""):
        verdict = "met" if value <= limit else "NOT met"
        print(f"  {text}: {value:.2f}{unit} (at most {limit:.2f}{unit}) -> {verdict}")

    no_daemon = median("run --no-daemon") or median("run (in-process)")
    if has_daemon:
        target("warm zygote median / python3 median", median("run (warm zygote)") / py, 1.0)
        target("first run / --no-daemon run", median("run (starts zygote)") / no_daemon, 1.10)
    else:
        print("  (this vivarium has no `vivarium daemon` yet: the warm-zygote and first-run rows, and")
        print("   their targets, appear once it has; every run above is in-process)")
    if has_baseline:
        target("in-process median / baseline median", no_daemon / median("baseline"), 1.0)
        if has_daemon:
            target("first run / baseline (in-process) median", median("run (starts zygote)") / median("baseline"),
                   1.10)
    else:
        print("  (the in-process run against today's: set BASELINE_VIVARIUM=path/to/older/vivarium)")


main()
