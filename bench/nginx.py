#!/usr/bin/env python3
"""The nginx hop: warm POST /exec latency direct to an instance against through Debian's
nginx running deploy/nginx/vivarium.conf (3 instances, hashed on the session), in one run.

The shipped file is used as the test uses it (tests/deploy/nginx_test.py): only the
addresses are filled in. One warm session, REQUESTS sequential executions of `1+1` on
one kept-alive connection per path, the two paths interleaved so that drift hits both;
p50 and p99 in ms. Numbers are printed, not asserted.

Environment: REQUESTS (500), VIVARIUM_BINARY (default build/vivarium). Standard library
only; needs nginx (scripts/setup.sh installs it).
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIVARIUM = Path(os.environ.get("VIVARIUM_BINARY", ROOT / "build" / "vivarium"))
CONF = ROOT / "deploy" / "nginx" / "vivarium.conf"
REQUESTS = int(os.environ.get("REQUESTS", "500"))
WARM_UP = 30
SHIPPED_PORTS = (3081, 3082, 3083)


def log(message):
    print(f"[nginx.py] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_serve(name):
    process = subprocess.Popen([str(VIVARIUM), "serve", "--port", "0", "--preload", "none", "--instance-id", name,
                                "--log-level", "warn"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        match = re.search(r"listening on http://[^:]+:([0-9]+)", line)
        if match:
            return process, int(match.group(1))
    raise SystemExit(f"nginx.py: {name} did not start")


def start_nginx(ports, folder):
    conf = CONF.read_text()
    for shipped, port in zip(SHIPPED_PORTS, ports):
        conf = conf.replace(f"127.0.0.1:{shipped} ", f"127.0.0.1:{port} ")
    listen = free_port()
    conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{listen};")
    (folder / "vivarium.conf").write_text(conf)
    temps = " ".join(f"{kind}_temp_path tmp_{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (folder / "nginx.conf").write_text("error_log stderr;\npid nginx.pid;\nevents {}\n"
                                       f"http {{ access_log off; {temps} include vivarium.conf; }}\n")
    nginx = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(folder), "-c", "nginx.conf",
                              "-g", "daemon off;"], stdin=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", listen), timeout=1).close()
            return nginx, listen
        except OSError:
            time.sleep(0.05)
    raise SystemExit("nginx.py: nginx did not start")


class Client:
    def __init__(self, port):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def exec(self):
        self.connection.request("POST", "/exec?sessionId=bench-nginx", body=b'{"code": "1+1"}',
                                headers={"Content-Type": "application/json"})
        reply = self.connection.getresponse()
        body = json.loads(reply.read())
        if reply.status != 200 or body["result"]["final_expression"] != 2:
            raise SystemExit(f"nginx.py: unexpected reply {reply.status}: {body}")
        return reply.getheader("X-Vivarium-Instance")


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    if not shutil.which("nginx") and not os.path.exists("/usr/sbin/nginx"):
        raise SystemExit("nginx.py: no nginx (scripts/setup.sh installs Debian's)")
    servers = [start_serve(f"vivarium-{n}") for n in range(3)]
    folder = Path(tempfile.mkdtemp(prefix="vivarium-nginx-bench-"))
    folder.chmod(0o755)
    nginx = None
    try:
        nginx, listen = start_nginx([port for _, port in servers], folder)
        through = Client(listen)
        holder = through.exec()  # creates the session on its instance
        direct = Client(servers[int(holder.rsplit("-", 1)[1])][1])
        for _ in range(WARM_UP):
            through.exec()
            direct.exec()
        samples = {"direct": [], "through nginx": []}
        for _ in range(REQUESTS):
            for name, path in (("direct", direct), ("through nginx", through)):
                started = time.perf_counter()
                path.exec()
                samples[name].append((time.perf_counter() - started) * 1000)
        log(f"{REQUESTS} warm executions of 1+1 per path, session on {holder}")
        base = percentile(samples["direct"], 50)
        print(f"{'path':16} {'p50 ms':>8} {'p99 ms':>8} {'p50 vs direct':>14}")
        for name, values in samples.items():
            p50 = percentile(values, 50)
            print(f"{name:16} {p50:8.2f} {percentile(values, 99):8.2f} {p50 - base:+13.2f}")
    finally:
        if nginx:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(30)
        for process, _ in servers:
            process.send_signal(signal.SIGTERM)
            process.wait(60)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
