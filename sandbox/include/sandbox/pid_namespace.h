// A pid namespace per sandboxed process: inside it the process is pid 1 and sees no
// other process, so it cannot signal, trace or even name one (`kill(-1, SIGKILL)` ends
// only itself). unshare(CLONE_NEWPID) affects only the caller's later children, so the
// parent makes it, around the fork: fork_in_own_pid_namespace() is fork() for a parent
// that has CAP_SYS_ADMIN (vivarium as root: serve's zygote, run's parent) and plain
// fork() otherwise, with the reason kept for the layer report.
//
// A process that is pid 1 of its namespace ignores every signal whose action is the
// default one, except SIGKILL and SIGSTOP, even from its parent: a parent that wants
// SIGTERM or SIGINT to end it sends SIGKILL instead (sessions/stdio_relay.h).
#pragma once

#include <sys/types.h>

#include <string>

namespace vivarium::sandbox {

struct PidNamespaceFork {
  pid_t pid = -1;              // as fork(): 0 in the child, the child's pid as the parent sees it, or -1
  int error = 0;               // errno when pid is -1
  bool own_namespace = false;  // the child is pid 1 of a new pid namespace
  std::string missing;         // why not, when own_namespace is false
};

// Safe in a process with threads, as fork() is: the child may make only
// async-signal-safe calls until it has a single thread (the zygote's rule anyway).
// The caller's own pid namespace for children is restored before it returns, so every
// call makes a new namespace.
PidNamespaceFork fork_in_own_pid_namespace();

// Whether the calling process is pid 1 of a namespace of its own (what confine() reports).
bool in_own_pid_namespace();

}  // namespace vivarium::sandbox
