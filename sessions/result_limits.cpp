#include "sessions/result_limits.h"

#include "engine/output_marker.h"
#include "sessions/frame_limits.h"
#include "units/units.h"

namespace vivarium::sessions {

using units::format_size;
namespace {
constexpr std::size_t kNamedNotes = 20;
// A note names a path of at most 4096 bytes, a size and a limit.
constexpr std::uint64_t kFileNotesRoom = (kNamedNotes + 1) * (sessions::kMaxPathBytes + 128);
}  // namespace

void cut_output(std::string& text, std::uint64_t limit, std::uint64_t room) {
  // Text the engine cut already is limit bytes and one marker: within the room.
  if (text.size() <= limit + room) return;
  // Not inside a UTF-8 sequence: back up over continuation bytes (at most 3).
  std::size_t keep = limit;
  for (int i = 0; i < 3 && keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80; ++i) --keep;
  const std::size_t dropped = text.size() - keep;
  text.resize(keep);
  text += engine::output_truncation_marker(dropped);
}

void apply_output_files_limit(engine::ExecutionResult& result, const ResultLimits& limits) {
  // Named one by one up to this many, then counted: the notes must fit the frame.
  std::uint64_t total = 0;
  std::size_t left_out = 0;
  std::vector<engine::SandboxFile> kept;
  for (auto& file : result.output_files) {
    std::string note;  // why the file is left out; empty when it is kept
    if (kept.size() >= limits.max_output_files)
      note = "left out: the limit is " + std::to_string(limits.max_output_files) + " output files";
    else if (total + file.data.size() > limits.max_output_files_bytes)
      note = "(" + format_size(file.data.size()) + ") left out: the output files limit is " +
             format_size(limits.max_output_files_bytes);
    if (note.empty()) {
      total += file.data.size();
      kept.push_back(std::move(file));
    } else if (++left_out <= kNamedNotes) {
      result.std_err += "[vivarium: output file '" + file.path + "' " + note + "]\n";
    }
  }
  if (left_out > kNamedNotes)
    result.std_err += "[vivarium: " + std::to_string(left_out - kNamedNotes) + " more output files left out]\n";
  result.output_files = std::move(kept);
}

void apply_result_limits(engine::ExecutionResult& result, const ResultLimits& limits) {
  cut_output(result.std_out, limits.max_output_bytes, kMarkerRoom);
  // The session appended its notes on left-out files after std_err's marker.
  cut_output(result.std_err, limits.max_output_bytes, kMarkerRoom + kFileNotesRoom);
  apply_output_files_limit(result, limits);
  if (result.error) {
    cut_output(result.error->message, sessions::kMaxErrorTextBytes, 0);
    cut_output(result.error->traceback, sessions::kMaxErrorTextBytes, 0);
    // A class name is short, unless the code made one up (type('x' * 10**6, ...)).
    if (result.error->exception.size() > 256) result.error->exception.resize(256);
  }
  if (result.final_expression_json.size() > limits.max_output_bytes + 1)
    result.final_expression_json.resize(limits.max_output_bytes + 1);
}

}  // namespace vivarium::sessions
