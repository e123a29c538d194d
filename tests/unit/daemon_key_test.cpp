// Which warm zygote a run may use (runner/daemon_key.h) and where its socket may be
// (runner/daemon_folder.h): every input of the key changes it, and only a private
// folder of the user's own is used.
#include "runner/daemon_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "runner/daemon_folder.h"

namespace vivarium::runner {
namespace {
namespace fs = std::filesystem;

fs::path fresh_folder() {
  std::string pattern = (fs::temp_directory_path() / "vivarium-key-XXXXXX").string();
  EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
  return pattern;
}

TEST(DaemonKey, EveryInputChangesIt) {
  const fs::path root = fresh_folder();
  for (const char* folder : {"assets", "packages", "wheels", "cache"}) fs::create_directory(root / folder);
  std::ofstream(root / "engine.so") << "v1";
  DaemonSettings base{"/proc/self/exe",
                      root / "engine.so",
                      root / "assets",
                      root / "packages",
                      root / "wheels",
                      root / "cache",
                      1u << 30,
                      {},
                      ""};
  const std::string key = daemon_key(base);
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(daemon_key(base), key);  // the same settings, the same zygote

  auto changed = [&](auto change) {
    DaemonSettings other = base;
    change(other);
    return daemon_key(other);
  };
  EXPECT_NE(changed([](auto& s) { s.memory_limit = 256u << 20; }), key);
  EXPECT_NE(changed([](auto& s) { s.preload = {"numpy"}; }), key);
  EXPECT_NE(changed([](auto& s) { s.v8_flags = "--stack-size=900"; }), key);
  EXPECT_NE(changed([&](auto& s) { s.cache_dir = root / "other-cache"; }), key);
  // A wheel added to the wheel folder, or a rebuilt engine library.
  std::ofstream(root / "wheels" / "a-1.0-py3-none-any.whl") << "zip";
  EXPECT_NE(daemon_key(base), key);
  const std::string with_wheel = daemon_key(base);
  std::ofstream(root / "engine.so") << "v2, a longer build";
  EXPECT_NE(daemon_key(base), with_wheel);
  // The cache counts by its place: what a boot writes into it changes nothing.
  const std::string before_cache_write = daemon_key(base);
  std::ofstream(root / "cache" / "pyodide.snapshot") << "written by the zygote's boot";
  EXPECT_EQ(daemon_key(base), before_cache_write);
  fs::remove_all(root);
}

TEST(DaemonKey, TheExecutableHasABuildId) { EXPECT_GE(executable_build_id().size(), 32u); }

TEST(DaemonFolder, OnlyAPrivateFolderOfTheUsersOwnIsUsed) {
  const fs::path root = fresh_folder();
  EXPECT_TRUE(check_private_folder(root));  // mkdtemp: 0700, ours
  ::chmod(root.c_str(), 0750);
  auto shared = check_private_folder(root);
  ASSERT_FALSE(shared);
  EXPECT_NE(shared.error().find("may be entered by other users (mode 750)"), std::string::npos) << shared.error();
  ::chmod(root.c_str(), 0700);
  fs::create_directory_symlink(root, root.string() + "-link");
  auto link = check_private_folder(root.string() + "-link");
  ASSERT_FALSE(link);
  EXPECT_NE(link.error().find("is not a folder"), std::string::npos) << link.error();
  fs::remove(root.string() + "-link");
  // $XDG_RUNTIME_DIR/vivarium is made 0700 when missing.
  ::setenv("XDG_RUNTIME_DIR", root.c_str(), 1);
  auto made = daemon_folder();
  ASSERT_TRUE(made) << made.error();
  EXPECT_EQ(*made, root / "vivarium");
  struct stat info {};
  ASSERT_EQ(::stat(made->c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  EXPECT_EQ(daemon_socket_path(*made, "k"), root / "vivarium" / "run-k.sock");
  fs::remove_all(root);
}

}  // namespace
}  // namespace vivarium::runner
