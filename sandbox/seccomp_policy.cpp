#include "sandbox/seccomp_policy.h"

#include <seccomp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace vivarium::sandbox {
namespace {

SandboxError failure(std::string what, int rc) {
  return {SandboxError::Kind::failed, std::move(what) + ": " + std::strerror(-rc)};
}

}  // namespace

SeccompPolicy policy_for(Role role) {
  using enum SyscallGroup;
  using enum ArgumentRule;
  SeccompPolicy policy{role,
                       {memory, threads, time, signals_own, descriptor_io, socket_io, process_info, exit},
                       {ioctl_queries, fcntl_plain, clone_threads, scheduler_self, prlimit_self, signals_self,
                        madvise_known, prctl_known}};
  // `run` reads wheels itself on import; its parent writes --output-dir.
  if (role == Role::run) policy.groups.push_back(file_open);
  return policy;
}

std::expected<void, SandboxError> install_seccomp_policy(const SeccompPolicy& policy, pid_t self) {
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> filter(seccomp_init(SCMP_ACT_ERRNO(EPERM)), seccomp_release);
  if (!filter) return std::unexpected(SandboxError{SandboxError::Kind::failed, "seccomp_init failed: out of memory"});
  // i386 and x32 calls reach other syscall tables: kill rather than filter them.
  if (const int rc = seccomp_attr_set(filter.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS); rc != 0)
    return std::unexpected(failure("cannot make other ABIs fatal in the seccomp filter", rc));
  for (SyscallGroup group : policy.groups)
    for (int syscall : syscalls_of(group))
      if (const int rc = seccomp_rule_add(filter.get(), SCMP_ACT_ALLOW, syscall, 0); rc != 0)
        return std::unexpected(failure(
            "cannot allow syscall " + std::to_string(syscall) + " of group " + std::string(name_of(group)), rc));
  for (ArgumentRule rule : policy.rules)
    if (auto added = add_rule(filter.get(), rule, self); !added) return std::unexpected(added.error());
  if (const int rc = seccomp_load(filter.get()); rc != 0)
    return std::unexpected(
        failure("cannot load the seccomp filter (is seccomp disabled in this kernel or container?)", rc));
  return {};
}

std::expected<void, SandboxError> install_seccomp_policy(Role role) {
  return install_seccomp_policy(policy_for(role), ::getpid());
}

}  // namespace vivarium::sandbox
