// `vivarium serve` configuration: flags > environment > .env in the working directory >
// defaults, each value parsed and checked with a message naming the setting.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "log/logger.h"
#include "packages/packages.h"
#include "sandbox/id_range.h"

namespace vivarium::server {

using LogLevel = log::LogLevel;

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 3080;
  std::chrono::milliseconds session_timeout{10 * 60 * 1000};  // SESSION_TIMEOUT_MINUTES, fractions allowed
  std::chrono::milliseconds execution_timeout{30000};
  std::uint64_t memory_limit = std::uint64_t{512} << 20;  // wasm memory per session
  // Resident memory a session process may reach before the server kills and resets it;
  // 0 means the memory limit plus 1 GiB (JS heap, ArrayBuffers, code).
  std::uint64_t process_memory_limit = 0;
  // What all sessions together may use (docs/memory-cgroups.md); 0 means 75% of the
  // smaller of RAM and the memory limit of vivarium's own cgroup.
  std::uint64_t total_memory_limit = 0;
  int max_sessions = 100;
  // SPARE_SESSIONS: processes forked ahead of new sessions (sessions/zygote.h); 0: none.
  int spare_sessions = 2;
  std::uint64_t max_body_size = std::uint64_t{50} << 20;
  std::uint64_t max_output_size = std::uint64_t{1} << 20;         // per stream
  std::uint64_t max_output_files_size = std::uint64_t{50} << 20;  // per execution
  std::uint64_t max_output_files = 1000;                          // per execution
  // HTTP under hostile clients (docs/http-server.md): one deadline per phase of a
  // request, however slowly its bytes trickle in.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{60000};
  std::chrono::milliseconds write_timeout{30000};
  std::chrono::milliseconds keep_alive_timeout{5000};
  int max_connections = 1024;
  int max_json_depth = 64;
  sandbox::IdRange sandbox_ids;       // SANDBOX_UIDS (used when run as root)
  bool require_full_sandbox = false;  // REQUIRE_FULL_SANDBOX
  LogLevel log_level = LogLevel::info;
  log::LogFormat log_format = log::LogFormat::text;  // LOG_FORMAT
  std::optional<std::filesystem::path> assets_dir;
  std::optional<std::filesystem::path> cache_dir;
  std::optional<std::filesystem::path> packages_dir;
  std::optional<std::filesystem::path> wheels_dir;
  std::vector<std::string> preload = packages::kDefaultPreload;
  // Browser origins /mcp accepts besides localhost ones ("*": any); docs/mcp.md.
  std::vector<std::string> mcp_allowed_origins;
  // Authentication and quotas (docs/auth.md).
  std::optional<std::filesystem::path> api_keys_file;  // none: no keys, the API is open
  bool allow_unauthenticated = false;                  // listen beyond loopback without keys
  bool metrics_public = false;                         // GET /metrics without a key
  std::string trust_proxy;                             // CIDRs whose X-Forwarded-For is believed
  int max_sessions_per_key = 20;
  int max_executions_per_key = 4;  // per key, or per client address without keys
  double rate_limit = 20;          // requests per second, per key or client address
  double rate_burst = 40;
  // INSTANCE_ID: names this instance behind a load balancer (X-Vivarium-Instance, and the
  // prefix of MCP session ids); empty: none.
  std::string instance_id;
};

// One setting: its environment name (also the key used in .env), what --help shows.
struct SettingInfo {
  const char* env;
  const char* flag;
  const char* value_name;  // nullptr: a switch, given without a value (its env: 1 or 0)
  const char* default_text;
  const char* help;
};
const std::vector<SettingInfo>& server_settings();

// Resolves every setting. `flags` holds values given on the command line, keyed by the
// setting's environment name; `environment` and `dotenv` likewise.
std::expected<ServerConfig, std::string> resolve_config(const std::map<std::string, std::string>& flags,
                                                        const std::map<std::string, std::string>& environment,
                                                        const std::map<std::string, std::string>& dotenv);

// Reads KEY=VALUE lines (comments, blank lines, `export`, quotes) from a .env file.
// A quoted value ends at its closing quote (no escapes) and only a # comment may follow;
// an unquoted one ends at " #". A missing file is an empty map; a malformed line is an
// error naming its number.
std::expected<std::map<std::string, std::string>, std::string> read_dotenv(const std::filesystem::path& path);
std::expected<std::map<std::string, std::string>, std::string> parse_dotenv(const std::string& text);

// The process environment, restricted to the names in server_settings().
std::map<std::string, std::string> settings_from_environment();

std::string describe(const ServerConfig& config);  // the limits in force, for the startup log

}  // namespace vivarium::server
