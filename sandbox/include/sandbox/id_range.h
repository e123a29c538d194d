// Which uid and gid a sandboxed process switches to: plain data and parsing, with no
// system call, so that configuration (and its fuzz target) can use it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <expected>
#include <string_view>

#include "sandbox/sandbox_error.h"

namespace vivarium::sandbox {

struct Identity {
  uid_t uid;
  gid_t gid;
};

// The uids (and equal gids) given to sandboxed processes when vivarium runs as root:
// one each, so that they cannot signal or trace one another. The default is far above
// login users, systemd's dynamic users (61184-65519) and the subordinate ranges that
// rootless containers take (from 100000 up).
struct IdRange {
  uid_t first = 1879048192;  // 0x70000000
  std::uint32_t count = 65536;
};

// "FIRST-LAST" (e.g. "1879048192-1879113727"); an error names what is wrong with it.
std::expected<IdRange, SandboxError> parse_id_range(std::string_view text);

// The identity of slot `slot` of `range` (slot modulo the range's size).
Identity identity_in(const IdRange& range, std::uint64_t slot);

}  // namespace vivarium::sandbox
