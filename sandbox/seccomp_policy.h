// What a process does to itself before it runs untrusted code. A forked session keeps
// only its channel to the server among its file descriptors, then installs a seccomp-bpf
// filter; `vivarium run` installs a looser one.
#pragma once

#include <expected>
#include <string>

namespace vivarium::sandbox {

// Closes every descriptor but stdout, stderr and `keep`; stdin becomes /dev/null.
void close_inherited_descriptors(int keep);

// Installs the session's seccomp filter (libseccomp). From then on the process cannot
// open files, create sockets, run programs, create processes, signal other processes,
// or change the file system; it can still use its existing socket and memory.
std::expected<void, std::string> install_session_seccomp_filter();

// The same filter for `vivarium run`, which must still open files (wheels on import, the
// --output-dir it writes after the program) and create directories: everything else
// stays closed (network, programs, processes, signals to others, deleting, renaming or
// re-permissioning files, the kernel's interfaces). Which files it may open, and whether
// it may write them, is Landlock's part (file_access.h); without Landlock (or with its
// ABI 1 or 2, before truncation was covered) opening for writing is not restricted.
std::expected<void, std::string> install_run_seccomp_filter();

}  // namespace vivarium::sandbox
