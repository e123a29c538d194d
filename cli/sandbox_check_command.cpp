#include "cli/sandbox_check_command.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/exit_status.h"
#include "sandbox/layer_probe.h"
#include "sandbox/memory_cgroup.h"

namespace vivarium::cli {

void add_sandbox_check_command(CLI::App& app, SandboxCheckOptions& options) {
  auto* check = app.add_subcommand("sandbox-check",
                                   "Show which layers of the process wall this machine offers (each one tried on a "
                                   "forked process), and why any is missing; exit 0 when all are active, 1 if not");
  if (const char* env = std::getenv("SANDBOX_UIDS")) options.sandbox_uids = env;
  check
      ->add_option("--sandbox-uids", options.sandbox_uids,
                   "The uid range sessions switch to when serve runs as root [env SANDBOX_UIDS, default "
                   "1879048192-1879113727]")
      ->type_name("FIRST-LAST");
  check->footer("See docs/security.md for what each layer stops.");
}

int sandbox_check_command(const SandboxCheckOptions& options) {
  auto range = sandbox::parse_id_range(options.sandbox_uids);
  if (!range) {
    std::cerr << "vivarium: error: " << range.error().message << "\n";
    return exit_status::usage;
  }
  bool all = true;
  for (auto [role, title] :
       {std::pair{sandbox::Role::session, "serve sessions"}, {sandbox::Role::run, "vivarium run"}}) {
    sandbox::ConfineOptions options_for_role{.role = role};
    // As root, serve gives each session a uid of the range, and run its program.
    options_for_role.identity = sandbox::identity_in(*range, 0);
    auto layers = sandbox::probe_layers(options_for_role);
    std::cout << title << (::geteuid() == 0 ? " (started as root)" : "") << ":\n";
    if (!layers) {
      std::cout << "  cannot confine a process here: " << layers.error().message << "\n";
      all = false;
      continue;
    }
    for (const auto& status : *layers)
      std::cout << "  " << (status.active ? "active " : "MISSING") << "  " << sandbox::name_of(status.layer)
                << (status.detail.empty() ? "" : ": " + status.detail) << "\n";
    all = all && sandbox::all_active(*layers);
  }
  // serve's sessions also get a memory cgroup each, below the cgroup serve runs in.
  auto system = sandbox::CgroupSystem::of_this_process();
  auto layout = system ? sandbox::detect_cgroups(*system) : std::unexpected(system.error());
  std::cout << "serve sessions, memory:\n  " << (layout ? "active   memory cgroup: " : "MISSING  memory cgroup: ");
  if (layout)
    std::cout << (layout->version == sandbox::CgroupVersion::v2 ? "cgroup v2" : "cgroup v1") << " below "
              << layout->memory_base.string() << (layout->pids_base ? ", with a pids limit" : "") << "\n";
  else
    std::cout << layout.error().message << " (the RSS watch stays)\n";
  all = all && layout.has_value();
  return all ? exit_status::ok : 1;
}

}  // namespace vivarium::cli
