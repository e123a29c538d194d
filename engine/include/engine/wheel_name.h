// The one place that knows what a wheel file name says (PEP 427:
// name-version[-build]-python-abi-platform.whl) and which wheels Pyodide can install.
// The package listings use it, and so does micropip inside the sandbox, through the host
// function `wheelname` (host_functions.cpp), so the rules cannot drift apart.
#pragma once

#include <expected>
#include <string>

namespace vivarium::engine {

struct WheelName {
  std::string name, version, python_tag, abi_tag, platform_tag;
};

// The parts of file_name, or a message saying why it is not a wheel file name.
std::expected<WheelName, std::string> parse_wheel_file_name(const std::string& file_name);

// Pyodide runs CPython 3 on wasm32: only wheels for any Python 3 and any platform fit.
bool is_pure_python3(const WheelName& wheel);

}  // namespace vivarium::engine
