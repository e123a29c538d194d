#include "cli/run_command.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <sstream>

#include "cli/exit_status.h"
#include "cli/output_dir.h"
#include "engine/interpreter.h"
#include "engine/runtime.h"
#include "server/boot_setup.h"
#include "sandbox/confine.h"
#include "server/packages.h"
#include "server/result_json.h"

namespace vivarium::cli {
namespace fs = std::filesystem;
namespace {

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t wrote = ::write(fd, text.data(), text.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(wrote));
  }
}

void say(std::string_view message) { write_all(STDERR_FILENO, "vivarium: " + std::string(message) + "\n"); }

std::optional<std::string> read_stream(std::istream& in) {
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(content).str();
}

struct Program {
  std::string code;
  std::string filename;
  std::vector<std::string> argv;
  bool stdin_is_free = true;  // false when the code itself came from stdin
};

std::expected<Program, std::string> load_program(const RunOptions& options) {
  Program program;
  if (options.code) {
    program.code = *options.code;
    program.filename = "<string>";
    program.argv.push_back("-c");
    program.argv.insert(program.argv.end(), options.arguments.begin(), options.arguments.end());
    return program;
  }
  if (options.arguments.empty()) return std::unexpected("nothing to run: give a FILE, '-' for stdin, or -c CODE");
  const std::string& script = options.arguments.front();
  if (script == "-") {
    auto code = read_stream(std::cin);
    if (!code) return std::unexpected("cannot read the program from stdin");
    program.code = std::move(*code);
    program.filename = "<stdin>";
    program.stdin_is_free = false;
  } else {
    std::error_code ec;
    if (fs::is_directory(script, ec)) return std::unexpected("can't run '" + script + "': it is a directory");
    std::ifstream in(script, std::ios::binary);
    if (!in) return std::unexpected("can't open file '" + script + "': No such file or not readable");
    auto code = read_stream(in);
    if (!code) return std::unexpected("can't read file '" + script + "'");
    program.code = std::move(*code);
    program.filename = script;
  }
  program.argv = options.arguments;
  return program;
}

std::expected<std::vector<engine::SandboxFile>, std::string> load_input_files(const std::vector<FileSpec>& specs) {
  std::vector<engine::SandboxFile> files;
  for (const auto& spec : specs) {
    std::error_code ec;
    if (!fs::is_regular_file(spec.host, ec)) return std::unexpected("--file " + spec.host.string() + ": no such file");
    std::ifstream in(spec.host, std::ios::binary);
    auto data = in ? read_stream(in) : std::nullopt;
    if (!data) return std::unexpected("--file " + spec.host.string() + ": cannot read it");
    files.push_back({spec.sandbox, std::move(*data)});
  }
  return files;
}

int exit_status_of(const engine::ExecutionResult& result) {
  if (!result.error) return result.exit_code.value_or(exit_status::ok);
  switch (result.error->kind) {
    case engine::ErrorKind::execution:
      return exit_status::uncaught_exception;
    case engine::ErrorKind::timeout:
      return exit_status::timeout;
    case engine::ErrorKind::memory:
      return exit_status::memory_limit;
    case engine::ErrorKind::engine:
      return exit_status::internal;
  }
  return exit_status::internal;
}

void report_error_on_terminal(const engine::ExecutionResult& result, std::optional<std::chrono::milliseconds> timeout) {
  const auto& error = *result.error;
  switch (error.kind) {
    case engine::ErrorKind::timeout: {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%g", timeout ? static_cast<double>(timeout->count()) / 1000.0 : 0.0);
      say(std::string("timeout: the program ran longer than ") + seconds + " s and was stopped");
      break;
    }
    case engine::ErrorKind::engine:
      say(error.message);
      break;
    case engine::ErrorKind::memory:
      write_all(STDERR_FILENO, error.traceback.empty() ? error.message + "\n" : error.traceback);
      say("memory limit reached (see --memory-limit)");
      break;
    case engine::ErrorKind::execution:
      write_all(STDERR_FILENO, error.traceback.empty() ? error.message + "\n" : error.traceback);
      break;
  }
}

