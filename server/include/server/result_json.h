// The docs/api.md JSON shape of an execution's outcome, shared by `vivarium run --json` and
// `vivarium serve`.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/execution.h"
#include "server/final_expression.h"

namespace vivarium::server {

// {"success": true, "result": {...}} or {"success": false, "error": {...}, "result": {...}}.
// The final expression is checked first (final_expression.h): it is untrusted text.
nlohmann::json execution_to_json(const engine::ExecutionResult& result, const FinalExpressionLimits& limits = {});

// The body as sent: bytes that are not valid UTF-8 (a program may print anything)
// become U+FFFD instead of an exception, so a result is never lost to a 500.
std::string to_json_text(const nlohmann::json& body);

// The docs/api.md error type for an engine error kind ("execution", "timeout", ...).
const char* error_type_name(engine::ErrorKind kind);

}  // namespace vivarium::server
