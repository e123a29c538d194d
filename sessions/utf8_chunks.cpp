#include "sessions/utf8_chunks.h"

#include <algorithm>
#include <utility>

namespace vivarium::sessions {
namespace {

bool is_continuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// The length a lead byte announces; 1 for anything that is not a lead byte.
std::size_t sequence_length(unsigned char lead) {
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;
}

// Where the incomplete sequence at the end of text begins, or text.size() if none.
std::size_t complete_prefix(std::string_view text) {
  const std::size_t size = text.size();
  for (std::size_t back = 1; back <= std::min<std::size_t>(4, size); ++back) {
    const auto byte = static_cast<unsigned char>(text[size - back]);
    if (is_continuation(byte)) continue;
    return sequence_length(byte) > back ? size - back : size;
  }
  return size;  // only continuation bytes: not UTF-8, passed through
}

// A cut at most `limit` bytes into text that does not land inside a sequence.
std::size_t cut_before(std::string_view text, std::size_t limit) {
  std::size_t cut = limit;
  while (cut > 0 && limit - cut < 3 && is_continuation(static_cast<unsigned char>(text[cut]))) --cut;
  return cut == 0 || is_continuation(static_cast<unsigned char>(text[cut])) ? limit : cut;
}

}  // namespace

std::vector<std::string> Utf8Chunker::add(std::string_view text) {
  pending_.append(text);
  std::string_view rest(pending_);
  rest = rest.substr(0, complete_prefix(rest));
  std::vector<std::string> chunks;
  while (!rest.empty()) {
    const std::size_t cut = rest.size() <= max_chunk_ ? rest.size() : cut_before(rest, max_chunk_);
    chunks.emplace_back(rest.substr(0, cut));
    rest.remove_prefix(cut);
  }
  std::size_t sent = 0;
  for (const auto& chunk : chunks) sent += chunk.size();
  pending_.erase(0, sent);
  return chunks;
}

std::string Utf8Chunker::finish() { return std::exchange(pending_, std::string()); }

}  // namespace vivarium::sessions
