// `vivarium sandbox-check` and the wall as serve reports it at start.
#include <gtest/gtest.h>
#include <unistd.h>

#include "support/subprocess.h"

using namespace vivarium::test_support;

TEST(SandboxCheckCli, ListsEveryLayerForBothRolesAndExitsOneExactlyWhenOneIsMissing) {
  const auto result = run_process({vivarium_binary(), "sandbox-check"});
  ASSERT_FALSE(result.timed_out);
  EXPECT_EQ(result.err, "");
  for (const char* role : {"serve sessions", "vivarium run"}) EXPECT_NE(result.out.find(role), std::string::npos);
  for (const char* layer : {"seccomp allow-list", "unprivileged user", "user namespace", "network namespace",
                            "IPC namespace", "UTS namespace", "Landlock", "Landlock scopes"}) {
    // once per role
    const auto first = result.out.find(std::string("  ") + layer);
    ASSERT_NE(first, std::string::npos) << layer << "\n" << result.out;
    EXPECT_NE(result.out.find(std::string("  ") + layer, first + 1), std::string::npos) << layer;
  }
  EXPECT_NE(result.out.find("memory cgroup: "), std::string::npos) << result.out;
  const bool missing = result.out.find("MISSING") != std::string::npos;
  EXPECT_EQ(result.exit_status, missing ? 1 : 0) << result.out;
  if (::geteuid() == 0) {  // as root, a session switches to the first uid of the range
    EXPECT_NE(result.out.find("unprivileged user: uid 1879048192, no capabilities"), std::string::npos) << result.out;
  }
}

TEST(SandboxCheckCli, ABadUidRangeIsAUsageErrorNamingIt) {
  const auto result = run_process({vivarium_binary(), "sandbox-check", "--sandbox-uids", "5-2"});
  EXPECT_EQ(result.exit_status, 2);
  EXPECT_EQ(result.err,
            "vivarium: error: invalid uid range '5-2': LAST is below FIRST (write FIRST-LAST, e.g. "
            "1879048192-1879113727)\n");
}
