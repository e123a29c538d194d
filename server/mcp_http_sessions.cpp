#include "server/mcp_http_sessions.h"

#include <sys/random.h>

#include <array>
#include <cstdio>
#include <stdexcept>

namespace vivarium::server::mcp {

std::string new_session_id(std::string_view instance) {
  std::array<unsigned char, 16> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t n = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("getrandom failed: no random session id can be made");
    }
    filled += static_cast<std::size_t>(n);
  }
  // With an instance, "mcp-ID." first: a load balancer routes a session's requests back
  // to the instance that holds it from the id alone (deploy/nginx/vivarium.conf).
  std::string id = "mcp-";
  if (!instance.empty()) id.append(instance).append(".");
  char hex[3];
  for (unsigned char byte : bytes) {
    std::snprintf(hex, sizeof hex, "%02x", byte);
    id += hex;
  }
  return id;
}

bool HttpSession::ended() const {
  std::lock_guard lock(vivarium->mutex);
  return vivarium->ended;
}

std::expected<std::shared_ptr<HttpSession>, std::string> HttpSessions::create() {
  auto id = new_session_id(instance_);
  auto acquired = service_.registry().acquire(id);
  if (!acquired)
    return std::unexpected(
        "the server already has its maximum of sessions; end one (DELETE /mcp) or wait for idle "
        "ones to expire");
  auto& executor = service_.executor();
  SessionBackend backend{
      [&executor, id](const sessions::ExecInput& input) { return executor.execute(id, input); },
      [&executor, id] { executor.interrupt(id); },
  };
  auto session = std::make_shared<HttpSession>(
      HttpSession{id, std::make_shared<Session>(options_, std::move(backend)), *acquired});
  std::lock_guard lock(mutex_);
  // Forget sessions that expired or were deleted behind our back: the table stays as
  // small as the registry.
  std::erase_if(sessions_, [](const auto& entry) { return entry.second->ended(); });
  sessions_.emplace(id, session);
  return session;
}

std::shared_ptr<HttpSession> HttpSessions::find(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  if (it->second->ended()) {
    sessions_.erase(it);
    return nullptr;
  }
  return it->second;
}

bool HttpSessions::remove(const std::string& id) {
  std::shared_ptr<HttpSession> session;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    session = it->second;
    sessions_.erase(it);
  }
  if (session->ended()) return false;
  service_.registry().remove(id);
  return true;
}

}  // namespace vivarium::server::mcp
