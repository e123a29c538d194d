#include "sandbox/seccomp_policy.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace vivarium::sandbox {

void close_inherited_descriptors(int keep) {
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null_fd >= 0) {
    ::dup2(null_fd, STDIN_FILENO);
    if (null_fd != keep && null_fd > STDERR_FILENO) ::close(null_fd);
  }
  if (keep > 3) ::syscall(SYS_close_range, 3u, static_cast<unsigned>(keep - 1), 0u);
  ::syscall(SYS_close_range, static_cast<unsigned>(std::max(keep + 1, 3)), ~0u, 0u);
}

namespace {

// Default allow, then deny what sandboxed code never needs. An allow-list would be
// tighter but has to track every syscall V8 and glibc may make; these lists close the
// doors to the host: files, network, processes, other processes, the kernel.
std::expected<void, std::string> install_seccomp_filter(bool may_open_files) {
  std::unique_ptr<void, void (*)(scmp_filter_ctx)> ctx(seccomp_init(SCMP_ACT_ALLOW), seccomp_release);
  if (!ctx) return std::unexpected("seccomp_init failed");
  const auto deny = SCMP_ACT_ERRNO(EPERM);
  // Opening files and making directories: `vivarium run` still reads wheels and writes
  // --output-dir after the program; a session gets both from the server instead.
  const int opening[] = {SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(openat2), SCMP_SYS(mkdir), SCMP_SYS(mkdirat)};
  if (!may_open_files)
    for (int syscall_number : opening)
      if (seccomp_rule_add(ctx.get(), deny, syscall_number, 0) != 0)
        return std::unexpected("seccomp rule for syscall " + std::to_string(syscall_number) + " failed");
  const int denied[] = {
      // changing host files, or reaching them by other means than a path
      SCMP_SYS(creat), SCMP_SYS(open_by_handle_at),
      SCMP_SYS(name_to_handle_at), SCMP_SYS(truncate), SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(rename),
      SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(rmdir), SCMP_SYS(link),
      SCMP_SYS(linkat), SCMP_SYS(symlink), SCMP_SYS(symlinkat), SCMP_SYS(chmod), SCMP_SYS(fchmodat),
      SCMP_SYS(chown), SCMP_SYS(lchown), SCMP_SYS(fchownat), SCMP_SYS(mknod), SCMP_SYS(mknodat), SCMP_SYS(chdir),
      SCMP_SYS(chroot), SCMP_SYS(mount), SCMP_SYS(umount2), SCMP_SYS(pivot_root), SCMP_SYS(setxattr),
      SCMP_SYS(lsetxattr), SCMP_SYS(fsetxattr), SCMP_SYS(removexattr), SCMP_SYS(lremovexattr),
      SCMP_SYS(fremovexattr), SCMP_SYS(utime), SCMP_SYS(utimes), SCMP_SYS(futimesat), SCMP_SYS(utimensat),
      // the newer mount API, which also reaches files and mounts (with privileges)
      SCMP_SYS(open_tree), SCMP_SYS(move_mount), SCMP_SYS(fsopen), SCMP_SYS(fsconfig), SCMP_SYS(fsmount),
      SCMP_SYS(fspick), SCMP_SYS(mount_setattr), SCMP_SYS(fanotify_init),
      // network
      SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(listen),
      SCMP_SYS(accept), SCMP_SYS(accept4),
      // programs and processes
      SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork), SCMP_SYS(vfork), SCMP_SYS(ptrace),
      SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev), SCMP_SYS(pidfd_open), SCMP_SYS(pidfd_getfd),
      SCMP_SYS(pidfd_send_signal), SCMP_SYS(setns), SCMP_SYS(unshare), SCMP_SYS(kcmp),
      // the kernel and the machine
      SCMP_SYS(bpf), SCMP_SYS(perf_event_open), SCMP_SYS(userfaultfd), SCMP_SYS(keyctl), SCMP_SYS(add_key),
      SCMP_SYS(request_key), SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module),
      SCMP_SYS(kexec_load), SCMP_SYS(reboot), SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(io_uring_setup),
      SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setreuid), SCMP_SYS(setregid), SCMP_SYS(setresuid),
      SCMP_SYS(setresgid), SCMP_SYS(setgroups), SCMP_SYS(acct), SCMP_SYS(quotactl), SCMP_SYS(syslog),
      SCMP_SYS(kexec_file_load), SCMP_SYS(iopl), SCMP_SYS(ioperm), SCMP_SYS(quotactl_fd),
      // the machine's settings, which a process running as root could otherwise change
      SCMP_SYS(settimeofday), SCMP_SYS(clock_settime), SCMP_SYS(clock_adjtime), SCMP_SYS(adjtimex),
      SCMP_SYS(sethostname), SCMP_SYS(setdomainname), SCMP_SYS(vhangup),
      // other processes' memory and limits
      SCMP_SYS(process_madvise), SCMP_SYS(migrate_pages), SCMP_SYS(move_pages),
      // memory and queues shared with other processes (System V and POSIX IPC)
      SCMP_SYS(shmget), SCMP_SYS(shmat), SCMP_SYS(shmctl), SCMP_SYS(msgget), SCMP_SYS(msgsnd), SCMP_SYS(msgrcv),
      SCMP_SYS(msgctl), SCMP_SYS(semget), SCMP_SYS(semop), SCMP_SYS(semtimedop), SCMP_SYS(semctl),
      SCMP_SYS(mq_open), SCMP_SYS(mq_unlink), SCMP_SYS(mq_timedsend), SCMP_SYS(mq_timedreceive),
      SCMP_SYS(mq_notify), SCMP_SYS(mq_getsetattr),
  };
  for (int syscall_number : denied)
    if (seccomp_rule_add(ctx.get(), deny, syscall_number, 0) != 0)
      return std::unexpected("seccomp rule for syscall " + std::to_string(syscall_number) + " failed");
