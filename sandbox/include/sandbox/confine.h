// The process wall in one call, in the order that works (docs/security.md):
//   1. as root, empty the bounding set and switch to the sandbox's own uid and gid;
//   2. enter new user, network, IPC and UTS namespaces (the pid namespace is the
//      parent's doing: it forked this process with sandbox/pid_namespace.h), then a
//      mount namespace whose root is empty but for the folders of `files`;
//   3. empty every capability set (the user namespace granted a full one), no_new_privs;
//   4. Landlock: the files it may open, no TCP, signals and abstract sockets scoped;
//   5. the role's seccomp allow-list, last, because it forbids what the steps above use.
// A layer the machine does not offer is reported, not fatal; `require_all` makes it so.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/landlock.h"
#include "sandbox/privileges.h"
#include "sandbox/sandbox_error.h"
#include "sandbox/seccomp_policy.h"

namespace vivarium::sandbox {

enum class Layer {
  seccomp_allow_list,
  unprivileged_user,  // not root, or switched to the sandbox uid; no capabilities
  user_namespace,
  network_namespace,
  ipc_namespace,
  uts_namespace,
  pid_namespace,    // made by the parent around the fork (sandbox/pid_namespace.h)
  mount_namespace,  // an empty root with only the folders of `files`
  landlock,
  landlock_scopes,  // ABI 6: signals and abstract unix sockets
};

struct LayerStatus {
  Layer layer;
  bool active;
  std::string detail;  // what it does here, or why it is missing
};

std::string_view name_of(Layer layer);

struct ConfineOptions {
  Role role = Role::session;
  std::optional<Identity> identity;   // used when running as root
  FileAccess files;                   // for Landlock: nothing at all by default
  bool require_all = false;           // a missing layer is an error (--require-full-sandbox)
  std::string pid_namespace_missing;  // the parent's reason, when it could not make one
  // PR_SET_PDEATHSIG to set again once the credentials changed (they clear it); 0: none.
  int parent_death_signal = 0;
};

// Confines the calling process, which must have a single thread. Irreversible. On
// success, the status of every layer; an error means the process must not run code.
std::expected<std::vector<LayerStatus>, SandboxError> confine(const ConfineOptions& options);

// "layer: active (detail)" lines, one per layer, for logs and `vivarium sandbox-check`.
std::string describe(const std::vector<LayerStatus>& layers);
bool all_active(const std::vector<LayerStatus>& layers);

}  // namespace vivarium::sandbox
