// The cached memory snapshot's file: Pyodide's snapshot ([header][memory image], the
// header's length in its second u32) followed by the cache trailer (cache_trailer.h).
// No V8 here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "src/cache_trailer.h"

namespace vivarium::engine::detail {

inline constexpr std::string_view kSnapshotMagic{"vivarium-snap-1\n", 16};

struct SnapshotLayout {
  std::size_t header_length;  // Pyodide's header, at the start of the file
  std::size_t total_length;   // header and memory image: what Pyodide's snapshot was
};

// The layout of a snapshot file's bytes, or nullopt when they are not a whole snapshot.
inline std::optional<SnapshotLayout> snapshot_layout(const std::uint8_t* data, std::size_t size) {
  const auto total = cached_content_length(data, size, kSnapshotMagic);
  if (!total || *total < 16) return std::nullopt;
  std::uint32_t header = 0;
  std::memcpy(&header, data + 4, sizeof header);
  if (header < 16 || header % 4 != 0 || header > *total) return std::nullopt;
  return SnapshotLayout{header, *total};
}

// The file's bytes for one of Pyodide's snapshots.
inline std::string snapshot_file_bytes(std::string pyodide_snapshot) {
  return with_cache_trailer(std::move(pyodide_snapshot), kSnapshotMagic);
}

}  // namespace vivarium::engine::detail
