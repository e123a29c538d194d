// Checks that bytes are exactly one well-formed CBOR item nested at most max_depth deep,
// without recursing past that depth, before nlohmann's reader (which recurses once per
// level: 2,000,000 nested arrays overflow the stack) builds a value from them.
#pragma once

#include <cstdint>
#include <expected>
#include <span>

#include "sessions/wire_error.h"

namespace vivarium::sessions {

// Messages nest at most 3 deep (message > files > file); a little room beyond that.
inline constexpr std::size_t kMaxNestingDepth = 8;

std::expected<void, WireError> check_cbor(std::span<const std::uint8_t> bytes,
                                          std::size_t max_depth = kMaxNestingDepth);

}  // namespace vivarium::sessions
