#include "sandbox/confine.h"

#include <unistd.h>

#include "sandbox/namespaces.h"

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
  if (was_root && options.identity)
    if (auto switched = switch_identity(*options.identity); !switched) return std::unexpected(switched.error());

  auto namespaces = enter_namespaces();
  if (!namespaces) return std::unexpected(namespaces.error());
  const NamespaceSet& entered = namespaces->entered;
  const std::string& why = namespaces->missing;
  layers.push_back({Layer::user_namespace, entered.user, entered.user ? "its own, uid mapped to itself" : why});
  layers.push_back({Layer::network_namespace, entered.network, entered.network ? "no interfaces" : why});
  layers.push_back({Layer::ipc_namespace, entered.ipc, entered.ipc ? "its own System V IPC" : why});
  layers.push_back({Layer::uts_namespace, entered.uts, entered.uts ? "host name 'vivarium'" : why});

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
