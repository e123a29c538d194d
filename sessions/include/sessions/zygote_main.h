// The zygote's own side (`vivarium __zygote`): reads what to boot from the first frame on
// the control socket (ZygoteBoot), boots V8 + Pyodide once, reports readiness, then forks
// a session process (session_process.h) per request until the server goes away. The
// server's side is zygote.h.
#pragma once

#include <sys/types.h>

namespace vivarium::sessions {

// `expected_parent` is the pid of the server that spawned it (0: unknown, not checked).
int zygote_main(int control_fd, pid_t expected_parent);

}  // namespace vivarium::sessions
