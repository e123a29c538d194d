#include "sandbox/landlock.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace vivarium::sandbox {
namespace {

// Access rights by the Landlock ABI that introduced them; spelled out because Debian 12's
// kernel headers (6.1) predate the newer ones, while the running kernel may have them.
constexpr std::uint64_t kAbi1Rights = (1ULL << 13) - 1;                                  // EXECUTE ... MAKE_SYM
constexpr std::uint64_t kRefer = 1ULL << 13;                                             // ABI 2
constexpr std::uint64_t kTruncate = 1ULL << 14;                                          // ABI 3
constexpr std::uint64_t kIoctlDev = 1ULL << 15;                                          // ABI 5
constexpr std::uint64_t kBindTcp = 1ULL << 0, kConnectTcp = 1ULL << 1;                   // ABI 4, network
constexpr std::uint64_t kScopeAbstractUnixSocket = 1ULL << 0, kScopeSignal = 1ULL << 1;  // ABI 6

// landlock_ruleset_attr as of ABI 6. The kernel takes a longer struct than it knows
// when the fields it does not know are zero, so one layout serves every ABI.
struct RulesetAttributes {
  std::uint64_t handled_access_fs = 0;
  std::uint64_t handled_access_net = 0;
  std::uint64_t scoped = 0;
};

constexpr std::uint64_t kRead = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
constexpr std::uint64_t kWrite =
    kRead | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | kTruncate;

std::uint64_t handled_rights(int abi) {
  std::uint64_t rights = kAbi1Rights;
  if (abi >= 2) rights |= kRefer;
  if (abi >= 3) rights |= kTruncate;
  if (abi >= 5) rights |= kIoctlDev;
  return rights;
}

std::string errno_text() { return std::strerror(errno); }

class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::expected<LandlockOutcome, std::string> restrict_file_access(const FileAccess& access) {
  const long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 0) {
    // No Landlock in this kernel (ENOSYS, EOPNOTSUPP), or a container's seccomp profile
    // that predates it (EPERM): carry on behind the seccomp filter alone.
    if (errno == ENOSYS || errno == EOPNOTSUPP || errno == EPERM) return LandlockOutcome{};
    return std::unexpected("landlock: " + errno_text());
  }
  const std::uint64_t handled = handled_rights(static_cast<int>(abi));
  LandlockOutcome outcome{static_cast<int>(abi), abi >= 4, abi >= 6, abi >= 6};
  RulesetAttributes attributes;
  attributes.handled_access_fs = handled;
  if (outcome.tcp_denied) attributes.handled_access_net = kBindTcp | kConnectTcp;  // and no rule allows either
  if (outcome.signals_scoped) attributes.scoped = kScopeAbstractUnixSocket | kScopeSignal;
  const Descriptor ruleset(static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attributes, sizeof attributes, 0)));
  if (ruleset.get() < 0) return std::unexpected("landlock ruleset: " + errno_text());

  auto allow = [&](const std::filesystem::path& dir, std::uint64_t rights) -> std::expected<void, std::string> {
    const Descriptor folder(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (folder.get() < 0) return std::unexpected("landlock: cannot open " + dir.string() + ": " + errno_text());
    landlock_path_beneath_attr rule{};
    rule.allowed_access = rights & handled;
    rule.parent_fd = folder.get();
    if (::syscall(SYS_landlock_add_rule, ruleset.get(), LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0)
      return std::unexpected("landlock rule for " + dir.string() + ": " + errno_text());
    return {};
  };
  for (const auto& dir : access.readable)
    if (auto added = allow(dir, kRead); !added) return std::unexpected(added.error());
  for (const auto& dir : access.writable)
    if (auto added = allow(dir, kWrite); !added) return std::unexpected(added.error());

  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return std::unexpected("no_new_privs: " + errno_text());
  if (::syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0)
    return std::unexpected("landlock_restrict_self: " + errno_text());
  return outcome;
}

}  // namespace vivarium::sandbox
