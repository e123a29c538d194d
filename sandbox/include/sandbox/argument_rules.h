// System calls that an allow-list admits only with checked arguments. Each rule adds
// its "allow when ..." conditions to a libseccomp filter whose default is EPERM, so
// anything a rule does not name stays denied. Integer arguments that the kernel reads
// as 32 bits (ioctl requests, fcntl commands, pids) are compared on their low 32 bits,
// exactly as the kernel will read them: a deny rule that compared all 64 bits let
// `ioctl(fd, TIOCSTI | 1 << 32)` through to the terminal.
#pragma once

#include <seccomp.h>
#include <sys/types.h>

#include <expected>
#include <string_view>

#include "sandbox/sandbox_error.h"

namespace vivarium::sandbox {

enum class ArgumentRule {
  ioctl_queries,   // terminal and descriptor queries only (TCGETS, TIOCGWINSZ, FIONREAD, FIONBIO, FIOCLEX)
  fcntl_plain,     // descriptor flags and dups; never F_SETOWN, F_SETSIG, F_SETLEASE, F_NOTIFY or O_ASYNC
  clone_threads,   // exactly glibc's pthread flags; clone3 answers ENOSYS (its flags are in memory)
  scheduler_self,  // priority, affinity, scheduler and I/O priority: read for itself, no setting
  prlimit_self,    // resource limits of itself only
  signals_self,    // kill, tgkill and sigqueue to itself only; tkill never (its target is any tid)
  madvise_known,   // the advice values V8 and glibc use; not KSM merging or page-outs
  prctl_known,     // thread names and seccomp/dumpable queries
};

std::string_view name_of(ArgumentRule rule);

// Adds `rule` to `filter`; `self` is the process's own pid (getpid()).
std::expected<void, SandboxError> add_rule(scmp_filter_ctx filter, ArgumentRule rule, pid_t self);

}  // namespace vivarium::sandbox
