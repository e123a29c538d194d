// The final expression comes from a session process as JSON text. User code can replace
// json.dumps or reach the runner's globals, so the text is untrusted: it may be huge,
// nested 100000 deep (nlohmann's dump() recurses: that depth overflowed the server's
// stack and killed it), or not JSON at all. It is checked here without recursion before
// anything else looks at it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace vivarium::server {

struct FinalExpressionLimits {
  std::size_t max_bytes = std::size_t{1} << 20;  // --max-output-size
  // The runner turns values nested deeper than 100 into their repr(), so honest
  // results stay below this.
  std::size_t max_depth = 128;
};

// JSON text that is safe to parse and write back out: `text` itself when it is one JSON
// value within the limits; otherwise a JSON string, repr-style, holding the start of the
// text and a "[vivarium: ...]" marker that says why it was cut.
std::string checked_final_expression(std::string_view text, const FinalExpressionLimits& limits);

}  // namespace vivarium::server
