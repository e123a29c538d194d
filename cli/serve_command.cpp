#include "cli/serve_command.h"

#include <filesystem>
#include <iostream>

#include "cli/exit_status.h"
#include "packages/packages.h"
#include "runner/engine_library.h"
#include "runner/run_host.h"
#include "server/config.h"
#include "server/serve.h"
#include "sessions/control_socket.h"

namespace vivarium::cli {

void add_setting_option(CLI::App& command, const server::SettingInfo& setting, ServeFlags& flags) {
  const std::string help =
      std::string(setting.help) + " [env " + setting.env + ", default " + setting.default_text + "]";
  if (!setting.value_name) {
    command.add_flag_function(
        setting.flag, [&flags, env = std::string(setting.env)](std::int64_t) { flags.values[env] = "1"; }, help);
    return;
  }
  auto* option = command.add_option_function<std::string>(
      setting.flag, [&flags, env = std::string(setting.env)](const std::string& v) { flags.values[env] = v; }, help);
  option->type_name(setting.value_name);
}

void add_serve_command(CLI::App& app, ServeFlags& flags) {
  auto* serve = app.add_subcommand("serve",
                                   "Serve the vivarium HTTP API: stateful Python sessions, each in its own "
                                   "forked, locked-down process");
  std::string footer =
      "Settings: a flag wins over the environment variable, which wins over a .env file in the\n"
      "working directory, which wins over the default.\n\n";
  for (const auto& setting : server::server_settings()) add_setting_option(*serve, setting, flags);
  footer +=
      "Endpoints (see the README):\n"
      "  POST   /exec?sessionId=ID   run code in a session (created on first use)\n"
      "  POST   /                    cohere-terrarium's API: a fresh session per request, or sessionId\n"
      "  GET    /health              {\"status\": \"healthy\", \"activeSessions\": N}\n"
      "  GET    /sessions            the sessions with their ages\n"
      "  DELETE /sessions/ID         end a session now\n"
      "  POST   /mcp                 MCP (Model Context Protocol), Streamable HTTP; see vivarium mcp --help\n\n"
      "Stop with SIGTERM or Ctrl-C: in-flight executions get 10 s to finish.";
  serve->footer(footer);
}

int serve_command(const ServeFlags& flags) {
  auto dotenv = server::read_dotenv(".env");
  if (!dotenv) {
    std::cerr << "vivarium: error: " << dotenv.error() << "\n";
    return exit_status::usage;
  }
  auto config = server::resolve_config(flags.values, server::settings_from_environment(), *dotenv);
  if (!config) {
    std::cerr << "vivarium: error: " << config.error() << " (see vivarium serve --help)\n";
    return exit_status::usage;
  }
  return server::serve(*config, std::filesystem::read_symlink("/proc/self/exe"));
}

namespace {
pid_t zygote_parent = 0;  // 0: not given, the parent check is skipped
}  // namespace

void add_zygote_command(CLI::App& app) {
  // Internal: started by `vivarium serve`, never by hand; hidden from --help. What to boot
  // comes as the first frame on its control socket (ZygoteBoot); argv carries only the
  // spawner's pid, which the zygote compares with getppid() to tell that the server died
  // before PR_SET_PDEATHSIG took hold (as PID 1 in a container, getppid() == 1 is normal).
  auto* zygote = app.add_subcommand("__zygote", "");
  zygote->group("");
  zygote->add_option("--parent", zygote_parent, "")->group("");
}

namespace {
// The engine library, loaded only in the processes that run Python.
std::expected<const VivariumEngineEntryPoints*, int> engine_or_status() {
  auto engine = runner::load_engine_library();
  if (engine) return *engine;
  std::cerr << "vivarium: " << engine.error() << "\n";
  return std::unexpected(exit_status::internal);
}
}  // namespace

int zygote_command() {
  auto engine = engine_or_status();
  return engine ? (*engine)->zygote_main(sessions::kZygoteControlFd, zygote_parent) : engine.error();
}

void add_run_host_command(CLI::App& app) {
  // Internal: started by `vivarium run` (runner/run_host.h), never by hand; hidden.
  app.add_subcommand("__run-host", "")->group("");
}

int run_host_command() {
  auto engine = engine_or_status();
  return engine ? (*engine)->run_host_main(runner::kRunHostBootFd) : engine.error();
}

}  // namespace vivarium::cli
