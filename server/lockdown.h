// What a forked session process does to itself before it runs untrusted code: keep only
// its channel to the server among its file descriptors, then install a seccomp-bpf filter.
#pragma once

#include <expected>
#include <string>

namespace vivarium::server {

// Closes every descriptor but stdout, stderr and `keep`; stdin becomes /dev/null.
void close_inherited_descriptors(int keep);

// Installs the session's seccomp filter (libseccomp). From then on the process cannot
// open files, create sockets, run programs, create processes, signal other processes,
// or change the file system; it can still use its existing socket and memory.
std::expected<void, std::string> install_session_seccomp_filter();

}  // namespace vivarium::server
