#include "sandbox/pid_namespace.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vivarium::sandbox {

PidNamespaceFork fork_in_own_pid_namespace() {
  PidNamespaceFork forked;
  // Where children go back to after this fork: the caller's own namespace.
  const int own = ::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  const bool unshared = own >= 0 && ::unshare(CLONE_NEWPID) == 0;
  if (!unshared) {
    const int why = errno;
    forked.missing = own < 0        ? std::string("cannot open /proc/self/ns/pid: ") + std::strerror(why)
                     : why == EPERM ? "creating one needs CAP_SYS_ADMIN: run vivarium as root (in a container, with "
                                      "unshare allowed by its seccomp profile)"
                                    : std::string("unshare(CLONE_NEWPID): ") + std::strerror(why);
    if (own >= 0) ::close(own);
    forked.pid = ::fork();
    forked.error = forked.pid < 0 ? errno : 0;
    return forked;
  }
  forked.pid = ::fork();
  forked.error = forked.pid < 0 ? errno : 0;
  if (forked.pid == 0) {
    ::close(own);
    forked.own_namespace = true;
    return forked;
  }
  // Back to the caller's namespace for the next child. This cannot fail with the
  // capability that unshare just used; if it did, the next fork would land in this
  // child's namespace (or fail once it ended), so it is reported as a failed fork.
  const bool restored = ::setns(own, CLONE_NEWPID) == 0;
  const int restore_errno = errno;
  ::close(own);
  if (!restored) {
    if (forked.pid > 0) ::kill(forked.pid, SIGKILL);
    forked.pid = -1;
    forked.error = restore_errno;
    return forked;
  }
  forked.own_namespace = forked.pid > 0;
  return forked;
}

bool in_own_pid_namespace() { return ::getpid() == 1; }

}  // namespace vivarium::sandbox
