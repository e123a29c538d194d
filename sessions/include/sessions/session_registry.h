// Sessions by id: creation on first use, FIFO order of executions within a session,
// parallel sessions, idle expiry, and the process behind each.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sessions/session_handle.h"

namespace vivarium::sessions {

std::int64_t epoch_ms();

struct Session {
  explicit Session(std::string session_id);
  ~Session();
  const std::string id;
  const std::int64_t created_at;  // epoch ms

  // Everything below is guarded by mutex.
  std::mutex mutex;
  std::condition_variable turn_changed;
  std::uint64_t next_ticket = 0;  // executions run in ticket order: arrival order
  std::uint64_t now_serving = 0;
  std::int64_t last_accessed_at;
  std::optional<SessionProcess> process;
  bool ended = false;              // deleted or expired: waiting executions give up
  bool killed_for_memory = false;  // set by the memory watch before it kills the process
  bool had_process = false;        // a process was forked for it once (it was created)
  // An exec was sent to the process and its result is not in yet, and the cancel flag
  // of that execution's caller (ExecInput::cancelled), for interrupts.
  bool executing = false;
  const void* running_cancel = nullptr;

  // Serialises sends on the process's socket: the executing thread and interrupts both
  // send. Taken before `mutex` when both are held; a send never holds `mutex`.
  std::mutex send_mutex;

  bool idle() const { return next_ticket == now_serving; }
};

struct SessionSummary {
  std::string id;
  std::int64_t created_at, last_accessed_at;
};

enum class AcquireError { too_many_sessions };

class SessionRegistry {
 public:
  explicit SessionRegistry(int max_sessions);

  // The session with this id, created if new. Fails when the cap is reached.
  std::expected<std::shared_ptr<Session>, AcquireError> acquire(const std::string& id);
  // The live session with this id, or null; never creates one.
  std::shared_ptr<Session> find(const std::string& id) const;
  // Ends a session now (its process is killed). False if there is no such session.
  bool remove(const std::string& id);
  // Ends sessions idle for longer than timeout; returns their ids.
  std::vector<std::string> expire(std::chrono::milliseconds timeout);
  std::vector<SessionSummary> list() const;
  std::size_t size() const;
  // Every live session process, for the memory watch and shutdown.
  std::vector<std::shared_ptr<Session>> all() const;
  void end_all();

 private:
  void end(Session& session);
  const int max_sessions_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Session>> sessions_;
};

// Waits for this execution's turn in the session (FIFO), and gives it back on scope exit.
class SessionTurn {
 public:
  explicit SessionTurn(Session& session);
  ~SessionTurn();
  SessionTurn(const SessionTurn&) = delete;
  SessionTurn& operator=(const SessionTurn&) = delete;

 private:
  Session& session_;
};

}  // namespace vivarium::sessions
