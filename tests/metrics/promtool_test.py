"""`promtool check metrics` (Debian's prometheus package) on a live scrape of `vivarium
serve` after executions of every outcome: it must print nothing and exit 0.

Usage: promtool_test.py VIVARIUM_BINARY"""
import shutil
import subprocess
import sys
import time

from serve_helper import Serve


def main():
    promtool = shutil.which("promtool")
    if promtool is None:
        sys.exit("promtool is not installed: run scripts/setup.sh (Debian's prometheus package)")
    serve = Serve(sys.argv[1], "--execution-timeout", "1", "--max-sessions", "2", "--max-body-size", "4K")
    try:
        assert serve.exec("a", "1")[1]["success"]                                # ok
        assert serve.exec("a", "1/0")[1]["error"]["type"] == "execution"         # error
        assert serve.exec("a", "while True: pass")[1]["error"]["type"] == "timeout"  # timeout
        assert serve.exec("b", "1")[0] == 200
        assert serve.kill_sessions()
        time.sleep(0.2)  # let them die; the next execution in "a" is then a reset
        assert serve.exec("a", "1")[1]["error"]["session_reset"]                # reset
        assert serve.exec("c", "1")[0] == 503                                   # refused: --max-sessions
        assert serve.request("POST", "/exec?sessionId=a", {"code": "x" * 5000})[0] == 413  # a size rejection
        assert serve.request("GET", "/no/such/path")[0] == 404
        assert serve.request("DELETE", "/sessions/b")[0] == 200
        assert serve.request("GET", "/ready")[0] == 200
        status, text = serve.request("GET", "/metrics")
        assert status == 200, status
        for name in ("vivarium_executions_total", "vivarium_http_requests_total", "vivarium_resident_memory_bytes",
                     "vivarium_execution_duration_seconds_bucket", "vivarium_session_start_duration_seconds_bucket"):
            assert name in text, name
        check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
        if check.returncode != 0 or check.stdout or check.stderr:
            sys.exit(f"promtool check metrics exited {check.returncode}:\n{check.stdout}{check.stderr}\n--- the scrape:\n"
                     + text)
        print(f"promtool_test: promtool check metrics: nothing to report on {len(text.splitlines())} lines")
    finally:
        serve.stop()


if __name__ == "__main__":
    main()
