#include "server/mcp_content.h"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "engine/base64.h"

namespace vivarium::server::mcp {
namespace {

using json = nlohmann::json;

constexpr std::array<std::pair<std::string_view, std::string_view>, 27> kTypes = {{
    {"png", "image/png"},         {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},       {"svg", "image/svg+xml"},
    {"gif", "image/gif"},         {"webp", "image/webp"},
    {"bmp", "image/bmp"},         {"pdf", "application/pdf"},
    {"txt", "text/plain"},        {"log", "text/plain"},
    {"csv", "text/csv"},          {"tsv", "text/tab-separated-values"},
    {"md", "text/markdown"},      {"html", "text/html"},
    {"htm", "text/html"},         {"css", "text/css"},
    {"xml", "application/xml"},   {"json", "application/json"},
    {"js", "text/javascript"},    {"py", "text/x-python"},
    {"yaml", "application/yaml"}, {"yml", "application/yaml"},
    {"toml", "application/toml"}, {"zip", "application/zip"},
    {"gz", "application/gzip"},   {"parquet", "application/vnd.apache.parquet"},
    {"whl", "application/zip"},
}};

bool is_image(std::string_view type) { return type == "image/png" || type == "image/jpeg" || type == "image/svg+xml"; }

bool is_text(std::string_view type) {
  return type.starts_with("text/") || type == "application/json" || type == "application/xml" ||
         type == "application/yaml" || type == "application/toml";
}

// Text content must be valid UTF-8 (JSON strings are): anything else goes as base64.
bool valid_utf8(std::string_view bytes) {
  try {
    (void)json(std::string(bytes)).dump();
    return true;
  } catch (const json::type_error&) {
    return false;
  }
}

std::string percent_encoded_path(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string_view mime_type_of(std::string_view filename) {
  const auto slash = filename.rfind('/');
  const auto name = slash == std::string_view::npos ? filename : filename.substr(slash + 1);
  const auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "application/octet-stream";
  std::string extension(name.substr(dot + 1));
  std::ranges::transform(extension, extension.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& [known, type] : kTypes)
    if (known == extension) return type;
  return "application/octet-stream";
}

json file_content(const engine::SandboxFile& file) {
  const auto type = mime_type_of(file.path);
  if (is_image(type)) return {{"type", "image"}, {"data", engine::base64_encode(file.data)}, {"mimeType", type}};
  json resource = {{"uri", "file:///home/earth/" + percent_encoded_path(file.path)}, {"mimeType", type}};
  if (is_text(type) && valid_utf8(file.data))
    resource["text"] = file.data;
  else
    resource["blob"] = engine::base64_encode(file.data);
  return {{"type", "resource"}, {"resource", std::move(resource)}};
}

}  // namespace vivarium::server::mcp
