#include "server/result_limits.h"

#include "engine/output_marker.h"
#include "server/units.h"
#include "sessions/frame_limits.h"

namespace vivarium::server {

void cut_output(std::string& text, std::uint64_t limit) {
  if (text.size() <= limit) return;
  // Already cut by the engine: limit bytes at most, then one marker.
  constexpr std::string_view kMarkerStart = "\n[vivarium: output truncated, ";
  constexpr std::string_view kMarkerEnd = " more bytes dropped]\n";
  if (text.ends_with(kMarkerEnd)) {
    const auto start = text.rfind(kMarkerStart);
    if (start != std::string::npos && start <= limit && text.size() - start < 80) return;
  }
  // Not inside a UTF-8 sequence: back up over continuation bytes (at most 3).
  std::size_t keep = limit;
  for (int i = 0; i < 3 && keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80; ++i) --keep;
  const std::size_t dropped = text.size() - keep;
  text.resize(keep);
  text += engine::output_truncation_marker(dropped);
}

void apply_output_files_limit(engine::ExecutionResult& result, const ResultLimits& limits) {
  std::uint64_t total = 0;
  std::vector<engine::SandboxFile> kept;
  for (auto& file : result.output_files) {
    if (kept.size() >= limits.max_output_files) {
      result.std_err += "[vivarium: output file '" + file.path + "' left out: the limit is " +
                        std::to_string(limits.max_output_files) + " output files]\n";
    } else if (total + file.data.size() <= limits.max_output_files_bytes) {
      total += file.data.size();
      kept.push_back(std::move(file));
    } else {
      result.std_err += "[vivarium: output file '" + file.path + "' (" + format_size(file.data.size()) +
                        ") left out: the output files limit is " + format_size(limits.max_output_files_bytes) + "]\n";
    }
  }
  result.output_files = std::move(kept);
}

void apply_result_limits(engine::ExecutionResult& result, const ResultLimits& limits) {
  apply_output_files_limit(result, limits);
  cut_output(result.std_out, limits.max_output_bytes);
  cut_output(result.std_err, limits.max_output_bytes);
  if (result.error) {
    cut_output(result.error->message, sessions::kMaxErrorTextBytes);
    cut_output(result.error->traceback, sessions::kMaxErrorTextBytes);
    // A class name is short, unless the code made one up (type('x' * 10**6, ...)).
    if (result.error->exception.size() > 256) result.error->exception.resize(256);
  }
  if (result.final_expression_json.size() > limits.max_output_bytes + 1)
    result.final_expression_json.resize(limits.max_output_bytes + 1);
}

}  // namespace vivarium::server
