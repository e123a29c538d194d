#include "server/mcp_tool.h"

#include "engine/assets.h"

namespace vivarium::server::mcp {

using json = nlohmann::json;

json run_python_code_tool() {
  // The first sentence and the schema are mcp-run-python's, word for word, so that
  // prompts and clients written for it keep working; the rest says what differs here.
  static const std::string description =
      std::string(
          "Tool to execute Python code and return stdout, stderr, and return value.\n\n"
          "The code may be async, and the value on the last line will be returned as the return value.\n\n"
          "The code will be executed with Python ") +
      engine::kPythonVersion +
      ".\n\nState persists between calls: variables, imports and the files in /home/earth (the working "
      "directory) carry over to the next call. Files the code creates or changes there are returned; images "
      "(PNG, JPEG, SVG) as image content. There is no network access.\n";
  return {
      {"name", kToolName},
      {"title", "Run Python code"},
      {"description", description},
      {"inputSchema",
       {{"type", "object"},
        {"properties",
         {{"python_code", {{"type", "string"}, {"description", "Python code to run"}}},
          {"global_variables",
           {{"type", "object"},
            {"additionalProperties", json::object()},
            {"default", json::object()},
            {"description", "Map of global variables in context when the code is executed"}}}}},
        {"required", json::array({"python_code"})},
        {"additionalProperties", false},
        {"$schema", "http://json-schema.org/draft-07/schema#"}}},
  };
}

std::expected<ToolArguments, std::string> parse_tool_arguments(const json& arguments) {
  if (arguments.is_null()) return std::unexpected("missing argument python_code: pass the Python code as a string");
  if (!arguments.is_object())
    return std::unexpected("the arguments must be an object with python_code (a string) and global_variables");
  ToolArguments parsed;
  for (const auto& [name, value] : arguments.items()) {
    if (name == "python_code") {
      if (!value.is_string())
        return std::unexpected("python_code must be a string, not " + std::string(value.type_name()));
      parsed.python_code = value.get<std::string>();
    } else if (name == "global_variables") {
      if (!value.is_object())
        return std::unexpected("global_variables must be an object mapping names to JSON values, not " +
                               std::string(value.type_name()));
      if (!value.empty()) parsed.globals_json = value.dump(-1, ' ', false, json::error_handler_t::replace);
    } else {
      return std::unexpected("unknown argument " + name + ": run_python_code takes python_code and global_variables");
    }
  }
  if (!arguments.contains("python_code"))
    return std::unexpected("missing argument python_code: pass the Python code as a string");
  return parsed;
}

}  // namespace vivarium::server::mcp
