// Giving up privileges: the uid and gid a sandboxed process runs as, its capability
// sets and no_new_privs. Sessions kept uid 0 and every capability (CapEff
// 0x1fffeffffff): network ioctls changed host interfaces, and signals reached any pid.
#pragma once

#include <sys/types.h>

#include <expected>

#include "sandbox/id_range.h"
#include "sandbox/sandbox_error.h"

namespace vivarium::sandbox {

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
