// Sources compiled into the binary (generated from engine/js and engine/py by CMake).
#pragma once

#include <string_view>

namespace vivarium::engine::detail {
extern const std::string_view kBootstrapJs;
extern const std::string_view kRunnerPy;
extern const std::string_view kMicropipPy;
extern const std::string_view kPep440Py;
}  // namespace vivarium::engine::detail
