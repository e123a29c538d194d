#include "sessions/sandbox_ids.h"

namespace vivarium::sessions {

SandboxIds::SandboxIds(sandbox::IdRange range) : range_(range), state_(std::make_shared<State>()) {
  state_->used.assign(range.count, false);
}

std::optional<SandboxIds::Lease> SandboxIds::acquire() {
  std::lock_guard lock(state_->mutex);
  for (std::size_t slot = 0; slot < state_->used.size(); ++slot) {
    if (state_->used[slot]) continue;
    state_->used[slot] = true;
    ++state_->in_use;
    auto* identity = new sandbox::Identity(sandbox::identity_in(range_, slot));
    return Lease(identity, [state = state_, slot](const sandbox::Identity* held) {
      delete held;
      std::lock_guard released(state->mutex);
      state->used[slot] = false;
      --state->in_use;
    });
  }
  return std::nullopt;
}

std::size_t SandboxIds::in_use() const {
  std::lock_guard lock(state_->mutex);
  return state_->in_use;
}

}  // namespace vivarium::sessions
