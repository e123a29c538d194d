"""Three `vivarium serve` instances behind a real nginx running deploy/nginx/vivarium.conf.

The shipped file is what is tested: only its addresses (the instances' ports, the listen
port) are filled in. Each instance runs with --instance-id vivarium-N, so each reply says
in X-Vivarium-Instance which instance answered. nginx is Debian's (scripts/setup.sh),
started here with its own prefix, on a free 127.0.0.1 port, in the foreground.

Usage: nginx_test.py VIVARIUM_BINARY
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

try:
    import requests
except ImportError:
    sys.exit(f"{sys.executable} cannot import requests: install Debian's python3-requests (scripts/setup.sh does)")

HERE = os.path.dirname(os.path.abspath(__file__))
CONF = os.path.join(HERE, "..", "..", "deploy", "nginx", "vivarium.conf")
BINARY = None
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SHIPPED_PORTS = (3081, 3082, 3083)  # the addresses written in the shipped file
SKIP = 77


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Instance:
    def __init__(self, name):
        self.name = name
        self.process = subprocess.Popen(
            [BINARY, "serve", "--port", "0", "--preload", "none", "--instance-id", name],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.log, self.port = [], None
        listening = threading.Event()

        def read():
            for line in self.process.stderr:
                self.log.append(line)
                match = re.search(r"listening on http://[^:]+:([0-9]+)", line)
                if match:
                    self.port = int(match.group(1))
                    listening.set()
            listening.set()

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        listening.wait(120)
        if self.port is None:
            self.process.kill()
            raise RuntimeError(f"{name} did not start:\n" + "".join(self.log))
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)
        self.reader.join(10)

    def session_ids(self):
        return {s["id"] for s in requests.get(self.url + "/sessions", timeout=10).json()["sessions"]}


class BehindNginx(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.instances = [Instance(f"vivarium-{n}") for n in range(3)]
        cls.by_name = {i.name: i for i in cls.instances}
        cls.dir = tempfile.mkdtemp(prefix="vivarium-nginx-")
        os.chmod(cls.dir, 0o755)  # nginx's workers (nobody, when run as root) use its temp folders
        conf = open(CONF).read()
        for shipped, instance in zip(SHIPPED_PORTS, cls.instances):
            assert f"127.0.0.1:{shipped} " in conf, f"{CONF} no longer lists 127.0.0.1:{shipped}"
            conf = conf.replace(f"127.0.0.1:{shipped} ", f"127.0.0.1:{instance.port} ")
        cls.port = free_port()
        assert "listen 8080;" in conf, f"{CONF} no longer listens on 8080"
        conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{cls.port};")
        with open(os.path.join(cls.dir, "vivarium.conf"), "w") as out:
            out.write(conf)
        temps = " ".join(f"{kind}_temp_path tmp_{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        with open(os.path.join(cls.dir, "nginx.conf"), "w") as out:
            out.write("error_log stderr;\npid nginx.pid;\nevents {}\n"
                      f"http {{ access_log off; {temps} include vivarium.conf; }}\n")
        cls.nginx = subprocess.Popen([NGINX, "-p", cls.dir, "-c", "nginx.conf", "-g", "daemon off;"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        cls.url = f"http://127.0.0.1:{cls.port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(cls.url + "/health", timeout=5)
                break
            except requests.ConnectionError:
                if cls.nginx.poll() is not None or time.monotonic() > deadline:
                    cls.tearDownClass()
                    raise RuntimeError("nginx did not start:\n" + cls.nginx.stderr.read())
                time.sleep(0.1)

    @classmethod
    def tearDownClass(cls):
        if cls.nginx.poll() is None:
            cls.nginx.send_signal(signal.SIGQUIT)
            try:
                cls.nginx.wait(30)
            except subprocess.TimeoutExpired:
                cls.nginx.kill()
        for instance in cls.instances:
            instance.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def exec(self, session, code, expect=200):
        reply = requests.post(f"{self.url}/exec", params={"sessionId": session}, json={"code": code}, timeout=60)
        self.assertEqual(reply.status_code, expect, reply.text)
        return reply

    def test_1_a_session_stays_on_one_instance(self):
        first = self.exec("counter", "n = 0")
        where = {first.headers["X-Vivarium-Instance"]}
        for expected in range(1, 21):
            reply = self.exec("counter", "n += 1\nprint(n)")
            self.assertEqual(reply.json()["result"]["std_out"], f"{expected}\n")
            where.add(reply.headers["X-Vivarium-Instance"])
        self.assertEqual(len(where), 1, where)
        self.assertIn("counter", self.by_name[where.pop()].session_ids())

    def test_2_sessions_spread_over_all_instances(self):
        seen = {}
        for n in range(30):
            reply = self.exec(f"spread-{n}", "pass")
            seen.setdefault(reply.headers["X-Vivarium-Instance"], []).append(f"spread-{n}")
        self.assertEqual(sorted(seen), ["vivarium-0", "vivarium-1", "vivarium-2"], seen)
        for name, ids in seen.items():  # each held where it answered, nowhere else
            self.assertTrue(set(ids) <= self.by_name[name].session_ids())
            for other in self.instances:
                if other.name != name:
                    self.assertFalse(set(ids) & other.session_ids())

    def test_3_delete_reaches_the_instance_that_holds_the_session(self):
        for n in range(6):  # several ids, so that most instances are involved
            session = f"doomed-{n}"
            holder = self.by_name[self.exec(session, "x = 1").headers["X-Vivarium-Instance"]]
            reply = requests.delete(f"{self.url}/sessions/{session}", timeout=10)
            self.assertEqual(reply.status_code, 200, reply.text)
            self.assertEqual(reply.json(), {"success": True})
            self.assertEqual(reply.headers["X-Vivarium-Instance"], holder.name)
            self.assertNotIn(session, holder.session_ids())
            again = requests.delete(f"{self.url}/sessions/{session}", timeout=10)
            self.assertEqual(again.status_code, 404, again.text)
            self.assertEqual(again.json()["error"]["type"], "not_found")

    def mcp(self, body, session=None):
        # JSON replies only: with text/event-stream accepted, a call that prints answers as SSE.
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if session:
            headers["Mcp-Session-Id"] = session
        return requests.post(f"{self.url}/mcp", json=body, headers=headers, timeout=60)

    def test_4_an_mcp_session_stays_on_its_instance(self):
        for attempt in range(3):  # initialize goes to any instance; each names its sessions
            init = self.mcp({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                             "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                                        "clientInfo": {"name": "nginx-test", "version": "1"}}})
            self.assertEqual(init.status_code, 200, init.text)
            session = init.headers["Mcp-Session-Id"]
            instance = init.headers["X-Vivarium-Instance"]
            self.assertTrue(session.startswith(f"mcp-{instance}."), session)
            self.assertEqual(self.mcp({"jsonrpc": "2.0", "method": "notifications/initialized"}, session).status_code,
                             202)
            self.assertIn(session, self.by_name[instance].session_ids())
            for n in range(5):
                call = self.mcp({"jsonrpc": "2.0", "id": 10 + n, "method": "tools/call",
                                 "params": {"name": "run_python_code",
                                            "arguments": {"python_code": f"k = {n} if {n} == 0 else k + 1\nprint(k)"}}},
                                session)
                self.assertEqual(call.status_code, 200, call.text)
                self.assertEqual(call.headers["X-Vivarium-Instance"], instance)
                text = call.json()["result"]["content"][0]["text"]
                self.assertIn(str(n), text)
            listed = self.mcp({"jsonrpc": "2.0", "id": 99, "method": "tools/list"}, session)
            self.assertEqual(listed.status_code, 200, listed.text)
            self.assertEqual(listed.json()["result"]["tools"][0]["name"], "run_python_code")

    def test_5_streaming_passes_through_as_events(self):
        self.exec("stream", "s = 'kept'")
        reply = requests.post(f"{self.url}/exec", params={"sessionId": "stream"},
                              json={"code": "print('a')\nprint(s)\n1 + 1"},
                              headers={"Accept": "text/event-stream"}, timeout=60, stream=True)
        self.assertEqual(reply.status_code, 200)
        self.assertTrue(reply.headers["Content-Type"].startswith("text/event-stream"), reply.headers)
        events = [block for block in reply.text.split("\n\n") if block.startswith("event:")]
        names = [block.split("\n")[0] for block in events]
        self.assertEqual(names[-1], "event: result")
        self.assertIn("event: stdout", names)
        self.assertIn('"final_expression":2', events[-1].replace(" ", ""))
        self.assertIn("kept", "".join(events[:-1]))

    def test_9_a_dead_instance_gives_503_for_its_sessions_only(self):
        # One session with state on each instance.
        holders = {}
        n = 0
        while len(holders) < 3:
            session = f"kept-{n}"
            holders.setdefault(self.exec(session, f"v = {n}").headers["X-Vivarium-Instance"], (session, n))
            n += 1
        victim = self.by_name["vivarium-1"]
        victim.process.kill()
        victim.process.wait(30)
        lost, _ = holders.pop("vivarium-1")
        for _ in range(3):
            reply = self.exec(lost, "print(v)", expect=503)
            self.assertEqual(reply.headers["Content-Type"], "application/json")
            body = reply.json()
            self.assertEqual(body["success"], False)
            self.assertEqual(body["error"]["type"], "unavailable")
            self.assertTrue(body["error"]["message"])
        for name, (session, value) in holders.items():
            reply = self.exec(session, "print(v)")
            self.assertEqual(reply.json()["result"]["std_out"], f"{value}\n")
            self.assertEqual(reply.headers["X-Vivarium-Instance"], name)


if __name__ == "__main__":
    if not os.path.exists(NGINX):
        print("skipped: no nginx (scripts/setup.sh installs Debian's)")
        sys.exit(SKIP)
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
