// The wheel folders an interpreter may read, as plain data: what the engine's callers
// list and hand to BootOptions, and what the engine checks every read against.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace vivarium::engine {

// A folder of wheels and the sha256 each file must have: for the package folder (Pyodide
// wheels with their pyodide-lock.json: the official distribution, or any such folder)
// the lock file's; for the extra wheel folder (pure-Python wheels for micropip) the
// hashes measured when the folder was listed. Only these files are ever read.
struct PackageFolder {
  std::filesystem::path dir;
  std::map<std::string, std::string> sha256_by_file;  // file_name -> sha256
};

// Which folder a wheel is read from.
enum class WheelSource { package_folder, wheel_folder };
// Reads a wheel when this process may not open files itself (a locked-down session asks
// the server). Returns nullopt when it cannot.
using WheelFetcher = std::function<std::optional<std::string>(WheelSource source, const std::string& file_name)>;

}  // namespace vivarium::engine
