#include "server/final_expression.h"

#include <nlohmann/json.hpp>

#include "units/units.h"

namespace vivarium::server {

using units::format_size;
namespace {

using json = nlohmann::json;

// A SAX pass over the text: nlohmann's parser itself is iterative, and this handler
// builds nothing, so memory stays flat and the stack shallow whatever the input.
// Returning false stops the parse at the first level past the limit.
class DepthCheck : public json::json_sax_t {
 public:
  explicit DepthCheck(std::size_t max_depth) : max_depth_(max_depth) {}
  bool too_deep() const { return too_deep_; }

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
    if (++depth_ > max_depth_) too_deep_ = true;
    return !too_deep_;
  }
  bool leave() {
    --depth_;
    return true;
  }
  const std::size_t max_depth_;
  std::size_t depth_ = 0;
  bool too_deep_ = false;
};

// At most `size` bytes of `text`, not ending inside a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view text, std::size_t size) {
  if (text.size() <= size) return text;
  while (size > 0 && (static_cast<unsigned char>(text[size]) & 0xC0) == 0x80) --size;
  return text.substr(0, size);
}

std::string as_marked_string(std::string_view text, std::size_t keep, const std::string& why) {
  std::string shown(utf8_prefix(text, keep));
  shown += (shown.empty() ? "" : " ");
  shown += "[vivarium: final expression " + why + "]";
  // Invalid UTF-8 inside becomes U+FFFD instead of an exception.
  return json(std::move(shown)).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string checked_final_expression(std::string_view text, const FinalExpressionLimits& limits) {
  // The session already cuts at the limit + 1 byte, so the full size is not known here.
  if (text.size() > limits.max_bytes)
    return as_marked_string(text, limits.max_bytes, "cut at the limit of " + format_size(limits.max_bytes));
  DepthCheck check(limits.max_depth);
  const bool valid = json::sax_parse(text, &check, json::input_format_t::json, /*strict=*/true);
  if (check.too_deep())
    return as_marked_string(text, text.size(),
                            "nested deeper than " + std::to_string(limits.max_depth) + " levels, shown as text");
  if (!valid) return as_marked_string(text, text.size(), "was not valid JSON, shown as text");
  return std::string(text);
}

}  // namespace vivarium::server
