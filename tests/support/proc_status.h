// What an operator reads of a process from outside: /proc/PID/status and /proc/PID/ns.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

namespace vivarium::test_support {

// "Uid" -> "0\t0\t0\t0", ...: every field of /proc/PID/status, leading blanks trimmed.
std::map<std::string, std::string> status_of(pid_t pid);
// The link of /proc/PID/ns/KIND ("net:[4026531840]"); `pid` may be "self". "" if unreadable.
std::string namespace_of(const std::string& pid, const char* kind);

}  // namespace vivarium::test_support
