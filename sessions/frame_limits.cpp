#include "sessions/frame_limits.h"

#include <algorithm>

namespace vivarium::sessions {

FrameLimits frame_limits(const ConfiguredLimits& limits) {
  FrameLimits frames;
  // An exec request carries the code and the uploaded files, decoded from a body of at
  // most max_body_size (base64 only shrinks); a wheel reply carries one wheel.
  frames.to_session = std::max(limits.max_body_size, limits.largest_wheel) + kFrameSlack;
  // A result: std_out and std_err (each capped, plus a marker), the final expression
  // (capped at max_output_size, plus one byte that says it was cut), the output files
  // and their names, two error texts and room.
  frames.from_session = 3 * limits.max_output_size + 1 + limits.max_output_files_size +
                        limits.max_output_files * kPerFileOverhead + 2 * kMaxErrorTextBytes + kFrameSlack;
  return frames;
}

}  // namespace vivarium::sessions
