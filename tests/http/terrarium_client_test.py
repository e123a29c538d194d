"""POST / against a real `vivarium serve`, called as cohere-terrarium's clients call it.

cohere-toolkit's Python interpreter tool (src/backend/tools/python_interpreter.py) does
    res = requests.post(PYTHON_INTERPRETER_URL, json={"code": code})
    result = res.json()
and reads success, std_out, error.message, final_expression and output_files, without
looking at the status. These tests do exactly that, with the `requests` of Debian's
python3-requests (scripts/setup.sh installs it), so run them with /usr/bin/python3.

Usage: terrarium_client_test.py VIVARIUM_BINARY
"""
import base64
import json
import os
import re
import signal
import subprocess
import sys
import threading
import unittest

try:
    import requests
except ImportError:
    sys.exit(f"{sys.executable} cannot import requests: install Debian's python3-requests (scripts/setup.sh does)")

BINARY = None


class Server:
    """`vivarium serve --port 0 ARGS`, its port read from the log line that says it listens."""

    def __init__(self, *args):
        self.process = subprocess.Popen([BINARY, "serve", "--port", "0", "--preload", "none", *args],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        text=True)
        self.log = []
        listening = threading.Event()
        self.port = None

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
            self.stop()
            raise RuntimeError("vivarium serve did not start:\n" + "".join(self.log))
        # What cohere-toolkit's PYTHON_INTERPRETER_URL holds: no path, so POST /.
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)
        self.reader.join(10)

    def session_ids(self):
        return sorted(s["id"] for s in requests.get(self.url + "/sessions").json()["sessions"])


def b64(data):
    return base64.b64encode(data).decode()


class CohereToolkitClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server("--execution-timeout", "1", "--max-body-size", "1M")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def toolkit_call(self, code):
        """What cohere-toolkit's PythonInterpreter.call sends and reads."""
        res = requests.post(self.server.url, json={"code": code})
        return res, res.json()

    def test_a_call_as_cohere_toolkit_makes_it(self):
        res, result = self.toolkit_call('print("hello")\nopen("report.txt", "w").write("done")\n6 * 7')
        self.assertEqual(res.status_code, 200)
        self.assertEqual(res.headers["Content-Type"], "application/json")
        self.assertTrue(res.text.endswith("\n"))
        self.assertEqual(res.text.count("\n"), 1, "one JSON line")
        self.assertIs(result["success"], True)
        self.assertEqual(result["std_out"], "hello\n")
        self.assertEqual(result["std_err"], "")
        self.assertEqual(result["final_expression"], 42)
        self.assertEqual(str(result["final_expression"]), "42")  # what the tool hands the model
        self.assertEqual(result.pop("output_files", []), [{"filename": "report.txt", "b64_data": b64(b"done")}])
        self.assertIsInstance(result["code_runtime"], int)
        self.assertNotIn("error", result)

    def test_terrarium_clients_read_up_to_the_newline(self):
        # terrarium's example client streams the reply and parses it at the first "\n".
        res = requests.post(self.server.url, json={"code": "1 + 1"}, stream=True)
        self.assertEqual(res.status_code, 200)
        text = ""
        for c in res.iter_content(decode_unicode=True):
            if c == "\n":
                break
            text += c
        result = json.loads(text)
        self.assertEqual(result["final_expression"], 2)
        self.assertIs(result["success"], True)

    def test_an_exception_is_200_with_its_class_and_traceback(self):
        res, result = self.toolkit_call('print("before")\nx = 1\nundefined_name + x')
        self.assertEqual(res.status_code, 200)
        self.assertIs(result["success"], False)
        self.assertEqual(result["error"]["type"], "NameError")
        message = result.get("error", {}).get("message", "")
        self.assertTrue(message.startswith("Traceback (most recent call last):"), message)
        self.assertIn("line 3", message)
        self.assertTrue(message.rstrip().endswith("NameError: name 'undefined_name' is not defined"), message)
        self.assertEqual(result["std_out"], "before\n")
        self.assertEqual(result["output_files"], [])

    def test_a_syntax_error_is_an_exception_too(self):
        res, result = self.toolkit_call("def f(:\n  pass")
        self.assertEqual(res.status_code, 200)
        self.assertEqual(result["error"]["type"], "SyntaxError")
        self.assertIn("SyntaxError", result["error"]["message"])

    def test_empty_code_is_no_code_provided(self):
        for body in ({"code": ""}, {"code": "  \n"}, {}, {"code": None}):
            res = requests.post(self.server.url, json=body)
            self.assertEqual(res.status_code, 200, body)
            self.assertEqual(res.text, '{"error":{"message":"no code provided","type":"parsing"},"success":false}\n')
            self.assertEqual(res.json(), {"success": False, "error": {"type": "parsing", "message": "no code provided"}})

    def test_files_go_in_and_new_files_come_out(self):
        png = bytes(range(256)) * 4
        res = requests.post(self.server.url, json={
            "code": ("import os\n"
                     "text = open('data/in.txt').read()\n"
                     "os.makedirs('out')\n"
                     "open('out/upper.txt', 'w').write(text.upper())\n"
                     "open('plot.png', 'wb').write(open('image.bin', 'rb').read())\n"
                     "len(text)"),
            "files": [{"filename": "data/in.txt", "b64_data": b64(b"hello terrarium")},
                      {"filename": "image.bin", "b64_data": b64(png)}],
        })
        result = res.json()
        self.assertIs(result["success"], True, result)
        self.assertEqual(result["final_expression"], 15)
        # The inputs, unchanged, are not sent back (terrarium leaves them out too).
        files = {f["filename"]: base64.b64decode(f["b64_data"]) for f in result["output_files"]}
        self.assertEqual(files, {"out/upper.txt": b"HELLO TERRARIUM", "plot.png": png})

    def test_a_bad_file_is_a_parsing_error(self):
        res = requests.post(self.server.url, json={"code": "1", "files": [{"filename": "../escape", "b64_data": ""}]})
        self.assertEqual(res.status_code, 200)
        result = res.json()
        self.assertIs(result["success"], False)
        self.assertEqual(result["error"]["type"], "parsing")
        self.assertTrue(result["error"]["message"].startswith("files[0].filename: "), result)

    def test_without_session_id_nothing_is_kept(self):
        before = self.server.session_ids()
        _, first = self.toolkit_call("kept = 5\nopen('left.txt', 'w').write('x')")
        self.assertIs(first["success"], True, first)
        _, second = self.toolkit_call("import os\nprint(os.path.exists('left.txt'))\nkept")
        self.assertIs(second["success"], False)
        self.assertEqual(second["error"]["type"], "NameError")
        self.assertEqual(second["std_out"], "False\n")
        # Each request's session ended with it, before the reply.
        self.assertEqual(self.server.session_ids(), before)
        _, failed = self.toolkit_call("raise RuntimeError('boom')")
        self.assertEqual(failed["error"]["type"], "RuntimeError")
        self.assertEqual(self.server.session_ids(), before)

    def test_with_session_id_state_is_kept_and_shared_with_exec(self):
        sid = "toolkit-chat-1"
        try:
            first = requests.post(self.server.url, json={"code": "counter = 41", "sessionId": sid}).json()
            self.assertIs(first["success"], True, first)
            second = requests.post(self.server.url, json={"code": "counter += 1\ncounter", "sessionId": sid}).json()
            self.assertEqual(second["final_expression"], 42)
            self.assertIn(sid, self.server.session_ids())
            # The same registry as /exec.
            via_exec = requests.post(self.server.url + "/exec", params={"sessionId": sid}, json={"code": "counter"})
            self.assertEqual(via_exec.json()["result"]["final_expression"], 42)
        finally:
            requests.delete(self.server.url + "/sessions/" + sid)
        self.assertNotIn(sid, self.server.session_ids())

    def test_a_bad_session_id_is_a_parsing_error(self):
        res = requests.post(self.server.url, json={"code": "1", "sessionId": "no spaces"})
        self.assertEqual(res.status_code, 200)
        self.assertEqual(res.json()["error"]["type"], "parsing")
        self.assertIn("sessionId", res.json()["error"]["message"])

    def test_bad_json_is_400(self):
        res = requests.post(self.server.url, data='{"code": ', headers={"Content-Type": "application/json"})
        self.assertEqual(res.status_code, 400)
        self.assertTrue(res.text.endswith("\n"))
        self.assertEqual(res.json(), {"success": False,
                                      "error": {"type": "parsing", "message": "request body is not valid JSON"}})

    def test_a_body_over_the_limit_is_413(self):
        res = requests.post(self.server.url, json={"code": "#" * (2 << 20)})
        self.assertEqual(res.status_code, 413)
        self.assertTrue(res.text.endswith("\n"))
        self.assertEqual(res.json()["error"]["type"], "resource_limit")
        self.assertIs(res.json()["success"], False)

    def test_a_timeout_is_200_and_the_next_call_works(self):
        before = self.server.session_ids()
        res, result = self.toolkit_call("print('started')\nwhile True:\n    pass")
        self.assertEqual(res.status_code, 200)
        self.assertIs(result["success"], False)
        self.assertEqual(result["error"]["type"], "timeout")
        message = result["error"]["message"]
        self.assertTrue(message.startswith("execution stopped after the time limit of 1 s"), message)
        self.assertIn("line 3", message)  # where the loop was when it was stopped
        self.assertEqual(result["std_out"], "started\n")
        self.assertEqual(self.server.session_ids(), before)
        _, after = self.toolkit_call("'still here'")
        self.assertEqual(after["final_expression"], "still here")

    def test_the_other_paths_answer_json(self):
        # cohere-toolkit asks for /forbidden-packages for its preamble; terrarium has no such
        # endpoint either, and the toolkit then goes without that preamble.
        res = requests.post(self.server.url + "/forbidden-packages", json={"packages": ["requests"]})
        self.assertEqual(res.status_code, 404)
        self.assertEqual(res.json()["error"]["type"], "not_found")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
