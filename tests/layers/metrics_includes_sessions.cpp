// Must NOT compile: metrics sits below sessions (which counts into it), so its target does
// not see that header (tests/CMakeLists.txt builds this expecting failure).
#include "sessions/executor.h"
