// The one assertion the fuzz targets use: a broken invariant prints what was expected
// and aborts, which libFuzzer reports as a crash and saves the input. Not assert():
// build-fuzz is RelWithDebInfo, where NDEBUG turns assert() off.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <source_location>
#include <string_view>

namespace vivarium::fuzz {

inline void check(bool holds, std::string_view invariant,
                  std::source_location where = std::source_location::current()) {
  if (holds) return;
  std::fprintf(stderr, "%s:%u: invariant broken: %.*s\n", where.file_name(), where.line(),
               static_cast<int>(invariant.size()), invariant.data());
  std::abort();
}

}  // namespace vivarium::fuzz
