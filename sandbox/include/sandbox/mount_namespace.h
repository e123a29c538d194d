// An empty file system: a mount namespace whose root is a small read-only tmpfs that
// holds only the folders the process may read, bound read-only at their own paths. Even
// if Landlock fell, nothing else of the host could be opened; and a stat or a readlink
// (which Landlock does not check) finds only those folders: the host's other paths are
// not there to be probed. Called inside the new user namespace (or as root), before the
// capabilities go.
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include "sandbox/sandbox_error.h"

namespace vivarium::sandbox {

struct MountOutcome {
  bool entered = false;  // the process sees the empty root now
  std::string detail;    // what it sees, or why the host's file system stayed
};

// `readable` folders stay reachable, read-only, at their absolute paths (and at their
// real paths, where a symbolic link leads there); `writable` ones too, writable. The
// working directory keeps its path (an empty folder unless it is visible), so relative
// paths to those folders still work. An error means the process half-changed its mounts
// and must not run code.
std::expected<MountOutcome, SandboxError> enter_empty_mount_namespace(
    const std::vector<std::filesystem::path>& readable, const std::vector<std::filesystem::path>& writable);

}  // namespace vivarium::sandbox
