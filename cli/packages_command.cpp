#include "cli/packages_command.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/exit_status.h"
#include "engine/assets.h"
#include "packages/packages.h"
#include "packages/wheel_folder.h"

namespace vivarium::cli {

void add_packages_command(CLI::App& app, PackagesOptions& options) {
  auto* packages = app.add_subcommand("packages",
                                      "List the Pyodide packages of the package folder and the wheels "
                                      "of the wheel folder, with versions, and what `serve` preloads");
  packages
      ->add_option("--packages-dir", options.packages_dir,
                   "The package folder. Default: $VIVARIUM_PACKAGES_DIR, else 'packages' beside the assets")
      ->type_name("DIR");
  packages
      ->add_option("--wheels-dir", options.wheels_dir,
                   "The folder of pure-Python wheels for micropip. Default: $VIVARIUM_WHEELS_DIR, else 'wheels' "
                   "beside the assets")
      ->type_name("DIR");
  packages->add_option("--assets", options.assets_dir, "The Pyodide bundle folder (to find the default)")
      ->type_name("DIR");
  const std::string default_preload = packages::join_package_list(packages::kDefaultPreload);
  options.preload = default_preload;
  if (const char* env = std::getenv("PRELOAD")) options.preload = env;
  packages->add_option("--preload", options.preload, "The preload list to report on (as for serve)")
      ->type_name("NAMES")
      ->default_str(default_preload);
}

namespace {

// The wheel folder's part of the listing; false when the folder cannot be read.
bool print_wheel_folder(const std::filesystem::path& dir) {
  auto listing = packages::list_wheel_folder(dir, /*measure_sha256=*/false);  // only names are shown
  if (!listing) {
    std::cerr << "vivarium: " << listing.error() << "\n";
    return false;
  }
  if (!*listing) {
    std::cout << "\nNo wheel folder at " << dir.string()
              << " (optional: pure-Python wheels that micropip.install may install; --wheels-dir).\n";
    return true;
  }
  const auto& wheels = (*listing)->wheels;
  std::cout << "\nWheel folder: " << dir.string() << " (" << wheels.size()
            << " pure-Python wheels for micropip.install)\n";
  if (!wheels.empty()) std::printf("%-32s %-16s %s\n", "WHEEL", "VERSION", "FILE");
  for (const auto& wheel : wheels)
    std::printf("%-32s %-16s %s\n", wheel.name.c_str(), wheel.version.c_str(), wheel.file_name.c_str());
  std::cout << packages::skipped_wheels_warning((*listing)->skipped, dir) << ((*listing)->skipped.empty() ? "" : "\n");
  return true;
}

// The package folder's part of the listing; an exit status.
int print_package_folder(const std::filesystem::path& dir, const std::vector<std::string>& preload) {
  auto folder = packages::load_package_folder(dir);
  if (!folder) {
    std::cerr << "vivarium: " << folder.error() << "\n";
    return exit_status::usage;
  }
  if (!*folder) {
    std::cout << "No package folder at " << dir.string()
              << ": only Python's standard library is available.\n"
                 "Add the official Pyodide package distribution with `make packages`, or point --packages-dir /\n"
                 "VIVARIUM_PACKAGES_DIR at a folder of Pyodide wheels with its pyodide-lock.json.\n";
    if (!preload.empty()) std::cout << packages::missing_packages_warning(preload, dir) << "\n";
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
    // Pyodide's micropip downloads from PyPI; sessions get vivarium's own instead.
    if (p.name == "micropip") status = "not used: vivarium has its own offline micropip";
    if (p.present && preloaded) status += ", preloaded by serve";
    std::printf("%-32s %-16s %s\n", p.name.c_str(), p.version.c_str(), status.c_str());
  }
  if (!missing.empty()) std::cout << packages::missing_packages_warning(missing, dir) << "\n";
  return exit_status::ok;
}

}  // namespace

int packages_command(const PackagesOptions& options) {
  auto assets = engine::locate_assets(options.assets_dir, std::filesystem::read_symlink("/proc/self/exe"));
  if (!assets) {
    std::cerr << "vivarium: " << assets.error() << "\n";
    return exit_status::internal;
  }
  const auto preload = packages::parse_package_list(options.preload);
  const int status =
      print_package_folder(options.packages_dir.value_or(packages::default_packages_dir(*assets)), preload);
  if (status != exit_status::ok) return status;
  return print_wheel_folder(options.wheels_dir.value_or(packages::default_wheels_dir(*assets))) ? exit_status::ok
                                                                                                : exit_status::usage;
}

}  // namespace vivarium::cli
