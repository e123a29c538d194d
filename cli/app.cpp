#include "cli/app.h"

#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/daemon_command.h"
#include "cli/exit_status.h"
#include "cli/keys_command.h"
#include "cli/mcp_command.h"
#include "cli/options_parsing.h"
#include "cli/packages_command.h"
#include "cli/run_command.h"
#include "cli/sandbox_check_command.h"
#include "cli/serve_command.h"
#include "engine/assets.h"
#include "runner/engine_library.h"

namespace vivarium::cli {
namespace {

// V8's version is the engine library's: loaded for --version only.
std::string version_text() {
  auto engine = runner::load_engine_library();
  return std::string("vivarium ") + VIVARIUM_VERSION + "\nPyodide " + engine::kPyodideVersion + "\nPython " +
         engine::kPythonVersion + "\nV8 " + (engine ? (*engine)->v8_version() : "unknown: " + engine.error());
}

template <typename Parser>
auto checked_by(Parser parser) {
  return [parser](const std::string& text) -> std::string {
    auto parsed = parser(text);
    return parsed ? std::string() : parsed.error();
  };
}

constexpr const char* kRunFooter = R"(Program:
  vivarium run [OPTIONS] FILE [ARGS...]     run a script file
  vivarium run [OPTIONS] - [ARGS...]        read the program from stdin
  vivarium run [OPTIONS] -c CODE [ARGS...]  run CODE
  Options go before the program; everything after it is the program's sys.argv.

Exit status:
  0    success, or the status the program passed to sys.exit()
  1    the program raised an exception (traceback on stderr)
  2    usage error: bad flag, missing or unreadable script or --file
  3    the program hit the memory limit (MemoryError)
  124  the program ran past --timeout
  125  vivarium itself failed (assets missing or corrupt, engine error, the warm zygote
       was killed while the program ran)
  130  Ctrl-C: the program did not catch KeyboardInterrupt (as python3)

Environment:
  VIVARIUM_ASSETS     the Pyodide bundle folder (like --assets)
  VIVARIUM_CACHE_DIR  where compiled code caches are kept (like --cache-dir)
  VIVARIUM_PACKAGES_DIR  the package folder (like --packages-dir)
  VIVARIUM_WHEELS_DIR    the folder of pure-Python wheels (like --wheels-dir)
  VIVARIUM_NO_DAEMON     1: like --no-daemon
  VIVARIUM_DAEMON_IDLE   seconds a warm zygote waits for the next run before it exits (600)

Warm zygote: a run hands the program to the user's warm zygote for its configuration,
and starts one (detached) when there is none, so that the next run starts in a few
milliseconds. `vivarium daemon status` and `vivarium daemon stop` show and end them.

Examples:
  vivarium run script.py arg1 arg2
  cat data.csv | vivarium run stats.py
  vivarium run -c 'print(sum(range(10)))'
  vivarium run --file data.csv --output-dir out/ analyse.py)";

void add_run_command(CLI::App& app, RunOptions& options, std::vector<std::string>& file_specs,
                     std::string& timeout_text, std::string& memory_text, std::string& sandbox_uids_text) {
  auto* run = app.add_subcommand("run", "Run a Python program once in a fresh sandbox, like python3");
  run->footer(kRunFooter);
  // Everything after the program (FILE, "-", or the first argument after -c CODE) goes to
  // the program's sys.argv untouched, as with python3.
  run->prefix_command();
  run->add_option("-c", options.code, "Run CODE instead of a file; sys.argv[0] is '-c'")->type_name("CODE");
  run->add_option("--file", file_specs,
                  "Copy a host file into the sandbox (repeatable). SANDBOX is a path relative to /home/earth; "
                  "default: the file's name")
      ->type_name("HOST[:SANDBOX]")
      ->check(checked_by(parse_file_spec));
  run->add_option("--output-dir", options.output_dir,
                  "Write the files the program created or changed under /home/earth into DIR")
      ->type_name("DIR");
  run->add_flag("--json", options.json, "Print the result as the API's JSON object instead of streaming stdout/stderr");
  run->add_option("--timeout", timeout_text,
                  "Stop the program after SECONDS (decimals allowed): KeyboardInterrupt, then a hard stop. "
                  "Default: no limit")
      ->type_name("SECONDS")
      ->check(checked_by(parse_seconds));
  run->add_option("--memory-limit", memory_text,
                  "Cap on Python's memory (256M, 2G; a plain number is MiB). Past it allocations raise MemoryError")
      ->type_name("SIZE")
      ->default_str("1G")
      ->check(checked_by(parse_size));
  run->add_option("--assets", options.assets_dir,
                  "The Pyodide bundle folder. Default: $VIVARIUM_ASSETS, else found next to the executable")
      ->type_name("DIR");
  run->add_option("--packages-dir", options.packages_dir,
                  "A folder of Pyodide wheels with its pyodide-lock.json; imports load from it. Default: "
                  "$VIVARIUM_PACKAGES_DIR, else 'packages' beside the Pyodide assets")
      ->type_name("DIR");
  run->add_option("--wheels-dir", options.wheels_dir,
                  "A folder of pure-Python wheels (*-py3-none-any.whl) that micropip.install may install. "
                  "Default: $VIVARIUM_WHEELS_DIR, else 'wheels' beside the Pyodide assets")
      ->type_name("DIR");
  run->add_option("--preload", options.preload,
                  "Packages to load and import before the program starts (comma-separated). Default: none "
                  "(imports load packages on demand)")
      ->type_name("NAMES");
  run->add_option("--cache-dir", options.cache_dir,
                  "Where compiled code caches are kept. Default: $VIVARIUM_CACHE_DIR, else ~/.cache/vivarium")
      ->type_name("DIR");
  if (const char* env = std::getenv("VIVARIUM_SANDBOX_UIDS")) sandbox_uids_text = env;
  run->add_option("--sandbox-uids", sandbox_uids_text,
                  "As root, the program switches to a uid and gid of this range. Default: $VIVARIUM_SANDBOX_UIDS, "
                  "else 1879048192-1879113727")
      ->type_name("FIRST-LAST");
  run->add_flag("--verbose", options.verbose,
                "Say on stderr which layers of the process wall are active, and why any is missing");
  run->add_flag("--no-daemon", options.no_daemon,
                "Boot Python in this process tree instead of using (or starting) a warm zygote: for a single "
                "run where no process may outlive the command. Default: $VIVARIUM_NO_DAEMON=1, else off");
}

// A process started with stdin, stdout or stderr closed would hand those numbers to the
// next file or socket it opens, which later writes to "stderr" or a dup2 onto "stdin"
// would then clobber. Fill any gap with /dev/null first.
void ensure_standard_descriptors() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1) continue;
    const int null_fd = ::open("/dev/null", O_RDWR);
    if (null_fd >= 0 && null_fd != fd) {
      ::dup2(null_fd, fd);
      ::close(null_fd);
    }
  }
}

}  // namespace

