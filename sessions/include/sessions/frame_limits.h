// The largest frame each direction may carry, computed from the configured limits so that
// an honest message always fits and a hostile session cannot make the server read more.
#pragma once

#include <cstdint>

namespace vivarium::sessions {

struct ConfiguredLimits {
  std::uint64_t max_body_size = 0;          // --max-body-size
  std::uint64_t largest_wheel = 0;          // the largest wheel the server may hand out
  std::uint64_t max_output_size = 0;        // --max-output-size (per stream)
  std::uint64_t max_output_files_size = 0;  // --max-output-files-size
  std::uint64_t max_output_files = 0;       // --max-output-files
};

// Bytes an honest session's error fields (message, traceback) may take each; the
// session cuts them with the output marker past this.
inline constexpr std::uint64_t kMaxErrorTextBytes = 64 * 1024;
// Room for CBOR framing, field names, small fields, the truncation markers and the
// notes naming left-out output files (20 names of at most 4096 bytes, then a count).
inline constexpr std::uint64_t kFrameSlack = 256 * 1024;
// Per output file: its name (validate_sandbox_path allows 255 per component; 4096 in
// all) and its CBOR wrapping.
inline constexpr std::uint64_t kMaxPathBytes = 4096;
inline constexpr std::uint64_t kPerFileOverhead = kMaxPathBytes + 64;
// Zygote reports and fork replies are small (a pid, a list of package names).
inline constexpr std::uint64_t kZygoteFrameLimit = 1 << 20;

// What a session accepts from the server. The session trusts the server (whose own
// limits are under 1 GiB); this bounds only what a bug could make it allocate.
inline constexpr std::uint64_t kSessionInboundFrameLimit = std::uint64_t{3} << 30;

struct FrameLimits {
  std::uint64_t to_session = 0;    // exec requests and wheels
  std::uint64_t from_session = 0;  // results, wheel requests, output chunks
};

FrameLimits frame_limits(const ConfiguredLimits& limits);

}  // namespace vivarium::sessions
