// Must NOT compile: sessions sits below server, so its target does not see that header
// (tests/CMakeLists.txt builds this expecting failure).
#include "server/config.h"
