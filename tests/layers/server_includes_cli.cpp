// Must NOT compile: server sits below cli, so its target does not see that header
// (tests/CMakeLists.txt builds this expecting failure).
#include "cli/app.h"
