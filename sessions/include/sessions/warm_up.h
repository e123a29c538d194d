// What a zygote does once after its boot so that its forks do not each pay for it: runs
// the execution path (its lazy JS compilation and first-call set-up, ~150 ms a fork
// otherwise) and imports standard library modules beyond the memory snapshot's
// (Pyodide's standard library is source only: a first import compiles, 5-130 ms). Binds
// no name: a fork must start with an empty namespace, as python3 does. Shared by serve's
// zygote (zygote_main.cpp) and run's (runner/run_host.cpp).
#pragma once

#include <string>

#include "engine/interpreter.h"

namespace vivarium::sessions {

// `imports`: a Python tuple's items, e.g. "'html', 'zoneinfo'"; empty for none.
void warm_up(engine::Interpreter& interpreter, const std::string& imports);

}  // namespace vivarium::sessions
