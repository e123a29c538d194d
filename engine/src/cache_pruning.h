// Keeping the code-cache folder from growing without bound.
#pragma once

#include <cstddef>
#include <filesystem>

namespace vivarium::engine::detail {
// Each V8 build and memory limit has its own 21 MB wasm cache; keeps the `keep` most
// recently written ones (and their JS code caches) and deletes the rest.
void prune_old_caches(const std::filesystem::path& dir, std::size_t keep);
}  // namespace vivarium::engine::detail
