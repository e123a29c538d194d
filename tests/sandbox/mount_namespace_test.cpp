// The empty root of a sandboxed process: only its folders are there, read-only unless
// they are writable, and nothing it mounts reaches the host. Checked in forked children
// (inside their own user namespace, as confine() does), errno by errno.
#include "sandbox/mount_namespace.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "sandbox/namespaces.h"

namespace fs = std::filesystem;
using namespace vivarium::sandbox;

namespace {

int stat_errno(const fs::path& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? 0 : errno;
}

int create_errno(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

std::string read_text(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string mount_table() { return read_text("/proc/self/mountinfo"); }

struct Folders {
  fs::path root = fs::temp_directory_path() / ("vivarium-mount-ns-" + std::to_string(::getpid()));
  Folders() {
    fs::remove_all(root);
    for (const char* dir : {"readable/inner", "writable", "hidden"}) fs::create_directories(root / dir);
    std::ofstream(root / "readable" / "a.txt") << "visible";
    std::ofstream(root / "hidden" / "secret.txt") << "secret";
    fs::create_directory_symlink(root / "readable", root / "link");
  }
  ~Folders() { fs::remove_all(root); }
};

// The child's findings, one bit each, as its exit status.
int check_in_child(const Folders& folders, const fs::path& given_readable) {
  const int proc_self = ::open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
  auto namespaces = enter_namespaces(proc_self);
  ::close(proc_self);
  if (!namespaces) return 100;
  const fs::path cwd = fs::current_path();
  auto entered = enter_empty_mount_namespace({given_readable}, {folders.root / "writable"});
  if (!entered) return 101;
  if (!entered->entered) return 102;
  int failures = 0;
  if (read_text(given_readable / "a.txt") != "visible") failures |= 1 << 0;
  if (stat_errno(folders.root / "readable" / "inner") != 0) failures |= 1 << 1;
  if (create_errno(given_readable / "new.txt") != EROFS) failures |= 1 << 2;
  if (create_errno(folders.root / "writable" / "new.txt") != 0) failures |= 1 << 3;
  // The host: neither a file nor a folder of it can be found, let alone opened.
  for (const char* host : {"/etc/passwd", "/proc/self/status", "/usr", "/home"})
    if (stat_errno(host) != ENOENT) failures |= 1 << 4;
  if (stat_errno(folders.root / "hidden" / "secret.txt") != ENOENT) failures |= 1 << 5;
  // The root itself is read-only: nothing new can be made in it.
  if (create_errno("/new.txt") != EROFS) failures |= 1 << 6;
  if (fs::current_path() != cwd) failures |= 1 << 7;
  return failures;
}

int run_in_child(const Folders& folders, const fs::path& given_readable) {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(check_in_child(folders, given_readable));
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TEST(MountNamespace, OnlyTheGivenFoldersAreThereAndTheHostSeesNoMount) {
  Folders folders;
  const std::string before = mount_table();
  EXPECT_EQ(run_in_child(folders, folders.root / "readable"), 0)
      << "bits: 0 read, 1 inner folder, 2 read-only, 3 writable, 4 host paths, 5 hidden folder, 6 root read-only, "
         "7 working directory; 100+ set-up";
  // MS_PRIVATE first: the tmpfs and the binds of the child never showed up here.
  EXPECT_EQ(mount_table(), before);
}

TEST(MountNamespace, AFolderGivenThroughASymbolicLinkIsThereByBothNames) {
  Folders folders;
  EXPECT_EQ(run_in_child(folders, folders.root / "link"), 0);
}
