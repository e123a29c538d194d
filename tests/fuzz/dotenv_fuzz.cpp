// The .env file `vivarium serve` reads from its working directory (server/config.h
// parse_dotenv), then the settings resolved from it (resolve_config).
// Invariants:
// - a parsed file is a map of non-empty keys without '=' or surrounding blanks, and
//   values without a newline;
// - writing that map back as .env lines (`export KEY="VALUE"`) and parsing again gives
//   the same map: the parser reads exactly the format it documents;
// - a rejected file names the line at fault;
// - settings resolved from any parsed file are within the ranges --help documents.
#include <cstdint>
#include <map>
#include <string>

#include "fuzz_check.h"
#include "server/config.h"

namespace {

using vivarium::fuzz::check;
using namespace vivarium::server;

// A quoted value cannot hold its own quote (no escapes), so: double quotes, else single
// ones, else bare; a value with both quotes was unquoted in the file, so it has no
// surrounding blanks, no " #" and no leading quote, and reads back bare.
std::string write_value(const std::string& value) {
  if (value.find('"') == std::string::npos) return '"' + value + '"';
  if (value.find('\'') == std::string::npos) return '\'' + value + '\'';
  return value;
}

std::string write_dotenv(const std::map<std::string, std::string>& values) {
  std::string text;
  // "export " first, always: a key may itself begin with "export ", and the parser
  // strips one prefix.
  for (const auto& [key, value] : values) text += "export " + key + "=" + write_value(value) + "\n";
  return text;
}

void check_settings(const std::map<std::string, std::string>& dotenv) {
  const auto config = resolve_config({}, {}, dotenv);
  if (!config) {
    check(!config.error().empty(), "a rejected setting has a message");
    return;
  }
  constexpr std::uint64_t MiB = std::uint64_t{1} << 20, GiB = std::uint64_t{1} << 30;
  check(config->port >= 0 && config->port <= 65535, "PORT is 0..65535");
  check(config->max_sessions >= 1 && config->max_sessions <= 100000, "MAX_SESSIONS is 1..100000");
  check(config->memory_limit >= 64 * MiB && config->memory_limit <= 4 * GiB, "MEMORY_LIMIT is 64M..4G");
  check(config->process_memory_limit >= 64 * MiB && config->process_memory_limit <= 64 * GiB,
        "PROCESS_MEMORY_LIMIT is 64M..64G (or the memory limit + 1G)");
  check(config->max_body_size >= 1024 && config->max_body_size <= GiB, "MAX_BODY_SIZE is 1K..1G");
  check(config->max_output_size >= 1 && config->max_output_size <= GiB, "MAX_OUTPUT_SIZE is 1B..1G");
  check(config->max_output_files_size >= 1 && config->max_output_files_size <= GiB, "MAX_OUTPUT_FILES_SIZE is 1B..1G");
  check(config->execution_timeout.count() >= 1, "EXECUTION_TIMEOUT_SECONDS is positive");
  check(config->session_timeout.count() >= 1 && config->session_timeout.count() <= 525600LL * 60000,
        "SESSION_TIMEOUT_MINUTES is positive and at most a year");
  check(!config->host.empty(), "HOST is not empty");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto parsed = parse_dotenv(text);
  if (!parsed) {
    check(parsed.error().starts_with(".env line "), "a rejected .env names its line");
    return 0;
  }
  for (const auto& [key, value] : *parsed) {
    check(!key.empty() && key.find('=') == std::string::npos, "a key is not empty and has no '='");
    check(key.find_first_of(" \t\r") != 0 && key.find_last_of(" \t\r") != key.size() - 1,
          "a key has no surrounding blanks");
    check(value.find('\n') == std::string::npos, "a value has no newline");
  }
  const auto again = parse_dotenv(write_dotenv(*parsed));
  check(again.has_value() && *again == *parsed, "a parsed .env written back parses to the same map");
  check_settings(*parsed);
  return 0;
}
