#include "sandbox/memory_cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>
#include <vector>

namespace vivarium::sandbox {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kBudgetPrefix = "vivarium-";
// v2 only: the leaf a server moves itself into when its own cgroup must give the memory
// controller to children (the kernel's no-internal-process rule).
constexpr std::string_view kServerLeafSuffix = "-server";

CgroupError error(CgroupErrorKind kind, std::string message) { return {kind, std::move(message)}; }

std::string errno_text(int code) { return std::strerror(code); }

std::expected<std::string, CgroupError> read_text(const fs::path& file) {
  std::ifstream in(file);
  if (!in)
    return std::unexpected(error(CgroupErrorKind::io, "cannot read " + file.string() + ": " + errno_text(errno) +
                                                          "; check that the cgroup filesystem is mounted there"));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// One write(2) of the whole value: cgroup files take a value per write, and report a
// refused one (EINVAL, EBUSY) as the write's error, which a buffered stream would hide.
std::expected<void, int> write_raw(const char* file, std::string_view value) noexcept {
  const int fd = ::open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(errno);
  const ssize_t written = ::write(fd, value.data(), value.size());
  const int code = errno;
  ::close(fd);
  if (written < 0) return std::unexpected(code);
  return {};
}

std::expected<void, CgroupError> write_text(const fs::path& file, std::string_view value) {
  if (auto written = write_raw(file.c_str(), value); !written)
    return std::unexpected(error(CgroupErrorKind::io, "cannot write \"" + std::string(value) + "\" to " +
                                                          file.string() + ": " + errno_text(written.error()) +
                                                          "; vivarium needs write access to its cgroups"));
  return {};
}

std::optional<std::uint64_t> to_number(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::expected<std::uint64_t, CgroupError> read_number(const fs::path& file) {
  auto text = read_text(file);
  if (!text) return std::unexpected(text.error());
  if (auto value = to_number(*text)) return *value;
  return std::unexpected(error(CgroupErrorKind::invalid, file.string() + " does not hold a number (\"" + *text +
                                                             "\"); check that it is a cgroup file"));
}

// The value of `key` in a "key value" per line file (memory.stat, memory.events,
// memory.oom_control); 0 when the key is absent.
std::expected<std::uint64_t, CgroupError> read_keyed(const fs::path& file, std::string_view key) {
  auto text = read_text(file);
  if (!text) return std::unexpected(text.error());
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto space = line.find(' ');
    if (space == std::string::npos || std::string_view(line).substr(0, space) != key) continue;
    if (auto value = to_number(std::string_view(line).substr(space + 1))) return *value;
    return std::unexpected(error(CgroupErrorKind::invalid, file.string() + " has a malformed line \"" + line +
                                                               "\"; check that it is a cgroup file"));
  }
  return 0;
}

bool path_exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

bool has_word(std::string_view text, std::string_view word) {
  std::istringstream words{std::string(text)};
  std::string each;
  while (words >> each)
    if (each == word) return true;
  return false;
}

fs::path below(const fs::path& mount, std::string_view cgroup_path) {
  std::string relative(cgroup_path);
  while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
  return relative.empty() ? mount : mount / relative;
}

// Every process id listed in `dir` and the cgroups below it.
std::vector<pid_t> processes_in(const fs::path& dir) {
  std::vector<fs::path> cgroups{dir};
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_directory(ec)) cgroups.push_back(it->path());
  std::vector<pid_t> pids;
  for (const auto& cgroup : cgroups) {
    std::ifstream procs(cgroup / "cgroup.procs");
    long pid = 0;
    while (procs >> pid)
      if (pid > 0) pids.push_back(static_cast<pid_t>(pid));
  }
  return pids;
}

// Kills what runs in `dir` and below, waits until it is empty, removes the folders
// bottom-up. A killed process leaves cgroup.procs when it exits, zombie or not (measured
// here: an unreaped child is gone from the list and rmdir succeeds), so no reaping needed.
// A process that enters while this runs (a child entering itself after fork) makes rmdir
// fail with EBUSY: then kill again.
std::expected<void, CgroupError> kill_and_remove(const fs::path& dir, CgroupVersion version) {
  const pid_t self = ::getpid();
  // 5 s: a process killed while in the kernel (e.g. an fallocate) leaves when the call
  // returns; measured here as a few milliseconds.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    if (!path_exists(dir)) return {};
    if (version == CgroupVersion::v2 && path_exists(dir / "cgroup.kill"))
      (void)write_raw((dir / "cgroup.kill").c_str(), "1");
    const auto pids = processes_in(dir);
    if (std::ranges::find(pids, self) != pids.end())
      return std::unexpected(error(
          CgroupErrorKind::busy,
          "this process is itself in " + dir.string() + ", which it was asked to remove; remove it from elsewhere"));
    for (const pid_t pid : pids) ::kill(pid, SIGKILL);
    int code = 0;
    fs::path failed;
    if (pids.empty()) {
      std::vector<fs::path> cgroups;
      std::error_code ec;
      for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_directory(ec)) cgroups.push_back(it->path());
      std::ranges::sort(cgroups,
                        [](const fs::path& a, const fs::path& b) { return a.native().size() > b.native().size(); });
      cgroups.push_back(dir);
      for (const auto& cgroup : cgroups) {
        if (::rmdir(cgroup.c_str()) == 0 || errno == ENOENT) continue;
        code = errno;
        failed = cgroup;
        break;
      }
      if (code == 0) return {};
      if (code != EBUSY)
        return std::unexpected(error(CgroupErrorKind::io, "cannot remove cgroup " + failed.string() + ": " +
                                                              errno_text(code) + "; check its permissions"));
    }
    if (std::chrono::steady_clock::now() > deadline)
      return std::unexpected(
          error(CgroupErrorKind::busy, "processes are still in " + dir.string() +
                                           " 5 s after SIGKILL; look for a process stuck in the kernel (state D)"));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::expected<void, CgroupError> make_cgroup(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0) return {};
  const int code = errno;
  const auto kind =
      (code == EACCES || code == EPERM || code == EROFS) ? CgroupErrorKind::unavailable : CgroupErrorKind::io;
  return std::unexpected(
      error(kind, "cannot create cgroup " + dir.string() + ": " + errno_text(code) +
                      "; give vivarium write access to the cgroup it runs in (e.g. a delegated cgroup)"));
}

