// A session's final expression, which user code controls entirely (server/
// final_expression.h checked_final_expression), under the default limits and under
// tight ones (64 bytes, depth 4) that make every input exercise the cutting paths.
// Invariants:
// - the result is always one valid JSON value, at most as deep as the limit, that
//   nlohmann can parse and dump() again without throwing (the server's reply writer does
//   both: the crash of issue 8 was dump() recursing 100000 deep);
// - a text that is valid JSON within the limits comes back unchanged;
// - anything else becomes a JSON string ending in a "[vivarium: final expression ...]"
//   marker that holds at most max_bytes of the text: the reply stays bounded (each kept
//   byte may become a 6-byte \u escape).
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "server/final_expression.h"

namespace {

using vivarium::fuzz::check;
using vivarium::server::checked_final_expression;
using vivarium::server::FinalExpressionLimits;
using json = nlohmann::json;

// The deepest nesting in a JSON text, by nlohmann's iterative SAX parser (no recursion).
class MaxDepth : public json::json_sax_t {
 public:
  std::size_t deepest = 0;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(json::number_integer_t) override { return true; }
  bool number_unsigned(json::number_unsigned_t) override { return true; }
  bool number_float(json::number_float_t, const json::string_t&) override { return true; }
  bool string(json::string_t&) override { return true; }
  bool binary(json::binary_t&) override { return true; }
  bool start_object(std::size_t) override { return enter(); }
  bool key(json::string_t&) override { return true; }
  bool end_object() override { return leave(); }
  bool start_array(std::size_t) override { return enter(); }
  bool end_array() override { return leave(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  bool enter() {
    deepest = std::max(deepest, ++depth_);
    return true;
  }
  bool leave() {
    --depth_;
    return true;
  }
  std::size_t depth_ = 0;
};

struct Shape {
  bool valid = false;
  std::size_t depth = 0;
};

Shape shape_of(std::string_view text) {
  MaxDepth depth;
  const bool valid = json::sax_parse(text, &depth, json::input_format_t::json, /*strict=*/true);
  return {valid, depth.deepest};
}

void check_with(std::string_view text, const FinalExpressionLimits& limits) {
  const std::string out = checked_final_expression(text, limits);
  const Shape shape = shape_of(out);
  check(shape.valid, "the result is valid JSON");
  check(shape.depth <= limits.max_depth, "the result is within the depth limit");
  // Safe now that the depth is bounded: what the reply writer does with it.
  const auto value = json::parse(out);
  (void)value.dump();

  const Shape input = shape_of(text);
  if (input.valid && input.depth <= limits.max_depth && text.size() <= limits.max_bytes) {
    check(out == text, "valid JSON within the limits comes back unchanged");
    return;
  }
  check(value.is_string(), "anything else becomes a JSON string");
  const auto& shown = value.get_ref<const std::string&>();
  check(shown.ends_with("]") && shown.find("[vivarium: final expression ") != std::string::npos,
        "a replaced expression carries the marker");
  const std::size_t kept = std::min(text.size(), limits.max_bytes);
  check(out.size() <= 6 * kept + 200, "a replaced expression is bounded by the byte limit");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_with(text, FinalExpressionLimits{});
  check_with(text, FinalExpressionLimits{.max_bytes = 64, .max_depth = 4});
  return 0;
}
