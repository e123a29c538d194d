// The trailer every cache file of vivarium's own ends in: 16 bytes naming the file's kind
// and the length of what precedes it, as a little-endian u64. A file cut short (a full
// disk, a copy that stopped) or of another kind is refused, and the boot makes it again,
// instead of feeding V8 a partial module (which crashed in the code it lacked) or Python
// a partial memory image. No V8 here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace vivarium::engine::detail {

inline constexpr std::size_t kCacheTrailerSize = 16 + sizeof(std::uint64_t);

// The length of the content before the trailer, or nullopt when the file is not whole.
// magic is 16 bytes.
inline std::optional<std::size_t> cached_content_length(const std::uint8_t* data, std::size_t size,
                                                        std::string_view magic) {
  if (magic.size() != 16 || size < kCacheTrailerSize) return std::nullopt;
  const std::uint8_t* trailer = data + size - kCacheTrailerSize;
  if (std::memcmp(trailer, magic.data(), magic.size()) != 0) return std::nullopt;
  std::uint64_t length = 0;
  std::memcpy(&length, trailer + magic.size(), sizeof length);
  if (length != size - kCacheTrailerSize) return std::nullopt;
  return static_cast<std::size_t>(length);
}

// content followed by its trailer: the bytes of the cache file.
inline std::string with_cache_trailer(std::string content, std::string_view magic) {
  const std::uint64_t length = content.size();
  content.append(magic);
  content.append(reinterpret_cast<const char*>(&length), sizeof length);
  return content;
}

}  // namespace vivarium::engine::detail
