#include "packages/boot_setup.h"

#include "engine/assets.h"
#include "packages/packages.h"
#include "packages/wheel_folder.h"

namespace vivarium::packages {

namespace {
// Fills in the wheel folder (setup.wheels_dir): its usable wheels and what it cannot use.
std::expected<void, std::string> add_wheel_folder(BootSetup& setup, bool measure_sha256) {
  std::error_code ec;
  if (std::filesystem::equivalent(setup.wheels_dir, setup.packages_dir, ec)) {
    // Its lock file already lists its wheels; listing them again would hash the whole
    // distribution at every start and flag every native wheel.
    setup.skipped_wheels.push_back(
        "(all): the wheel folder is the package folder, whose pyodide-lock.json "
        "already lists its wheels; give --wheels-dir a folder of its own");
    return {};
  }
  auto wheels = packages::list_wheel_folder(setup.wheels_dir, measure_sha256);
  if (!wheels) return std::unexpected(wheels.error());
  if (*wheels) {
    setup.options.wheels = (*wheels)->folder;
    setup.skipped_wheels = (*wheels)->skipped;
  }
  return {};
}
}  // namespace

std::expected<BootSetup, BootSetupFailure> prepare_boot(const BootSettings& settings) {
  auto assets = engine::locate_assets(settings.assets_dir, std::filesystem::read_symlink("/proc/self/exe"));
  if (!assets) return std::unexpected(BootSetupFailure{BootSetupProblem::assets, assets.error()});
  BootSetup setup;
  setup.options.assets_dir = *assets;
  setup.options.cache_dir = settings.cache_dir.value_or(engine::default_cache_dir());
  setup.packages_dir = settings.packages_dir.value_or(default_packages_dir(*assets));
  auto packages = load_package_folder(setup.packages_dir);
  if (!packages) return std::unexpected(BootSetupFailure{BootSetupProblem::packages, packages.error()});
  if (*packages) setup.options.packages = (*packages)->folder;
  setup.wheels_dir = settings.wheels_dir.value_or(default_wheels_dir(*assets));
  if (auto listed = add_wheel_folder(setup, settings.measure_wheels); !listed)
    return std::unexpected(BootSetupFailure{BootSetupProblem::packages, listed.error()});
  setup.options.preload = settings.preload;
  return setup;
}

}  // namespace vivarium::packages
