#include "sessions/session_handle.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log/logger.h"

namespace vivarium::sessions {

void signal_process(int pidfd, pid_t pid, int signal) {
  if (pidfd >= 0)
    ::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0);
  else if (pid > 0)
    ::kill(pid, signal);
}

int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

void kill_session_process(const SessionProcess& process) { signal_process(process.pidfd, process.pid, SIGKILL); }

void release_session_process(SessionProcess& process) {
  if (process.pidfd >= 0) ::close(process.pidfd);
  if (process.socket >= 0) ::close(process.socket);
  if (process.cgroup)
    if (auto removed = process.cgroup->remove(); !removed) log::warn(removed.error().message);
  process = SessionProcess{};
}

}  // namespace vivarium::sessions