#if defined(__x86_64__)
  // Newer than libseccomp 2.5.4 knows, so by number (x86_64): fchmodat2, setxattrat,
  // removexattrat, file_setattr. They change host files' modes and attributes.
  for (int syscall_number : {452, 463, 466, 469})
    if (seccomp_rule_add(ctx.get(), deny, syscall_number, 0) != 0)
      return std::unexpected("seccomp rule for syscall " + std::to_string(syscall_number) + " failed");
#endif

  // Typing into the terminal the process shares with its user's shell.
  for (unsigned long request : {static_cast<unsigned long>(TIOCSTI), static_cast<unsigned long>(TIOCLINUX)})
    if (seccomp_rule_add(ctx.get(), deny, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, request)) != 0)
      return std::unexpected("seccomp rule for ioctl failed");

  // clone: threads (CLONE_THREAD) are fine, new processes are not. clone3 passes its
  // flags in memory that seccomp cannot read: ENOSYS makes glibc fall back to clone.
  if (seccomp_rule_add(ctx.get(), deny, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0)) != 0 ||
      seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0)
    return std::unexpected("seccomp rule for clone failed");

  // Resource limits of itself only: glibc always passes pid 0, the caller.
  if (seccomp_rule_add(ctx.get(), deny, SCMP_SYS(prlimit64), 1, SCMP_A0(SCMP_CMP_NE, 0)) != 0)
    return std::unexpected("seccomp rule for prlimit64 failed");

  // Signals only to itself.
  const auto self = static_cast<scmp_datum_t>(::getpid());
  if (seccomp_rule_add(ctx.get(), deny, SCMP_SYS(kill), 1, SCMP_A0(SCMP_CMP_NE, self)) != 0 ||
      seccomp_rule_add(ctx.get(), deny, SCMP_SYS(tgkill), 1, SCMP_A0(SCMP_CMP_NE, self)) != 0 ||
      seccomp_rule_add(ctx.get(), deny, SCMP_SYS(tkill), 0) != 0 ||
      seccomp_rule_add(ctx.get(), deny, SCMP_SYS(rt_sigqueueinfo), 1, SCMP_A0(SCMP_CMP_NE, self)) != 0 ||
      seccomp_rule_add(ctx.get(), deny, SCMP_SYS(rt_tgsigqueueinfo), 1, SCMP_A0(SCMP_CMP_NE, self)) != 0)
    return std::unexpected("seccomp rule for signals failed");

  if (const int rc = seccomp_load(ctx.get()); rc != 0)
    return std::unexpected(std::string("seccomp_load failed: ") + std::strerror(-rc));
  return {};
}

}  // namespace

std::expected<void, std::string> install_session_seccomp_filter() { return install_seccomp_filter(false); }

std::expected<void, std::string> install_run_seccomp_filter() { return install_seccomp_filter(true); }

}  // namespace vivarium::sandbox
