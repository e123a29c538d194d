// Value syntaxes shared by `vivarium run` flags and `vivarium serve` settings.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace vivarium::units {

// "256M", "2G", "512k", "1048576B"; a plain number means MiB. Suffixes (B, K, M, G, T)
// are binary (K = 1024) and case-insensitive; "MiB"/"GB" spellings are accepted too.
std::expected<std::uint64_t, std::string> parse_size(std::string_view text);

// "512M", "1G", "1.5K": the short form of a byte count, for messages; at most one
// decimal, and parse_size reads it back (to within that rounding).
std::string format_size(std::uint64_t bytes);

// Seconds, decimals allowed ("2.5"); must be positive and finite.
std::expected<std::chrono::milliseconds, std::string> parse_seconds(std::string_view text);

}  // namespace vivarium::units