std::optional<std::uint64_t> mem_total() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream fields(line);
    std::string key;
    std::uint64_t kib = 0;
    if (fields >> key >> kib && key == "MemTotal:") return kib * 1024;
  }
  return std::nullopt;
}

// Enables the memory (and pids) controllers for children of `dir` on v2.
std::expected<void, int> delegate_controllers(const fs::path& dir) {
  auto controllers = read_text(dir / "cgroup.controllers");
  if (!controllers) return std::unexpected(EIO);
  auto enabled = read_text(dir / "cgroup.subtree_control");
  if (enabled && has_word(*enabled, "memory") && (!has_word(*controllers, "pids") || has_word(*enabled, "pids")))
    return {};
  const std::string request = has_word(*controllers, "pids") ? "+memory +pids" : "+memory";
  return write_raw((dir / "cgroup.subtree_control").c_str(), request);
}

}  // namespace

std::expected<CgroupSystem, CgroupError> CgroupSystem::of_this_process() {
  auto text = read_text("/proc/self/cgroup");
  if (!text)
    return std::unexpected(
        error(CgroupErrorKind::unavailable,
              "this kernel has no /proc/self/cgroup, so no cgroups; memory stays watched by RSS only"));
  return CgroupSystem{"/sys/fs/cgroup", *text};
}

std::expected<CgroupMembership, CgroupError> parse_proc_cgroup(std::string_view text) {
  CgroupMembership membership;
  std::istringstream lines{std::string(text)};
  std::string line;
  bool any = false;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const auto first = line.find(':');
    const auto second = first == std::string::npos ? std::string::npos : line.find(':', first + 1);
    if (second == std::string::npos || first == 0 || line.size() == second + 1 || line[second + 1] != '/')
      return std::unexpected(error(CgroupErrorKind::invalid,
                                   "malformed /proc/self/cgroup line \"" + line + "\"; expected id:controllers:/path"));
    const std::string id = line.substr(0, first);
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    any = true;
    if (id == "0" && controllers.empty()) {
      membership.unified = path;
      continue;
    }
    std::istringstream names(controllers);
    std::string name;
    while (std::getline(names, name, ','))
      if (!name.empty()) membership.v1[name] = path;
  }
  if (!any)
    return std::unexpected(error(CgroupErrorKind::invalid, "/proc/self/cgroup is empty; check that /proc is mounted"));
  return membership;
}

