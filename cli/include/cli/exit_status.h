// vivarium's exit statuses: run's are the runner layer's (runner/exit_status.h).
#pragma once

#include "runner/exit_status.h"

namespace vivarium::cli {
namespace exit_status = runner::exit_status;
}  // namespace vivarium::cli
