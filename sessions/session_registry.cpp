#include "sessions/session_registry.h"

namespace vivarium::sessions {

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Session::Session(std::string session_id)
    : id(std::move(session_id)), created_at(epoch_ms()), last_accessed_at(created_at) {}

Session::~Session() {
  if (process) {
    kill_session_process(*process);
    release_session_process(*process);
  }
}

SessionRegistry::SessionRegistry(int max_sessions) : max_sessions_(max_sessions) {}

std::expected<std::shared_ptr<Session>, AcquireError> SessionRegistry::acquire(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(id); it != sessions_.end()) {
    std::lock_guard session_lock(it->second->mutex);
    it->second->last_accessed_at = epoch_ms();
    return it->second;
  }
  if (static_cast<int>(sessions_.size()) >= max_sessions_) return std::unexpected(AcquireError::too_many_sessions);
  auto session = std::make_shared<Session>(id);
  sessions_.emplace(id, session);
  return session;
}

std::shared_ptr<Session> SessionRegistry::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

void SessionRegistry::end(Session& session) {
  std::lock_guard lock(session.mutex);
  session.ended = true;
  // Killing is enough: an execution waiting on the socket sees it close and returns;
  // the descriptors go with the Session object.
  if (session.process) kill_session_process(*session.process);
  session.turn_changed.notify_all();
}

bool SessionRegistry::remove(const std::string& id) {
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    session = it->second;
    sessions_.erase(it);
  }
  end(*session);
  return true;
}

std::vector<std::string> SessionRegistry::expire(std::chrono::milliseconds timeout) {
  std::vector<std::shared_ptr<Session>> expired;
  {
    std::lock_guard lock(mutex_);
    const auto now = epoch_ms();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      bool stale;
      {
        std::lock_guard session_lock(it->second->mutex);
        stale = it->second->idle() && now - it->second->last_accessed_at > timeout.count();
      }
      if (stale) {
        expired.push_back(it->second);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::vector<std::string> ids;
  for (auto& session : expired) {
    end(*session);
    ids.push_back(session->id);
  }
  return ids;
}

std::vector<SessionSummary> SessionRegistry::list() const {
  std::lock_guard lock(mutex_);
  std::vector<SessionSummary> result;
  for (const auto& [id, session] : sessions_) {
    std::lock_guard session_lock(session->mutex);
    result.push_back({id, session->created_at, session->last_accessed_at});
  }
  return result;
}

std::size_t SessionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::vector<std::shared_ptr<Session>> SessionRegistry::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Session>> result;
  for (const auto& [id, session] : sessions_) result.push_back(session);
  return result;
}

void SessionRegistry::end_all() {
  std::map<std::string, std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(mutex_);
    sessions.swap(sessions_);
  }
  for (auto& [id, session] : sessions) end(*session);
}

SessionTurn::SessionTurn(Session& session) : session_(session) {
  std::unique_lock lock(session.mutex);
  const auto ticket = session.next_ticket++;
  session.turn_changed.wait(lock, [&] { return session.now_serving == ticket; });
}

SessionTurn::~SessionTurn() {
  std::lock_guard lock(session_.mutex);
  ++session_.now_serving;
  session_.last_accessed_at = epoch_ms();
  session_.turn_changed.notify_all();
}

}  // namespace vivarium::sessions
