// Whether the machine has room for one more session process now: the memory cgroups'
// budget in production (session_cgroups.h), anything in tests.
#pragma once

#include <optional>
#include <string>

namespace vivarium::sessions {

class SessionAdmission {
 public:
  virtual ~SessionAdmission() = default;
  // nullopt admits it; otherwise the reason, one sentence for the client.
  virtual std::optional<std::string> refusal() const = 0;
};

}  // namespace vivarium::sessions
