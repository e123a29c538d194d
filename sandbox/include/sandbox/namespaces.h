// Namespaces for a sandboxed process: its own user namespace (in which it is no one
// special), a network namespace with no interfaces (no network even if seccomp fell),
// and its own System V IPC and host name. A pid namespace is made by the parent, because
// unshare affects only children (pid_namespace.h); the mount namespace has a file of its
// own (mount_namespace.h).
#pragma once

#include <sys/types.h>

#include <expected>
#include <string>

#include "sandbox/sandbox_error.h"

namespace vivarium::sandbox {

struct NamespaceSet {
  bool user = false;
  bool network = false;
  bool ipc = false;
  bool uts = false;
};

// Moves the calling process, which must have one thread, into new user, network, IPC
// and UTS namespaces, mapping its own uid and gid to themselves. What the kernel (or a
// container's policy) refuses is left out and named in `missing`; an error only when
// something half-happened. Afterwards the process holds a full capability set inside
// its new user namespace: drop_capabilities() next.
struct NamespaceOutcome {
  NamespaceSet entered;
  std::string missing;  // why any namespace is missing ("" when all were entered)
};
// `proc_self` is a descriptor of /proc/self (O_PATH will do), opened while /proc was
// still there: an empty mount namespace may already have hidden it.
std::expected<NamespaceOutcome, SandboxError> enter_namespaces(int proc_self);

}  // namespace vivarium::sandbox
