#include "server/mcp_origin.h"

#include <algorithm>
#include <cctype>

namespace vivarium::server::mcp {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// An origin as browsers send it: scheme://host[:port], nothing after. Compared without
// case and without a trailing slash, so a configured "http://Example.com/" matches.
std::string normalized(std::string_view origin) {
  std::string text = lowercase(origin);
  while (!text.empty() && text.back() == '/') text.pop_back();
  return text;
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](unsigned char c) { return std::isdigit(c); });
}

bool is_loopback_v4(std::string_view host) {
  if (!host.starts_with("127.")) return false;
  int parts = 0;
  std::size_t start = 0;
  while (start <= host.size()) {
    const auto dot = host.find('.', start);
    const auto part = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!all_digits(part) || part.size() > 3 || std::stoi(std::string(part)) > 255) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 4;
}

}  // namespace

bool is_localhost_origin(std::string_view origin) {
  const std::string text = normalized(origin);
  std::string_view rest = text;
  if (rest.starts_with("http://"))
    rest.remove_prefix(7);
  else if (rest.starts_with("https://"))
    rest.remove_prefix(8);
  else
    return false;
  std::string_view host = rest;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return false;
    host = rest.substr(0, close + 1);
    rest.remove_prefix(close + 1);
  } else {
    const auto colon = rest.find(':');
    host = rest.substr(0, colon);
    rest.remove_prefix(colon == std::string_view::npos ? rest.size() : colon);
  }
  if (!rest.empty() && !(rest.front() == ':' && all_digits(rest.substr(1)))) return false;
  return host == "localhost" || host == "[::1]" || is_loopback_v4(host);
}

bool origin_allowed(bool present, std::string_view origin, const std::vector<std::string>& allowed) {
  if (!present) return true;
  if (is_localhost_origin(origin)) return true;
  const std::string wanted = normalized(origin);
  return std::ranges::any_of(allowed,
                             [&](const std::string& entry) { return entry == "*" || normalized(entry) == wanted; });
}

}  // namespace vivarium::server::mcp
