// Memory enforced by the kernel, through the HTTP API (docs/memory-cgroups.md). Python in
// a session is Pyodide (wasm) and cannot call memfd_create; the native code an exploit
// would run is played by tests/http/fake_session.py (TEST-ONLY VIVARIUM_TEST_FAKE_SESSION),
// a real CPython process that the zygote forks into the session's cgroup like any session
// and that relays honest requests to a real session. Its "#hostile:memfd_pin#" takes
// 2 GiB of memfd pages, which its RSS does not show.
#include <gtest/gtest.h>

#include "http/http_helpers.h"
#include "sandbox/memory_cgroup.h"

using namespace vivarium::test_support;
namespace sandbox = vivarium::sandbox;

namespace {

constexpr const char* kFakeSession = VIVARIUM_SOURCE_DIR "/tests/http/fake_session.py";

// The server finds the same cgroups as this test (a child runs in its parent's).
std::optional<std::string> cgroups_missing() {
  auto system = sandbox::CgroupSystem::of_this_process();
  if (!system) return system.error().message;
  auto layout = sandbox::detect_cgroups(*system);
  if (!layout) return layout.error().message;
  return std::nullopt;
}

}  // namespace

TEST(ServeMemoryCgroup, AMemfdPinEndsAsResourceLimitAndOtherSessionsCarryOn) {
  if (auto missing = cgroups_missing()) GTEST_SKIP() << "no writable memory cgroup here: " << *missing;
  ServeProcess server({"--memory-limit", "256M", "--process-memory-limit", "400M", "--execution-timeout", "10"},
                      {{"VIVARIUM_TEST_FAKE_SESSION", kFakeSession}});
  auto kept = exec_code(server, "bystander", "kept = 41");
  ASSERT_EQ(kept.body["success"], true) << kept.raw;

  auto pinned = exec_code(server, "pinner", "#hostile:memfd_pin#");
  EXPECT_EQ(pinned.status, 200) << pinned.raw;
  EXPECT_EQ(pinned.body["success"], false) << pinned.raw;
  EXPECT_EQ(pinned.body["error"]["type"], "resource_limit") << pinned.raw;
  EXPECT_EQ(pinned.body["error"]["session_reset"], true) << pinned.raw;

  auto other = exec_code(server, "bystander", "kept + 1");
  EXPECT_EQ(other.body["result"]["final_expression"], 42) << other.raw;
  auto again = exec_code(server, "pinner", "1 + 1");
  EXPECT_EQ(again.body["result"]["final_expression"], 2) << again.raw;
  EXPECT_NE(server.log().find("memory cgroups: v"), std::string::npos) << server.log();
}

TEST(ServeMemoryCgroup, PastTheTotalMemoryLimitANewSessionGets503AndIsAdmittedOnceMemoryIsFreed) {
  if (auto missing = cgroups_missing()) GTEST_SKIP() << "no writable memory cgroup here: " << *missing;
  // 400 MiB for all sessions together; one session holding 340 MiB (about 355 MiB with
  // the interpreter) leaves less than the 64 MiB a new one needs (sessions/session_cgroups.cpp).
  ServeProcess server({"--memory-limit", "512M", "--process-memory-limit", "600M", "--total-memory-limit", "400M"});
  // Written, not only allocated: untouched pages are charged to no one.
  auto big = exec_code(server, "big", "held = b'\\x01' * (340 * 1024 * 1024)\nlen(held) // (1024 * 1024)");
  ASSERT_EQ(big.body["result"]["final_expression"], 340) << big.raw;

  auto refused = exec_code(server, "newcomer", "1 + 1");
  EXPECT_EQ(refused.status, 503) << refused.raw;
  EXPECT_EQ(refused.body["error"]["type"], "resource_limit") << refused.raw;
  EXPECT_NE(refused.raw.find("of the server's total memory limit of 400M"), std::string::npos) << refused.raw;
  // The session that holds the memory still works, with its state.
  EXPECT_EQ(exec_code(server, "big", "len(held) // (1024 * 1024)").body["result"]["final_expression"], 340);

  ASSERT_EQ(to_reply(client_for(server).Delete("/sessions/big")).status, 200);
  auto admitted = exec_code(server, "newcomer", "1 + 1");
  EXPECT_EQ(admitted.body["result"]["final_expression"], 2) << admitted.raw;
}
