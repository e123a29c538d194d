// Landlock as `vivarium run` uses it: once restricted, a process opens files only beneath
// its readable folders and writes only beneath its writable ones. Checked in a forked
// child, because the restriction cannot be undone.
#include "sandbox/landlock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

namespace fs = std::filesystem;
using vivarium::sandbox::FileAccess;
using vivarium::sandbox::restrict_file_access;

namespace {
bool can_open(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
  return fd >= 0;
}
}  // namespace

TEST(FileAccess, OnlyTheGivenFoldersCanBeOpenedAfterwards) {
  const fs::path root = fs::temp_directory_path() / ("vivarium-file-access-" + std::to_string(::getpid()));
  fs::remove_all(root);
  for (const char* dir : {"readable", "writable", "other"}) fs::create_directories(root / dir);
  for (const char* file : {"readable/a.txt", "writable/b.txt", "other/secret.txt"}) std::ofstream(root / file) << "x";

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto restricted = restrict_file_access(FileAccess{{root / "readable"}, {root / "writable"}});
    if (!restricted) ::_exit(10);
    if (!*restricted) ::_exit(20);  // no Landlock in this kernel
    int failures = 0;
    failures += !can_open(root / "readable" / "a.txt", O_RDONLY);
    failures += can_open(root / "readable" / "new.txt", O_WRONLY | O_CREAT);
    failures += !can_open(root / "writable" / "b.txt", O_RDONLY);
    failures += !can_open(root / "writable" / "new.txt", O_WRONLY | O_CREAT | O_TRUNC);
    failures += ::mkdir((root / "writable" / "sub").c_str(), 0755) != 0;
    failures += can_open(root / "other" / "secret.txt", O_RDONLY);
    failures += can_open("/etc/passwd", O_RDONLY);
    ::_exit(failures);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  fs::remove_all(root);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 20) GTEST_SKIP() << "this kernel has no Landlock";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "checks that went the wrong way (10: restricting failed)";
}
