// Whose request this is, and the session ids it may reach (docs/auth.md). With API keys,
// a client's sessionId X under key K is the registry's "@K/X": neither "@" nor "/" can
// appear in a client's sessionId (valid_session_id) or a key's name, so no key reaches
// another's sessions, MCP's ("mcp-...") or terrarium's one-shot ones ("terrarium/N").
// Without keys, ids are used as given, exactly as before keys existed.
#pragma once

#include <httplib.h>

#include <memory>
#include <optional>
#include <string>

#include "sessions/session_registry.h"

namespace vivarium::server {

// The key's name for the request this thread is answering; empty without keys. Set by
// the auth gate before routing, cleared once the response is written.
const std::string& current_key();
void set_current_key(std::string key);

// The execution slot the gate took for this request (--max-executions-per-key). A
// route gives it back once its execution is over, before the reply is written: else a
// client that sends its next execution as soon as it reads the reply could find the
// slot still taken. Without a call, it goes back once the response is written.
void set_execution_slot(std::shared_ptr<void>* slot);
void release_execution_slot();

std::string scoped_session_id(const std::string& client_id);
// The client's id for a registry id, or nothing when it is not the current key's.
std::optional<std::string> client_session_id(const std::string& registry_id);
// True when a new session `scoped_id` would pass the current key's session quota.
bool session_quota_reached(const sessions::SessionRegistry& registry, const std::string& scoped_id, int max_per_key);
// 429 rate_limit, Retry-After 60: a session ends only on DELETE or after its idle timeout.
void reply_session_quota(httplib::Response& response, int max_per_key);

}  // namespace vivarium::server
