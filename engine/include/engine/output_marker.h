// The marker that ends std_out or std_err when output past the limit was dropped. Shared
// by the engine (which counts while Python writes) and by the server, which cuts again
// what a session sends.
#pragma once

#include <cstddef>
#include <string>

namespace vivarium::engine {

inline std::string output_truncation_marker(std::size_t dropped) {
  return "\n[vivarium: output truncated, " + std::to_string(dropped) + " more bytes dropped]\n";
}

}  // namespace vivarium::engine
