#include "sessions/session_cgroups.h"

#include <algorithm>

#include "log/logger.h"
#include "units/units.h"

namespace vivarium::sessions {

using units::format_size;
namespace {
// Processes and threads per session: a session has V8's worker threads and a watcher
// thread (about 6 on 2 cores); the rest is headroom, not an invitation to fork (seccomp
// allows threads only).
constexpr std::uint64_t kSessionPids = 128;
// A new session is admitted while the budget has this much left (or its cap, if smaller):
// the budget is a hard cap, so usage never goes past it, and a session admitted into the
// last few MiB would only be killed at its first allocation.
constexpr std::uint64_t kNewSessionHeadroom = std::uint64_t{64} << 20;
}  // namespace

void SessionCgroups::open(std::uint64_t total_memory_limit, std::uint64_t session_memory_cap) {
  session_cap_ = session_memory_cap;
  auto system = sandbox::CgroupSystem::of_this_process();
  auto layout = system ? sandbox::detect_cgroups(*system) : std::unexpected(system.error());
  auto budget = layout ? sandbox::MemoryBudget::open(*layout, total_memory_limit) : std::unexpected(layout.error());
  if (!budget) {
    log::warn("memory cgroups are off, only the process memory watch applies: " + budget.error().message);
    return;
  }
  log::info(std::string("memory cgroups: ") + (layout->version == sandbox::CgroupVersion::v2 ? "v2" : "v1") +
            ", all sessions within " + format_size(budget->budget_bytes()) + " below " + budget->memory_dir().string() +
            ", each within " + format_size(session_cap_));
  budget_.emplace(std::move(*budget));
}

std::optional<std::string> SessionCgroups::refusal() const {
  if (!budget_) return std::nullopt;
  auto usage = budget_->usage();
  if (!usage) {
    log::warn("cannot read the sessions' memory usage: " + usage.error().message);
    return std::nullopt;
  }
  const std::uint64_t headroom = std::min(kNewSessionHeadroom, session_cap_);
  if (*usage + headroom <= budget_->budget_bytes()) return std::nullopt;
  return "the sessions already use " + format_size(*usage) + " of the server's total memory limit of " +
         format_size(budget_->budget_bytes()) + "; retry later, or delete idle sessions";
}

std::expected<std::optional<sandbox::SessionCgroup>, std::string> SessionCgroups::create() {
  if (!budget_) return std::nullopt;
  const std::string name = "session-" + std::to_string(created_.fetch_add(1) + 1);
  auto session = budget_->create_session(name, session_cap_, kSessionPids);
  if (!session) return std::unexpected(session.error().message);
  return *session;
}

void SessionCgroups::close() {
  if (!budget_) return;
  if (auto removed = budget_->remove(); !removed) log::warn(removed.error().message);
  budget_.reset();
}

}  // namespace vivarium::sessions
