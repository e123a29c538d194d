// One MCP session, whatever carries it (stdio, Streamable HTTP): the lifecycle
// (initialize, version negotiation, notifications/initialized), ping, tools/list,
// tools/call of run_python_code, logging/setLevel and notifications/cancelled, with the
// JSON-RPC errors of the specification. The Python runs in one vivarium session, reached
// through `SessionBackend`, so that unit tests can give it a fake.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "server/mcp_jsonrpc.h"
#include "server/mcp_logging.h"
#include "server/mcp_tool_result.h"
#include "sessions/executor.h"

namespace vivarium::server::mcp {

struct SessionBackend {
  // Runs one execution in this MCP session's vivarium session.
  std::function<sessions::ExecOutcome(const sessions::ExecInput&)> execute;
  // Asks the running execution to stop (KeyboardInterrupt); thread-safe.
  std::function<void()> interrupt;
};

struct SessionOptions {
  ToolResultLimits limits;
  std::string server_version = "0";
};

// Sends a notification that belongs to the request being answered; must not block.
using Notify = std::function<void(const nlohmann::json&)>;

class Session {
 public:
  Session(SessionOptions options, SessionBackend backend);

  // Thread-safe: a ping or a cancellation is answered while a tools/call runs. Returns
  // the response, or nothing for notifications, responses and cancelled requests.
  std::optional<nlohmann::json> handle(const Message& message, const Notify& notify);

  bool initialized() const;
  std::string protocol_version() const;  // empty before initialize

 private:
  nlohmann::json initialize(const Message& message);
  std::optional<nlohmann::json> call_tool(const Message& message, const Notify& notify);
  void cancel(const nlohmann::json& params);
  // Ends a tools/call's turn; true when the client cancelled it.
  bool finish_call(const std::string& key);

  const SessionOptions options_;
  const SessionBackend backend_;
  mutable std::mutex mutex_;  // guards what follows
  std::condition_variable turn_changed_;
  bool initialized_ = false;
  std::string version_;
  LogLevel log_threshold_ = LogLevel::info;
  // tools/call requests run one at a time, in arrival order (tickets), so that a
  // cancellation interrupts the execution of exactly the request it names.
  std::uint64_t next_ticket_ = 0, now_serving_ = 0;
  std::set<std::string> in_flight_;     // ids (as JSON text) of tools/call requests not answered yet
  std::set<std::string> cancelled_;     // those of them the client cancelled
  std::optional<std::string> running_;  // the one executing now
};

}  // namespace vivarium::server::mcp
