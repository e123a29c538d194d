// Sizes ("50M", "1.5G") and durations ("2.5" seconds) as flags, environment variables
// and .env values give them (units/units.h).
// Invariants:
// - an accepted size is 1 B .. 1e18 B and is spelled <digits and dots><unit>, unit one
//   of B K KB KiB M MB MiB G GB GiB T TB TiB or none, in any case;
// - every size the server prints (format_size) parses back within the 0.05-unit
//   rounding it shows, and printing that again gives the same text, so a limit quoted
//   in a message can be pasted back as a flag;
// - an accepted duration is 1 ms .. 1e9 s, and its value written back as seconds with
//   three decimals parses to the same milliseconds.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "units/units.h"

namespace {

using vivarium::fuzz::check;
using namespace vivarium::units;

bool spelled_like_a_size(std::string_view text) {
  std::size_t digits = text.find_first_not_of("0123456789.");
  if (digits == 0) return false;
  if (digits == std::string_view::npos) return true;
  std::string unit;
  for (char c : text.substr(digits)) unit += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const char* known : {"B", "K", "KB", "KIB", "M", "MB", "MIB", "G", "GB", "GIB", "T", "TB", "TIB"})
    if (unit == known) return true;
  return false;
}

void check_printed_size(std::uint64_t bytes) {
  if (bytes < 1 || bytes > 1'000'000'000'000'000'000ULL) return;  // parse_size's range
  const std::string printed = format_size(bytes);
  const auto parsed = parse_size(printed);
  check(parsed.has_value(), "parse_size accepts what format_size prints");
  // The printed number is rounded to 0.1 of its unit, and the unit is at most 1/1024 of
  // the value from K up: 5% of the value bounds the rounding (bytes are exact).
  const double error = std::fabs(static_cast<double>(*parsed) - static_cast<double>(bytes));
  check(bytes < 1024 ? error == 0 : error <= 0.05 * static_cast<double>(bytes), "printed size is within its rounding");
  check(format_size(*parsed) == printed, "format_size(parse_size(format_size(x))) == format_size(x)");
}

void check_size(std::string_view text) {
  const auto parsed = parse_size(text);
  if (!parsed) {
    check(!parsed.error().empty(), "a rejected size has a message");
    return;
  }
  check(*parsed >= 1 && *parsed <= 1'000'000'000'000'000'000ULL, "an accepted size is 1 B .. 1e18 B");
  check(spelled_like_a_size(text), "an accepted size is <number><known unit>");
  check_printed_size(*parsed);
}

void check_seconds(std::string_view text) {
  const auto parsed = parse_seconds(text);
  if (!parsed) {
    check(!parsed.error().empty(), "a rejected duration has a message");
    return;
  }
  const auto ms = parsed->count();
  check(ms >= 1 && ms <= 1'000'000'000'000, "an accepted duration is 1 ms .. 1e9 s");
  check(text.find_first_not_of("0123456789.eE+-") == std::string_view::npos,
        "an accepted duration is a decimal number");
  std::string millis = std::to_string(ms % 1000);
  millis.insert(0, 3 - millis.size(), '0');
  const auto again = parse_seconds(std::to_string(ms / 1000) + "." + millis);
  check(again.has_value() && again->count() == ms, "a duration written back as seconds parses to the same value");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_size(text);
  check_seconds(text);
  // Any 8 bytes are also a byte count to print: covers the whole uint64 range, which
  // parsed text rarely reaches.
  if (size == sizeof(std::uint64_t)) {
    std::uint64_t bytes = 0;
    std::memcpy(&bytes, data, sizeof bytes);
    check_printed_size(bytes);
  }
  return 0;
}
