// vivarium run's exit statuses (documented in --help, the man page and the README). The
// program (program.cpp) and the client (cli/run_command.cpp) both end with them.
#pragma once

namespace vivarium::runner::exit_status {
inline constexpr int ok = 0;
inline constexpr int uncaught_exception = 1;  // as python3
inline constexpr int usage = 2;               // bad flag, missing script (as python3)
inline constexpr int memory_limit = 3;        // MemoryError at the memory cap
inline constexpr int timeout = 124;           // as timeout(1)
inline constexpr int internal = 125;          // vivarium could not start or broke
inline constexpr int interrupted = 130;       // Ctrl-C: KeyboardInterrupt, as python3 (128 + SIGINT)
}  // namespace vivarium::runner::exit_status