std::expected<CgroupLayout, CgroupError> detect_cgroups(const CgroupSystem& system) {
  auto membership = parse_proc_cgroup(system.self_cgroup);
  if (!membership) return std::unexpected(membership.error());
  std::string why;
  if (membership->unified) {
    const fs::path mount = path_exists(system.root / "cgroup.controllers") ? system.root : system.root / "unified";
    const fs::path own = below(mount, *membership->unified);
    auto controllers = read_text(own / "cgroup.controllers");
    if (controllers && has_word(*controllers, "memory")) {
      if (::access(own.c_str(), W_OK) == 0) return CgroupLayout{CgroupVersion::v2, own, std::nullopt};
      why = "cgroup v2 " + own.string() + " is not writable (" + errno_text(errno) + ")";
    } else {
      why = "cgroup v2 " + own.string() + " has no memory controller delegated";
    }
  }
  if (auto path = membership->v1.find("memory"); path != membership->v1.end()) {
    const fs::path own = below(system.root / "memory", path->second);
    if (!path_exists(own / "memory.limit_in_bytes")) {
      why += (why.empty() ? "" : ", and ") + ("no cgroup v1 memory controller at " + own.string());
    } else if (::access(own.c_str(), W_OK) != 0) {
      why += (why.empty() ? "" : ", and ") +
             ("cgroup v1 " + own.string() + " is not writable (" + errno_text(errno) + ")");
    } else {
      CgroupLayout layout{CgroupVersion::v1, own, std::nullopt};
      if (auto pids = membership->v1.find("pids"); pids != membership->v1.end()) {
        const fs::path pids_own = below(system.root / "pids", pids->second);
        if (path_exists(pids_own / "cgroup.procs") && ::access(pids_own.c_str(), W_OK) == 0)
          layout.pids_base = pids_own;
      }
      return layout;
    }
  }
  if (why.empty()) why = "this process is in no memory cgroup";
  return std::unexpected(error(CgroupErrorKind::unavailable,
                               why + " under " + system.root.string() +
                                   "; run vivarium with a writable memory cgroup (v2 delegation or v1 memory "
                                   "controller) to enforce memory in the kernel, else only RSS is watched"));
}

std::uint64_t default_memory_budget(const CgroupLayout& layout) {
  std::uint64_t ceiling = mem_total().value_or(0);
  const char* limit_file = layout.version == CgroupVersion::v2 ? "memory.max" : "memory.limit_in_bytes";
  // The nearest capped ancestor bounds us too ("max" and v1's huge "unlimited" read as no cap).
  for (fs::path dir = layout.memory_base; path_exists(dir / limit_file); dir = dir.parent_path()) {
    if (auto text = read_text(dir / limit_file))
      if (auto limit = to_number(*text); limit && (ceiling == 0 || *limit < ceiling)) ceiling = *limit;
    if (dir == dir.parent_path()) break;
  }
  if (ceiling == 0) ceiling = std::uint64_t{4} << 30;  // no MemTotal: a modest guess
  return ceiling / 4 * 3;
}

SessionCgroup::SessionCgroup(CgroupVersion version, fs::path memory_dir, std::optional<fs::path> pids_dir)
    : version_(version),
      memory_dir_(std::move(memory_dir)),
      pids_dir_(std::move(pids_dir)),
      memory_procs_((memory_dir_ / "cgroup.procs").string()),
      pids_procs_(pids_dir_ ? (*pids_dir_ / "cgroup.procs").string() : std::string()) {}

