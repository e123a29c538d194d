#include "sandbox/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace vivarium::sandbox {
namespace {

SandboxError failed(std::string what) {
  return {SandboxError::Kind::failed, std::move(what) + ": " + std::strerror(errno)};
}

// Drops every capability from the bounding set. Past the last one the kernel knows,
// PR_CAPBSET_DROP answers EINVAL, which ends the loop (no need to read cap_last_cap).
std::expected<void, SandboxError> empty_bounding_set() {
  for (int capability = 0; capability < 64; ++capability) {
    if (::prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) == 0) continue;
    if (errno == EINVAL) return {};
    return std::unexpected(failed("cannot drop capability " + std::to_string(capability) + " from the bounding set"));
  }
  return {};
}

}  // namespace

std::expected<void, SandboxError> switch_identity(const Identity& identity) {
  if (::geteuid() != 0) return {};
  if (auto emptied = empty_bounding_set(); !emptied) return emptied;
  if (::setgroups(0, nullptr) != 0) return std::unexpected(failed("cannot clear the supplementary groups"));
  if (::setresgid(identity.gid, identity.gid, identity.gid) != 0)
    return std::unexpected(failed("cannot switch to gid " + std::to_string(identity.gid)));
  if (::setresuid(identity.uid, identity.uid, identity.uid) != 0)
    return std::unexpected(failed("cannot switch to uid " + std::to_string(identity.uid)));
  return {};
}

std::expected<bool, SandboxError> drop_capabilities() {
  // Changing the bounding set needs CAP_SETPCAP, which root has, and so does a process
  // right after entering a user namespace. An unprivileged process outside one keeps
  // its bounding set (it can never gain what is in it under no_new_privs).
  bool bounding_empty = true;
  if (auto emptied = empty_bounding_set(); !emptied) {
    if (errno != EPERM) return std::unexpected(emptied.error());
    bounding_empty = false;
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return std::unexpected(failed("cannot clear the ambient capabilities"));
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct none[2] = {};
  if (::syscall(SYS_capset, &header, none) != 0) return std::unexpected(failed("cannot empty the capability sets"));
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return std::unexpected(failed("cannot set no_new_privs"));
  return bounding_empty;
}

}  // namespace vivarium::sandbox
