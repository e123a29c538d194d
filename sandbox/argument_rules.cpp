#include "sandbox/argument_rules.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace vivarium::sandbox {
namespace {

// IOPRIO_WHO_PROCESS of <linux/ioprio.h> (a kernel ABI constant). That header cannot be
// included from C++ since Debian 12's linux-libc-dev 6.1.1xx updates: its ioprio_value()
// has a parameter named `class`.
constexpr int kIoprioWhoProcess = 1;

constexpr scmp_datum_t kLow32 = 0xffffffffu;

// glibc 2.36's pthread_create falls back to clone with exactly these (after clone3's
// ENOSYS): a thread of this process, never a process, and never new namespaces
// (CLONE_THREAD | CLONE_NEWNET passed a deny-list that looked only at CLONE_THREAD).
constexpr scmp_datum_t kPthreadCloneFlags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                                            CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;

// isatty (TCGETS), the terminal's size, bytes waiting, non-blocking and close-on-exec.
// Nothing that writes to a terminal (TIOCSTI, TIOCLINUX), nothing on network devices
// (SIOC*: they changed host interfaces from a root session) and no FIOASYNC.
constexpr std::array<scmp_datum_t, 6> kIoctlRequests{TCGETS, TIOCGWINSZ, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX};

constexpr std::array<scmp_datum_t, 6> kFcntlCommands{F_GETFD, F_SETFD, F_GETFL, F_DUPFD, F_DUPFD_CLOEXEC, F_GETPIPE_SZ};

// V8 and glibc's malloc free pages (DONTNEED, FREE), hint (NORMAL..WILLNEED,
// [NO]HUGEPAGE) and keep heaps out of core dumps and forks. Not MERGEABLE (KSM: a
// cross-process side channel), not PAGEOUT/COLD, not HWPOISON, not REMOVE.
constexpr std::array<scmp_datum_t, 13> kMadvise{
    MADV_NORMAL, MADV_RANDOM,   MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_FREE,      MADV_DONTFORK,
    MADV_DOFORK, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP,   MADV_WIPEONFORK};

constexpr std::array<scmp_datum_t, 5> kPrctl{PR_SET_NAME, PR_GET_NAME, PR_GET_DUMPABLE, PR_GET_SECCOMP,
                                             PR_GET_NO_NEW_PRIVS};

std::expected<void, SandboxError> check(int rc, std::string_view what) {
  if (rc == 0) return {};
  return std::unexpected(SandboxError{
      SandboxError::Kind::failed, "cannot add the seccomp rule for " + std::string(what) + ": " + std::strerror(-rc)});
}

// Allows `syscall` when argument `index`'s low 32 bits equal one of `values`.
template <std::size_t N>
std::expected<void, SandboxError> allow_values(scmp_filter_ctx filter, int syscall, unsigned index,
                                               const std::array<scmp_datum_t, N>& values, std::string_view what) {
  for (scmp_datum_t value : values) {
    const scmp_arg_cmp condition{index, SCMP_CMP_MASKED_EQ, kLow32, value};
    if (auto added = check(seccomp_rule_add_array(filter, SCMP_ACT_ALLOW, syscall, 1, &condition), what); !added)
      return added;
  }
  return {};
}

// Allows `syscall` when argument `index` (a pid) is 0 (the caller) or `self`.
std::expected<void, SandboxError> allow_for_self(scmp_filter_ctx filter, int syscall, unsigned index, pid_t self,
                                                 std::string_view what, bool zero_means_self = true) {
  std::array<scmp_datum_t, 2> targets{static_cast<scmp_datum_t>(self), 0};
  for (std::size_t i = 0; i < (zero_means_self ? 2u : 1u); ++i) {
    const scmp_arg_cmp condition{index, SCMP_CMP_MASKED_EQ, kLow32, targets[i]};
    if (auto added = check(seccomp_rule_add_array(filter, SCMP_ACT_ALLOW, syscall, 1, &condition), what); !added)
      return added;
  }
  return {};
}

}  // namespace

