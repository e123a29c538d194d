// vivarium run's exit statuses (documented in --help, the man page and the README).
#pragma once

namespace vivarium::cli::exit_status {
inline constexpr int ok = 0;
inline constexpr int uncaught_exception = 1;  // as python3
inline constexpr int usage = 2;               // bad flag, missing script (as python3)
inline constexpr int memory_limit = 3;        // MemoryError at the memory cap
inline constexpr int timeout = 124;           // as timeout(1)
inline constexpr int internal = 125;          // vivarium could not start or broke
}  // namespace vivarium::cli::exit_status
