// The server's side of docs/memory-cgroups.md: one budget cgroup per server, one cgroup
// per forked session below it, and admission of new sessions on the budget's usage.
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>

#include "sandbox/memory_cgroup.h"
#include "sessions/session_admission.h"

namespace vivarium::sessions {

class SessionCgroups : public SessionAdmission {
 public:
  // Detects the machine's cgroups, removes stale parents and opens this server's budget
  // (0: the default). Without writable cgroups it logs ONE warning and stays off; the
  // RSS watch then is the only memory check.
  void open(std::uint64_t total_memory_limit, std::uint64_t session_memory_cap);
  bool enabled() const { return budget_.has_value(); }

  // Why a new session is refused now (the budget's current usage is past it), if it is.
  std::optional<std::string> refusal() const override;
  // A fresh session cgroup, or nothing when cgroups are off.
  std::expected<std::optional<sandbox::SessionCgroup>, std::string> create();
  // Kills whatever runs below the budget and removes it (at shutdown).
  void close();

 private:
  std::optional<sandbox::MemoryBudget> budget_;
  std::uint64_t session_cap_ = 0;
  std::atomic<std::uint64_t> created_{0};
};

}  // namespace vivarium::sessions