std::string_view name_of(ArgumentRule rule) {
  switch (rule) {
    case ArgumentRule::ioctl_queries:
      return "ioctl_queries";
    case ArgumentRule::fcntl_plain:
      return "fcntl_plain";
    case ArgumentRule::clone_threads:
      return "clone_threads";
    case ArgumentRule::scheduler_self:
      return "scheduler_self";
    case ArgumentRule::prlimit_self:
      return "prlimit_self";
    case ArgumentRule::signals_self:
      return "signals_self";
    case ArgumentRule::madvise_known:
      return "madvise_known";
    case ArgumentRule::prctl_known:
      return "prctl_known";
  }
  return "unknown";
}

std::expected<void, SandboxError> add_rule(scmp_filter_ctx filter, ArgumentRule rule, pid_t self) {
  switch (rule) {
    case ArgumentRule::ioctl_queries:
      return allow_values(filter, SYS_ioctl, 1, kIoctlRequests, "ioctl");

    case ArgumentRule::fcntl_plain: {
      if (auto added = allow_values(filter, SYS_fcntl, 1, kFcntlCommands, "fcntl"); !added) return added;
      // F_SETFL, but never with O_ASYNC: with F_SETOWN it signals any process on I/O.
      const std::array<scmp_arg_cmp, 2> set_flags{scmp_arg_cmp{1, SCMP_CMP_MASKED_EQ, kLow32, F_SETFL},
                                                  scmp_arg_cmp{2, SCMP_CMP_MASKED_EQ, O_ASYNC, 0}};
      return check(seccomp_rule_add_array(filter, SCMP_ACT_ALLOW, SYS_fcntl, 2, set_flags.data()), "fcntl F_SETFL");
    }

    case ArgumentRule::clone_threads: {
      const scmp_arg_cmp flags{0, SCMP_CMP_EQ, kPthreadCloneFlags, 0};
      if (auto added = check(seccomp_rule_add_array(filter, SCMP_ACT_ALLOW, SYS_clone, 1, &flags), "clone"); !added)
        return added;
      return check(seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SYS_clone3, 0), "clone3");
    }

    case ArgumentRule::scheduler_self: {
      for (int syscall : {SYS_sched_getaffinity, SYS_sched_getparam, SYS_sched_getscheduler})
        if (auto added = allow_for_self(filter, syscall, 0, self, "the scheduler"); !added) return added;
      // getpriority(PRIO_PROCESS, 0 or self) and ioprio_get(IOPRIO_WHO_PROCESS, 0 or self).
      constexpr std::array<std::pair<int, int>, 2> kWhich{
          {{SYS_getpriority, PRIO_PROCESS}, {SYS_ioprio_get, kIoprioWhoProcess}}};
      for (auto [syscall, which] : kWhich)
        for (scmp_datum_t who : {static_cast<scmp_datum_t>(self), scmp_datum_t{0}}) {
          const std::array<scmp_arg_cmp, 2> conditions{
              scmp_arg_cmp{0, SCMP_CMP_MASKED_EQ, kLow32, static_cast<scmp_datum_t>(which)},
              scmp_arg_cmp{1, SCMP_CMP_MASKED_EQ, kLow32, who}};
          if (auto added =
                  check(seccomp_rule_add_array(filter, SCMP_ACT_ALLOW, syscall, 2, conditions.data()), "the priority");
              !added)
            return added;
        }
      return {};
    }

    case ArgumentRule::prlimit_self:
      return allow_for_self(filter, SYS_prlimit64, 0, self, "prlimit64");

    case ArgumentRule::signals_self:
      // kill(0, ...) would signal the whole process group: only the pid itself.
      for (int syscall : {SYS_kill, SYS_tgkill, SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo})
        if (auto added = allow_for_self(filter, syscall, 0, self, "signals", false); !added) return added;
      return {};

    case ArgumentRule::madvise_known:
      return allow_values(filter, SYS_madvise, 2, kMadvise, "madvise");

    case ArgumentRule::prctl_known:
      return allow_values(filter, SYS_prctl, 0, kPrctl, "prctl");
  }
  return std::unexpected(SandboxError{SandboxError::Kind::invalid, "unknown seccomp argument rule"});
}

}  // namespace vivarium::sandbox
