// Giving up privileges: the uid and gid a sandboxed process runs as, its capability
// sets and no_new_privs. Sessions kept uid 0 and every capability (CapEff
// 0x1fffeffffff): network ioctls changed host interfaces, and signals reached any pid.
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

// As root: empties the capability bounding set (only possible while privileged), clears
// the supplementary groups, and switches real, effective and saved ids to `identity`
// (which clears the permitted and effective capabilities). Not root: nothing to do.
std::expected<void, SandboxError> switch_identity(const Identity& identity);

// Empties every capability set of the calling thread: bounding (where it still may),
// ambient, inheritable, permitted and effective; then sets no_new_privs. Entering a
// user namespace grants a full set inside it again, so this comes after unsharing.
// True when the bounding set is empty too (it cannot be without CAP_SETPCAP).
std::expected<bool, SandboxError> drop_capabilities();

}  // namespace vivarium::sandbox
