#include "server/config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "packages/packages.h"
#include "sandbox/id_range.h"
#include "server/trust_proxy.h"
#include "units/units.h"

namespace vivarium::server {

using packages::join_package_list;
using packages::kDefaultPreload;
using packages::parse_package_list;

using units::format_size;
using units::parse_seconds;
using units::parse_size;

const std::vector<SettingInfo>& server_settings() {
  static const std::string default_preload = join_package_list(kDefaultPreload);
  static const std::vector<SettingInfo> settings = {
      {"HOST", "--host", "ADDRESS", "127.0.0.1",
       "Address to listen on; 0.0.0.0 exposes the server to the network (containers), and the API has no "
       "authentication"},
      {"PORT", "--port", "PORT", "3080", "TCP port"},
      {"SESSION_TIMEOUT_MINUTES", "--session-timeout", "MINUTES", "10",
       "Minutes without an execution before a session ends"},
      {"EXECUTION_TIMEOUT_SECONDS", "--execution-timeout", "SECONDS", "30",
       "Seconds one execution may run (decimals allowed)"},
      {"MEMORY_LIMIT", "--memory-limit", "SIZE", "512M", "Python memory per session (256M, 2G; a plain number is MiB)"},
      {"PROCESS_MEMORY_LIMIT", "--process-memory-limit", "SIZE", "memory limit + 1G",
       "Resident memory of a session process past which it is killed and reset (a backstop behind the caps on "
       "Python's memory, the JS heap and ArrayBuffers)"},
      {"TOTAL_MEMORY_LIMIT", "--total-memory-limit", "SIZE", "75% of RAM or of vivarium's cgroup limit",
       "Memory all sessions together may use, enforced by a parent memory cgroup; a new session past it gets HTTP "
       "503 (without writable cgroups: a warning, and only the per-process watch)"},
      {"MAX_SESSIONS", "--max-sessions", "N", "100", "Sessions alive at once; more get HTTP 503"},
      {"SPARE_SESSIONS", "--spare-sessions", "N", "2",
       "Session processes kept forked, locked down and warmed ahead of time, so that a new session's first "
       "execution does not wait for a fork (0: none); they count in memory, not in --max-sessions"},
      {"MAX_BODY_SIZE", "--max-body-size", "SIZE", "50M", "Largest request body; larger gets HTTP 413"},
      {"MAX_OUTPUT_SIZE", "--max-output-size", "SIZE", "1M",
       "std_out and std_err kept per execution, each, and the final expression's JSON; the rest is cut "
       "with a marker"},
      {"MAX_OUTPUT_FILES_SIZE", "--max-output-files-size", "SIZE", "50M",
       "Total size of output_files per execution; past it files are left out and listed in std_err"},
      {"MAX_OUTPUT_FILES", "--max-output-files", "N", "1000",
       "Number of output_files per execution; past it files are left out and listed in std_err"},
      {"HEADER_TIMEOUT_SECONDS", "--header-timeout", "SECONDS", "10",
       "Seconds a client has to send a request's line and headers, from its first byte; then the connection is "
       "closed"},
      {"BODY_TIMEOUT_SECONDS", "--body-timeout", "SECONDS", "60",
       "Seconds a client has to send a whole request body once its headers are in"},
      {"WRITE_TIMEOUT_SECONDS", "--write-timeout", "SECONDS", "30",
       "Seconds a client has to take in a whole response; then the connection is closed"},
      {"KEEP_ALIVE_TIMEOUT_SECONDS", "--keep-alive-timeout", "SECONDS", "5",
       "Seconds an open connection may wait for its next request before it is closed"},
      {"MAX_CONNECTIONS", "--max-connections", "N", "1024",
       "Client connections open at once; more get HTTP 503 with Retry-After (GET /health still answers)"},
      {"MAX_JSON_DEPTH", "--max-json-depth", "N", "64",
       "Deepest nesting of a JSON request body; deeper gets HTTP 400 validation"},
      {"SANDBOX_UIDS", "--sandbox-uids", "FIRST-LAST", "1879048192-1879113727",
       "When run as root: the uids (and equal gids) that sessions switch to, one per live session or spare; the "
       "range must be larger than --max-sessions plus --spare-sessions"},
      {"REQUIRE_FULL_SANDBOX", "--require-full-sandbox", nullptr, "off",
       "Refuse to start, and end any session, if a layer of the process wall is missing on this machine (see "
       "vivarium sandbox-check)"},
      {"LOG_LEVEL", "--log-level", "LEVEL", "info", "error, warn, info (one line per request) or debug"},
      {"VIVARIUM_ASSETS", "--assets", "DIR", "next to the binary", "The Pyodide bundle folder"},
      {"PYODIDE_CACHE_DIR", "--cache-dir", "DIR", "~/.cache/vivarium", "Where compiled code caches are kept"},
      {"VIVARIUM_PACKAGES_DIR", "--packages-dir", "DIR", "'packages' beside the assets",
       "A folder of Pyodide wheels with its pyodide-lock.json"},
      {"VIVARIUM_WHEELS_DIR", "--wheels-dir", "DIR", "'wheels' beside the assets",
       "A folder of pure-Python wheels (*-py3-none-any.whl) that micropip.install may install"},
      {"PRELOAD", "--preload", "NAMES", default_preload.c_str(),
       "Packages imported in the zygote, so every session starts with them (comma-separated; 'none')"},
      {"MCP_ALLOWED_ORIGINS", "--mcp-allowed-origins", "ORIGINS", "none",
       "Browser origins (scheme://host[:port], comma-separated; '*' for any) that may use /mcp besides localhost "
       "ones; requests without an Origin header always may"},
      {"LOG_FORMAT", "--log-format", "FORMAT", "text",
       "text, or json: one JSON object per line (time, level, message; request lines also method, path, status, "
       "ms, session, request_id)"},
      {"VIVARIUM_API_KEYS_FILE", "--api-keys", "FILE", "none (no authentication)",
       "File of API keys, one NAME:SHA256-HEX a line (from `vivarium keys new NAME`); every route but /health, "
       "/ready and /openapi.json then needs Authorization: Bearer KEY, and SIGHUP rereads the file"},
      {"ALLOW_UNAUTHENTICATED", "--allow-unauthenticated", nullptr, "off",
       "Listen on an address other than loopback without API keys (only behind a proxy that authenticates)"},
      {"METRICS_PUBLIC", "--metrics-public", nullptr, "off", "Serve GET /metrics without an API key"},
      {"TRUST_PROXY", "--trust-proxy", "CIDRS", "none",
       "Proxies (comma-separated addresses or CIDRs) whose X-Forwarded-For names the client address used for rate "
       "limits; the rightmost address not in the list is the client"},
      {"MAX_SESSIONS_PER_KEY", "--max-sessions-per-key", "N", "20",
       "Sessions one API key may hold at once; more get HTTP 429"},
      {"MAX_EXECUTIONS_PER_KEY", "--max-executions-per-key", "N", "4",
       "Executions (POST /exec, POST /, POST /mcp) one API key, or without keys one client address, may have in "
       "flight; more get HTTP 429"},
      {"RATE_LIMIT", "--rate-limit", "PER_SECOND", "20",
       "Requests per second one API key, or without keys one client address, may make on average; more get HTTP "
       "429 with Retry-After (0: no limit)"},
      {"RATE_BURST", "--rate-burst", "N", "40",
       "Requests one API key or client address may make at once, above the rate"},
      {"INSTANCE_ID", "--instance-id", "ID", "none",
       "This instance's name behind a load balancer (1-32 of [A-Za-z0-9_-]): replies carry it in X-Vivarium-Instance "
       "and MCP session ids start with mcp-ID., so a proxy can route on them (deploy/nginx/vivarium.conf)"},
  };
  return settings;
}

namespace {

std::optional<std::string> pick(const std::string& name, const std::map<std::string, std::string>& flags,
                                const std::map<std::string, std::string>& environment,
                                const std::map<std::string, std::string>& dotenv) {
  for (const auto* source : {&flags, &environment, &dotenv})
    if (auto it = source->find(name); it != source->end()) return it->second;
  return std::nullopt;
}

std::expected<long long, std::string> parse_integer(const std::string& name, const std::string& text, long long low,
                                                    long long high) {
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || value < low || value > high)
    return std::unexpected(name + "='" + text + "': expected a whole number from " + std::to_string(low) + " to " +
                           std::to_string(high));
  return value;
}

}  // namespace