int run_main(int argc, char** argv) {
  ensure_standard_descriptors();
  CLI::App app{"vivarium: run untrusted Python safely and fast (CPython on Pyodide in an embedded V8)", "vivarium"};
  app.set_version_flag("--version", std::function<std::string()>(version_text),
                       "Print the versions of vivarium, Pyodide, Python and V8");
  app.require_subcommand(1);
  app.failure_message([](const CLI::App* failed, const CLI::Error& error) {
    std::string help = failed->get_parent() ? "vivarium " + failed->get_name() + " --help" : "vivarium --help";
    return std::string("vivarium: error: ") + error.what() + " (see " + help + ")\n";
  });

  RunOptions run_options;
  std::vector<std::string> file_specs;
  std::string timeout_text, memory_text = "1G", sandbox_uids_text;
  add_run_command(app, run_options, file_specs, timeout_text, memory_text, sandbox_uids_text);
  ServeFlags serve_flags;
  add_serve_command(app, serve_flags);
  ServeFlags mcp_flags;
  add_mcp_command(app, mcp_flags);
  PackagesOptions packages_options;
  add_packages_command(app, packages_options);
  SandboxCheckOptions sandbox_check_options;
  add_sandbox_check_command(app, sandbox_check_options);
  KeysOptions keys_options;
  add_keys_command(app, keys_options);
  DaemonOptions daemon_options;
  add_daemon_command(app, daemon_options);
  add_zygote_command(app);
  add_run_host_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error);
    return status == 0 ? exit_status::ok : exit_status::usage;
  }

  if (app.got_subcommand("run")) {
    auto* run = app.get_subcommand("run");
    run_options.arguments = run->remaining();
    // prefix_command() hands over unknown options too; before the program they are typos.
    if (!run_options.code && !run_options.arguments.empty() && run_options.arguments.front().starts_with("-") &&
        run_options.arguments.front() != "-") {
      std::cerr << "vivarium: error: unknown option " << run_options.arguments.front()
                << " (see vivarium run --help)\n";
      return exit_status::usage;
    }
    for (const auto& spec : file_specs) run_options.files.push_back(*parse_file_spec(spec));
    if (!timeout_text.empty()) run_options.timeout = *parse_seconds(timeout_text);
    run_options.memory_limit = *parse_size(memory_text);
    if (!sandbox_uids_text.empty()) {
      auto range = sandbox::parse_id_range(sandbox_uids_text);
      if (!range) {
        std::cerr << "vivarium: error: --sandbox-uids: " << range.error().message << " (see vivarium run --help)\n";
        return exit_status::usage;
      }
      run_options.sandbox_uids = *range;
    }
    if (const char* no_daemon = std::getenv("VIVARIUM_NO_DAEMON"); no_daemon && std::string(no_daemon) == "1")
      run_options.no_daemon = true;
    return run_command(run_options);
  }
  if (app.got_subcommand("serve")) return serve_command(serve_flags);
  if (app.got_subcommand("mcp")) return mcp_command(mcp_flags);
  if (app.got_subcommand("packages")) return packages_command(packages_options);
  if (app.got_subcommand("sandbox-check")) return sandbox_check_command(sandbox_check_options);
  if (app.got_subcommand("keys")) return keys_command(keys_options);
  if (app.got_subcommand("daemon")) return daemon_command(daemon_options);
  if (app.got_subcommand("__zygote")) return zygote_command();
  if (app.got_subcommand("__run-host")) return run_host_command();
  return exit_status::usage;
}

}  // namespace vivarium::cli
