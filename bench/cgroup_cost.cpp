// What a session's memory cgroup costs (docs/memory-cgroups.md): the time to create one,
// move a freshly forked child into it and remove it again, and the kernel memory one
// empty session cgroup holds. Prints numbers; asserts nothing.
//   build/bench/cgroup_cost [RUNS]     (default 200; needs a writable memory cgroup)
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "sandbox/memory_cgroup.h"

using namespace vivarium::sandbox;
using Clock = std::chrono::steady_clock;

namespace {
double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void print(const char* what, std::vector<double> samples) {
  std::ranges::sort(samples);
  const auto at = [&](double q) { return samples[static_cast<std::size_t>(q * (samples.size() - 1))]; };
  std::printf("%-34s median %7.3f ms   p90 %7.3f ms   max %7.3f ms\n", what, at(0.5), at(0.9), samples.back());
}

// Slab plus per-cpu memory from /proc/meminfo, in KiB: where a cgroup's kernel state lives.
long kernel_kib() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  long value = 0, total = 0;
  std::string unit;
  while (meminfo >> key >> value) {
    if (key == "Slab:" || key == "Percpu:") total += value;
    std::getline(meminfo, unit);
  }
  return total;
}
}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
  auto system = CgroupSystem::of_this_process();
  auto layout = system ? detect_cgroups(*system) : std::unexpected(system.error());
  if (!layout) {
    std::fprintf(stderr, "cgroup_cost: %s\n", layout.error().message.c_str());
    return 1;
  }
  auto budget = MemoryBudget::open(*layout, std::uint64_t{1} << 30);
  if (!budget) {
    std::fprintf(stderr, "cgroup_cost: %s\n", budget.error().message.c_str());
    return 1;
  }
  std::printf("cgroup %s, %d runs, below %s\n", layout->version == CgroupVersion::v2 ? "v2" : "v1", runs,
              budget->memory_dir().c_str());

  std::vector<double> create, enter, remove, fork_only, total;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    auto session = budget->create_session("bench", 256 << 20, 64);
    if (!session) {
      std::fprintf(stderr, "cgroup_cost: %s\n", session.error().message.c_str());
      return 1;
    }
    create.push_back(ms_since(start));
    // The child enters itself first thing after fork, as a session does; the parent
    // times fork-to-exit, compared with a fork that enters nothing.
    auto forked = Clock::now();
    const pid_t child = ::fork();
    if (child == 0) ::_exit(session->enter_self() ? 0 : 1);
    int status = 0;
    ::waitpid(child, &status, 0);
    enter.push_back(ms_since(forked));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "cgroup_cost: the child could not enter its cgroup\n");
      return 1;
    }
    const auto removing = Clock::now();
    if (auto removed = session->remove(); !removed) {
      std::fprintf(stderr, "cgroup_cost: %s\n", removed.error().message.c_str());
      return 1;
    }
    remove.push_back(ms_since(removing));
    total.push_back(ms_since(start));

    forked = Clock::now();
    const pid_t plain = ::fork();
    if (plain == 0) ::_exit(0);
    ::waitpid(plain, &status, 0);
    fork_only.push_back(ms_since(forked));
  }
  print("create (memory + pids)", create);
  print("fork + enter_self + exit", enter);
  print("fork + exit (no cgroup)", fork_only);
  print("remove (kill, wait, rmdir)", remove);
  print("create + enter + remove", total);

  // Kernel memory per empty session cgroup: 100 at once, Slab + Percpu before and after.
  constexpr int kHeld = 100;
  const long before = kernel_kib();
  std::vector<SessionCgroup> held;
  for (int i = 0; i < kHeld; ++i)
    if (auto session = budget->create_session("held-" + std::to_string(i), 256 << 20, 64)) held.push_back(*session);
  const long after = kernel_kib();
  std::printf("kernel memory per session cgroup   ~%ld KiB (Slab + Percpu over %zu cgroups; noisy)\n",
              held.empty() ? 0 : (after - before) / static_cast<long>(held.size()), held.size());
  for (const auto& session : held) (void)session.remove();
  return budget->remove() ? 0 : 1;
}
