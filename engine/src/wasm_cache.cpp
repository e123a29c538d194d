#include "src/wasm_cache.h"

#include <memory>

#include "engine/runtime.h"
#include "src/cache_pruning.h"
#include "src/host_io.h"
#include "src/isolate_state.h"
#include "src/v8_guard.h"
#include "src/v8_util.h"

namespace vivarium::engine::detail {
namespace fs = std::filesystem;
namespace {

constexpr const char* kWasmFile = "pyodide.asm.wasm";

fs::path wasm_cache_path(const IsolateState& state, std::uintmax_t wasm_size) {
  return state.cache_dir /
         ("pyodide.asm.wasm-" + std::to_string(wasm_size) + "-" + Runtime::code_cache_key() + ".wasmcache");
}

// Writes the compiled module to the cache when V8 had to compile it.
class CacheWriter final : public v8::WasmStreaming::Client {
 public:
  // The state lives as long as the isolate, which outlives the compilation.
  CacheWriter(IsolateState& state, fs::path path) : state_(state), path_(std::move(path)) {}
  // Called by V8 with no JS to throw into: a C++ exception here (out of memory) only
  // costs the cache.
  void OnModuleCompiled(v8::CompiledWasmModule module) override {
    catch_cpp_exceptions(
        [&] {
          auto serialized = module.Serialize();
          if (serialized.size == 0) return;
          save_cache_file(state_, path_, serialized.buffer.get(), serialized.size);
          if (!state_.cache_unwritable) prune_old_caches(path_.parent_path(), 4);
        },
        [&](const std::string& error) {
          state_.cache_unwritable = true;
          if (state_.notice) state_.notice("warning: the compiled WebAssembly was not cached: " + error);
        });
  }

 private:
  IsolateState& state_;
  fs::path path_;
};

void compile_streaming(v8::Isolate* isolate, const v8::FunctionCallbackInfo<v8::Value>& info,
                       const std::shared_ptr<v8::WasmStreaming>& streaming) {
  auto& state = IsolateState::of(isolate);
  if (info.Length() < 1 || !info[0]->IsObject() || state.wasm_marker.IsEmpty() ||
      !info[0]->StrictEquals(state.wasm_marker.Get(isolate))) {
    streaming->Abort(v8::Exception::TypeError(to_v8(isolate, "WebAssembly streaming is not available in vivarium")));
    return;
  }
  const fs::path wasm_path = state.assets_dir / kWasmFile;
  auto wire_bytes = MappedFile::open(wasm_path);
  if (!wire_bytes) {
    streaming->Abort(v8::Exception::Error(to_v8(isolate, "cannot read " + wasm_path.string())));
    return;
  }
  // Kept alive until Finish() returns, as SetCompiledModuleBytes requires.
  std::shared_ptr<MappedFile> cached;
  if (!state.cache_dir.empty()) {
    const fs::path cache_path = wasm_cache_path(state, wire_bytes->size());
    cached = MappedFile::open(cache_path);
    if (cached && streaming->SetCompiledModuleBytes(cached->data(), cached->size())) {
      state.wasm_cache_hit = true;
    } else {
      cached.reset();
      streaming->SetClient(std::make_shared<CacheWriter>(state, cache_path));
      if (state.notice)
        state.notice("compiling Pyodide's WebAssembly for this machine (once per V8 build and memory limit, ~10 s)");
    }
  }
  streaming->OnBytesReceived(wire_bytes->data(), wire_bytes->size());
  streaming->Finish();
}

// The compilation's promise settles only through the streaming object, so a C++
// exception aborts it (rejecting that promise) rather than being thrown.
void on_compile_streaming(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  auto streaming = v8::WasmStreaming::Unpack(isolate, info.Data());
  catch_cpp_exceptions(
      [&] { compile_streaming(isolate, info, streaming); },
      [&](const std::string& error) {
        v8::Local<v8::String> message;
        if (v8::String::NewFromUtf8(isolate, error.data(), v8::NewStringType::kNormal, static_cast<int>(error.size()))
                .ToLocal(&message))
          streaming->Abort(v8::Exception::Error(message));
        else
          streaming->Abort({});
      });
}

}  // namespace

void install_wasm_streaming(v8::Isolate* isolate) { isolate->SetWasmStreamingCallback(guarded<on_compile_streaming>); }

}  // namespace vivarium::engine::detail
