// A forked session process as the server sees it, and how one comes to be: the zygote in
// production (zygote.h), a fake in tests. No V8 here.
#pragma once

#include <sys/types.h>

#include <expected>
#include <optional>
#include <string>

#include "sandbox/memory_cgroup.h"
#include "sessions/sandbox_ids.h"

namespace vivarium::sessions {

// A forked session process as the server sees it.
struct SessionProcess {
  pid_t pid = -1;
  int pidfd = -1;                                // signals reach exactly this process, even after pid reuse
  int socket = -1;                               // requests and results
  SandboxIds::Lease sandbox_id;                  // its uid and gid while it lives (empty when not root)
  std::optional<sandbox::SessionCgroup> cgroup;  // the one it entered right after fork, if any
};
// SIGKILL through the pidfd. Descriptors stay open: another thread may be waiting on the
// socket; whoever owns the process closes them with release_session_process, which also
// removes its cgroup (killing whatever else runs in it).
void kill_session_process(const SessionProcess& process);
// Through the pidfd when there is one (never a recycled pid), else by pid.
void signal_process(int pidfd, pid_t pid, int signal);
// A pidfd for `pid` (readable once it has exited), or -1.
int open_pidfd(pid_t pid);
void release_session_process(SessionProcess& process);

class SessionLauncher {
 public:
  virtual ~SessionLauncher() = default;
  virtual std::expected<SessionProcess, std::string> fork_session() = 0;
};

}  // namespace vivarium::sessions
