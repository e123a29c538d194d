#include "runner/daemon_key.h"

#include <elf.h>
#include <link.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "engine/sha256.h"
#include "units/units.h"

namespace vivarium::runner {
namespace fs = std::filesystem;
namespace {

// "path dev:ino size mtime" of a file or folder; "path missing" when it is not there.
std::string identity(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return path.string() + " missing\n";
  return path.string() + " " + std::to_string(info.st_dev) + ":" + std::to_string(info.st_ino) + " " +
         std::to_string(info.st_size) + " " + std::to_string(info.st_mtim.tv_sec) + "." +
         std::to_string(info.st_mtim.tv_nsec) + "\n";
}

// A folder's entries, each with its identity: a wheel added, removed or replaced changes it.
std::string listing(const fs::path& folder) {
  std::vector<std::string> lines;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) lines.push_back(identity(entry.path()));
  std::sort(lines.begin(), lines.end());
  std::string text = identity(folder);
  for (const auto& line : lines) text += "  " + line;
  return text;
}

int find_build_id(dl_phdr_info* info, size_t, void* out) {
  // The first object is the executable itself.
  auto* id = static_cast<std::string*>(out);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& header = info->dlpi_phdr[i];
    if (header.p_type != PT_NOTE) continue;
    const auto* at = reinterpret_cast<const unsigned char*>(info->dlpi_addr + header.p_vaddr);
    const auto* end = at + header.p_memsz;
    while (at + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) note;
      std::memcpy(&note, at, sizeof note);
      const auto* name = at + sizeof note;
      const auto* desc = name + ((note.n_namesz + 3) & ~3u);
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0 &&
          desc + note.n_descsz <= end) {
        char hex[3];
        for (unsigned j = 0; j < note.n_descsz; ++j) {
          std::snprintf(hex, sizeof hex, "%02x", desc[j]);
          *id += hex;
        }
        return 1;
      }
      at = desc + ((note.n_descsz + 3) & ~3u);
    }
  }
  return 1;  // only the executable
}

}  // namespace

std::string executable_build_id() {
  std::string id;
  ::dl_iterate_phdr(find_build_id, &id);
  return id;
}

std::string daemon_key(const DaemonSettings& s) {
  // The build id names this binary's code; without one, its file's identity does.
  std::string text = "vivarium run zygote 1\n";
  const std::string build_id = executable_build_id();
  text += build_id.empty() ? identity(s.executable) : "build-id " + build_id + "\n";
  text += identity(s.engine_library);
  text += listing(s.assets_dir);
  text += listing(s.packages_dir);
  text += listing(s.wheels_dir);
  // The cache by its place only: the zygote's own boot writes into it, and a key that
  // changed with its content would send the next run to a new zygote every time.
  text += "cache " + s.cache_dir.string() + "\n";
  text += "memory " + std::to_string(s.memory_limit) + "\n";
  text += "preload";
  for (const auto& name : s.preload) text += " " + name;
  text += "\nv8 " + s.v8_flags + "\n";
  return engine::sha256_hex(text).substr(0, 32);
}

std::string describe(const DaemonSettings& s) {
  std::string line = "memory " + units::format_size(s.memory_limit);
  if (!s.preload.empty()) {
    line += ", preload ";
    for (std::size_t i = 0; i < s.preload.size(); ++i) line += (i ? "," : "") + s.preload[i];
  }
  if (!s.v8_flags.empty()) line += ", V8 flags '" + s.v8_flags + "'";
  line += ", cache " + s.cache_dir.string();
  return line;
}

}  // namespace vivarium::runner
