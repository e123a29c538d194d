// The cached memory snapshot's file: Pyodide's snapshot ([header][memory image], the
// header's length in its second u32) followed by vivarium's trailer, which says the file
// is complete. A file cut short (or not a snapshot at all) is refused before anything of
// it reaches the interpreter, and the boot makes a new one. No V8 here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace vivarium::engine::detail {

struct SnapshotLayout {
  std::size_t header_length;  // Pyodide's header, at the start of the file
  std::size_t total_length;   // header and memory image: what Pyodide's snapshot was
};

inline constexpr std::string_view kSnapshotMagic{"vivarium-snap-1\n", 16};
inline constexpr std::size_t kSnapshotTrailer = kSnapshotMagic.size() + sizeof(std::uint64_t);

// The layout of a snapshot file's bytes, or nullopt when they are not a whole snapshot.
inline std::optional<SnapshotLayout> snapshot_layout(const std::uint8_t* data, std::size_t size) {
  if (size < kSnapshotTrailer + 16) return std::nullopt;
  const std::uint8_t* trailer = data + size - kSnapshotTrailer;
  if (std::memcmp(trailer, kSnapshotMagic.data(), kSnapshotMagic.size()) != 0) return std::nullopt;
  std::uint64_t total = 0;
  std::memcpy(&total, trailer + kSnapshotMagic.size(), sizeof total);
  std::uint32_t header = 0;
  std::memcpy(&header, data + 4, sizeof header);
  if (total != size - kSnapshotTrailer || header < 16 || header % 4 != 0 || header > total) return std::nullopt;
  return SnapshotLayout{header, static_cast<std::size_t>(total)};
}

// The file's bytes for one of Pyodide's snapshots.
inline std::string snapshot_file_bytes(std::string pyodide_snapshot) {
  const std::uint64_t total = pyodide_snapshot.size();
  pyodide_snapshot.append(kSnapshotMagic);
  pyodide_snapshot.append(reinterpret_cast<const char*>(&total), sizeof total);
  return pyodide_snapshot;
}

}  // namespace vivarium::engine::detail
