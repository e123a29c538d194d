// ES modules for Pyodide's `import()` of its own files: only files of the asset folder
// load, with a V8 code cache on disk so the 1.2 MB JS glue compiles in ~1 ms.
#pragma once

#include <v8.h>

namespace vivarium::engine::detail {
void install_module_loader(v8::Isolate* isolate);
// Writes code caches for modules whose cache was missing or rejected. Call after boot,
// when the functions that boot needed have been compiled and can be cached too.
void write_module_code_caches(v8::Isolate* isolate);
}  // namespace vivarium::engine::detail
