#include "server/exec_reply.h"

#include "server/result_json.h"

namespace vivarium::server {
namespace {

int status_of(sessions::Refusal reason) {
  switch (reason) {
    case sessions::Refusal::too_many_sessions:
    case sessions::Refusal::no_memory:
    case sessions::Refusal::stopping:
      return 503;
    case sessions::Refusal::cannot_start:
      return 500;
    case sessions::Refusal::session_ended:
    case sessions::Refusal::cancelled:  // nobody reads it: the client went away
      return 409;
  }
  return 500;
}

const char* type_of(sessions::Refusal reason) {
  switch (reason) {
    case sessions::Refusal::too_many_sessions:
    case sessions::Refusal::no_memory:
      return "resource_limit";
    case sessions::Refusal::cannot_start:
      return "execution";
    case sessions::Refusal::stopping:
      return "unavailable";
    case sessions::Refusal::session_ended:
    case sessions::Refusal::cancelled:
      return "validation";
  }
  return "execution";
}

const char* type_of(sessions::ResetReason reason) {
  switch (reason) {
    case sessions::ResetReason::memory_limit:
      return "resource_limit";
    case sessions::ResetReason::timeout:
      return "timeout";
    case sessions::ResetReason::crashed:
    case sessions::ResetReason::bad_message:
      return "execution";
  }
  return "execution";
}

}  // namespace

nlohmann::json error_body(const std::string& type, const std::string& message) {
  return {{"success", false}, {"error", {{"type", type}, {"message", message}}}};
}

// Every reply says whether the execution ran in a fresh interpreter (docs/api.md): one
// that did not run did not create one.
HttpReply exec_reply(const sessions::ExecOutcome& outcome, std::uint64_t max_output_bytes) {
  if (const auto* completed = std::get_if<sessions::ExecCompleted>(&outcome)) {
    auto body = execution_to_json(completed->result, {.max_bytes = max_output_bytes});
    body["session_created"] = completed->session_created;
    return {200, std::move(body)};
  }
  if (const auto* refused = std::get_if<sessions::ExecRefused>(&outcome)) {
    auto body = error_body(type_of(refused->reason), refused->message);
    body["session_created"] = false;
    return {status_of(refused->reason), std::move(body)};
  }
  // A reset is an answer about the execution (200), with no output and session_reset.
  const auto& reset = std::get<sessions::ExecReset>(outcome);
  engine::ExecutionResult empty;
  empty.code_runtime_ms = reset.runtime_ms;
  auto body = execution_to_json(empty);
  body["success"] = false;
  body["error"] = {{"type", type_of(reset.reason)}, {"message", reset.message}, {"session_reset", true}};
  body["session_created"] = reset.session_created;
  return {200, body};
}

}  // namespace vivarium::server
