// The limits on what one execution returns, applied by the session before it sends its
// result (so that the result fits its frame) and again by the server after decoding it:
// a session that left the engine's path may send anything its frame limit allows.
#pragma once

#include <cstdint>

#include "engine/execution.h"

namespace vivarium::sessions {

struct ResultLimits {
  std::uint64_t max_output_bytes = 1 << 20;         // std_out, std_err (each) and the final expression
  std::uint64_t max_output_files_bytes = 50 << 20;  // total size of output files
  std::uint64_t max_output_files = 1000;            // number of output files
};

// Room past a limit that an engine-cut text takes for its marker.
inline constexpr std::uint64_t kMarkerRoom = 96;

// Leaves text of at most limit + room bytes alone; cuts longer text to limit bytes (not
// inside a UTF-8 character) and ends it with the engine's marker.
void cut_output(std::string& text, std::uint64_t limit, std::uint64_t room);

// Keeps output files in order while both their number and their total size fit; the
// ones left out are named in std_err (the first 20, then a count), so the caller knows
// what is missing and why.
void apply_output_files_limit(engine::ExecutionResult& result, const ResultLimits& limits);

// Everything: std_out and std_err, then output files (their notes follow std_err's
// marker), then the error texts and the final expression, which keeps limit + 1 bytes at most
// (the final-expression check sees that it was over and replaces it).
void apply_result_limits(engine::ExecutionResult& result, const ResultLimits& limits);

}  // namespace vivarium::sessions
