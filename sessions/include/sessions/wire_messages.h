// Every message between the server, the zygote and a session process, each a typed
// struct with one encode and one decode function. A message is one CBOR map with a
// "type" field, carried in one frame (frame_io.h). docs/wire-protocol.md lists them.
//
// Decoders distrust their input: they check nesting depth without recursion
// (cbor_depth.h) before building a value, check every field's type, range and size,
// check output-file names with engine::validate_sandbox_path, never throw, and return a
// WireError naming the first defect.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "engine/execution.h"
#include "engine/interpreter.h"
#include "sessions/wire_error.h"

namespace vivarium::sessions {

using Bytes = std::vector<std::uint8_t>;

// --- server -> zygote: the first frame, what to boot -----------------------------------
// The zygote reads its options here rather than from argv, so that nothing but the
// server's own frame decides what it boots (and argv never carries paths to parse).
struct ZygoteBoot {
  std::uint64_t memory_limit = 0;  // Python's heap cap, bytes
  std::optional<std::string> assets_dir, cache_dir, packages_dir, wheels_dir;
  std::vector<std::string> preload;
};

// --- zygote -> server -------------------------------------------------------------
struct ZygoteReady {
  std::int64_t boot_ms = 0;
  std::vector<std::string> missing_preloads;  // preload packages the zygote could not find
};
struct ZygoteFailed {
  std::string error;  // why it could not boot
};
using ZygoteReport = std::variant<ZygoteReady, ZygoteFailed>;

// --- server -> zygote: fork a session; its socket rides along as a passed descriptor --
// The uid and gid the session switches to when the zygote runs as root (one per live
// session, from --sandbox-uids); 0 and 0 when the server is not root.
struct ForkRequest {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  bool require_full_sandbox = false;  // a layer the machine lacks ends the session instead
  // cgroup folders the child enters before it runs anything (docs/memory-cgroups.md);
  // empty without cgroups.
  std::vector<std::string> cgroups;
  // A spare (zygote.h): it warms itself up after its lock-down, before any request, and
  // is named vivarium-spare until its first execution arrives.
  bool spare = false;
};
// --- zygote -> server ---------------------------------------------------------------
struct ForkReply {
  std::int32_t pid = -1;
};
struct ForkFailed {
  std::string error;
};
using ForkOutcome = std::variant<ForkReply, ForkFailed>;

// --- server -> session ---------------------------------------------------------------
struct ExecRequest {
  std::string code;
  std::vector<engine::SandboxFile> files;
  std::chrono::milliseconds timeout{30000};
  std::uint64_t max_output_bytes = 1 << 20;         // per stream, and the final expression
  std::uint64_t max_output_files_bytes = 50 << 20;  // total
  std::uint64_t max_output_files = 1000;            // count
  std::string globals_json;                         // names bound first (engine::ExecutionRequest)
  bool stream = false;                              // send OutputChunks as Python writes
};
// The answer to a PackageRequest: the wheel's bytes, or nothing when the server will
// not give it (not listed, unreadable).
struct PackageReply {
  std::optional<std::string> wheel;
};
// Asks the running execution to stop (KeyboardInterrupt), as the timeout does.
struct InterruptRequest {};
using ToSession = std::variant<ExecRequest, PackageReply, InterruptRequest>;

// --- session -> server ---------------------------------------------------------------
// While it runs, a session may ask for a wheel (it cannot open files itself).
struct PackageRequest {
  engine::WheelSource source = engine::WheelSource::package_folder;
  std::string file_name;  // a plain file name; the server serves only listed ones
};
// Output as Python writes it, before the result, when the request asked for a stream.
// The session cuts text only between whole UTF-8 sequences, at most kMaxChunkText bytes.
inline constexpr std::size_t kMaxChunkText = 64 * 1024;
struct OutputChunk {
  engine::OutputStream stream = engine::OutputStream::out;
  std::string text;
};
// The end of an execution. final_expression_json is opaque text here: the server
// checks it (final_expression.h) and never parses it recursively.
struct ExecResult {
  engine::ExecutionResult result;
};
using FromSession = std::variant<PackageRequest, OutputChunk, ExecResult>;

// Field bounds the decoders apply (sizes beyond these are bounded by the frame limit).
inline constexpr std::int64_t kMaxTimeoutMs = std::int64_t{7} * 24 * 3600 * 1000;
inline constexpr std::uint64_t kMaxLimitValue = std::uint64_t{1} << 40;
inline constexpr std::size_t kMaxFilesPerMessage = 100000;
inline constexpr std::size_t kMaxShortText = 4096;  // names, exception classes

Bytes encode(const ZygoteBoot&);
Bytes encode(const ZygoteReady&);
Bytes encode(const ZygoteFailed&);
Bytes encode(const ForkRequest&);
Bytes encode(const ForkReply&);
Bytes encode(const ForkFailed&);
Bytes encode(const ExecRequest&);
Bytes encode(const PackageReply&);
Bytes encode(const InterruptRequest&);
Bytes encode(const PackageRequest&);
Bytes encode(const OutputChunk&);
Bytes encode(const ExecResult&);

std::expected<ZygoteBoot, WireError> decode_zygote_boot(std::span<const std::uint8_t> frame);
std::expected<ZygoteReport, WireError> decode_zygote_report(std::span<const std::uint8_t> frame);
std::expected<ForkRequest, WireError> decode_fork_request(std::span<const std::uint8_t> frame);
std::expected<ForkOutcome, WireError> decode_fork_outcome(std::span<const std::uint8_t> frame);
std::expected<ToSession, WireError> decode_to_session(std::span<const std::uint8_t> frame);
std::expected<FromSession, WireError> decode_from_session(std::span<const std::uint8_t> frame);

}  // namespace vivarium::sessions
