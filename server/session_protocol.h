// The messages a session process and the server exchange (over server/ipc.h).
#pragma once

#include <nlohmann/json.hpp>

#include "engine/execution.h"

namespace vivarium::server {

struct SessionLimits {
  std::chrono::milliseconds timeout{30000};
  std::size_t max_output_bytes = 1 << 20;
  std::size_t max_output_files_bytes = 50 << 20;
};

nlohmann::json encode_request(const std::string& code, const std::vector<engine::SandboxFile>& files,
                              const SessionLimits& limits);
struct DecodedRequest {
  engine::ExecutionRequest request;
  std::size_t max_output_files_bytes = 0;
};
DecodedRequest decode_request(const nlohmann::json& message);

// While it runs, a session may ask the server for a wheel: {"read_package": FILE_NAME},
// plus {"from": kFromWheelFolder} for the extra wheel folder; the answer is
// {"package": BYTES}, or {} when the server will not give it.
inline constexpr const char* kFromWheelFolder = "wheels";

nlohmann::json encode_result(const engine::ExecutionResult& result);
engine::ExecutionResult decode_result(const nlohmann::json& message);

// Keeps output files in order until their total size would pass the limit; the ones left
// out are named in std_err, so the caller knows what is missing and why.
void apply_output_files_limit(engine::ExecutionResult& result, std::size_t limit);

}  // namespace vivarium::server
