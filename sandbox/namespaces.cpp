#include "sandbox/namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vivarium::sandbox {
namespace {

bool write_file(int directory, const char* name, const std::string& text) {
  const int fd = ::openat(directory, name, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return written;
}

}  // namespace

std::expected<NamespaceOutcome, SandboxError> enter_namespaces(int proc_self) {
  NamespaceOutcome outcome;
  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  // A change of uid made the process non-dumpable, which hands /proc/self to root: the
  // maps below could not be written. Dumpable for as long as that takes.
  const int dumpable = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0) {
    outcome.entered = {true, true, true, true};
    const std::string uid_line = std::to_string(uid) + " " + std::to_string(uid) + " 1\n";
    const std::string gid_line = std::to_string(gid) + " " + std::to_string(gid) + " 1\n";
    if (!write_file(proc_self, "setgroups", "deny") || !write_file(proc_self, "uid_map", uid_line) ||
        !write_file(proc_self, "gid_map", gid_line)) {
      ::prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
      return std::unexpected(
          SandboxError{SandboxError::Kind::failed,
                       std::string("cannot map the uid in the new user namespace: ") + std::strerror(errno)});
    }
    ::sethostname("vivarium", 8);  // what `uname -n` shows inside; nothing else depends on it
  } else {
    const int user_errno = errno;
    outcome.missing = std::string("user namespaces are refused here (") + std::strerror(user_errno) +
                      "; on Debian, sysctl kernel.unprivileged_userns_clone=1, or run as root)";
    // As root, the others do not need a user namespace.
    if (::geteuid() == 0 && ::unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0)
      outcome.entered = {false, true, true, true};
    else
      outcome.missing += "; so are network, IPC and UTS namespaces";
  }
  ::prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
  return outcome;
}

}  // namespace vivarium::sandbox
