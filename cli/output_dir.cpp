#include "cli/output_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/sandbox_path.h"

namespace vivarium::cli {
namespace fs = std::filesystem;
namespace {

std::string errno_text() { return std::strerror(errno); }

// Opens (creating) each directory component relative to parent without following links.
int open_directory_chain(int parent, const std::vector<std::string>& components, std::string& error) {
  int current = ::dup(parent);
  for (const auto& component : components) {
    if (::mkdirat(current, component.c_str(), 0755) != 0 && errno != EEXIST) {
      error = "cannot create directory '" + component + "': " + errno_text();
      ::close(current);
      return -1;
    }
    const int next = ::openat(current, component.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    ::close(current);
    if (next < 0) {
      error = "cannot open directory '" + component + "': " + errno_text();
      return -1;
    }
    current = next;
  }
  return current;
}

}  // namespace

std::expected<void, std::string> write_output_files(const fs::path& dir,
                                                    const std::vector<engine::SandboxFile>& files) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return std::unexpected("cannot create output directory " + dir.string() + ": " + ec.message());
  const int root = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return std::unexpected("cannot open output directory " + dir.string() + ": " + errno_text());
  std::string failure;
  for (const auto& file : files) {
    auto name = engine::validate_sandbox_path(file.path);
    if (!name) {
      failure = "refusing output file '" + file.path + "': " + name.error();
      break;
    }
    std::vector<std::string> components;
    for (const auto& part : fs::path(*name)) components.push_back(part.string());
    const std::string leaf = components.back();
    components.pop_back();
    const int parent = open_directory_chain(root, components, failure);
    if (parent < 0) break;
    const int fd = ::openat(parent, leaf.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    ::close(parent);
    if (fd < 0) {
      failure = "cannot write " + (dir / *name).string() + ": " + errno_text();
      break;
    }
    std::size_t done = 0;
    while (done < file.data.size()) {
      const ssize_t wrote = ::write(fd, file.data.data() + done, file.data.size() - done);
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote <= 0) break;
      done += static_cast<std::size_t>(wrote);
    }
    ::close(fd);
    if (done != file.data.size()) {
      failure = "cannot write " + (dir / *name).string() + ": " + errno_text();
      break;
    }
  }
  ::close(root);
  if (!failure.empty()) return std::unexpected(failure);
  return {};
}

}  // namespace vivarium::cli
