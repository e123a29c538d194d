// Frames between the server, the zygote and session processes (sessions/wire_messages.h),
// as a session that left the engine's path could write them: each input goes to every
// decoder, and a decoded result then goes through what the server does with it
// (sessions/result_limits.h, server/result_json.h).
// Invariants:
// - a decoder never crashes, throws or recurses past the depth check; a refused frame
//   gives an error of one short line (at most ~300 bytes, control characters escaped);
// - an accepted message is within its field bounds (output-file names normal and inside
//   the sandbox, times and limits in range, short texts short), and encoding it and
//   decoding again gives the same message;
// - whatever a session's result holds, after the server applies its limits (tight ones
//   here: 64-byte outputs, 2 files, 100 bytes of files) every output is within them, and
//   the reply is valid JSON (UTF-8) that parses back.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <variant>

#include "engine/sandbox_path.h"
#include "fuzz_check.h"
#include "server/result_json.h"
#include "sessions/cbor_depth.h"
#include "sessions/frame_limits.h"
#include "sessions/result_limits.h"
#include "sessions/run_messages.h"
#include "sessions/wire_messages.h"

namespace {

using vivarium::fuzz::check;
using namespace vivarium::sessions;
namespace engine = vivarium::engine;
namespace server = vivarium::server;
using Frame = std::span<const std::uint8_t>;

void check_error(const WireError& error) {
  check(!error.message.empty() && error.message.size() <= 310, "a wire error is one short line");
  for (unsigned char c : error.message) check(c >= 0x20 && c != 0x7f, "a wire error has no control character");
}

void check_files(const std::vector<engine::SandboxFile>& files) {
  check(files.size() <= kMaxFilesPerMessage, "at most kMaxFilesPerMessage files");
  for (const auto& file : files) {
    const auto normal = engine::validate_sandbox_path(file.path);
    check(normal.has_value() && *normal == file.path, "a file name is valid and already normal");
  }
}

// encode(decode(frame)) is a fixpoint: decoding it again and encoding gives the same bytes.
template <class Decode>
void check_round_trip(const Bytes& encoded, Decode decode) {
  const auto again = decode(Frame(encoded));
  check(again.has_value(), "an encoded message decodes");
  const Bytes reencoded = std::visit([](const auto& m) { return encode(m); }, *again);
  check(reencoded == encoded, "decoding and encoding again gives the same frame");
}

void check_reply(engine::ExecutionResult result) {
  const ResultLimits limits{.max_output_bytes = 64, .max_output_files_bytes = 100, .max_output_files = 2};
  apply_result_limits(result, limits);
  // Notes on left-out files: 20 named (a name is at most kMaxPathBytes), then a count;
  // the session may have appended as many before.
  constexpr std::uint64_t notes = 2 * 21 * (kMaxPathBytes + 128);
  check(result.std_out.size() <= 64 + kMarkerRoom, "std_out is within its limit");
  check(result.std_err.size() <= 64 + kMarkerRoom + notes, "std_err is within its limit");
  check(result.output_files.size() <= 2, "at most max_output_files files");
  std::uint64_t total = 0;
  for (const auto& file : result.output_files) total += file.data.size();
  check(total <= 100, "output files within max_output_files_size");
  check(result.final_expression_json.size() <= 65, "the final expression is cut to the limit + 1");
  if (result.error) {
    check(result.error->exception.size() <= 256, "an exception class name is short");
    check(result.error->message.size() <= kMaxErrorTextBytes + 96, "an error message is within its limit");
  }
  const auto reply = server::execution_to_json(result, {.max_bytes = 64});
  const std::string text = server::to_json_text(reply);
  const auto parsed = nlohmann::json::parse(text, nullptr, false);
  check(!parsed.is_discarded(), "the reply is valid JSON");
  (void)parsed.dump();  // strict UTF-8: throws (and so fails here) on anything invalid
}

void check_from_session(Frame frame) {
  const auto decoded = decode_from_session(frame);
  if (!decoded) return check_error(decoded.error());
  if (const auto* result = std::get_if<ExecResult>(&*decoded)) {
    const auto& r = result->result;
    check_files(r.output_files);
    check(r.code_runtime_ms >= 0 && r.code_runtime_ms <= kMaxTimeoutMs, "runtime_ms is in range");
    if (r.error)
      check(r.error->exception.size() <= kMaxShortText && r.error->message.size() <= kMaxErrorTextBytes + 128 &&
                r.error->traceback.size() <= kMaxErrorTextBytes + 128,
            "error texts are within their bounds");
    check_reply(r);
  }
  if (const auto* request = std::get_if<PackageRequest>(&*decoded))
    check(!request->file_name.empty() && request->file_name.size() <= 255 &&
              request->file_name.find('/') == std::string::npos,
          "a package request names a plain file");
  check_round_trip(std::visit([](const auto& m) { return encode(m); }, *decoded), decode_from_session);
}

void check_to_session(Frame frame) {
  const auto decoded = decode_to_session(frame);
  if (!decoded) return check_error(decoded.error());
  if (const auto* request = std::get_if<ExecRequest>(&*decoded)) {
    check_files(request->files);
    check(request->timeout.count() >= 1 && request->timeout.count() <= kMaxTimeoutMs, "timeout is in range");
    check(request->max_output_bytes >= 1 && request->max_output_bytes <= kMaxLimitValue &&
              request->max_output_files_bytes <= kMaxLimitValue && request->max_output_files <= kMaxLimitValue,
          "limits are in range");
  }
  check_round_trip(std::visit([](const auto& m) { return encode(m); }, *decoded), decode_to_session);
}

void check_zygote(Frame frame) {
  if (const auto report = decode_zygote_report(frame); !report) {
    check_error(report.error());
  } else {
    if (const auto* ready = std::get_if<ZygoteReady>(&*report)) {
      check(ready->missing_preloads.size() <= 10000, "at most 10000 missing preloads");
      for (const auto& name : ready->missing_preloads) check(name.size() <= kMaxShortText, "a package name is short");
    }
    check_round_trip(std::visit([](const auto& m) { return encode(m); }, *report), decode_zygote_report);
  }
  if (const auto outcome = decode_fork_outcome(frame); !outcome) {
    check_error(outcome.error());
  } else {
    if (const auto* forked = std::get_if<ForkReply>(&*outcome)) check(forked->pid >= 1, "a forked pid is positive");
    check_round_trip(std::visit([](const auto& m) { return encode(m); }, *outcome), decode_fork_outcome);
  }
  if (const auto fork = decode_fork_request(frame); !fork) check_error(fork.error());
}

// `vivarium run`'s messages (sessions/run_messages.h): what a hostile program sends its
// client, and what a client sends a zygote. Accepted output-file names are inside the
// sandbox; accepted messages round-trip.
void check_run(Frame frame) {
  if (const auto from_program = decode_from_program(frame); !from_program) {
    check_error(from_program.error());
  } else {
    if (const auto* ended = std::get_if<RunEnded>(&*from_program)) {
      check(ended->status >= 0 && ended->status <= 255, "an exit status is 0..255");
      for (const auto& file : ended->output_files)
        check(vivarium::engine::validate_sandbox_path(file.path).has_value(), "an output file name is valid");
    }
    check_round_trip(std::visit([](const auto& m) { return encode(m); }, *from_program), decode_from_program);
  }
  if (const auto to_daemon = decode_to_daemon(frame); !to_daemon) {
    check_error(to_daemon.error());
  } else {
    check_round_trip(std::visit([](const auto& m) { return encode(m); }, *to_daemon), decode_to_daemon);
  }
  if (const auto report = decode_run_host_report(frame); !report) check_error(report.error());
  if (const auto from_daemon = decode_from_daemon(frame); !from_daemon) check_error(from_daemon.error());
  if (const auto boot = decode_run_host_boot(frame); !boot) check_error(boot.error());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Frame frame(data, size);
  if (const auto checked = check_cbor(frame); !checked) check_error(checked.error());
  check_from_session(frame);
  check_to_session(frame);
  check_zygote(frame);
  check_run(frame);
  return 0;
}
