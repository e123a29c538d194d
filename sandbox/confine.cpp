#include "sandbox/confine.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sandbox/mount_namespace.h"
#include "sandbox/namespaces.h"
#include "sandbox/pid_namespace.h"

namespace vivarium::sandbox {

std::string_view name_of(Layer layer) {
  switch (layer) {
    case Layer::seccomp_allow_list:
      return "seccomp allow-list";
    case Layer::unprivileged_user:
      return "unprivileged user";
    case Layer::user_namespace:
      return "user namespace";
    case Layer::network_namespace:
      return "network namespace";
    case Layer::ipc_namespace:
      return "IPC namespace";
    case Layer::uts_namespace:
      return "UTS namespace";
    case Layer::pid_namespace:
      return "pid namespace";
    case Layer::mount_namespace:
      return "mount namespace";
    case Layer::landlock:
      return "Landlock";
    case Layer::landlock_scopes:
      return "Landlock scopes";
  }
  return "unknown";
}

std::expected<std::vector<LayerStatus>, SandboxError> confine(const ConfineOptions& options) {
  std::vector<LayerStatus> layers;
  const bool was_root = ::geteuid() == 0;
  // As root, the empty root is made before the uid changes: root can still reach the
  // folders to show (under a 0700 home, say). The sandbox uid then only reads them, in a
  // mount namespace it has no capability over. Otherwise the user namespace comes first,
  // because it grants the capability to make one.
  const int proc_self = ::open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
  auto close_proc = [&] {
    if (proc_self >= 0) ::close(proc_self);
  };
  auto make_empty_root = [&] { return enter_empty_mount_namespace(options.files.readable, options.files.writable); };
  std::optional<MountOutcome> mounts;
  if (was_root && options.identity) {
    auto made = make_empty_root();
    auto switched = made ? switch_identity(*options.identity) : std::expected<void, SandboxError>{};
    if (!made || !switched) {
      close_proc();
      return std::unexpected(!made ? made.error() : switched.error());
    }
    mounts = std::move(*made);
  }

  auto namespaces = enter_namespaces(proc_self);
  close_proc();
  if (!namespaces) return std::unexpected(namespaces.error());
  const NamespaceSet& entered = namespaces->entered;
  const std::string& why = namespaces->missing;
  layers.push_back({Layer::user_namespace, entered.user, entered.user ? "its own, uid mapped to itself" : why});
  layers.push_back({Layer::network_namespace, entered.network, entered.network ? "no interfaces" : why});
  layers.push_back({Layer::ipc_namespace, entered.ipc, entered.ipc ? "its own System V IPC" : why});
  layers.push_back({Layer::uts_namespace, entered.uts, entered.uts ? "host name 'vivarium'" : why});
  const bool own_pids = in_own_pid_namespace();
  layers.push_back({Layer::pid_namespace, own_pids,
                    own_pids                                 ? "pid 1 of its own: no other process is visible"
                    : !options.pid_namespace_missing.empty() ? options.pid_namespace_missing
                                                             : "its parent did not fork it into one"});
  if (!mounts) {
    // Needs the user namespace's capabilities: before they are dropped.
    auto made = make_empty_root();
    if (!made) return std::unexpected(made.error());
    mounts = std::move(*made);
  }
  layers.push_back({Layer::mount_namespace, mounts->entered, mounts->detail});

  auto dropped = drop_capabilities();
  if (!dropped) return std::unexpected(dropped.error());
  const bool unprivileged = ::geteuid() != 0 || entered.user;
  std::string identity_detail = "uid " + std::to_string(::geteuid()) + ", no capabilities";
  if (!*dropped) identity_detail += " (the bounding set stays: no CAP_SETPCAP outside a user namespace)";
  if (was_root && !options.identity) identity_detail = "still uid 0: no sandbox uid was given";
  layers.push_back({Layer::unprivileged_user, unprivileged && (!was_root || options.identity), identity_detail});

  auto landlock = restrict_file_access(options.files);
  if (!landlock) return std::unexpected(SandboxError{SandboxError::Kind::failed, landlock.error()});
  layers.push_back({Layer::landlock, static_cast<bool>(*landlock),
                    *landlock ? "ABI " + std::to_string(landlock->abi) + (landlock->tcp_denied ? ", no TCP" : "")
                              : "this kernel has no Landlock (Linux 5.13 or later, with lsm=landlock)"});
  layers.push_back({Layer::landlock_scopes, landlock->signals_scoped,
                    landlock->signals_scoped ? "signals and abstract unix sockets stay inside"
                                             : "needs Landlock ABI 6 (Linux 6.12 or later)"});

  // Changing credentials (the uid switch, the user namespace's capabilities) cleared the
  // parent-death signal; set it again, where seccomp still allows it.
  if (options.parent_death_signal != 0) ::prctl(PR_SET_PDEATHSIG, options.parent_death_signal);
  if (auto installed = install_seccomp_policy(options.role); !installed) return std::unexpected(installed.error());
  layers.insert(layers.begin(),
                {Layer::seccomp_allow_list, true, options.role == Role::session ? "session policy" : "run policy"});

  if (options.require_all && !all_active(layers))
    return std::unexpected(SandboxError{SandboxError::Kind::unavailable,
                                        "--require-full-sandbox: a layer is missing here:\n" + describe(layers)});
  return layers;
}

std::string describe(const std::vector<LayerStatus>& layers) {
  std::string text;
  for (const auto& status : layers) {
    text += std::string(name_of(status.layer)) + ": " + (status.active ? "active" : "MISSING");
    if (!status.detail.empty()) text += " (" + status.detail + ")";
    text += "\n";
  }
  return text;
}

bool all_active(const std::vector<LayerStatus>& layers) {
  for (const auto& status : layers)
    if (!status.active) return false;
  return true;
}

}  // namespace vivarium::sandbox
