#include "server/auth_scope.h"

#include "server/exec_reply.h"
#include "server/http_body.h"

namespace vivarium::server {
namespace {
thread_local std::string t_key;
thread_local std::shared_ptr<void>* t_slot = nullptr;

std::string prefix() { return "@" + t_key + "/"; }
}  // namespace

const std::string& current_key() { return t_key; }
void set_current_key(std::string key) { t_key = std::move(key); }
void set_execution_slot(std::shared_ptr<void>* slot) { t_slot = slot; }
void release_execution_slot() {
  if (t_slot != nullptr) t_slot->reset();
}

std::string scoped_session_id(const std::string& client_id) { return t_key.empty() ? client_id : prefix() + client_id; }

std::optional<std::string> client_session_id(const std::string& registry_id) {
  if (t_key.empty()) return registry_id;
  const std::string mine = prefix();
  if (!registry_id.starts_with(mine)) return std::nullopt;
  return registry_id.substr(mine.size());
}

bool session_quota_reached(const sessions::SessionRegistry& registry, const std::string& scoped_id, int max_per_key) {
  if (t_key.empty() || registry.find(scoped_id)) return false;
  const std::string mine = prefix();
  int held = 0;
  for (const auto& session : registry.list())
    if (session.id.starts_with(mine)) ++held;
  return held >= max_per_key;
}

void reply_session_quota(httplib::Response& response, int max_per_key) {
  response.set_header("Retry-After", "60");
  reply(response, 429,
        error_body("rate_limit", "this API key already holds " + std::to_string(max_per_key) +
                                     " sessions, its maximum; end one with DELETE /sessions/ID first"));
}

}  // namespace vivarium::server
