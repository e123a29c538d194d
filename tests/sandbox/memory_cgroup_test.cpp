// Memory enforced by the kernel: real cgroups on this machine, below the one the test runs
// in, with the memory hogs in forked children. Skipped (with the reason) only where no
// writable memory cgroup exists; the parsing and detection tests run everywhere.
#include "sandbox/memory_cgroup.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>

namespace fs = std::filesystem;
using namespace vivarium::sandbox;

namespace {
constexpr std::uint64_t kMiB = 1 << 20;

// Touches `bytes` of fresh anonymous memory, page by page, so that every page is charged.
void touch_anonymous(std::uint64_t bytes) {
  auto* memory = static_cast<char*>(::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (memory == MAP_FAILED) ::_exit(90);
  for (std::uint64_t offset = 0; offset < bytes; offset += 4096) memory[offset] = 1;
}

// A child that enters `session` before it does anything else, then runs `body`.
pid_t run_in(const SessionCgroup& session, const std::function<int()>& body) {
  const pid_t child = ::fork();
  if (child == 0) {
    if (!session.enter_self()) ::_exit(100);
    ::_exit(body());
  }
  return child;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

// Closes a descriptor when a test returns, early (a failed ASSERT) or not: a child blocked
// reading the other end must not outlive the test.
struct Closer {
  int fd;
  void close_now() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  ~Closer() { close_now(); }
};

bool killed_by_sigkill(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }

void write_file(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

class MemoryCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    auto system = CgroupSystem::of_this_process();
    if (!system) GTEST_SKIP() << system.error().message;
    auto found = detect_cgroups(*system);
    if (!found) GTEST_SKIP() << "no writable memory cgroup here: " << found.error().message;
    layout_ = *found;
  }
  void TearDown() override {
    if (budget_) {
      EXPECT_TRUE(budget_->remove()) << "the test's budget cgroup could not be removed";
    }
  }
  MemoryBudget& open_budget(std::uint64_t bytes) {
    auto opened = MemoryBudget::open(layout_, bytes);
    EXPECT_TRUE(opened) << opened.error().message;
    if (!opened) std::abort();
    budget_.emplace(std::move(*opened));
    return *budget_;
  }
  SessionCgroup create_session(const char* name, std::uint64_t memory, std::uint64_t pids) {
    auto session = budget_->create_session(name, memory, pids);
    EXPECT_TRUE(session) << session.error().message;
    if (!session) std::abort();
    return *session;
  }

  CgroupLayout layout_;
  std::optional<MemoryBudget> budget_;
};

}  // namespace

TEST(ProcCgroup, ParsesV1ControllersAndTheUnifiedLine) {
  auto parsed = parse_proc_cgroup("9:name=systemd:/\n8:pids:/\n4:memory:/process_api/45fd\n2:cpu,cpuacct:/a:b\n0::/\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->unified, "/");
  EXPECT_EQ(parsed->v1.at("memory"), "/process_api/45fd");
  EXPECT_EQ(parsed->v1.at("pids"), "/");
  EXPECT_EQ(parsed->v1.at("cpuacct"), "/a:b");  // a colon in the path belongs to the path
  EXPECT_EQ(parsed->v1.at("name=systemd"), "/");
}

TEST(ProcCgroup, ParsesAPureV2Machine) {
  auto parsed = parse_proc_cgroup("0::/system.slice/vivarium.service\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->unified, "/system.slice/vivarium.service");
  EXPECT_TRUE(parsed->v1.empty());
}

TEST(ProcCgroup, RejectsMalformedText) {
  for (const char* text : {"", "garbage\n", "4:memory\n", "4:memory:relative\n", ":memory:/x\n"}) {
    auto parsed = parse_proc_cgroup(text);
    ASSERT_FALSE(parsed) << "accepted \"" << text << "\"";
    EXPECT_EQ(parsed.error().kind, CgroupErrorKind::invalid);
  }
}

TEST(CgroupDetection, AMissingCgroupRootIsUnavailableAndSaysWhere) {
  const CgroupSystem system{"/nonexistent-vivarium-cgroups", "4:memory:/x\n0::/\n"};
  auto layout = detect_cgroups(system);
  ASSERT_FALSE(layout);
  EXPECT_EQ(layout.error().kind, CgroupErrorKind::unavailable);
  EXPECT_NE(layout.error().message.find("/nonexistent-vivarium-cgroups"), std::string::npos) << layout.error().message;
}

TEST(CgroupDetection, NoMemoryCgroupAtAllIsUnavailable) {
  auto layout = detect_cgroups(CgroupSystem{"/nonexistent-vivarium-cgroups", "8:pids:/\n"});
  ASSERT_FALSE(layout);
  EXPECT_EQ(layout.error().kind, CgroupErrorKind::unavailable);
}

TEST(CgroupDetection, PrefersV2WithADelegatedMemoryControllerOverV1) {
  const fs::path root = fs::temp_directory_path() / ("vivarium-cgroup-tree-" + std::to_string(::getpid()));
  fs::remove_all(root);
  write_file(root / "cgroup.controllers", "cpu memory pids\n");
  write_file(root / "srv/cgroup.controllers", "memory pids\n");
  write_file(root / "memory/x/memory.limit_in_bytes", "9223372036854771712\n");
  auto layout = detect_cgroups(CgroupSystem{root, "4:memory:/x\n0::/srv\n"});
  ASSERT_TRUE(layout) << layout.error().message;
  EXPECT_EQ(layout->version, CgroupVersion::v2);
  EXPECT_EQ(layout->memory_base, root / "srv");

  // The hybrid layout of this machine: a cgroup2 mount at unified/ with no controllers.
  fs::remove(root / "cgroup.controllers");
  write_file(root / "unified/cgroup.controllers", "\n");
  write_file(root / "pids/cgroup.procs", "");
  layout = detect_cgroups(CgroupSystem{root, "8:pids:/\n4:memory:/x\n0::/\n"});
  ASSERT_TRUE(layout) << layout.error().message;
  EXPECT_EQ(layout->version, CgroupVersion::v1);
  EXPECT_EQ(layout->memory_base, root / "memory/x");
  EXPECT_EQ(layout->pids_base, root / "pids");
  fs::remove_all(root);
}

TEST(CgroupDetection, TheDefaultBudgetIsThreeQuartersOfTheNearestCap) {
  const fs::path root = fs::temp_directory_path() / ("vivarium-cgroup-cap-" + std::to_string(::getpid()));
  fs::remove_all(root);
  write_file(root / "memory/memory.limit_in_bytes", "9223372036854771712\n");
  write_file(root / "memory/capped/memory.limit_in_bytes", std::to_string(1024 * kMiB) + "\n");
  write_file(root / "memory/capped/x/memory.limit_in_bytes", "9223372036854771712\n");
  auto layout = detect_cgroups(CgroupSystem{root, "4:memory:/capped/x\n"});
  ASSERT_TRUE(layout) << layout.error().message;
  EXPECT_EQ(default_memory_budget(*layout), 768 * kMiB);
  fs::remove_all(root);
}

TEST_F(MemoryCgroup, AnonymousMemoryPastTheCapIsKilledByTheCgroup) {
  open_budget(1024 * kMiB);
  const auto session = create_session("anonymous", 64 * kMiB, 16);
  const int status = wait_for(run_in(session, [] {
    touch_anonymous(256 * kMiB);
    return 0;
  }));
  EXPECT_TRUE(killed_by_sigkill(status)) << "status " << status;
  auto killed = session.oom_killed();
  ASSERT_TRUE(killed) << killed.error().message;
  EXPECT_TRUE(*killed);
  EXPECT_TRUE(session.remove());
}

// The attack of issue 9: file pages of a memfd, which RSS does not show, are charged too.
TEST_F(MemoryCgroup, AMemfdPinPastTheCapEndsInTheKillOrENOMEM) {
  open_budget(1024 * kMiB);
  const auto session = create_session("memfd", 64 * kMiB, 16);
  const int status = wait_for(run_in(session, [] {
    const int fd = ::memfd_create("pin", 0);
    if (fd < 0) return 3;
    if (::fallocate(fd, 0, 0, 256 * kMiB) == 0) return 1;  // held it: the cap did nothing
    return errno == ENOMEM || errno == ENOSPC ? 2 : 4;
  }));
  const bool refused = WIFEXITED(status) && WEXITSTATUS(status) == 2;
  EXPECT_TRUE(killed_by_sigkill(status) || refused) << "status " << status << " (exit 1: the memfd held 256 MiB)";
  if (killed_by_sigkill(status)) {
    auto killed = session.oom_killed();
    ASSERT_TRUE(killed) << killed.error().message;
    EXPECT_TRUE(*killed);
  }
  EXPECT_TRUE(session.remove());
}

TEST_F(MemoryCgroup, ThePidsLimitBoundsForks) {
  if (layout_.version == CgroupVersion::v1 && !layout_.pids_base) GTEST_SKIP() << "no v1 pids controller mounted here";
  open_budget(1024 * kMiB);
  const auto session = create_session("forks", 64 * kMiB, 8);
  const int status = wait_for(run_in(session, [] {
    int release[2];
    if (::pipe(release) != 0) return 200;
    int forked = 0;
    bool refused = false;
    for (int i = 0; i < 32; ++i) {
      const pid_t child = ::fork();
      if (child == 0) {
        ::close(release[1]);
        char byte;
        (void)::read(release[0], &byte, 1);
        ::_exit(0);
      }
      if (child < 0) {
        refused = refused || errno == EAGAIN;
        continue;
      }
      ++forked;
    }
    ::close(release[1]);
    while (::wait(nullptr) > 0) {
    }
    return refused ? forked : 201;
  }));
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 7) << "processes forked beside the first of 8 (201: no fork was refused with EAGAIN)";
  EXPECT_TRUE(session.remove());
}

TEST_F(MemoryCgroup, TheBudgetCapsTwoSessionsTogether) {
  open_budget(96 * kMiB);
  const SessionCgroup sessions[] = {create_session("first", 64 * kMiB, 16), create_session("second", 64 * kMiB, 16)};
  int report[2], release[2];
  ASSERT_EQ(::pipe(report), 0);
  ASSERT_EQ(::pipe(release), 0);
  pid_t children[2];
  for (int i = 0; i < 2; ++i) {
    children[i] = run_in(sessions[i], [&] {
      ::close(release[1]);
      touch_anonymous(60 * kMiB);
      (void)::write(report[1], "x", 1);
      char byte;
      (void)::read(release[0], &byte, 1);
      return 0;
    });
  }
  ::close(report[1]);
  ::close(release[0]);
  // Both either said they hold 60 MiB or died: then neither will change any more.
  int reports = 0, statuses[2] = {-1, -1};
  while (reports + (statuses[0] != -1) + (statuses[1] != -1) < 2) {
    pollfd wake{report[0], POLLIN, 0};
    if (::poll(&wake, 1, 50) > 0) {
      char byte;
      if (::read(report[0], &byte, 1) == 1) ++reports;
    }
    for (int i = 0; i < 2; ++i)
      if (statuses[i] == -1 && ::waitpid(children[i], &statuses[i], WNOHANG) == 0) statuses[i] = -1;
  }
  ::close(release[1]);
  for (int i = 0; i < 2; ++i)
    if (statuses[i] == -1) statuses[i] = wait_for(children[i]);
  ::close(report[0]);
  const int killed = killed_by_sigkill(statuses[0]) + killed_by_sigkill(statuses[1]);
  EXPECT_EQ(killed, 1) << "statuses " << statuses[0] << ", " << statuses[1];
  for (int i = 0; i < 2; ++i) {
    if (!killed_by_sigkill(statuses[i])) {
      EXPECT_TRUE(WIFEXITED(statuses[i]) && WEXITSTATUS(statuses[i]) == 0) << "status " << statuses[i];
      continue;
    }
    auto oom = sessions[i].oom_killed();
    ASSERT_TRUE(oom) << oom.error().message;
    EXPECT_TRUE(*oom) << "the killed session's cgroup reports no OOM kill";
  }
}

TEST_F(MemoryCgroup, RemovingASessionKillsItsProcessAndItsFolder) {
  open_budget(1024 * kMiB);
  const auto session = create_session("live", 64 * kMiB, 16);
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    char byte;
    (void)::read(go[0], &byte, 1);  // added by the parent before it runs on
    for (;;) ::pause();
  }
  ASSERT_TRUE(session.add(child));
  ASSERT_EQ(::write(go[1], "x", 1), 1);
  auto removed = session.remove();
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_TRUE(killed_by_sigkill(wait_for(child)));
  EXPECT_FALSE(fs::exists(session.memory_dir()));
  if (session.pids_dir()) {
    EXPECT_FALSE(fs::exists(*session.pids_dir()));
  }
  ::close(go[0]);
  ::close(go[1]);
}

TEST_F(MemoryCgroup, StaleCleanupRemovesADeadOwnersLeftoversAndLeavesALiveOwnersAlone) {
  int ready[2], hold[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(hold), 0);
  // A live owner: a budget of its own, kept until told.
  const pid_t live = ::fork();
  if (live == 0) {
    ::close(hold[1]);
    auto budget = MemoryBudget::open(layout_, 256 * kMiB);
    if (!budget) ::_exit(1);
    (void)::write(ready[1], "x", 1);
    char byte;
    (void)::read(hold[0], &byte, 1);
    ::_exit(budget->remove() ? 0 : 2);
  }
  ::close(hold[0]);
  Closer release_live{hold[1]};
  char byte;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  auto live_name = budget_name_for(live);
  ASSERT_TRUE(live_name) << live_name.error().message;

  // A dead owner: it dies leaving its budget and a session with a process in it. That
  // orphan comes back to this process (a subreaper) so that its end can be checked.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int orphan_pipe[2];
  ASSERT_EQ(::pipe(orphan_pipe), 0);
  const pid_t dead = ::fork();
  if (dead == 0) {
    auto budget = MemoryBudget::open(layout_, 256 * kMiB);
    if (!budget) ::_exit(1);
    auto session = budget->create_session("left", 64 * kMiB, 16);
    if (!session) ::_exit(2);
    // It tells its pid once it is in its cgroup.
    run_in(*session, [&] {
      const pid_t self = ::getpid();
      (void)::write(orphan_pipe[1], &self, sizeof self);
      for (;;) ::pause();
      return 0;
    });
    ::_exit(0);  // no remove(): a crash
  }
  auto dead_name = budget_name_for(dead);
  ASSERT_TRUE(dead_name) << dead_name.error().message;
  pid_t orphan = 0;
  ASSERT_EQ(::read(orphan_pipe[0], &orphan, sizeof orphan), static_cast<ssize_t>(sizeof orphan));
  EXPECT_TRUE(WIFEXITED(wait_for(dead)));
  ASSERT_TRUE(fs::exists(layout_.memory_base / *dead_name / "left"));

  auto removed = remove_stale_budgets(layout_);
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_GE(*removed, 1);
  EXPECT_FALSE(fs::exists(layout_.memory_base / *dead_name));
  if (layout_.pids_base) {
    EXPECT_FALSE(fs::exists(*layout_.pids_base / *dead_name));
  }
  EXPECT_TRUE(killed_by_sigkill(wait_for(orphan))) << "the dead owner's session process still ran";
  EXPECT_TRUE(fs::exists(layout_.memory_base / *live_name)) << "a live owner's budget was removed";
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 0), 0);

  release_live.close_now();
  const int live_status = wait_for(live);
  EXPECT_TRUE(WIFEXITED(live_status) && WEXITSTATUS(live_status) == 0) << "status " << live_status;
  EXPECT_FALSE(fs::exists(layout_.memory_base / *live_name));
  for (int fd : {ready[0], ready[1], orphan_pipe[0], orphan_pipe[1]}) ::close(fd);
}
