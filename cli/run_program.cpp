#include "cli/run_program.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <limits>

#include "cli/exit_status.h"
#include "cli/output_files_channel.h"
#include "engine/interpreter.h"
#include "engine/runtime.h"
#include "packages/boot_setup.h"
#include "packages/packages.h"
#include "sandbox/confine.h"
#include "server/result_json.h"

namespace vivarium::cli {
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
// process builds the wall of docs/security.md with the run policy: with Landlock (where
// the kernel has it) it can open only the asset, package and wheel folders, and write
// nothing (its parent writes --output-dir); namespaces, no capabilities, and a seccomp
// allow-list close the network, programs, processes, signals to other processes, and
// the kernel's interfaces. Its file system holds only those folders (a mount namespace),
// and as root it becomes a uid of --sandbox-uids, which reads them where others may.
std::expected<void, std::string> lock_down(const engine::BootOptions& boot, const ProgramWall& wall, bool verbose) {
  sandbox::FileAccess access;
  access.readable.push_back(boot.assets_dir);
  if (boot.packages) access.readable.push_back(boot.packages->dir);
  if (boot.wheels) access.readable.push_back(boot.wheels->dir);
  // The sandbox uid reads the folders as "others" do. One that others may not enter
  // (a 0700 wheel folder) would break imports, so then the program keeps the caller's uid,
  // and --verbose says why.
  std::optional<sandbox::Identity> identity = wall.identity;
  std::string kept_uid_because;
  for (const auto& folder : access.readable) {
    struct stat info {};
    if (identity && ::stat(folder.c_str(), &info) == 0 && (info.st_mode & (S_IROTH | S_IXOTH)) != (S_IROTH | S_IXOTH)) {
      kept_uid_because = folder.string() + " is not readable by others, so the program keeps uid 0";
      identity.reset();
    }
  }
  ::tzset();  // glibc reads the time zone file once, before it becomes unreadable
  auto layers = sandbox::confine({.role = sandbox::Role::run,
                                  .identity = identity,
                                  .files = std::move(access),
                                  .pid_namespace_missing = wall.pid_namespace_missing});
  if (!layers) return std::unexpected(layers.error().message);
  if (verbose) {
    std::string report = sandbox::describe(*layers);
    if (!kept_uid_because.empty()) report += kept_uid_because + "\n";
    for (std::size_t start = 0; start < report.size();) {
      const std::size_t end = report.find('\n', start);
      say("process wall: " + report.substr(start, end - start));
      start = end + 1;
    }
  }
  return {};
}

}  // namespace

int run_program(const RunOptions& options, LoadedProgram program, int output_channel, const ProgramWall& wall) {
  auto setup = packages::prepare_boot({options.assets_dir, options.cache_dir, options.packages_dir, options.wheels_dir,
                                       packages::parse_package_list(options.preload)});
  if (!setup) {
    say(setup.error().message);
    return setup.error().problem == packages::BootSetupProblem::assets ? exit_status::internal : exit_status::usage;
  }
  engine::RuntimeOptions runtime;
  runtime.wasm_memory_limit = options.memory_limit;
  if (auto initialized = engine::Runtime::initialize(runtime); !initialized) {
    say(initialized.error());
    return exit_status::usage;
  }
  engine::BootOptions& boot = setup->options;
  boot.inherit_stdin = program.stdin_is_free;
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
  if (auto warning = packages::missing_packages_warning((*interpreter)->missing_preloads(), setup->packages_dir);
      !warning.empty())
    say("warning: " + warning);
  if (auto warning = packages::skipped_wheels_warning(setup->skipped_wheels, setup->wheels_dir); !warning.empty())
    say("warning: " + warning);

  engine::ExecutionRequest request;
  request.code = std::move(program.code);
  request.filename = std::move(program.filename);
  request.argv = std::move(program.argv);
  request.files = std::move(program.files);
  request.timeout = options.timeout;
  if (!options.json) {
    request.on_output = [](engine::OutputStream stream, std::string_view text) {
      write_all(stream == engine::OutputStream::err ? STDERR_FILENO : STDOUT_FILENO, text);
    };
  }
  if (auto locked = lock_down(boot, wall, options.verbose); !locked) {
    say("cannot lock the process down before running the program: " + locked.error());
    return exit_status::internal;
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
  if (output_channel >= 0) {
    if (auto sent = send_output_files(output_channel, result.output_files); !sent) {
      say(sent.error());
      if (status == exit_status::ok) status = exit_status::internal;
    }
  }
  return status;
}

}  // namespace vivarium::cli
