"""GET /ready while `vivarium serve` boots: the port is open before the zygote has booted,
/ready answers 503 "booting", /exec 503 `unavailable` with Retry-After, /health 200; once
booted, /ready answers 200 and code runs. An empty compile cache makes the boot last
(~15 s of wasm compiling), so the booting state is seen without any timing guess.

Usage: ready_while_booting_test.py VIVARIUM_BINARY"""
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time


def request(port, method, path, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read() or b"null")
    finally:
        connection.close()


def main():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, VIVARIUM_CACHE_DIR=cache)  # empty: the boot compiles for seconds
        server = subprocess.Popen([sys.argv[1], "serve", "--port", str(port), "--preload", "none"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while True:  # the port opens at once, before the boot
                try:
                    status, _, body = request(port, "GET", "/ready")
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        sys.exit("serve did not open its port within 30 s")
                    time.sleep(0.05)
            assert (status, body) == (503, {"status": "booting"}), (status, body)
            status, headers, body = request(port, "POST", "/exec?sessionId=s", {"code": "1 + 1"})
            assert status == 503 and body["error"]["type"] == "unavailable", (status, body)
            assert headers.get("Retry-After") == "1", headers
            assert request(port, "GET", "/health")[0] == 200
            deadline = time.monotonic() + 300
            while request(port, "GET", "/ready")[0] != 200:
                if time.monotonic() > deadline:
                    sys.exit("serve did not become ready within 300 s")
                time.sleep(0.2)
            status, _, body = request(port, "POST", "/exec?sessionId=s", {"code": "1 + 1"})
            assert status == 200 and body["result"]["final_expression"] == 2, (status, body)
            print("ready_while_booting_test: 503 booting, 503 unavailable, then ready and running")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
