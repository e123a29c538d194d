// Nothing Python can reach gets it to the host: files, network, processes, JS codegen.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "shared_interpreter.h"

using namespace vivarium;

namespace {
// Runs code that must raise an exception of the class `exception` (a JS error comes as
// JsException); returns the exception text. Any other exception fails the test: a typo in
// the code (a NameError) or a missing module must not pass as "blocked".
std::string blocked(const std::string& code, const std::string& exception) {
  auto result = test_support::run(code);
  EXPECT_TRUE(result.error.has_value()) << "not blocked: " << code << "\nfinal: " << result.final_expression_json
                                        << "\nstdout: " << result.std_out;
  if (!result.error) return "";
  EXPECT_EQ(result.error->exception, exception) << code << "\n" << result.error->traceback;
  return result.error->message;
}
}  // namespace

TEST(SandboxEscape, JsReadFunctionsCannotReadHostFiles) {
  EXPECT_NE(blocked("import js\njs.readbuffer('/etc/passwd')", "JsException").find("no such file"), std::string::npos);
  EXPECT_NE(blocked("import js\njs.read('/etc/passwd')", "JsException").find("no such file"), std::string::npos);
  blocked("import js, pyodide_js\njs.read(pyodide_js._api.config.indexURL + '../../../../../etc/passwd')",
          "JsException");
  blocked("import js\njs.read('/proc/self/environ')", "JsException");
  blocked("import js\njs.readbuffer('file:///etc/hostname')", "JsException");
  blocked("import js\njs.load('/etc/passwd')", "JsException");
}

