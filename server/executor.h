// Runs one /exec in its session's process and turns what happened into an HTTP reply,
// including the resets: timeout past the grace period, memory cap, crash.
#pragma once

#include <nlohmann/json.hpp>

#include "server/config.h"
#include "server/exec_request.h"
#include "server/session_registry.h"
#include "server/zygote.h"

namespace vivarium::server {

struct HttpReply {
  int status = 200;
  nlohmann::json body;
};

nlohmann::json error_body(const std::string& type, const std::string& message);

class Executor {
 public:
  Executor(SessionRegistry& registry, Zygote& zygote, const ServerConfig& config);
  HttpReply execute(const ExecInput& input);

 private:
  SessionRegistry& registry_;
  Zygote& zygote_;
  const ServerConfig& config_;
};

}  // namespace vivarium::server
