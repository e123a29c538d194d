#include "server/boot_setup.h"

#include "engine/assets.h"
#include "server/packages.h"

namespace vivarium::server {

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
  setup.options.preload = settings.preload;
  return setup;
}

}  // namespace vivarium::server