TEST(SandboxEscape, PythonFileApisSeeOnlyTheVirtualFileSystem) {
  EXPECT_NE(blocked("open('/etc/passwd').read()", "FileNotFoundError").find("FileNotFoundError"), std::string::npos);
  // The root of the in-memory file system, not the host's: /tmp and /home are Pyodide's,
  // and /etc, /usr and /work (the host's) are absent. A listdir that raised passed before.
  auto listing = test_support::run("import os\nsorted(os.listdir('/'))");
  ASSERT_FALSE(listing.error.has_value()) << listing.error->traceback;
  const auto names = nlohmann::json::parse(listing.final_expression_json, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(names.is_array()) << listing.final_expression_json;
  auto has = [&](const char* name) { return std::find(names.begin(), names.end(), name) != names.end(); };
  EXPECT_TRUE(has("tmp") && has("home")) << names.dump();
  EXPECT_FALSE(has("etc") || has("usr") || has("work") || has("root")) << names.dump();
}

TEST(SandboxEscape, HostFileSystemsCannotBeMounted) {
  blocked("import pyodide_js\npyodide_js.mountNodeFS('/mnt', '/')", "JsException");
  blocked(
      "import js, pyodide_js\nFS = pyodide_js.FS\n"
      "FS.mkdirTree('/mnt/host')\n"
      "FS.mount(FS.filesystems.NODEFS, js.Object.fromEntries([['root', '/']]), '/mnt/host')\n"
      "import os\nos.listdir('/mnt/host')",
      "JsException");
}

TEST(SandboxEscape, NoNetwork) {
  blocked("import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=1)", "OSError");
  blocked("import js\njs.fetch", "AttributeError");
  blocked("import js\njs.XMLHttpRequest", "AttributeError");
  blocked("import js\njs.WebSocket", "AttributeError");
  // pyfetch stops before any request: the realm has no AbortController (nor fetch).
  EXPECT_NE(blocked("from pyodide.http import pyfetch\nawait pyfetch('http://127.0.0.1:1/')", "NameError")
                .find("AbortController"),
            std::string::npos);
  blocked("import urllib.request\nurllib.request.urlopen('http://127.0.0.1:1/')", "URLError");
}

TEST(SandboxEscape, NoProcesses) {
  EXPECT_NE(test_support::run("import os\nos.system('id')").final_expression_json, "0");
  blocked("import subprocess\nsubprocess.run(['id'])", "OSError");
  blocked("import os\nos.execv('/bin/sh', ['sh'])", "OSError");
  blocked("import os\nos.fork()", "OSError");
  // The shell-mode random request is answered natively; any other command is refused.
  EXPECT_NE(blocked("import js\njs.os.system('sh', js.Array.of('-c', 'id'))", "JsException").find("not available"),
            std::string::npos);
  blocked("import js\njs.os.system('sh', js.Array.of('-c', 'head -c4 /dev/urandom | base64 --wrap=0; id'))",
          "JsException");
  blocked("import js\njs.process", "AttributeError");
  blocked("import js\njs.require", "AttributeError");
}

TEST(SandboxEscape, NoJavaScriptCodeGeneration) {
  EXPECT_NE(blocked("import js\njs.eval('globalThis')", "JsException").find("EvalError"), std::string::npos);
  blocked("import js\njs.Function('return globalThis')()", "JsException");
  blocked("import js\njs.Object.constructor('return 1')()", "JsException");
  blocked("import js\njs.setTimeout('1+1', 0)", "JsException");
  blocked("from pyodide.code import run_js\nrun_js('1+1')", "JsException");
}

TEST(SandboxEscape, PrototypeTricksOnHostFunctionsGainNothing) {
  // Its own interpreter: these tests vandalise the JS realm's built-in prototypes.
  auto interpreter = test_support::boot_interpreter();
  auto must_fail = [&](const std::string& code) {
    auto result = interpreter->execute({.code = code});
    EXPECT_TRUE(result.error.has_value()) << "not blocked: " << code << " -> " << result.final_expression_json;
  };
  // A host function's constructor is Function, which cannot compile strings.
  must_fail("import js\njs.read.constructor('return 1')()");
  must_fail("import js\njs.Object.getPrototypeOf(js.readbuffer).constructor('return 1')()");
  // Host functions are not constructors.
  must_fail("import js\njs.Reflect.construct(js.read, js.Array.of('/etc/passwd'))");
  // A path object whose toString is hijacked still names no readable host file.
  must_fail(
      "import js\n"
      "evil = js.Object.fromEntries([['toString', js.Function.prototype.bind.call(js.String, None, '/etc/passwd')]])\n"
      "js.read(evil)");
  // Vandalising the built-ins that Pyodide and the host glue use breaks only this
  // interpreter: host functions still refuse, and the process carries on.
  interpreter->execute({.code = "import js\njs.Array.prototype.push = None\njs.Object.prototype.then = 1"});
  auto after = interpreter->execute({.code = "import js\njs.read('/etc/passwd')"});
  EXPECT_TRUE(after.error.has_value());
  EXPECT_EQ(after.std_out.find("root:"), std::string::npos);
}

TEST(SandboxEscape, WasmStreamingOnlyCompilesPyodideItself) {
  auto result = test_support::run(
      "import js\n"
      "try:\n"
      "    await js.WebAssembly.compileStreaming(js.Object.new())\n"
      "    outcome = 'compiled'\n"
      "except Exception as e:\n"
      "    outcome = str(e)\n"
      "outcome");
  EXPECT_NE(result.final_expression_json.find("not available"), std::string::npos) << result.final_expression_json;
}

TEST(SandboxEscape, RandomnessComesFromTheOsAndDiffersBetweenInterpreters) {
  auto other = test_support::boot_interpreter();
  const std::string code = "import random, os\n[random.random(), os.urandom(8).hex()]";
  auto first = test_support::run(code);
  auto second = other->execute({.code = code});
  EXPECT_NE(first.final_expression_json, second.final_expression_json);
  auto js_random = test_support::run(
      "import js\n[js.Math.random() != js.Math.random(), list(js.crypto.getRandomValues(js.Uint8Array.new(4)).to_py()) "
      "!= [0,0,0,0]]");
  EXPECT_EQ(js_random.final_expression_json, "[true, true]");
}

TEST(SandboxEscape, HostFunctionsRejectHostileArguments) {
  blocked("import js\njs.crypto.getRandomValues(js.Uint8Array.new(70000))", "JsException");
  blocked("import js\njs.crypto.getRandomValues(js.Float64Array.new(2))", "JsException");
  blocked("import js\njs.TextDecoder.new('no-such-encoding')", "JsException");
  blocked("import js\njs.TextDecoder.prototype.decode.call(js.Object.new(), js.Uint8Array.new(3))", "JsException");
  blocked(
      "import js\njs.TextDecoder.new('utf-8', js.Object.fromEntries([['fatal', "
      "True]])).decode(js.Uint8Array.of(0xff))",
      "JsException");
  auto decoded = test_support::run(
      "import js\n"
      "d = js.TextDecoder.new()\n"
      "[d.decode(js.Uint8Array.of(0xe2, 0x82, 0xac)), d.decode(js.Uint8Array.of(0xff, 0x41)),"
      " js.TextDecoder.new('utf-16le').decode(js.Uint8Array.of(0x41, 0, 0x3d, 0xd8, 0x00, 0xde)),"
      " list(js.TextEncoder.new().encode('€').to_py())]");
  EXPECT_EQ(decoded.final_expression_json, "[\"€\", \"\uFFFDA\", \"A😀\", [226, 130, 172]]");
}
