// The execution API shared by `vivarium run` and `vivarium serve`: what goes into one
// execution of Python code and what comes out. Plain data, no V8 and no JSON here.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vivarium::engine {

// The Python session's home and working directory inside the sandbox.
inline constexpr std::string_view kSandboxHome = "/home/earth";

struct SandboxFile {
  std::string path;  // relative to kSandboxHome, already validated (see sandbox_path.h)
  std::string data;  // raw bytes
};

enum class OutputStream { out, err };
// Called, in order, for every chunk Python writes to stdout or stderr, as it happens.
using OutputSink = std::function<void(OutputStream, std::string_view)>;

struct ExecutionRequest {
  std::string code;
  // Shown in tracebacks and used as __file__ when it names a file; "<exec>" otherwise.
  std::string filename = "<exec>";
  // When not empty, becomes sys.argv for this execution.
  std::vector<std::string> argv;
  // Written into the sandbox before the code runs; parent directories are created.
  std::vector<SandboxFile> files;
  // A JSON object whose names become globals before the code runs (MCP's
  // global_variables); empty: none. Not an object, or a name that is not an identifier,
  // fails the execution with TypeError or ValueError.
  std::string globals_json;
  // Wall-clock limit. Python first gets KeyboardInterrupt; if it does not return within
  // the interpreter's grace period the execution is stopped hard (interpreter lost).
  // Interpreter::interrupt() starts the same escalation at any time.
  std::optional<std::chrono::milliseconds> timeout;
  OutputSink on_output;  // optional streaming of stdout/stderr
  // Cap on what std_out and std_err each keep; past it the text ends with a marker
  // saying how much was dropped. Streaming (on_output) is not capped.
  std::optional<std::size_t> max_output_bytes;
};

enum class ErrorKind {
  execution,  // Python raised (SyntaxError included)
  timeout,    // the wall-clock limit hit
  memory,     // the wasm memory cap was reached (MemoryError)
  engine,     // JS heap exhausted, stack overflow in the host, or an engine failure
};

struct ExecutionError {
  ErrorKind kind = ErrorKind::execution;
  std::string exception;  // Python exception class name, e.g. "NameError"
  std::string message;    // last traceback line, e.g. "NameError: name 'x' is not defined"
  std::string traceback;  // python3-style traceback text
  std::optional<int> line;
};

struct ExecutionResult {
  std::string std_out;
  std::string std_err;
  // The last top-level expression as JSON text (docs/api.md rules); "null" when there is none.
  std::string final_expression_json = "null";
  // Files under kSandboxHome this execution created or changed, sorted by path.
  std::vector<SandboxFile> output_files;
  std::int64_t code_runtime_ms = 0;
  // Set when the code called sys.exit() (SystemExit); python3's exit status.
  std::optional<int> exit_code;
  std::optional<ExecutionError> error;
  // True when the interpreter had to be stopped hard and must not be used again.
  bool interpreter_lost = false;
};

}  // namespace vivarium::engine
