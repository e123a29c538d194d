#include "sessions/warm_up.h"

namespace vivarium::sessions {

void warm_up(engine::Interpreter& interpreter, const std::string& imports) {
  for (int i = 0; i < 2; ++i) interpreter.execute({.code = "__import__('random')\nprint(end='')\n1"});
  if (!imports.empty())
    interpreter.execute({.code = "for _name in (" + imports + ",):\n    __import__(_name)\ndel _name"});
}

}  // namespace vivarium::sessions
