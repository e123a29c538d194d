"""`vivarium serve` as PID 1 of a pid namespace, as in a container started with no --init.

The zygote used to take `getppid() == 1` for "the server died", so a server that is PID 1
never booted Python. Here `unshare --pid --fork --mount-proc` makes the server PID 1, the
test executes code over HTTP, checks that an orphaned process is reaped (PID 1's duty), and
stops the server with SIGTERM, which PID 1 only receives because serve blocks it and takes
it with sigwait (a default action would be ignored for PID 1).

Runs as root (unshare --pid needs it); skipped otherwise (ctest exit code 77).
Usage: pid1_test.py VIVARIUM_BINARY
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest

try:
    import requests
except ImportError:
    sys.exit(f"{sys.executable} cannot import requests: install Debian's python3-requests (scripts/setup.sh does)")

BINARY = None
SKIP = 77


class Pid1Server(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.process = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--mount-proc", BINARY, "serve", "--port", "0", "--preload", "none"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        cls.log = []
        cls.port = None
        listening = threading.Event()

        def read():
            for line in cls.process.stderr:
                cls.log.append(line)
                match = re.search(r"listening on http://[^:]+:([0-9]+)", line)
                if match:
                    cls.port = int(match.group(1))
                    listening.set()
            listening.set()

        cls.reader = threading.Thread(target=read, daemon=True)
        cls.reader.start()
        listening.wait(120)
        if cls.port is None:
            cls.process.kill()
            raise RuntimeError("vivarium serve as PID 1 did not start:\n" + "".join(cls.log))
        cls.url = f"http://127.0.0.1:{cls.port}"

    @classmethod
    def tearDownClass(cls):
        if cls.process.poll() is None:
            cls.process.kill()
            cls.process.wait(30)

    def server_pid_outside(self):
        # unshare's only child: the server, PID 1 inside.
        children = open(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read().split()
        self.assertEqual(len(children), 1, children)
        return int(children[0])

    def exec(self, session, code):
        reply = requests.post(f"{self.url}/exec", params={"sessionId": session}, json={"code": code}, timeout=60)
        self.assertEqual(reply.status_code, 200, reply.text)
        return reply.json()

    def test_1_runs_code_as_pid_1(self):
        inner = open(f"/proc/{self.server_pid_outside()}/status").read()
        nspid = re.search(r"^NSpid:\s+(.*)$", inner, re.M).group(1).split()
        self.assertEqual(nspid[-1], "1", "the server is not PID 1 of its namespace")
        result = self.exec("pid1", "x = 6 * 7\nprint(x)")
        self.assertTrue(result["success"], result)
        self.assertEqual(result["result"]["std_out"], "42\n")
        self.assertEqual(self.exec("pid1", "print(x + 1)")["result"]["std_out"], "43\n")

    def test_2_reaps_orphans(self):
        # A zygote killed outright leaves its sessions to PID 1 (the server): killed with
        # it (their death signal) and reaped, so no zombie stays in the namespace.
        server = self.server_pid_outside()
        zygotes = [int(p) for p in open(f"/proc/{server}/task/{server}/children").read().split()]
        self.assertTrue(zygotes)
        for pid in zygotes:
            os.kill(pid, signal.SIGKILL)
        result = self.exec("after-zygote", "print('again')")  # a fresh zygote boots
        self.assertEqual(result["result"]["std_out"], "again\n", result)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            zombies = [p for p in zygotes if os.path.exists(f"/proc/{p}")]
            if not zombies:
                break
            time.sleep(0.2)
        self.assertEqual(zombies, [], "the killed zygote was never reaped")

    def test_3_stops_on_sigterm(self):
        os.kill(self.server_pid_outside(), signal.SIGTERM)
        self.assertEqual(self.process.wait(60), 0, "".join(self.log))
        self.reader.join(10)
        self.assertTrue(any("received SIGTERM" in line for line in self.log), "".join(self.log))
        self.assertTrue(any(line.rstrip().endswith("INFO stopped") for line in self.log), "".join(self.log))


if __name__ == "__main__":
    if os.geteuid() != 0:
        print("skipped: unshare --pid needs root")
        sys.exit(SKIP)
    if shutil.which("unshare") is None:
        print("skipped: no unshare (util-linux)")
        sys.exit(SKIP)
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
