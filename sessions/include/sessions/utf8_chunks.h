// Cuts a stream of output into OutputChunk texts that never split a UTF-8 sequence:
// Python may write the first bytes of a character in one write and the rest in the next
// (sys.stdout.buffer.write), and a streaming client decodes each chunk on its own.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vivarium::sessions {

class Utf8Chunker {
 public:
  explicit Utf8Chunker(std::size_t max_chunk) : max_chunk_(max_chunk) {}
  // The chunks to send now, each at most max_chunk bytes; an incomplete sequence at the
  // end waits for the next call. Bytes that are not UTF-8 pass through as they are.
  std::vector<std::string> add(std::string_view text);
  // Whatever is still held back (an incomplete sequence at the very end), or "".
  std::string finish();

 private:
  std::size_t max_chunk_;
  std::string pending_;
};

}  // namespace vivarium::sessions
