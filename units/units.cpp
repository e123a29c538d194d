#include "units/units.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace vivarium::units {

std::expected<std::uint64_t, std::string> parse_size(std::string_view text) {
  const std::string original(text);
  std::size_t digits = 0;
  while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
    ++digits;
  if (digits == 0) return std::unexpected("invalid size '" + original + "': expected a number like 256M or 2G");
  double number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, number);
  if (ec != std::errc() || end != text.data() + digits)
    return std::unexpected("invalid size '" + original + "': expected a number like 256M or 2G");
  std::string unit;
  for (char c : text.substr(digits)) unit += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double multiplier = 0;
  if (unit.empty() || unit == "M" || unit == "MB" || unit == "MIB")
    multiplier = 1024.0 * 1024;
  else if (unit == "B")
    multiplier = 1;
  else if (unit == "K" || unit == "KB" || unit == "KIB")
    multiplier = 1024;
  else if (unit == "G" || unit == "GB" || unit == "GIB")
    multiplier = 1024.0 * 1024 * 1024;
  else if (unit == "T" || unit == "TB" || unit == "TIB")  // format_size prints T: what it prints must parse
    multiplier = 1024.0 * 1024 * 1024 * 1024;
  else
    return std::unexpected("invalid size '" + original + "': unknown unit '" + std::string(text.substr(digits)) +
                           "' (use K, M, G or T)");
  const double bytes = number * multiplier;
  if (!std::isfinite(bytes) || bytes < 1 || bytes > 1e18)
    return std::unexpected("invalid size '" + original + "': out of range");
  return static_cast<std::uint64_t>(bytes);
}

std::expected<std::chrono::milliseconds, std::string> parse_seconds(std::string_view text) {
  const std::string original(text);
  double seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return std::unexpected("invalid number of seconds '" + original + "'");
  if (!std::isfinite(seconds) || seconds <= 0)
    return std::unexpected("invalid number of seconds '" + original + "': must be greater than 0");
  if (seconds > 1e9) return std::unexpected("invalid number of seconds '" + original + "': too large");
  return std::chrono::milliseconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(std::llround(seconds * 1000))));
}

std::string format_size(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "K", "M", "G", "T"};
  // Tenths of the unit, rounded first and the unit chosen after, so that 1048575 bytes
  // read "1M" and not "1024K", and whole numbers without "%g"'s exponent ("1.67772e+07T"):
  // format_size(parse_size(format_size(x))) == format_size(x) (tests/fuzz/units_fuzz.cpp).
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (unit < 4 && std::round(value * 10) >= 10240) {
    value /= 1024;
    ++unit;
  }
  const auto tenths = static_cast<std::uint64_t>(std::round(value * 10));
  std::string text = std::to_string(tenths / 10);
  if (tenths % 10 != 0) text += "." + std::to_string(tenths % 10);
  return text + kUnits[unit];
}

}  // namespace vivarium::units
