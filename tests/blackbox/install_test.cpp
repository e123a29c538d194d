// `cmake --install` gives a vivarium that works outside the build tree, laid out as a
// Debian package lays it out: configured with -DCMAKE_INSTALL_PREFIX=/usr (where
// GNUInstallDirs' LIBDIR is lib/x86_64-linux-gnu, not lib) and installed into a DESTDIR.
#include <gtest/gtest.h>

#include <filesystem>

#include "support/subprocess.h"

namespace fs = std::filesystem;
using namespace vivarium::test_support;

namespace {

// The install rules are those of a fresh configuration with the prefix /usr; the binary
// they install is the one this build tree made from the same sources (no compile flag
// depends on the prefix), put where that configuration expects its own. Configuring takes
// seconds, building again minutes.
fs::path configure_for_prefix_usr(const fs::path& tree) {
  auto configured = run_process(
      {VIVARIUM_CMAKE, "-S", source_dir(), "-B", tree.string(), "-DCMAKE_INSTALL_PREFIX=/usr", "-DBUILD_TESTING=OFF"},
      {.limit = std::chrono::minutes(2)});
  EXPECT_EQ(configured.exit_status, 0) << configured.out << configured.err;
  const fs::path binary = tree / fs::path(vivarium_binary()).filename();
  fs::copy_file(vivarium_binary(), binary, fs::copy_options::overwrite_existing);
  const fs::path engine = fs::path(vivarium_binary()).parent_path() / "libvivarium-engine.so";
  fs::copy_file(engine, tree / engine.filename(), fs::copy_options::overwrite_existing);
  return binary;
}

}  // namespace

TEST(Install, PrefixUsrIntoADestdirRunsFromAnotherDirectory) {
  const fs::path scratch = make_temp_dir();
  const fs::path destdir = scratch / "destdir";
  configure_for_prefix_usr(scratch / "build-usr");
  if (HasFailure()) return;
  auto installed = run_process({VIVARIUM_CMAKE, "--install", (scratch / "build-usr").string()},
                               {.env = {{"DESTDIR", destdir.string()}}, .limit = std::chrono::minutes(2)});
  ASSERT_EQ(installed.exit_status, 0) << installed.out << installed.err;

  const fs::path usr = destdir / "usr";
  const fs::path installed_binary = usr / "bin" / "vivarium";
  ASSERT_TRUE(fs::exists(installed_binary));
  // Was usr/lib/lib/vivarium, where the binary's RPATH ($ORIGIN/../lib/vivarium) never looked.
  EXPECT_TRUE(fs::exists(usr / "lib" / "x86_64-linux-gnu" / "vivarium" / "libnode.so.108"));
  EXPECT_FALSE(fs::exists(usr / "lib" / "lib"));
  EXPECT_TRUE(fs::exists(usr / "share" / "vivarium" / "pyodide" / "pyodide.asm.wasm"));
  EXPECT_FALSE(fs::exists(usr / "share" / "vivarium" / "pyodide" / ".bundle-sha256"));
  EXPECT_TRUE(fs::exists(usr / "share" / "man" / "man1" / "vivarium.1"));
  EXPECT_TRUE(fs::exists(usr / "share" / "bash-completion" / "completions" / "vivarium"));

  // The binary does not link libnode (runner/engine_library.h): the engine library does,
  // and libnode resolves inside the DESTDIR through its RPATH, not through the build
  // tree's copy (the install drops the build RPATH) or a system-wide one.
  const fs::path engine_library = usr / "lib" / "x86_64-linux-gnu" / "vivarium" / "libvivarium-engine.so";
  EXPECT_TRUE(fs::exists(engine_library));
  auto binary_links = run_process({"/usr/bin/ldd", installed_binary.string()});
  EXPECT_EQ(binary_links.out.find("libnode"), std::string::npos) << binary_links.out;
  auto linked = run_process({"/usr/bin/ldd", engine_library.string()});
  ASSERT_EQ(linked.exit_status, 0) << linked.err;
  const std::string arrow = "libnode.so.108 => ";
  const auto start = linked.out.find(arrow);
  ASSERT_NE(start, std::string::npos) << linked.out;
  const auto path_start = start + arrow.size();
  const fs::path resolved = linked.out.substr(path_start, linked.out.find(" (", path_start) - path_start);
  EXPECT_EQ(fs::weakly_canonical(resolved),
            fs::weakly_canonical(usr / "lib" / "x86_64-linux-gnu" / "vivarium" / "libnode.so.108"))
      << linked.out;

  // Run from an unrelated directory, with the build tree's assets out of reach.
  auto version = run_process({installed_binary.string(), "--version"}, {.working_dir = "/"});
  EXPECT_EQ(version.exit_status, 0) << version.err;
  EXPECT_NE(version.out.find("Pyodide "), std::string::npos) << version.out;
  auto result = run_process({installed_binary.string(), "run", "-c", "print(1)"}, {.working_dir = "/"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "1\n");

  // --assets and VIVARIUM_ASSETS point elsewhere when asked.
  auto missing = run_process({installed_binary.string(), "run", "-c", "1"},
                             {.env = {{"VIVARIUM_ASSETS", "/nonexistent"}}, .working_dir = "/"});
  EXPECT_EQ(missing.exit_status, 125);
  fs::remove_all(scratch);
}

TEST(Install, ThePrefixMayAlsoBeGivenAtInstallTime) {
  // `cmake --install build --prefix DIR`, as README.md shows, with this tree's own rules.
  const fs::path prefix = fs::path(make_temp_dir()) / "prefix";
  const fs::path build_dir = fs::path(vivarium_binary()).parent_path();
  auto installed = run_process({VIVARIUM_CMAKE, "--install", build_dir.string(), "--prefix", prefix.string()});
  ASSERT_EQ(installed.exit_status, 0) << installed.out << installed.err;
  auto result =
      run_process({(prefix / "bin" / "vivarium").string(), "run", "-c", "print('installed ok')"}, {.working_dir = "/"});
  EXPECT_EQ(result.exit_status, 0) << result.err;
  EXPECT_EQ(result.out, "installed ok\n");
  fs::remove_all(prefix.parent_path());
}
