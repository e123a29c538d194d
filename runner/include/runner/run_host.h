// `vivarium __run-host`: the process that boots Python for `vivarium run`
// (docs/run-daemon.md). Its fd 3 is the client's boot socket, which brings the
// RunHostBoot. With no socket path it runs the one program that the client then sends
// on the same socket (--no-daemon). With one, it is the user's warm zygote: fd 4 is the
// listening socket the client bound there, and it forks a program per connection
// (run_daemon.h) until it has been idle for the boot's idle time.
#pragma once

namespace vivarium::runner {

inline constexpr int kRunHostBootFd = 3;
inline constexpr int kRunHostListenFd = 4;

int run_host_main(int boot_fd);

}  // namespace vivarium::runner
