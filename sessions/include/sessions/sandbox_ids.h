// One uid and gid per live session, from --sandbox-uids, so that sessions run as root's
// children cannot signal, trace or read one another even without a pid namespace. A
// lease returns its id when the last copy of the session process's handle is gone.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "sandbox/id_range.h"

namespace vivarium::sessions {

class SandboxIds {
 public:
  explicit SandboxIds(sandbox::IdRange range);

  // A lease on the lowest free id (as uid and gid), or nothing when every id of the
  // range is held (the range must exceed --max-sessions; config checks that).
  using Lease = std::shared_ptr<const sandbox::Identity>;
  std::optional<Lease> acquire();
  std::size_t in_use() const;

 private:
  struct State {
    std::mutex mutex;
    std::vector<bool> used;
    std::size_t in_use = 0;
  };
  sandbox::IdRange range_;
  std::shared_ptr<State> state_;  // outlives this object while leases are out
};

}  // namespace vivarium::sessions
