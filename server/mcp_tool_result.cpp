#include "server/mcp_tool_result.h"

#include <cctype>
#include <string_view>
#include <vector>

#include "server/exec_reply.h"
#include "server/mcp_content.h"

namespace vivarium::server::mcp {
namespace {

using json = nlohmann::json;

bool same_letters(std::string_view text, std::size_t at, std::string_view tag) {
  if (text.size() - at < tag.size()) return false;
  for (std::size_t k = 0; k < tag.size(); ++k)
    if (std::tolower(static_cast<unsigned char>(text[at + k])) != std::tolower(static_cast<unsigned char>(tag[k])))
      return false;
  return true;
}

void append_lines(std::vector<std::string>& lines, const std::string& text) {
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

// mcp-run-python's dump_json: None gives no section, a string is shown as it is,
// anything else as JSON indented by two.
std::string return_value_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump(2, ' ', false, json::error_handler_t::replace);
}

std::string error_text(const json& body, const ToolResultLimits& limits) {
  const auto& error = body["error"];
  std::string text = error.value("traceback", "");
  if (text.empty()) text = error.value("message", "the execution failed") + "\n";
  const auto type = error.value("type", "");
  const double seconds = static_cast<double>(limits.execution_timeout.count()) / 1000;
  char timeout[64];
  std::snprintf(timeout, sizeof timeout, "%g s", seconds);
  if (type == "timeout")
    text += std::string("TimeoutError: the code ran past the execution timeout of ") + timeout +
            (error.value("session_reset", false) ? " and was stopped; the session was reset and its state is gone\n"
                                                 : "; the session kept its state\n");
  else if (error.value("session_reset", false))
    text += "The session was reset: its variables and files are gone.\n";
  return text;
}

std::string layout(const json& body, const ToolResultLimits& limits) {
  const bool success = body.value("success", false);
  const auto& result = body.contains("result") ? body["result"] : json::object();
  std::vector<std::string> output;
  append_lines(output, result.value("std_out", ""));
  append_lines(output, result.value("std_err", ""));

  std::string text = success ? "<status>success</status>" : "<status>run-error</status>";
  if (!output.empty()) {
    text += "\n<output>";
    for (const auto& line : output) text += "\n" + escape_closing(line, "output");
    text += "\n</output>";
  }
  if (success) {
    const auto value = result.value("final_expression", json(nullptr));
    if (!value.is_null())
      text += "\n<return_value>\n" + escape_closing(return_value_text(value), "return_value") + "\n</return_value>";
  } else {
    text += "\n<error>\n" + escape_closing(error_text(body, limits), "error") + "\n</error>";
  }
  return text;
}

}  // namespace

std::string escape_closing(std::string_view text, std::string_view tag) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '<') {
      out += text[i++];
      continue;
    }
    // The pattern mcp-run-python escapes: </?\s*TAG(?:.*?>)? without case, where `.`
    // stops at a line end.
    std::size_t j = i + 1;
    if (j < text.size() && text[j] == '/') ++j;
    while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (!same_letters(text, j, tag)) {
      out += text[i++];
      continue;
    }
    std::size_t end = j + tag.size();
    for (std::size_t k = end; k < text.size() && text[k] != '\n' && text[k] != '\r'; ++k) {
      if (text[k] == '>') {
        end = k + 1;
        break;
      }
    }
    for (std::size_t k = i; k < end; ++k) {
      if (text[k] == '<')
        out += "&lt;";
      else if (text[k] == '>')
        out += "&gt;";
      else
        out += text[k];
    }
    i = end;
  }
  return out;
}

json tool_result(const sessions::ExecOutcome& outcome, const ToolResultLimits& limits) {
  const auto reply = exec_reply(outcome, limits.max_output_bytes);
  const auto& body = reply.body;
  json content = json::array({{{"type", "text"}, {"text", layout(body, limits)}}});
  if (const auto* completed = std::get_if<sessions::ExecCompleted>(&outcome))
    for (const auto& file : completed->result.output_files) content.push_back(file_content(file));
  return {{"content", std::move(content)}, {"structuredContent", body}, {"isError", !body.value("success", false)}};
}

json tool_error_result(const std::string& message) {
  return {{"content", json::array({{{"type", "text"}, {"text", message}}})}, {"isError", true}};
}

}  // namespace vivarium::server::mcp
