#include "server/session_options.h"

namespace vivarium::server {

sessions::SessionServiceOptions session_service_options(const ServerConfig& config,
                                                        const std::filesystem::path& executable,
                                                        const packages::BootSetup& setup) {
  const packages::PackageReader reader{setup.options.packages, setup.options.wheels};
  return {
      .zygote = {executable, setup.options.assets_dir, config.cache_dir, config.memory_limit, setup.packages_dir,
                 setup.wheels_dir, config.preload, config.sandbox_ids, config.require_full_sandbox,
                 config.spare_sessions},
      .limits = {config.execution_timeout, config.max_output_size, config.max_output_files_size,
                 config.max_output_files, config.max_sessions},
      .packages = reader,
      // The frame limits of both directions for this configuration (docs/wire-protocol.md).
      .frames = sessions::frame_limits({config.max_body_size, reader.largest_wheel(), config.max_output_size,
                                        config.max_output_files_size, config.max_output_files}),
      .session_timeout = config.session_timeout,
      .process_memory_limit = config.process_memory_limit,
      .total_memory_limit = config.total_memory_limit,
  };
}

}  // namespace vivarium::server
