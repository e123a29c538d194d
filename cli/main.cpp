#include <iostream>
#include "engine/assets.h"
#include "engine/interpreter.h"
#include "engine/runtime.h"
using namespace vivarium::engine;
int main(int argc, char** argv) {
  auto r = Runtime::initialize({});
  auto assets = locate_assets(std::nullopt, std::filesystem::read_symlink("/proc/self/exe"));
  if (!assets) { std::cerr << assets.error() << "\n"; return 1; }
  auto t0 = std::chrono::steady_clock::now();
  BootOptions o; o.assets_dir = *assets; o.cache_dir = default_cache_dir();
  auto interp = Interpreter::boot(o);
  if (!interp) { std::cerr << interp.error() << "\n"; return 1; }
  std::cerr << "boot " << std::chrono::duration<double,std::milli>(std::chrono::steady_clock::now()-t0).count() << " ms hit=" << (*interp)->boot_timings().wasm_cache_hit << "\n";
  ExecutionRequest req; req.code = argc > 1 ? argv[1] : "print(1)\n1+1";
  req.on_output = [](OutputStream s, std::string_view t){ (s==OutputStream::err?std::cerr:std::cout) << t; };
  if (argc > 2) req.timeout = std::chrono::milliseconds(std::stoi(argv[2]));
  auto res = (*interp)->execute(req);
  std::cerr << "final=" << res.final_expression_json << " runtime=" << res.code_runtime_ms << "\n";
  if (res.error) std::cerr << "error: " << res.error->message << "\n" << res.error->traceback << "\n";
  return 0;
}
