#include "sandbox/id_range.h"

#include <charconv>
#include <string>

namespace vivarium::sandbox {

std::expected<IdRange, SandboxError> parse_id_range(std::string_view text) {
  const auto dash = text.find('-');
  auto invalid = [&](std::string why) {
    return std::unexpected(SandboxError{
        SandboxError::Kind::invalid,
        "invalid uid range '" + std::string(text) + "': " + why + " (write FIRST-LAST, e.g. 1879048192-1879113727)"});
  };
  if (dash == std::string_view::npos) return invalid("no '-'");
  std::uint64_t first = 0, last = 0;
  const auto first_text = text.substr(0, dash), last_text = text.substr(dash + 1);
  if (std::from_chars(first_text.data(), first_text.data() + first_text.size(), first).ptr !=
          first_text.data() + first_text.size() ||
      first_text.empty())
    return invalid("FIRST is not a number");
  if (std::from_chars(last_text.data(), last_text.data() + last_text.size(), last).ptr !=
          last_text.data() + last_text.size() ||
      last_text.empty())
    return invalid("LAST is not a number");
  if (first == 0) return invalid("uid 0 is root");
  if (last < first) return invalid("LAST is below FIRST");
  if (last >= 4294967295u) return invalid("LAST must be below 4294967295 (the kernel's invalid uid)");
  return IdRange{static_cast<uid_t>(first), static_cast<std::uint32_t>(last - first + 1)};
}

Identity identity_in(const IdRange& range, std::uint64_t slot) {
  const auto id = static_cast<uid_t>(range.first + slot % range.count);
  return {id, static_cast<gid_t>(id)};
}

}  // namespace vivarium::sandbox