std::expected<void, CgroupError> SessionCgroup::add(pid_t pid) const {
  const std::string value = std::to_string(pid);
  if (auto added = write_text(memory_procs_, value); !added) return added;
  if (!pids_procs_.empty()) return write_text(pids_procs_, value);
  return {};
}

std::vector<std::string> SessionCgroup::folders() const {
  std::vector<std::string> folders{memory_dir_.string()};
  if (pids_dir_) folders.push_back(pids_dir_->string());
  return folders;
}

std::expected<void, int> enter_cgroup(const char* procs_file) noexcept { return write_raw(procs_file, "0"); }

std::expected<void, int> SessionCgroup::enter_self() const noexcept {
  // "0" names the writer on both versions.
  if (auto entered = write_raw(memory_procs_.c_str(), "0"); !entered) return entered;
  if (!pids_procs_.empty()) return write_raw(pids_procs_.c_str(), "0");
  return {};
}

std::expected<bool, CgroupError> SessionCgroup::oom_killed() const {
  auto kills = version_ == CgroupVersion::v2 ? read_keyed(memory_dir_ / "memory.events", "oom_kill")
                                             : read_keyed(memory_dir_ / "memory.oom_control", "oom_kill");
  if (!kills) return std::unexpected(kills.error());
  return *kills > 0;
}

std::expected<std::uint64_t, CgroupError> SessionCgroup::usage() const {
  auto charged =
      read_number(memory_dir_ / (version_ == CgroupVersion::v2 ? "memory.current" : "memory.usage_in_bytes"));
  if (!charged) return charged;
  // Inactive file cache goes first when memory runs short: admitting on it would refuse
  // sessions for cache the kernel gives back (as a kubelet's "working set" does).
  auto cache =
      read_keyed(memory_dir_ / "memory.stat", version_ == CgroupVersion::v2 ? "inactive_file" : "total_inactive_file");
  if (!cache) return std::unexpected(cache.error());
  return *charged > *cache ? *charged - *cache : 0;
}

std::expected<void, CgroupError> SessionCgroup::remove() const {
  if (auto removed = kill_and_remove(memory_dir_, version_); !removed) return removed;
  if (pids_dir_) return kill_and_remove(*pids_dir_, version_);
  return {};
}

namespace {
// The inode number of this process's pid namespace ("pid:[4026531836]" -> "4026531836").
std::expected<std::string, CgroupError> own_pid_namespace() {
  std::error_code ec;
  const std::string link = fs::read_symlink("/proc/self/ns/pid", ec).string();
  const auto open = link.find('['), close = link.find(']');
  if (ec || open == std::string::npos || close == std::string::npos || close <= open + 1)
    return std::unexpected(error(CgroupErrorKind::io, "cannot read /proc/self/ns/pid to name a cgroup; mount /proc"));
  return link.substr(open + 1, close - open - 1);
}
}  // namespace

std::expected<std::string, CgroupError> budget_name_for(pid_t pid) {
  auto stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  if (!stat)
    return std::unexpected(error(CgroupErrorKind::io, "no process " + std::to_string(pid) + " to name a cgroup after"));
  // Field 22 (starttime), counted after the command name's closing parenthesis, which may
  // itself hold spaces and parentheses.
  const auto close = stat->rfind(')');
  if (close == std::string::npos)
    return std::unexpected(error(CgroupErrorKind::invalid, "malformed /proc/" + std::to_string(pid) + "/stat"));
  std::istringstream fields(stat->substr(close + 1));
  std::string field;
  // The pid namespace too: a pid means nothing outside its namespace, and servers in
  // different ones (`unshare --pid`, a container sharing the host's cgroups) share one
  // cgroup tree, where each would otherwise take the other's live budgets for stale.
  const auto ns = own_pid_namespace();
  if (!ns) return std::unexpected(ns.error());
  for (int index = 3; index <= 22 && fields >> field; ++index)
    if (index == 22) return std::string(kBudgetPrefix) + std::to_string(pid) + "-" + field + "-" + *ns;
  return std::unexpected(error(CgroupErrorKind::invalid, "malformed /proc/" + std::to_string(pid) + "/stat"));
}

