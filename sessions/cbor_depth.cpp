#include "sessions/cbor_depth.h"

#include <nlohmann/json.hpp>
#include <string>

namespace vivarium::sessions {
namespace {

using json = nlohmann::json;

// A SAX consumer that refuses to open a container past max_depth. nlohmann's reader
// stops as soon as a callback returns false, so it never descends further: the
// recursion is bounded by max_depth whatever the input. It builds nothing.
class DepthCheck {
 public:
  explicit DepthCheck(std::size_t max_depth) : max_depth_(max_depth) {}
  std::optional<WireError> error;

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const json::string_t&) { return true; }
  bool string(json::string_t&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool key(json::string_t&) { return true; }
  bool start_object(std::size_t) { return open(); }
  bool start_array(std::size_t) { return open(); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    const std::string what = e.what();
    const bool ended = what.find("unexpected end of input") != std::string::npos;
    error = wire_error(ended ? WireErrorKind::truncated : WireErrorKind::malformed,
                       (ended ? "the CBOR ends inside an item at byte " : "the CBOR is not well-formed at byte ") +
                           std::to_string(position));
    return false;
  }

 private:
  bool open() {
    if (++depth_ > max_depth_) {
      error = wire_error(WireErrorKind::too_deep,
                         "the message nests deeper than " + std::to_string(max_depth_) + " levels");
      return false;
    }
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }
  std::size_t max_depth_;
  std::size_t depth_ = 0;
};

}  // namespace

std::expected<void, WireError> check_cbor(std::span<const std::uint8_t> bytes, std::size_t max_depth) {
  if (bytes.empty()) return std::unexpected(wire_error(WireErrorKind::truncated, "the frame is empty"));
  DepthCheck check(max_depth);
  try {
    // strict: bytes after the first item are an error. Tags are refused (the default
    // handler), so a chain of tags cannot recurse either.
    const bool ok = json::sax_parse(bytes.begin(), bytes.end(), &check, json::input_format_t::cbor, true);
    if (ok) return {};
    if (check.error) return std::unexpected(*check.error);
    return std::unexpected(wire_error(WireErrorKind::malformed, "the CBOR is not well-formed"));
  } catch (...) {
    return std::unexpected(wire_error(WireErrorKind::malformed, "the CBOR reader refused the frame"));
  }
}

}  // namespace vivarium::sessions
