// The API.md JSON shape of an execution's outcome, shared by `vivarium run --json` and
// `vivarium serve`.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/execution.h"

namespace vivarium::server {

// {"success": true, "result": {...}} or {"success": false, "error": {...}, "result": {...}}.
nlohmann::json execution_to_json(const engine::ExecutionResult& result);

// The API.md error type for an engine error kind ("execution", "timeout", ...).
const char* error_type_name(engine::ErrorKind kind);

}  // namespace vivarium::server
