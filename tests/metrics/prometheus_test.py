"""A real Prometheus (Debian's) scrapes a running `vivarium serve` every second; after a
known number of executions its query API gives that number.

Usage: prometheus_test.py VIVARIUM_BINARY"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request

from serve_helper import Serve, free_port, wait_until

N = 7  # executions that succeed; plus one that raises, which must not count among them


def query(prometheus_url, expression):
    url = prometheus_url + "/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            answer = json.load(reply)
    except OSError:
        return None
    if answer.get("status") != "success" or not answer["data"]["result"]:
        return None
    return float(answer["data"]["result"][0]["value"][1])


def main():
    binary = sys.argv[1]
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        sys.exit("prometheus is not installed: run scripts/setup.sh (Debian's prometheus package)")
    serve = Serve(binary)
    with tempfile.TemporaryDirectory(prefix="vivarium-prometheus-") as folder:
        config = os.path.join(folder, "prometheus.yml")
        with open(config, "w") as out:
            out.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: vivarium
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ["127.0.0.1:{serve.port}"]
""")
        port = free_port()
        prom = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={folder}/data",
                                 f"--web.listen-address=127.0.0.1:{port}"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        prometheus_url = f"http://127.0.0.1:{port}"
        try:
            for i in range(N):
                status, body = serve.exec("counted", f"{i} + 1")
                assert status == 200 and body["success"], body
            status, body = serve.exec("counted", "1/0")
            assert status == 200 and not body["success"], body
            # Scraped at least once after the last execution: its value is N, as served.
            value = wait_until(lambda: query(prometheus_url, 'vivarium_executions_total{outcome="ok"}') == N, 60,
                               f"Prometheus to see {N} ok executions")
            assert value
            assert query(prometheus_url, 'vivarium_executions_total{outcome="error"}') == 1
            assert query(prometheus_url, 'up{job="vivarium"}') == 1
            assert query(prometheus_url, "vivarium_sessions_created_total") == 1
            print(f"prometheus_test: Prometheus scraped {N} ok executions and 1 error from vivarium serve")
        finally:
            prom.terminate()
            try:
                _, err = prom.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                prom.kill()
                _, err = prom.communicate()
            serve.stop()
            if sys.exc_info()[0] is not None:
                print("prometheus's log ends with:\n" + "\n".join(err.splitlines()[-20:]), file=sys.stderr)


if __name__ == "__main__":
    main()
