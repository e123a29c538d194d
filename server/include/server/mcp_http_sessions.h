// The MCP sessions of `serve`'s /mcp endpoint by Mcp-Session-Id. Each is one vivarium
// session of the registry, created at initialize, with the same id ("mcp-" and 32 hex
// digits, 128 random bits): it counts against --max-sessions, expires after
// --session-timeout idle like any other, and DELETE /sessions/ID ends it too. An MCP
// session whose vivarium session ended is gone (HTTP 404, as the specification says).
#pragma once

#include <expected>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "server/mcp_session.h"
#include "sessions/session_service.h"

namespace vivarium::server::mcp {

struct HttpSession {
  std::string id;
  std::shared_ptr<Session> mcp;
  std::shared_ptr<sessions::Session> vivarium;
  std::string owner;  // the API key that initialized it (empty without keys); others get 404
  bool ended() const;
};

class HttpSessions {
 public:
  // `instance` (INSTANCE_ID, may be empty) prefixes the ids it makes.
  HttpSessions(sessions::SessionService& service, SessionOptions options, std::string instance = {})
      : service_(service), options_(std::move(options)), instance_(std::move(instance)) {}

  // A new session, or the sentence for a client when the registry is full.
  std::expected<std::shared_ptr<HttpSession>, std::string> create();
  // Nothing when the id is unknown, or its session was deleted or expired.
  std::shared_ptr<HttpSession> find(const std::string& id);
  // Ends the session and its vivarium session; false when there is none.
  bool remove(const std::string& id);

 private:
  sessions::SessionService& service_;
  const SessionOptions options_;
  const std::string instance_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<HttpSession>> sessions_;
};

// 32 hex digits from the kernel's random source, prefixed with "mcp-" (and "INSTANCE."
// after it when an instance id is given: "mcp-vivarium-0.3f2a...").
std::string new_session_id(std::string_view instance = {});

}  // namespace vivarium::server::mcp
