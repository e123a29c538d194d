// Reading wheels of the package folder for Pyodide: only files its lock file lists, and
// only when their content matches the lock's sha256.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "src/isolate_state.h"

namespace vivarium::engine::detail {
// True when `requested` names a path inside the package folder (whether or not valid).
bool is_package_path(const IsolateState& state, std::string_view requested);
// The verified bytes, or a message naming what is wrong.
std::expected<std::string, std::string> read_package_file(const IsolateState& state, std::string_view requested);
}  // namespace vivarium::engine::detail
