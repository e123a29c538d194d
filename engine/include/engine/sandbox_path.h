// Validation of file names that cross the sandbox boundary (uploads, output files).
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace vivarium::engine {

// Accepts a relative path inside the sandbox home and returns it normalised (no "." or
// empty components). Rejects empty, absolute, ".." components, NUL or control
// characters, and components longer than 255 bytes, with a message naming the problem.
std::expected<std::string, std::string> validate_sandbox_path(std::string_view path);

}  // namespace vivarium::engine