std::expected<int, CgroupError> remove_stale_budgets(const CgroupLayout& layout) {
  int removed = 0;
  const auto own_namespace = own_pid_namespace();
  if (!own_namespace) return std::unexpected(own_namespace.error());
  std::vector<fs::path> bases{layout.memory_base};
  if (layout.pids_base) bases.push_back(*layout.pids_base);
  for (const auto& base : bases) {
    std::error_code ec;
    std::vector<fs::path> stale;
    for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_directory(ec)) continue;
      std::string name = it->path().filename().string();
      if (!name.starts_with(kBudgetPrefix)) continue;
      std::string owner = name;
      if (owner.ends_with(kServerLeafSuffix)) owner.resize(owner.size() - kServerLeafSuffix.size());
      // vivarium-<pid>-<start>-<pid namespace>, all digits, nothing else; and only this
      // namespace's: another's pids cannot be looked up here (its owner may well run).
      const std::string_view rest = std::string_view(owner).substr(kBudgetPrefix.size());
      const auto dash = rest.find('-');
      const auto last = rest.rfind('-');
      const auto digits = [](std::string_view text) {
        return !text.empty() && std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
      };
      if (dash == std::string_view::npos || last == dash || !digits(rest.substr(0, dash)) ||
          !digits(rest.substr(dash + 1, last - dash - 1)) || rest.substr(last + 1) != *own_namespace)
        continue;
      pid_t pid = 0;
      std::from_chars(rest.data(), rest.data() + dash, pid);
      auto live = budget_name_for(pid);
      if (live && *live == owner) continue;  // its owner runs
      stale.push_back(it->path());
    }
    for (const auto& dir : stale) {
      if (auto gone = kill_and_remove(dir, layout.version); !gone) return std::unexpected(gone.error());
      if (base == layout.memory_base) ++removed;
    }
  }
  return removed;
}

std::expected<MemoryBudget, CgroupError> MemoryBudget::open(const CgroupLayout& layout, std::uint64_t budget_bytes) {
  if (budget_bytes == 0) budget_bytes = default_memory_budget(layout);
  if (auto cleaned = remove_stale_budgets(layout); !cleaned) return std::unexpected(cleaned.error());
  auto name = budget_name_for(::getpid());
  if (!name) return std::unexpected(name.error());
  const fs::path memory_dir = layout.memory_base / *name;
  const std::optional<fs::path> pids_dir =
      layout.pids_base ? std::optional<fs::path>(*layout.pids_base / *name) : std::nullopt;
  // A parent of this very process exists only when an earlier open in it did not remove
  // its own: start afresh.
  SessionCgroup self(layout.version, memory_dir, pids_dir);
  if (auto old = self.remove(); !old) return std::unexpected(old.error());

  if (layout.version == CgroupVersion::v2) {
    auto delegated = delegate_controllers(layout.memory_base);
    if (!delegated && delegated.error() == EBUSY) {
      // The no-internal-process rule: a cgroup with processes cannot hand controllers to
      // children. When vivarium is alone in its cgroup (a systemd unit with Delegate=yes),
      // it moves into a leaf of its own and tries again.
      const auto others = processes_in(layout.memory_base);
      const auto is_self = [](pid_t pid) { return pid == ::getpid(); };
      const fs::path leaf = layout.memory_base / (*name + std::string(kServerLeafSuffix));
      if (!others.empty() && std::ranges::all_of(others, is_self) && ::mkdir(leaf.c_str(), 0755) == 0 &&
          write_raw((leaf / "cgroup.procs").c_str(), "0"))
        delegated = delegate_controllers(layout.memory_base);
    }
    if (!delegated)
      return std::unexpected(error(CgroupErrorKind::unavailable,
                                   "cannot enable the memory controller below " + layout.memory_base.string() + ": " +
                                       errno_text(delegated.error()) +
                                       "; run vivarium alone in a delegated cgroup v2 (e.g. systemd Delegate=yes)"));
  }
  if (auto made = make_cgroup(memory_dir); !made) return std::unexpected(made.error());
  auto fail = [&](CgroupError why) -> std::expected<MemoryBudget, CgroupError> {
    (void)self.remove();
    return std::unexpected(std::move(why));
  };
  const std::string bytes = std::to_string(budget_bytes);
  if (layout.version == CgroupVersion::v2) {
    if (auto delegated = delegate_controllers(memory_dir); !delegated)
      return fail(error(CgroupErrorKind::io, "cannot enable the memory controller in " + memory_dir.string() + ": " +
                                                 errno_text(delegated.error()) + "; check the cgroup's delegation"));
    if (auto set = write_text(memory_dir / "memory.max", bytes); !set) return fail(set.error());
    if (path_exists(memory_dir / "memory.swap.max"))
      if (auto set = write_text(memory_dir / "memory.swap.max", "0"); !set) return fail(set.error());
  } else {
    // Kernels since 5.x force use_hierarchy=1; an older one with 0 would cap nothing below.
    if (auto hierarchy = read_number(memory_dir / "memory.use_hierarchy"); hierarchy && *hierarchy == 0)
      if (auto set = write_text(memory_dir / "memory.use_hierarchy", "1"); !set) return fail(set.error());
    if (auto set = write_text(memory_dir / "memory.limit_in_bytes", bytes); !set) return fail(set.error());
    if (path_exists(memory_dir / "memory.memsw.limit_in_bytes"))
      if (auto set = write_text(memory_dir / "memory.memsw.limit_in_bytes", bytes); !set) return fail(set.error());
    if (pids_dir)
      if (auto made = make_cgroup(*pids_dir); !made) return fail(made.error());
  }
  return MemoryBudget(layout, std::move(self), budget_bytes);
}

