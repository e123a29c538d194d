// One entry of a listing, the same for the package folder (from its lock) and the wheel
// folder (from file names): what `vivarium packages` prints and what run and serve boot with.
#pragma once

#include <string>

namespace vivarium::packages {

struct PackageInfo {
  std::string name, version, file_name;  // name as the lock or the file spells it ("my_pkg")
  bool present = false;                  // the wheel is in the folder (a lock may list more)
};

}  // namespace vivarium::packages
