// Landlock: what a process may still open once untrusted code runs in it. Used by
// `vivarium run`, which must keep opening files (wheels on import, --output-dir after
// the program), so that those are the only files it can open.
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <vector>

namespace vivarium::sandbox {

struct FileAccess {
  std::vector<std::filesystem::path> readable;  // read files and list folders beneath these
  std::vector<std::filesystem::path> writable;  // also create folders and files, and write them
};

// What the restriction covered, by the kernel's Landlock ABI.
struct LandlockOutcome {
  int abi = 0;                           // 0: no Landlock in this kernel, nothing was done
  bool tcp_denied = false;               // ABI 4: no TCP bind or connect
  bool signals_scoped = false;           // ABI 6: no signal to a process outside the domain
  bool abstract_sockets_scoped = false;  // ABI 6: no connect to an abstract unix socket outside it
  explicit operator bool() const { return abi > 0; }
};

// Restricts this process (and threads it creates later) to `access`: no other file can be
// opened, created, removed or executed; where the kernel has them, also no TCP, no
// signals and no abstract unix sockets beyond the process's own domain (each session
// is a domain of its own). Does nothing when the kernel has no Landlock; an error when
// Landlock exists but the restriction fails. Irreversible.
std::expected<LandlockOutcome, std::string> restrict_file_access(const FileAccess& access);

}  // namespace vivarium::sandbox
