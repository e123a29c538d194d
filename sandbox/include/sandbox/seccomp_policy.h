// The seccomp allow-lists, one per role, built from named groups (syscall_groups.h) and
// argument rules (argument_rules.h), as Chromium's seccomp-bpf helpers do. Everything a
// policy does not name fails with EPERM, so a system call added to the kernel later is
// denied by construction; a call from another ABI (i386, x32) kills the process.
#pragma once

#include <sys/types.h>

#include <expected>
#include <string>
#include <vector>

#include "sandbox/argument_rules.h"
#include "sandbox/sandbox_error.h"
#include "sandbox/syscall_groups.h"

namespace vivarium::sandbox {

enum class Role {
  session,  // a `serve` session: its channel to the server, memory and threads; no files
  run,      // `vivarium run`'s program: also opens files for reading (Landlock says which)
};

struct SeccompPolicy {
  Role role;
  std::vector<SyscallGroup> groups;
  std::vector<ArgumentRule> rules;
};

SeccompPolicy policy_for(Role role);

// Installs `policy` on this process and the threads it creates later; `self` is its pid
// (getpid()). Irreversible. Needs no_new_privs or CAP_SYS_ADMIN (libseccomp sets the
// former).
std::expected<void, SandboxError> install_seccomp_policy(const SeccompPolicy& policy, pid_t self);

// The policy of `role`, for this process: install_seccomp_policy(policy_for(role), getpid()).
std::expected<void, SandboxError> install_seccomp_policy(Role role);

}  // namespace vivarium::sandbox
