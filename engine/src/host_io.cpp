#include "src/host_io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vivarium::engine::detail {
namespace fs = std::filesystem;

std::optional<std::string> read_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<std::string> content;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t got = ::read(fd, bytes.data() + done, bytes.size() - done);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      done += static_cast<std::size_t>(got);
    }
    if (done == bytes.size()) content = std::move(bytes);
  }
  ::close(fd);
  return content;
}

std::shared_ptr<MappedFile> MappedFile::open(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  void* data = MAP_FAILED;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    data = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (data == MAP_FAILED) return nullptr;
  return std::shared_ptr<MappedFile>(
      new MappedFile(static_cast<const std::uint8_t*>(data), static_cast<std::size_t>(st.st_size)));
}

MappedFile::~MappedFile() { ::munmap(const_cast<std::uint8_t*>(data_), size_); }

std::expected<void, std::string> write_file_atomically(const fs::path& path, const void* data, std::size_t size) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return std::unexpected(ec.message());
  const fs::path temp = path.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return std::unexpected(std::string(std::strerror(errno)));
  const char* bytes = static_cast<const char*>(data);
  std::size_t written = 0;
  int error = 0;
  while (written < size) {
    const ssize_t n = ::write(fd, bytes + written, size - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno : ENOSPC;
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && error == 0) error = errno;  // a full disk may show only here
  if (error == 0) {
    fs::rename(temp, path, ec);
    if (!ec) return {};
  }
  fs::remove(temp, ec);
  return std::unexpected(std::string(std::strerror(error != 0 ? error : EIO)));
}

namespace {
constexpr std::string_view kFileScheme = "file://";
}

std::optional<std::string_view> path_of_file_url(std::string_view text) {
  if (!text.starts_with(kFileScheme)) return std::nullopt;
  return text.substr(kFileScheme.size());
}

std::string_view strip_file_scheme(std::string_view text) { return path_of_file_url(text).value_or(text); }

std::string file_url(const fs::path& path) { return std::string(kFileScheme) + path.string(); }

std::optional<fs::path> visible_host_path(const fs::path& assets_dir, const fs::path& package_dir,
                                          std::string_view requested) {
  if (requested.empty() || requested.find('\0') != std::string_view::npos) return std::nullopt;
  fs::path path(strip_file_scheme(requested));
  if (path.is_relative()) path = assets_dir / path;
  std::error_code ec;
  // canonical() resolves symlinks and "..", so the prefix check below cannot be fooled.
  const fs::path resolved = fs::canonical(path, ec);
  if (ec || !fs::is_regular_file(resolved, ec)) return std::nullopt;
  auto inside = [&](const fs::path& dir) {
    if (dir.empty()) return false;
    const auto rel = resolved.lexically_relative(dir);
    return !rel.empty() && !rel.native().starts_with("..");
  };
  // read() also serves the package folder's lock file, which Pyodide reads as text.
  if (inside(assets_dir)) return resolved;
  if (inside(package_dir) && resolved.filename() == "pyodide-lock.json") return resolved;
  return std::nullopt;
}

}  // namespace vivarium::engine::detail
