// What the sessions of `serve` and `vivarium mcp` are, from serve's configuration: one
// place, so that both front ends apply the very same limits, folders and sandbox.
#pragma once

#include <filesystem>

#include "packages/boot_setup.h"
#include "server/config.h"
#include "sessions/session_service.h"

namespace vivarium::server {

// The zygote gets the very folders that `setup` located, and the sessions are served
// the same wheels.
sessions::SessionServiceOptions session_service_options(const ServerConfig& config,
                                                        const std::filesystem::path& executable,
                                                        const packages::BootSetup& setup);

}  // namespace vivarium::server