std::expected<ServerConfig, std::string> resolve_config(const std::map<std::string, std::string>& flags,
                                                        const std::map<std::string, std::string>& environment,
                                                        const std::map<std::string, std::string>& dotenv) {
  ServerConfig config;
  auto get = [&](const char* name) { return pick(name, flags, environment, dotenv); };
  auto size = [&](const char* name, std::uint64_t& target, std::uint64_t low,
                  std::uint64_t high) -> std::expected<void, std::string> {
    auto text = get(name);
    if (!text) return {};
    auto parsed = parse_size(*text);
    if (!parsed) return std::unexpected(std::string(name) + ": " + parsed.error());
    if (*parsed < low || *parsed > high)
      return std::unexpected(std::string(name) + "='" + *text + "': must be between " + format_size(low) + " and " +
                             format_size(high));
    target = *parsed;
    return {};
  };

  if (auto host = get("HOST")) {
    if (host->empty()) return std::unexpected("HOST is empty");
    config.host = *host;
  }
  if (auto port = get("PORT")) {
    auto value = parse_integer("PORT", *port, 0, 65535);
    if (!value) return std::unexpected(value.error());
    config.port = static_cast<int>(*value);
  }
  if (auto minutes = get("SESSION_TIMEOUT_MINUTES")) {
    char* end = nullptr;
    const double value = std::strtod(minutes->c_str(), &end);
    if (minutes->empty() || *end != '\0' || !std::isfinite(value) || value <= 0 || value > 525600)
      return std::unexpected("SESSION_TIMEOUT_MINUTES='" + *minutes + "': expected minutes greater than 0");
    config.session_timeout = std::chrono::milliseconds(std::max<std::int64_t>(1, std::llround(value * 60000)));
  }
  if (auto seconds = get("EXECUTION_TIMEOUT_SECONDS")) {
    auto value = parse_seconds(*seconds);
    if (!value) return std::unexpected("EXECUTION_TIMEOUT_SECONDS: " + value.error());
    config.execution_timeout = *value;
  }
  if (auto r = size("MEMORY_LIMIT", config.memory_limit, std::uint64_t{64} << 20, std::uint64_t{4} << 30); !r)
    return std::unexpected(r.error());
  if (auto r =
          size("PROCESS_MEMORY_LIMIT", config.process_memory_limit, std::uint64_t{64} << 20, std::uint64_t{64} << 30);
      !r)
    return std::unexpected(r.error());
  if (config.process_memory_limit == 0) config.process_memory_limit = config.memory_limit + (std::uint64_t{1} << 30);
  if (auto r = size("TOTAL_MEMORY_LIMIT", config.total_memory_limit, std::uint64_t{64} << 20, std::uint64_t{1} << 50);
      !r)
    return std::unexpected(r.error());
  if (auto sessions = get("MAX_SESSIONS")) {
    auto value = parse_integer("MAX_SESSIONS", *sessions, 1, 100000);
    if (!value) return std::unexpected(value.error());
    config.max_sessions = static_cast<int>(*value);
  }
  if (auto spares = get("SPARE_SESSIONS")) {
    auto value = parse_integer("SPARE_SESSIONS", *spares, 0, 64);
    if (!value) return std::unexpected(value.error());
    config.spare_sessions = static_cast<int>(*value);
  }
  if (auto r = size("MAX_BODY_SIZE", config.max_body_size, 1024, std::uint64_t{1} << 30); !r)
    return std::unexpected(r.error());
  if (auto r = size("MAX_OUTPUT_SIZE", config.max_output_size, 1, std::uint64_t{1} << 30); !r)
    return std::unexpected(r.error());
  if (auto r = size("MAX_OUTPUT_FILES_SIZE", config.max_output_files_size, 1, std::uint64_t{1} << 30); !r)
    return std::unexpected(r.error());
  if (auto files = get("MAX_OUTPUT_FILES")) {
    auto value = parse_integer("MAX_OUTPUT_FILES", *files, 0, 100000);
    if (!value) return std::unexpected(value.error());
    config.max_output_files = static_cast<std::uint64_t>(*value);
  }
  for (auto [name, target] : {std::pair{"HEADER_TIMEOUT_SECONDS", &config.header_timeout},
                              std::pair{"BODY_TIMEOUT_SECONDS", &config.body_timeout},
                              std::pair{"WRITE_TIMEOUT_SECONDS", &config.write_timeout},
                              std::pair{"KEEP_ALIVE_TIMEOUT_SECONDS", &config.keep_alive_timeout}}) {
    if (auto seconds = get(name)) {
      auto value = parse_seconds(*seconds);
      if (!value) return std::unexpected(std::string(name) + ": " + value.error());
      *target = *value;
    }
  }
  if (auto connections = get("MAX_CONNECTIONS")) {
    auto value = parse_integer("MAX_CONNECTIONS", *connections, 1, 100000);
    if (!value) return std::unexpected(value.error());
    config.max_connections = static_cast<int>(*value);
  }
  if (auto depth = get("MAX_JSON_DEPTH")) {
    auto value = parse_integer("MAX_JSON_DEPTH", *depth, 3, 100000);
    if (!value) return std::unexpected(value.error());
    config.max_json_depth = static_cast<int>(*value);
  }
  if (auto range = get("SANDBOX_UIDS")) {
    auto parsed = sandbox::parse_id_range(*range);
    if (!parsed) return std::unexpected("SANDBOX_UIDS: " + parsed.error().message);
    config.sandbox_ids = *parsed;
  }
  // A spare holds its uid from its fork on, like a session.
  if (const auto needed = static_cast<std::uint32_t>(config.max_sessions + config.spare_sessions);
      config.sandbox_ids.count <= needed)
    return std::unexpected("SANDBOX_UIDS: the range holds " + std::to_string(config.sandbox_ids.count) +
                           " uids, fewer than MAX_SESSIONS + SPARE_SESSIONS + 1 (" + std::to_string(needed + 1) +
                           "); give it a larger range");
  for (auto [name, target] : {std::pair{"REQUIRE_FULL_SANDBOX", &config.require_full_sandbox},
                              std::pair{"ALLOW_UNAUTHENTICATED", &config.allow_unauthenticated},
                              std::pair{"METRICS_PUBLIC", &config.metrics_public}}) {
    auto required = get(name);
    if (!required) continue;
    if (*required == "1" || *required == "true" || *required == "yes" || *required == "on")
      *target = true;
    else if (*required == "0" || *required == "false" || *required == "no" || *required == "off" || required->empty())
      *target = false;
    else
      return std::unexpected(std::string(name) + "='" + *required +
                             "': expected 1, true, yes or on (or 0, false, no, off)");
  }
  if (auto level = get("LOG_LEVEL")) {
    if (*level == "error")
      config.log_level = LogLevel::error;
    else if (*level == "warn")
      config.log_level = LogLevel::warn;
    else if (*level == "info")
      config.log_level = LogLevel::info;
    else if (*level == "debug")
      config.log_level = LogLevel::debug;
    else
      return std::unexpected("LOG_LEVEL='" + *level + "': expected error, warn, info or debug");
  }
  if (auto assets = get("VIVARIUM_ASSETS"); assets && !assets->empty()) config.assets_dir = *assets;
  if (auto cache = get("PYODIDE_CACHE_DIR"); cache && !cache->empty()) config.cache_dir = *cache;
  if (auto packages = get("VIVARIUM_PACKAGES_DIR"); packages && !packages->empty()) config.packages_dir = *packages;
  if (auto wheels = get("VIVARIUM_WHEELS_DIR"); wheels && !wheels->empty()) config.wheels_dir = *wheels;
  if (auto preload = get("PRELOAD")) config.preload = parse_package_list(*preload);
  if (auto origins = get("MCP_ALLOWED_ORIGINS")) {
    std::istringstream list(*origins);
    for (std::string origin; std::getline(list, origin, ',');) {
      const auto first = origin.find_first_not_of(" \t");
      if (first == std::string::npos) continue;
      origin = origin.substr(first, origin.find_last_not_of(" \t") - first + 1);
      if (origin != "*" && origin.find("://") == std::string::npos)
        return std::unexpected("MCP_ALLOWED_ORIGINS: '" + origin +
                               "' is not an origin; write it as scheme://host[:port], e.g. https://app.example.com");
      config.mcp_allowed_origins.push_back(origin);
    }
  }
  if (auto format = get("LOG_FORMAT")) {
    if (*format == "text")
      config.log_format = log::LogFormat::text;
    else if (*format == "json")
      config.log_format = log::LogFormat::json;
    else
      return std::unexpected("LOG_FORMAT='" + *format + "': expected text or json");
  }
  if (auto file = get("VIVARIUM_API_KEYS_FILE"); file && !file->empty()) config.api_keys_file = *file;
  if (auto proxies = get("TRUST_PROXY")) {
    if (auto parsed = parse_cidr_list(*proxies); !parsed) return std::unexpected("TRUST_PROXY: " + parsed.error());
    config.trust_proxy = *proxies;
  }
  for (auto [name, target] : {std::pair{"MAX_SESSIONS_PER_KEY", &config.max_sessions_per_key},
                              std::pair{"MAX_EXECUTIONS_PER_KEY", &config.max_executions_per_key}}) {
    if (auto text = get(name)) {
      auto value = parse_integer(name, *text, 1, 100000);
      if (!value) return std::unexpected(value.error());
      *target = static_cast<int>(*value);
    }
  }
  for (auto [name, target] :
       {std::pair{"RATE_LIMIT", &config.rate_limit}, std::pair{"RATE_BURST", &config.rate_burst}}) {
    if (auto text = get(name)) {
      char* end = nullptr;
      const double value = std::strtod(text->c_str(), &end);
      // RATE_LIMIT=0 turns the request rate limit off (bench/auth.py measures it so).
      const double low = std::string(name) == "RATE_LIMIT" ? 0 : 1;
      if (text->empty() || *end != '\0' || !std::isfinite(value) || value < low || value > 1e9 ||
          (value > 0 && value < 1))
        return std::unexpected(std::string(name) + "='" + *text + "': expected a number from " +
                               (low == 0 ? "1 (or 0: no limit)" : "1") + " to 1000000000");
      *target = value;
    }
  }
  if (auto instance = get("INSTANCE_ID"); instance && !instance->empty()) {
    // No dot: it ends the instance in an MCP session id (mcp-ID.hex), where nginx finds it.
    const bool valid = instance->size() <= 32 && std::ranges::all_of(*instance, [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
                       });
    if (!valid)
      return std::unexpected("INSTANCE_ID='" + *instance +
                             "': expected 1-32 letters, digits, '_' or '-', e.g. vivarium-0");
    config.instance_id = *instance;
  }
  return config;
}