std::expected<SessionCgroup, CgroupError> MemoryBudget::create_session(std::string_view name, std::uint64_t memory_cap,
                                                                       std::uint64_t pids_cap) const {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos)
    return std::unexpected(error(
        CgroupErrorKind::invalid,
        "session cgroup name \"" + std::string(name) + "\" is not one path element; use letters, digits and dashes"));
  const fs::path memory_dir = self_.memory_dir() / std::string(name);
  std::optional<fs::path> pids_dir;
  if (layout_.version == CgroupVersion::v2) {
    pids_dir = std::nullopt;
  } else if (self_.pids_dir()) {
    pids_dir = *self_.pids_dir() / std::string(name);
  }
  SessionCgroup session(layout_.version, memory_dir, pids_dir);
  if (auto made = make_cgroup(memory_dir); !made) return std::unexpected(made.error());
  auto fail = [&](CgroupError why) -> std::expected<SessionCgroup, CgroupError> {
    (void)session.remove();
    return std::unexpected(std::move(why));
  };
  const std::string bytes = std::to_string(memory_cap);
  if (layout_.version == CgroupVersion::v2) {
    if (auto set = write_text(memory_dir / "memory.max", bytes); !set) return fail(set.error());
    if (path_exists(memory_dir / "memory.swap.max"))
      if (auto set = write_text(memory_dir / "memory.swap.max", "0"); !set) return fail(set.error());
    // One OOM kill takes the whole session: a session half killed is of no use.
    if (path_exists(memory_dir / "memory.oom.group"))
      if (auto set = write_text(memory_dir / "memory.oom.group", "1"); !set) return fail(set.error());
    if (pids_cap > 0 && path_exists(memory_dir / "pids.max"))
      if (auto set = write_text(memory_dir / "pids.max", std::to_string(pids_cap)); !set) return fail(set.error());
  } else {
    if (auto set = write_text(memory_dir / "memory.limit_in_bytes", bytes); !set) return fail(set.error());
    if (path_exists(memory_dir / "memory.memsw.limit_in_bytes"))
      if (auto set = write_text(memory_dir / "memory.memsw.limit_in_bytes", bytes); !set) return fail(set.error());
    if (pids_dir) {
      if (auto made = make_cgroup(*pids_dir); !made) return fail(made.error());
      if (pids_cap > 0)
        if (auto set = write_text(*pids_dir / "pids.max", std::to_string(pids_cap)); !set) return fail(set.error());
    }
  }
  return session;
}

std::expected<void, CgroupError> MemoryBudget::remove() const { return self_.remove(); }

}  // namespace vivarium::sandbox
