// Writing the files an execution created or changed into --output-dir.
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/execution.h"

namespace vivarium::cli {

// Writes each file under dir (created if needed). Names come from the sandbox and are
// untrusted: each is re-validated, and no existing symlink on the host is followed.
std::expected<void, std::string> write_output_files(const std::filesystem::path& dir,
                                                    const std::vector<engine::SandboxFile>& files);

}  // namespace vivarium::cli