std::expected<std::map<std::string, std::string>, std::string> parse_dotenv(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  auto trim = [](std::string s) {
    const auto first = s.find_first_not_of(" \t\r");
    const auto last = s.find_last_not_of(" \t\r");
    return first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
  };
  while (std::getline(lines, line)) {
    ++number;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ")) line = trim(line.substr(7));
    const auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0)
      return std::unexpected(".env line " + std::to_string(number) + ": expected KEY=VALUE");
    const std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      // A quoted value ends at the same quote (there are no escapes), and only a comment
      // may follow: KEY="512M" # per session is 512M, not "512M" with its quotes.
      const auto close = value.find(value.front(), 1);
      if (close == std::string::npos)
        return std::unexpected(".env line " + std::to_string(number) + ": the value has no closing " + value.front() +
                               "; end it with the quote it starts with");
      const std::string rest = trim(value.substr(close + 1));
      if (!rest.empty() && rest.front() != '#')
        return std::unexpected(".env line " + std::to_string(number) +
                               ": text after the closing quote; put a # before a comment");
      value = value.substr(1, close - 1);
    } else if (const auto hash = value.find(" #"); hash != std::string::npos) {
      value = trim(value.substr(0, hash));
    }
    values[key] = value;
  }
  return values;
}

std::expected<std::map<std::string, std::string>, std::string> read_dotenv(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::map<std::string, std::string>{};
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = parse_dotenv(text.str());
  if (!parsed) return std::unexpected(path.string() + ": " + parsed.error());
  return parsed;
}

