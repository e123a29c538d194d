// The engine's access to host files: whole-file reads, read-only mappings, atomic cache
// writes, `file://` URLs, and the rule for which host files JS may see. No V8 here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace vivarium::engine::detail {

// Reads a whole file; nullopt when it cannot be read.
std::optional<std::string> read_file(const std::filesystem::path& path);

// A read-only memory mapping of a whole file: big assets and caches (tens of MB) are
// handed to V8 without copying them through the heap.
class MappedFile {
 public:
  static std::shared_ptr<MappedFile> open(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  MappedFile(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  const std::uint8_t* data_;
  std::size_t size_;
};

// Writes a file atomically (temp + rename), creating its folder; the error is strerror's.
std::expected<void, std::string> write_file_atomically(const std::filesystem::path& path, const void* data,
                                                       std::size_t size);

// The path a `file://` URL names, or nullopt when text is not one.
std::optional<std::string_view> path_of_file_url(std::string_view text);
// The path a `file://` URL names, or text itself when it is not one (JS hands the engine
// both forms).
std::string_view strip_file_scheme(std::string_view text);
std::string file_url(const std::filesystem::path& path);

// Resolves a path that JS asked for (relative ones against assets_dir) and returns it
// only when it is a regular file inside assets_dir, or package_dir's pyodide-lock.json.
// Everything else on the host is invisible to JS.
std::optional<std::filesystem::path> visible_host_path(const std::filesystem::path& assets_dir,
                                                       const std::filesystem::path& package_dir,
                                                       std::string_view requested);

}  // namespace vivarium::engine::detail
