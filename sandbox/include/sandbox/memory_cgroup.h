// Memory enforced by the kernel (docs/memory-cgroups.md): every session runs in a memory
// cgroup of its own, capped at the process memory limit, below one parent per server that
// is capped at the global budget. The kernel then counts what an RSS watch cannot see
// (memfd and tmpfs pages, page tables, kernel buffers) and kills at the cap.
//
// Only cgroups BELOW the ones this process runs in are created or removed. cgroup v2 is
// used where the memory controller is delegated to this process's cgroup; otherwise the
// v1 memory controller (and the v1 pids controller where it is mounted).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vivarium::sandbox {

enum class CgroupErrorKind {
  unavailable,  // no writable memory controller here: keep the RSS watch, warn once
  invalid,      // a malformed /proc/self/cgroup or cgroup file
  io,           // a cgroup file could not be read or written
  busy,         // processes did not leave a cgroup that was being removed
};

struct CgroupError {
  CgroupErrorKind kind;
  std::string message;  // one sentence: the problem and the fix
};

enum class CgroupVersion { v1, v2 };

// Where cgroups live and which ones this process is in: the real machine by default, any
// folder and text in tests (a missing root must give `unavailable`, not a crash).
struct CgroupSystem {
  std::filesystem::path root = "/sys/fs/cgroup";
  std::string self_cgroup;  // the text of /proc/self/cgroup

  static std::expected<CgroupSystem, CgroupError> of_this_process();
};

// /proc/self/cgroup parsed: "0::/path" is the v2 cgroup, "N:ctrl1,ctrl2:/path" a v1 one.
struct CgroupMembership {
  std::optional<std::string> unified;     // the v2 path, when the line exists
  std::map<std::string, std::string> v1;  // controller -> path ("name=systemd" too)
};
std::expected<CgroupMembership, CgroupError> parse_proc_cgroup(std::string_view text);

// What this machine offers to this process: the folders of its own cgroups, below which
// vivarium may create its own.
struct CgroupLayout {
  CgroupVersion version = CgroupVersion::v1;
  std::filesystem::path memory_base;               // v2: the unified cgroup (memory + pids)
  std::optional<std::filesystem::path> pids_base;  // v1 only: the pids cgroup, when mounted
};
// v2 when this process's unified cgroup has the memory controller (cgroup.controllers),
// else v1 at <root>/memory, else `unavailable` naming why. Checks that the base is writable.
std::expected<CgroupLayout, CgroupError> detect_cgroups(const CgroupSystem& system);

// The global budget's default: 75% of the smaller of MemTotal and the memory limit of the
// cgroup vivarium runs in (the nearest capped ancestor), so that the server, the zygote,
// the page cache and the rest of the machine keep a quarter.
std::uint64_t default_memory_budget(const CgroupLayout& layout);

// One session's cgroup: plain paths, copyable, so that a zygote can hand it to the child
// it forks. Both files are opened before fork where `enter_self` must not allocate.
class SessionCgroup {
 public:
  SessionCgroup() = default;
  SessionCgroup(CgroupVersion version, std::filesystem::path memory_dir, std::optional<std::filesystem::path> pids_dir);

  const std::filesystem::path& memory_dir() const { return memory_dir_; }
  const std::optional<std::filesystem::path>& pids_dir() const { return pids_dir_; }
  // Its folders (memory, then pids on v1), for a process that enters them itself.
  std::vector<std::string> folders() const;

  // Moves `pid` (with all its threads) in. On v1 charges already made stay where they
  // were: add a process before it runs untrusted code.
  std::expected<void, CgroupError> add(pid_t pid) const;
  // Moves the calling process in, using open/write/close only (async-signal-safe: for a
  // child between fork and exec, or before it runs anything). The error is an errno.
  std::expected<void, int> enter_self() const noexcept;

  // Whether the kernel's OOM killer killed a process of this cgroup (memory.events'
  // oom_kill on v2, memory.oom_control's oom_kill line on v1).
  std::expected<bool, CgroupError> oom_killed() const;
  // Bytes charged to this cgroup now, minus inactive file cache (reclaimable).
  std::expected<std::uint64_t, CgroupError> usage() const;

  // Kills every process in it (cgroup.kill on v2; SIGKILL of cgroup.procs on v1 until it
  // stays empty), waits until none is left, and removes the folders. Removing what is
  // already gone succeeds.
  std::expected<void, CgroupError> remove() const;

 private:
  CgroupVersion version_ = CgroupVersion::v1;
  std::filesystem::path memory_dir_;
  std::optional<std::filesystem::path> pids_dir_;
  std::string memory_procs_;  // precomputed for enter_self (no allocation after fork)
  std::string pids_procs_;
};

// The parent of one server's sessions, named vivarium-<pid>-<start time of pid>: capped at
// the budget (memory, and swap where the kernel accounts it), never a reservation.
class MemoryBudget {
 public:
  // Removes stale parents first (remove_stale_budgets), then creates this process's.
  // `budget_bytes` 0 means default_memory_budget(layout).
  static std::expected<MemoryBudget, CgroupError> open(const CgroupLayout& layout, std::uint64_t budget_bytes);

  std::uint64_t budget_bytes() const { return budget_bytes_; }
  const std::filesystem::path& memory_dir() const { return self_.memory_dir(); }
  const std::optional<std::filesystem::path>& pids_dir() const { return self_.pids_dir(); }
  // What all sessions together use now (see SessionCgroup::usage): a new session is
  // admitted while this is below the budget.
  std::expected<std::uint64_t, CgroupError> usage() const { return self_.usage(); }

  // A session cgroup below the parent with `memory_cap` bytes (and no swap) and at most
  // `pids_cap` processes and threads (0: no pids limit). `name` must be one path element.
  std::expected<SessionCgroup, CgroupError> create_session(std::string_view name, std::uint64_t memory_cap,
                                                           std::uint64_t pids_cap) const;

  // Kills every session below and removes the parent.
  std::expected<void, CgroupError> remove() const;

 private:
  MemoryBudget(CgroupLayout layout, SessionCgroup self, std::uint64_t budget)
      : layout_(std::move(layout)), self_(std::move(self)), budget_bytes_(budget) {}
  CgroupLayout layout_;
  SessionCgroup self_;  // the parent itself, with the same kill/remove mechanics
  std::uint64_t budget_bytes_ = 0;
};

// Removes every vivarium-<pid>-<start>-<pidns> parent below the layout's bases, of this
// process's pid namespace, whose owner is gone: no process <pid>, or one with another
// start time (the pid was reused). Their processes are killed first. Returns how many
// parents were removed. A name that does not match (another pid namespace's, an older
// format) is never touched, nor is a live owner's parent.
std::expected<int, CgroupError> remove_stale_budgets(const CgroupLayout& layout);

// Moves the calling process into the cgroup whose cgroup.procs file this is, with
// open/write/close only: async-signal-safe, for a child right after fork (join the path
// before fork). The error is an errno.
std::expected<void, int> enter_cgroup(const char* procs_file) noexcept;

// "vivarium-<pid>-<start>-<pidns>" for a live pid of this pid namespace (its start time
// from /proc/<pid>/stat, the namespace's inode from /proc/self/ns/pid).
std::expected<std::string, CgroupError> budget_name_for(pid_t pid);

}  // namespace vivarium::sandbox
