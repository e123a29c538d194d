#include "sandbox/mount_namespace.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

namespace vivarium::sandbox {
namespace {

namespace fs = std::filesystem;

// The new root is built on a tmpfs mounted here first (any folder every machine has);
// the folders are bound from descriptors opened before it covered anything.
constexpr const char* kStaging = "/tmp";

SandboxError failure(const std::string& what) {
  return SandboxError{SandboxError::Kind::failed, what + ": " + std::strerror(errno)};
}

// mkdir -p below the staging root; every folder readable and searchable, owned by the
// process (the tmpfs is its own).
bool make_folders(const fs::path& inside_staging) {
  fs::path built;
  for (const auto& part : inside_staging) {
    built /= part;
    if (::mkdir(built.c_str(), 0755) != 0 && errno != EEXIST) return false;
  }
  return true;
}

// The flags a read-only re-mount must keep: the kernel refuses to clear a locked flag
// of a mount that came from the parent namespace: its atime flags are kept as they are,
// and nosuid, nodev and noexec are only ever added.
unsigned long kept_flags(const char* target) {
  struct statvfs info {};
  if (::statvfs(target, &info) != 0) return 0;
  unsigned long flags = 0;
  if (info.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (info.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (info.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

struct Visible {
  fs::path at;  // where it appears in the new root
  int fd;       // O_PATH descriptor of the folder, opened in the new namespace before the tmpfs
  bool writable;
};

// Every path as the process will name it (absolute, normalized) and as it really is.
void add_places(std::map<fs::path, bool>& places, const std::vector<fs::path>& folders, bool writable) {
  std::error_code ec;
  for (const auto& folder : folders) {
    places[fs::absolute(folder, ec).lexically_normal()] |= writable;
    if (auto real = fs::canonical(folder, ec); !ec) places[real] |= writable;
  }
}

}  // namespace

std::expected<MountOutcome, SandboxError> enter_empty_mount_namespace(const std::vector<fs::path>& readable,
                                                                      const std::vector<fs::path>& writable) {
  MountOutcome outcome;
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  std::map<fs::path, bool> places;  // ordered: a folder is bound before the ones inside it
  add_places(places, readable, false);
  add_places(places, writable, true);
  if (::unshare(CLONE_NEWNS) != 0) {
    outcome.detail = std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno) +
                     " (it needs a user namespace of its own, or root)";
    return outcome;
  }
  // Nothing done below may reach the host's mounts (a shared root propagates mounts).
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return std::unexpected(failure("cannot make the new mount namespace private"));
  // Opened in the new namespace (a bind takes only a mount of the caller's own), before
  // the tmpfs covers anything.
  std::vector<Visible> binds;
  for (const auto& [place, place_writable] : places) {
    if (place.empty() || place == "/") continue;  // never the whole host
    const int fd = ::open(place.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) binds.push_back({place, fd, place_writable});  // a folder that does not exist stays absent
  }
  auto close_all = [&] {
    for (auto& bind : binds) ::close(bind.fd);
  };
  if (::mount("vivarium", kStaging, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=0755") != 0) {
    close_all();
    return std::unexpected(failure(std::string("cannot mount the empty root on ") + kStaging));
  }
  const fs::path staging = kStaging;
  for (const auto& bind : binds) {
    const fs::path target = staging / bind.at.relative_path();
    const std::string source = "/proc/self/fd/" + std::to_string(bind.fd);
    if (!make_folders(target) || ::mount(source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      close_all();
      return std::unexpected(failure("cannot show " + bind.at.string() + " in the empty root"));
    }
    // Read-only on top of Landlock; a kernel that refuses it still has Landlock's rule.
    const unsigned long writes = bind.writable ? 0 : MS_RDONLY;
    (void)::mount(nullptr, target.c_str(), nullptr,
                  MS_REMOUNT | MS_BIND | writes | MS_NOSUID | MS_NODEV | MS_NOEXEC | kept_flags(target.c_str()),
                  nullptr);
  }
  close_all();
  const bool keep_cwd = !cwd.empty() && make_folders(staging / cwd.relative_path());
  if (::mount(nullptr, kStaging, nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=64k,mode=0755") != 0)
    return std::unexpected(failure("cannot make the empty root read-only"));
  // The tmpfs becomes "/", and the host's root, stacked on it, is detached.
  if (::chdir(kStaging) != 0 || ::syscall(SYS_pivot_root, ".", ".") != 0 || ::umount2(".", MNT_DETACH) != 0)
    return std::unexpected(failure("cannot move into the empty root"));
  if (!keep_cwd || ::chdir(cwd.c_str()) != 0) (void)::chdir("/");
  outcome.entered = true;
  outcome.detail = binds.empty() ? "an empty read-only root"
                                 : "a read-only root with " + std::to_string(binds.size()) + " folder" +
                                       (binds.size() == 1 ? "" : "s") + " only";
  return outcome;
}

}  // namespace vivarium::sandbox