// From here on untrusted code runs. Behind V8's and the host functions' own checks, the
// process gives up what the program never needs: with Landlock (where the kernel has it)
// it can open only the asset, package and wheel folders, and write only --output-dir;
// a seccomp filter closes the network, programs, processes, signals to other processes,
// deleting or renaming files, and the kernel's interfaces.
std::expected<void, std::string> lock_down(const RunOptions& options, const engine::BootOptions& boot) {
  sandbox::FileAccess access;
  access.readable.push_back(boot.assets_dir);
  if (boot.packages) access.readable.push_back(boot.packages->dir);
  if (boot.wheels) access.readable.push_back(boot.wheels->dir);
  if (options.output_dir) {
    // Created now, so that it can be the one writable folder.
    std::error_code ec;
    std::filesystem::create_directories(*options.output_dir, ec);
    if (ec) return std::unexpected("cannot create output directory " + options.output_dir->string() + ": " + ec.message());
    access.writable.push_back(*options.output_dir);
  }
  ::tzset();  // glibc reads the time zone file once, before it becomes unreadable
  // No sandbox uid yet: the program still reads wheels and writes --output-dir itself,
  // which a uid of its own could not do in a root user's 0700 folders.
  auto layers = sandbox::confine({.role = sandbox::Role::run, .files = std::move(access)});
  if (!layers) return std::unexpected(layers.error().message);
  return {};
}

}  // namespace

int run_command(const RunOptions& options) {
  // Descriptors inherited from whoever started us (other than stdin, stdout and stderr)
  // would let the program reach past Landlock: nothing of ours is open yet.
  ::syscall(SYS_close_range, 3u, ~0u, 0u);
  auto program = load_program(options);
  if (!program) {
    say(program.error());
    return exit_status::usage;
  }
  auto files = load_input_files(options.files);
  if (!files) {
    say(files.error());
    return exit_status::usage;
  }
  auto setup = server::prepare_boot({options.assets_dir, options.cache_dir, options.packages_dir, options.wheels_dir,
                                     server::parse_package_list(options.preload)});
  if (!setup) {
    say(setup.error().message);
    return setup.error().problem == server::BootSetupProblem::assets ? exit_status::internal : exit_status::usage;
  }
  engine::RuntimeOptions runtime;
  runtime.wasm_memory_limit = options.memory_limit;
  if (auto initialized = engine::Runtime::initialize(runtime); !initialized) {
    say(initialized.error());
    return exit_status::usage;
  }
  engine::BootOptions& boot = setup->options;
  boot.inherit_stdin = program->stdin_is_free;
  boot.on_notice = [](std::string_view notice) { say(notice); };
  boot.on_unresponsive = [] {
    say("timeout: the program did not stop; exiting");
    ::_exit(exit_status::timeout);
  };
  auto interpreter = engine::Interpreter::boot(boot);
  if (!interpreter) {
    say(interpreter.error());
    return exit_status::internal;
  }
  if (auto warning = server::missing_packages_warning((*interpreter)->missing_preloads(), setup->packages_dir);
      !warning.empty())
    say("warning: " + warning);
  if (auto warning = server::skipped_wheels_warning(setup->skipped_wheels, setup->wheels_dir); !warning.empty())
    say("warning: " + warning);

  engine::ExecutionRequest request;
  request.code = std::move(program->code);
  request.filename = std::move(program->filename);
  request.argv = std::move(program->argv);
  request.files = std::move(*files);
  request.timeout = options.timeout;
  if (!options.json) {
    request.on_output = [](engine::OutputStream stream, std::string_view text) {
      write_all(stream == engine::OutputStream::err ? STDERR_FILENO : STDOUT_FILENO, text);
    };
  }
  if (auto locked = lock_down(options, boot); !locked) {
    say("cannot lock the process down before running the program: " + locked.error());
    return locked.error().starts_with("cannot create output directory") ? exit_status::usage : exit_status::internal;
  }
  const auto result = (*interpreter)->execute(request);

  int status = exit_status_of(result);
  if (options.json) {
    // The user's own terminal: only the depth is capped, not the size.
    const auto body = server::execution_to_json(result, {.max_bytes = std::numeric_limits<std::size_t>::max()});
    write_all(STDOUT_FILENO, server::to_json_text(body) + "\n");
  } else if (result.error) {
    report_error_on_terminal(result, options.timeout);
  }
  if (options.output_dir) {
    if (auto written = write_output_files(*options.output_dir, result.output_files); !written) {
      say(written.error());
      if (status == exit_status::ok) status = exit_status::internal;
    }
  }
  return status;
}

}  // namespace vivarium::cli
