// `vivarium serve`: the HTTP API of docs/api.md over zygote-forked session processes.
#pragma once

#include <filesystem>

#include "server/config.h"

namespace vivarium::server {
// Runs until SIGTERM or SIGINT; returns the process exit status.
int serve(const ServerConfig& config, const std::filesystem::path& executable);
}  // namespace vivarium::server
