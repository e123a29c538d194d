// The replies of POST / in cohere-terrarium's flat form (docs/api.md, "POST /"): built
// from /exec's reply (exec_reply.h, result_json.h), so that both endpoints apply the same
// statuses, limits and checks of untrusted output.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace vivarium::server {

// /exec's body {"success", "result": {...}, "error": {...}} as terrarium's
// {"success", "final_expression", "output_files", "std_out", "std_err", "code_runtime",
// "error": {"type", "message"}}. Where terrarium's form differs from /exec's:
// - the result's fields stand at the top level, also beside an error (terrarium leaves
//   out final_expression and output_files there; vivarium keeps the output so far);
// - when Python raised, error.type is the exception's class ("NameError"), as
//   terrarium's PythonError.type, and error.message the whole traceback, which is what
//   terrarium's message holds; other errors keep /exec's type and message, except a
//   timeout that Python saw as KeyboardInterrupt, whose message says it was the time
//   limit (`execution_timeout`) and then where the code was (terrarium had no timeout:
//   its clients' model reads only the message);
// - of /exec's further error fields only session_reset is kept (exception, traceback
//   and line are in type and message).
// A body without result (a refusal) keeps only success and error, as terrarium's own
// errors do.
nlohmann::json terrarium_body(const nlohmann::json& exec_body, std::chrono::milliseconds execution_timeout);

// The text sent: one line of JSON ending in "\n", as terrarium writes it (its Python
// client reads the reply up to that newline).
std::string terrarium_text(const nlohmann::json& body);

}  // namespace vivarium::server
