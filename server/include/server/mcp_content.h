// The files an execution created or changed, as MCP content: PNG, JPEG and SVG as
// `image` content (an agent can look at a plot), every other file as an embedded
// `resource` with its MIME type (text when it is text, else base64).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "engine/execution.h"

namespace vivarium::server::mcp {

// From the file name's extension (case-insensitive); application/octet-stream when unknown.
std::string_view mime_type_of(std::string_view filename);

// The content item for one output file. Its URI is file:///home/earth/<path>.
nlohmann::json file_content(const engine::SandboxFile& file);

}  // namespace vivarium::server::mcp
