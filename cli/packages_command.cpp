#include "cli/packages_command.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/exit_status.h"
#include "engine/assets.h"
#include "server/packages.h"

namespace vivarium::cli {

void add_packages_command(CLI::App& app, PackagesOptions& options) {
  auto* packages = app.add_subcommand("packages", "List the Pyodide packages the package folder offers, with "
                                                  "versions, and which ones `serve` preloads");
  packages->add_option("--packages-dir", options.packages_dir,
                       "The package folder. Default: $VIVARIUM_PACKAGES_DIR, else 'packages' beside the assets")
      ->type_name("DIR");
  packages->add_option("--assets", options.assets_dir, "The Pyodide bundle folder (to find the default)")
      ->type_name("DIR");
  if (const char* env = std::getenv("PRELOAD")) options.preload = env;
  packages->add_option("--preload", options.preload, "The preload list to report on (as for serve)")
      ->type_name("NAMES")
      ->default_str("numpy,pandas,matplotlib");
}

int packages_command(const PackagesOptions& options) {
  auto assets = engine::locate_assets(options.assets_dir, std::filesystem::read_symlink("/proc/self/exe"));
  if (!assets) {
    std::cerr << "vivarium: " << assets.error() << "\n";
    return exit_status::internal;
  }
  const auto dir = options.packages_dir.value_or(server::default_packages_dir(*assets));
  auto folder = server::load_package_folder(dir);
  if (!folder) {
    std::cerr << "vivarium: " << folder.error() << "\n";
    return exit_status::usage;
  }
  const auto preload = server::parse_package_list(options.preload);
  if (!*folder) {
    std::cout << "No package folder at " << dir.string()
              << ": only Python's standard library is available.\n"
                 "Add the official Pyodide package distribution with `make packages`, or point --packages-dir /\n"
                 "VIVARIUM_PACKAGES_DIR at a folder of Pyodide wheels with its pyodide-lock.json.\n";
    if (!preload.empty()) std::cout << server::missing_packages_warning(preload, dir) << "\n";
    return exit_status::ok;
  }
  const auto& packages = (*folder)->packages;
  std::size_t present = 0;
  for (const auto& p : packages) present += p.present ? 1 : 0;
  std::cout << "Package folder: " << dir.string() << " (" << present << " of " << packages.size()
            << " packages of its pyodide-lock.json present)\n";
  std::printf("%-32s %-16s %s\n", "PACKAGE", "VERSION", "STATUS");
  std::vector<std::string> missing;
  for (const auto& name : preload) {
    bool found = false;
    for (const auto& p : packages) found = found || (p.name == name && p.present);
    if (!found) missing.push_back(name);
  }
  for (const auto& p : packages) {
    const bool preloaded = std::find(preload.begin(), preload.end(), p.name) != preload.end();
    std::string status = p.present ? "available" : "listed, wheel missing";
    if (p.present && preloaded) status += ", preloaded by serve";
    std::printf("%-32s %-16s %s\n", p.name.c_str(), p.version.c_str(), status.c_str());
  }
  if (!missing.empty()) std::cout << server::missing_packages_warning(missing, dir) << "\n";
  return exit_status::ok;
}

}  // namespace vivarium::cli
