#include "sandbox/syscall_groups.h"

#include <sys/syscall.h>

#include <array>

namespace vivarium::sandbox {
namespace {

// mprotect with PROT_EXEC is V8's JIT and wasm code; madvise is a rule (MADV_* options).
constexpr std::array kMemory{SYS_brk, SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap};

// glibc 2.36: every thread registers rseq and a robust list; joins and locks are futexes.
constexpr std::array kThreads{SYS_futex,           SYS_set_robust_list, SYS_rseq,
                              SYS_set_tid_address, SYS_gettid,          SYS_sched_yield};

constexpr std::array kTime{SYS_clock_gettime, SYS_clock_getres,    SYS_gettimeofday,
                           SYS_time,          SYS_clock_nanosleep, SYS_nanosleep};

constexpr std::array kSignalsOwn{SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_sigaltstack};

// fcntl and ioctl are rules. Traced after the lock-down: a session reads and writes
// only through its channel (recvmsg, sendmsg, poll); `run` reads stdin and writes
// stdout and stderr; both close and dup the descriptors of wheels and output files.
constexpr std::array kDescriptorIo{SYS_read,  SYS_write, SYS_readv, SYS_writev, SYS_pread64, SYS_lseek,
                                   SYS_close, SYS_dup,   SYS_fstat, SYS_poll,   SYS_ppoll};

// On descriptors already open: no socket, connect, bind or accept in any role.
constexpr std::array kSocketIo{SYS_sendmsg, SYS_recvmsg, SYS_sendto, SYS_recvfrom};

// prlimit64 and the scheduler calls are rules (only the caller itself).
constexpr std::array kProcessInfo{SYS_getpid,    SYS_getppid,   SYS_getuid, SYS_geteuid,   SYS_getgid,    SYS_getegid,
                                  SYS_getresuid, SYS_getresgid, SYS_uname,  SYS_getrusage, SYS_getrandom, SYS_capget};

// `run` reads wheels and the assets on import. Landlock limits what may be opened, and
// the mount namespace what a path stat or readlink can find. The session role has none
// of these: fstat on an open descriptor is in descriptor_io.
constexpr std::array kFileOpen{SYS_open, SYS_openat, SYS_newfstatat, SYS_statx, SYS_readlink, SYS_getdents64};

constexpr std::array kExit{SYS_exit, SYS_exit_group, SYS_restart_syscall};

}  // namespace

std::string_view name_of(SyscallGroup group) {
  switch (group) {
    case SyscallGroup::memory:
      return "memory";
    case SyscallGroup::threads:
      return "threads";
    case SyscallGroup::time:
      return "time";
    case SyscallGroup::signals_own:
      return "signals_own";
    case SyscallGroup::descriptor_io:
      return "descriptor_io";
    case SyscallGroup::socket_io:
      return "socket_io";
    case SyscallGroup::process_info:
      return "process_info";
    case SyscallGroup::file_open:
      return "file_open";
    case SyscallGroup::exit:
      return "exit";
  }
  return "unknown";
}

std::span<const int> syscalls_of(SyscallGroup group) {
  switch (group) {
    case SyscallGroup::memory:
      return kMemory;
    case SyscallGroup::threads:
      return kThreads;
    case SyscallGroup::time:
      return kTime;
    case SyscallGroup::signals_own:
      return kSignalsOwn;
    case SyscallGroup::descriptor_io:
      return kDescriptorIo;
    case SyscallGroup::socket_io:
      return kSocketIo;
    case SyscallGroup::process_info:
      return kProcessInfo;
    case SyscallGroup::file_open:
      return kFileOpen;
    case SyscallGroup::exit:
      return kExit;
  }
  return {};
}

}  // namespace vivarium::sandbox
