// Named groups of system calls, the bricks of the seccomp allow-lists
// (seccomp_policy.h). A group holds calls that are allowed whole, with any arguments;
// calls whose arguments must be checked are rules of their own (argument_rules.h).
// Which call sits in which group, and why a role needs it, was found by tracing the
// real processes after their lock-down (docs/security.md, "How the lists were made").
#pragma once

#include <span>
#include <string_view>

namespace vivarium::sandbox {

enum class SyscallGroup {
  memory,         // brk, mmap, munmap, mprotect, mremap: V8's heaps, JIT and wasm code
  threads,        // futex, rseq, robust lists, gettid: glibc's threads (clone is a rule)
  time,           // clocks and sleeps
  signals_own,    // handlers and masks of this process (sending is a rule)
  descriptor_io,  // read, write, poll, close, dup... on descriptors already open
  socket_io,      // send and receive on sockets already open (the channel)
  process_info,   // getpid, getuid, uname, getrandom: questions about itself
  file_open,      // open, stat and list files: only `run`, and Landlock says which
  exit,           // exit, exit_group, restart_syscall
};

std::string_view name_of(SyscallGroup group);
// The syscall numbers of the group, for this architecture (x86_64).
std::span<const int> syscalls_of(SyscallGroup group);

}  // namespace vivarium::sandbox