std::map<std::string, std::string> settings_from_environment() {
  std::map<std::string, std::string> values;
  for (const auto& setting : server_settings())
    if (const char* value = std::getenv(setting.env)) values[setting.env] = value;
  return values;
}

std::string describe(const ServerConfig& config) {
  std::ostringstream out;
  out << "execution timeout " << static_cast<double>(config.execution_timeout.count()) / 1000 << " s, memory "
      << format_size(config.memory_limit) << " per session (process " << format_size(config.process_memory_limit)
      << "), at most " << config.max_sessions << " sessions, " << config.spare_sessions
      << " spare processes, idle timeout " << static_cast<double>(config.session_timeout.count()) / 60000
      << " min, body " << format_size(config.max_body_size) << ", output " << format_size(config.max_output_size)
      << " per stream, output files " << format_size(config.max_output_files_size) << " in at most "
      << config.max_output_files << " files, at most " << config.max_connections << " connections (timeouts: headers "
      << static_cast<double>(config.header_timeout.count()) / 1000 << " s, body "
      << static_cast<double>(config.body_timeout.count()) / 1000 << " s, response "
      << static_cast<double>(config.write_timeout.count()) / 1000 << " s, keep-alive "
      << static_cast<double>(config.keep_alive_timeout.count()) / 1000 << " s), JSON depth " << config.max_json_depth;
  return out.str();
}

}  // namespace vivarium::server
