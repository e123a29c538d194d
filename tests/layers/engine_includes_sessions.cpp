// Must NOT compile: engine sits below sessions, so its target does not see that header
// (tests/CMakeLists.txt builds this expecting failure).
#include "sessions/zygote.h"
