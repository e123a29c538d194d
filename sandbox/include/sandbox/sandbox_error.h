// How confining a process can fail, as a type the caller can branch on (never the text).
#pragma once

#include <string>

namespace vivarium::sandbox {

struct SandboxError {
  enum class Kind {
    unavailable,  // the kernel or the container does not offer this layer here
    failed,       // the layer exists but could not be applied: never run code then
    invalid,      // the caller asked for something impossible (a bad uid range, a path)
  };
  Kind kind;
  std::string message;  // one sentence: what failed, and what to do about it
};

}  // namespace vivarium::sandbox
