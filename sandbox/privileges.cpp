#include "sandbox/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

namespace vivarium::sandbox {
namespace {

SandboxError failed(std::string what) {
  return {SandboxError::Kind::failed, std::move(what) + ": " + std::strerror(errno)};
}

// Drops every capability from the bounding set. Past the last one the kernel knows,
// PR_CAPBSET_DROP answers EINVAL, which ends the loop (no need to read cap_last_cap).
std::expected<void, SandboxError> empty_bounding_set() {
  for (int capability = 0; capability < 64; ++capability) {
    if (::prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) == 0) continue;
    if (errno == EINVAL) return {};
    return std::unexpected(failed("cannot drop capability " + std::to_string(capability) + " from the bounding set"));
  }
  return {};
}

}  // namespace

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

std::expected<void, SandboxError> switch_identity(const Identity& identity) {
  if (::geteuid() != 0) return {};
  if (auto emptied = empty_bounding_set(); !emptied) return emptied;
  if (::setgroups(0, nullptr) != 0) return std::unexpected(failed("cannot clear the supplementary groups"));
  if (::setresgid(identity.gid, identity.gid, identity.gid) != 0)
    return std::unexpected(failed("cannot switch to gid " + std::to_string(identity.gid)));
  if (::setresuid(identity.uid, identity.uid, identity.uid) != 0)
    return std::unexpected(failed("cannot switch to uid " + std::to_string(identity.uid)));
  return {};
}

std::expected<bool, SandboxError> drop_capabilities() {
  // Changing the bounding set needs CAP_SETPCAP, which root has, and so does a process
  // right after entering a user namespace. An unprivileged process outside one keeps
  // its bounding set (it can never gain what is in it under no_new_privs).
  bool bounding_empty = true;
  if (auto emptied = empty_bounding_set(); !emptied) {
    if (errno != EPERM) return std::unexpected(emptied.error());
    bounding_empty = false;
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return std::unexpected(failed("cannot clear the ambient capabilities"));
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct none[2] = {};
  if (::syscall(SYS_capset, &header, none) != 0) return std::unexpected(failed("cannot empty the capability sets"));
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return std::unexpected(failed("cannot set no_new_privs"));
  return bounding_empty;
}

}  // namespace vivarium::sandbox
