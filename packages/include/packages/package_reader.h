// Serves wheels of the package folder and of the wheel folder to session processes,
// which cannot open files. Only listed file names; the session checks their sha256.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/interpreter.h"

namespace vivarium::packages {

struct PackageReader {
  std::optional<engine::PackageFolder> packages, wheels;
  std::optional<std::string> read(engine::WheelSource source, const std::string& file_name) const;
  std::uint64_t largest_wheel() const;  // bytes, 0 without wheels; bounds the frames sent to a session
};

}  // namespace vivarium::packages
