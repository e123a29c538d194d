#include "runner/daemon_folder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace vivarium::runner {
namespace fs = std::filesystem;
namespace {

fs::path folder_location() {
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime) return fs::path(runtime) / "vivarium";
  return fs::temp_directory_path() / ("vivarium-" + std::to_string(::geteuid()));
}

constexpr const char* kFix = "remove it, or set XDG_RUNTIME_DIR to a folder of your own (or run with --no-daemon)";

}  // namespace

std::expected<void, std::string> check_private_folder(const fs::path& folder) {
  struct stat info {};
  if (::lstat(folder.c_str(), &info) != 0)
    return std::unexpected("cannot use " + folder.string() + ": " + std::strerror(errno));
  if (!S_ISDIR(info.st_mode)) return std::unexpected(folder.string() + " is not a folder: " + kFix);
  if (info.st_uid != ::geteuid())
    return std::unexpected(folder.string() + " belongs to uid " + std::to_string(info.st_uid) + ", not to you (uid " +
                           std::to_string(::geteuid()) + "): " + kFix);
  if ((info.st_mode & 077) != 0)
    return std::unexpected(folder.string() + " may be entered by other users (mode " +
                           std::to_string((info.st_mode >> 6) & 7) + std::to_string((info.st_mode >> 3) & 7) +
                           std::to_string(info.st_mode & 7) + "): `chmod 700` it, or " + kFix);
  return {};
}

std::expected<fs::path, std::string> existing_daemon_folder() {
  const fs::path folder = folder_location();
  if (auto checked = check_private_folder(folder); !checked) return std::unexpected(checked.error());
  return folder;
}

std::expected<fs::path, std::string> daemon_folder() {
  const fs::path folder = folder_location();
  // mkdir with 0700 from the start: no moment in which another user could enter it.
  if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST)
    return std::unexpected("cannot create " + folder.string() + ": " + std::strerror(errno) + ": " + kFix);
  if (auto checked = check_private_folder(folder); !checked) return std::unexpected(checked.error());
  return folder;
}

fs::path daemon_socket_path(const fs::path& folder, const std::string& key) {
  return folder / ("run-" + key + ".sock");
}
fs::path daemon_lock_path(const fs::path& folder, const std::string& key) { return folder / ("run-" + key + ".lock"); }

std::vector<fs::path> daemon_sockets(const fs::path& folder) {
  std::vector<fs::path> sockets;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("run-") && name.ends_with(".sock")) sockets.push_back(entry.path());
  }
  std::sort(sockets.begin(), sockets.end());
  return sockets;
}

}  // namespace vivarium::runner
