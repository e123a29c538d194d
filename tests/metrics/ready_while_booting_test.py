"""GET /ready while `vivarium serve` boots: the port is open before the zygote has booted,
/ready answers 503 "booting", /health 200, and an /exec sent meanwhile waits for the boot
and then runs; once booted, /ready answers 200. An empty compile cache makes the boot last
(~15 s of wasm compiling), so the booting state is seen without any timing guess.

Usage: ready_while_booting_test.py VIVARIUM_BINARY"""
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time


def request(port, method, path, body=None, timeout=10):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
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
            assert request(port, "GET", "/health")[0] == 200
            waited = {}
            sender = threading.Thread(target=lambda: waited.update(
                reply=request(port, "POST", "/exec?sessionId=s", {"code": "1 + 1"}, timeout=300)))
            sender.start()
            time.sleep(0.5)
            assert request(port, "GET", "/ready")[:3:2] == (503, {"status": "booting"}), "booted too soon to tell"
            assert sender.is_alive(), "the /exec sent while booting did not wait: " + repr(waited)
            sender.join(timeout=300)
            status, _, body = waited["reply"]
            assert status == 200 and body["result"]["final_expression"] == 2, (status, body)
            assert request(port, "GET", "/ready")[:3:2] == (200, {"status": "ready"})
            print("ready_while_booting_test: 503 booting, an /exec that waited for the boot, then ready")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
