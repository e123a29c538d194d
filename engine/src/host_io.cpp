// Small helpers shared by the engine's V8 glue: strings, exceptions, host file access.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <expected>

#include "src/isolate_state.h"

namespace vivarium::engine::detail {
namespace fs = std::filesystem;

v8::Local<v8::String> to_v8(v8::Isolate* isolate, std::string_view text) {
  return v8::String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal, static_cast<int>(text.size()))
      .ToLocalChecked();
}

std::string to_std(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::String::Utf8Value utf8(isolate, value);
  return *utf8 ? std::string(*utf8, static_cast<std::size_t>(utf8.length())) : std::string();
}

void throw_error(v8::Isolate* isolate, std::string_view message, std::string_view kind) {
  auto text = to_v8(isolate, message);
  v8::Local<v8::Value> error;
  if (kind == "TypeError")
    error = v8::Exception::TypeError(text);
  else if (kind == "RangeError")
    error = v8::Exception::RangeError(text);
  else
    error = v8::Exception::Error(text);
  isolate->ThrowException(error);
}

v8::Local<v8::Value> get_property(v8::Local<v8::Context> context, v8::Local<v8::Object> object, const char* key) {
  auto* isolate = context->GetIsolate();
  v8::Local<v8::Value> value;
  if (!object->Get(context, to_v8(isolate, key)).ToLocal(&value)) return v8::Undefined(isolate);
  return value;
}

std::string copy_bytes(v8::Local<v8::Value> value) {
  if (!value->IsArrayBufferView()) return {};
  auto view = value.As<v8::ArrayBufferView>();
  std::string bytes(view->ByteLength(), '\0');
  if (!bytes.empty()) view->CopyContents(bytes.data(), bytes.size());
  return bytes;
}

v8::Local<v8::Uint8Array> new_uint8array(v8::Isolate* isolate, std::string_view bytes) {
  auto buffer = v8::ArrayBuffer::New(isolate, bytes.size());
  if (!bytes.empty()) std::memcpy(buffer->GetBackingStore()->Data(), bytes.data(), bytes.size());
  return v8::Uint8Array::New(buffer, 0, bytes.size());
}

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

namespace {
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
}  // namespace

void save_cache_file(IsolateState& state, const fs::path& path, const void* data, std::size_t size) {
  if (state.cache_unwritable) return;
  auto written = write_file_atomically(path, data, size);
  if (written) return;
  state.cache_unwritable = true;
  if (state.notice)
    state.notice("warning: cannot write the code cache in " + path.parent_path().string() + " (" + written.error() +
                 "); running uncached, so every start compiles again: make that folder writable, free space on it, "
                 "or choose another with --cache-dir");
}

std::optional<fs::path> allowed_host_path(const IsolateState& state, std::string_view requested) {
  if (requested.empty() || requested.find('\0') != std::string_view::npos) return std::nullopt;
  std::string text(requested);
  if (text.starts_with("file://")) text.erase(0, 7);
  fs::path path(text);
  if (path.is_relative()) path = state.assets_dir / path;
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
  if (inside(state.assets_dir)) return resolved;
  if (inside(state.packages.dir) && resolved.filename() == "pyodide-lock.json") return resolved;
  return std::nullopt;
}

}  // namespace vivarium::engine::detail
