// Must NOT compile: sandbox sits below engine, so its target does not see that header
// (tests/CMakeLists.txt builds this expecting failure).
#include "engine/interpreter.h"
