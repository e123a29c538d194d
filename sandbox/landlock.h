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

// Restricts this process (and threads it creates later) to `access`: no other file can be
// opened, created, removed or executed. Returns false, doing nothing, when the kernel has
// no Landlock; an error when Landlock exists but the restriction fails. Irreversible.
std::expected<bool, std::string> restrict_file_access(const FileAccess& access);

}  // namespace vivarium::sandbox
