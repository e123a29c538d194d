// Runs one /exec in its session's process and turns what happened into an HTTP reply,
// including the resets: timeout past the grace period, memory cap, crash.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/interpreter.h"
#include "server/config.h"
#include "server/exec_request.h"
#include "server/session_cgroups.h"
#include "server/session_registry.h"
#include "server/zygote.h"
#include "sessions/frame_limits.h"

namespace vivarium::server {

struct HttpReply {
  int status = 200;
  nlohmann::json body;
};

nlohmann::json error_body(const std::string& type, const std::string& message);

// Serves wheels of the package folder and of the wheel folder to session processes,
// which cannot open files. Only listed file names; the session checks their sha256.
struct PackageReader {
  std::optional<engine::PackageFolder> packages, wheels;
  std::optional<std::string> read(engine::WheelSource source, const std::string& file_name) const;
  std::uint64_t largest_wheel() const;  // bytes, 0 without wheels; bounds the frames sent to a session
};

// The frame limits of both directions for this configuration (docs/wire-protocol.md).
sessions::FrameLimits session_frame_limits(const ServerConfig& config, const PackageReader& packages);

class Executor {
 public:
  // `cgroups` admits new sessions on the sessions' memory budget and tells an OOM kill.
  Executor(SessionRegistry& registry, Zygote& zygote, const SessionCgroups& cgroups, const ServerConfig& config,
           PackageReader packages);
  HttpReply execute(const ExecInput& input);

 private:
  SessionRegistry& registry_;
  Zygote& zygote_;
  const SessionCgroups& cgroups_;
  const ServerConfig& config_;
  PackageReader packages_;
  sessions::FrameLimits frames_;
};

}  // namespace vivarium::server
