#include "src/wasm_cache.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/runtime.h"
#include "src/cache_pruning.h"
#include "src/cache_trailer.h"
#include "src/event_loop.h"
#include "src/host_io.h"
#include "src/isolate_state.h"
#include "src/v8_guard.h"
#include "src/v8_util.h"

namespace vivarium::engine::detail {
namespace fs = std::filesystem;
namespace {

constexpr const char* kWasmFile = "pyodide.asm.wasm";
constexpr std::string_view kWasmCacheMagic{"vivarium-wasm-1\n", 16};

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
          const std::string bytes = with_cache_trailer(
              std::string(reinterpret_cast<const char*>(serialized.buffer.get()), serialized.size), kWasmCacheMagic);
          save_cache_file(state_, path_, bytes.data(), bytes.size());
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
    const auto length = cached ? cached_content_length(cached->data(), cached->size(), kWasmCacheMagic) : std::nullopt;
    // Set even on a hit: V8 calls it only when it compiled, which it also does when the
    // cached module fails to deserialize, and then the cache is written again.
    streaming->SetClient(std::make_shared<CacheWriter>(state, cache_path));
    if (length && streaming->SetCompiledModuleBytes(cached->data(), *length)) {
      state.wasm_cache_hit = true;
    } else {
      cached.reset();
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

std::expected<v8::Local<v8::WasmModuleObject>, std::string> compile_pyodide_wasm(v8::Local<v8::Context> context,
                                                                                 LoopWakeup& wakeup) {
  auto* isolate = context->GetIsolate();
  auto& state = IsolateState::of(isolate);
  v8::EscapableHandleScope scope(isolate);
  // Read before any JS of the bundle has run: globalThis is still V8's own.
  auto webassembly = get_property(context, context->Global(), "WebAssembly");
  auto compile = webassembly->IsObject() ? get_property(context, webassembly.As<v8::Object>(), "compileStreaming")
                                         : v8::Local<v8::Value>();
  if (compile.IsEmpty() || !compile->IsFunction())
    return std::unexpected(std::string("this V8 has no WebAssembly.compileStreaming"));
  auto marker = v8::Object::New(isolate);
  state.wasm_marker.Reset(isolate, marker);
  v8::Local<v8::Value> argument = marker;
  v8::TryCatch try_catch(isolate);
  v8::Local<v8::Value> pending;
  if (!compile.As<v8::Function>()->Call(context, webassembly, 1, &argument).ToLocal(&pending) || !pending->IsPromise())
    return std::unexpected("WebAssembly.compileStreaming failed: " + exception_text(isolate, try_catch));
  // V8 10.2 compiles streams with a synchronous decoder here (--single-threaded turns off
  // asynchronous compilation), which keeps the context as a Handle made inside
  // compileStreaming. That handle's scope has closed by the time V8 calls
  // on_compile_streaming from a microtask, and Finish() reads the slot as the context when
  // it deserializes a cached module: whatever reused the slot meanwhile was taken for a
  // context, and V8 crashed in WasmModuleObject::New. It did on every boot whose
  // pyodide.asm.mjs JS cache was missing or rejected (lazy compilation reused the slot),
  // so one damaged or deleted .jscache file made every later start crash. The handles
  // made here occupy exactly the slots compileStreaming used, each holding the context,
  // until the module exists. The context is the 6th of them (measured: 5 pinned slots
  // still crash, 6 do not); 256 leave a wide margin for another V8 build.
  constexpr int kPinnedSlots = 256;
  std::vector<v8::Local<v8::Context>> pinned;
  pinned.reserve(kPinnedSlots);
  for (int i = 0; i < kPinnedSlots; ++i) pinned.push_back(v8::Local<v8::Context>::New(isolate, context));
  auto promise = pending.As<v8::Promise>();
  const auto outcome = run_until_settled(isolate, promise, wakeup);
  state.wasm_marker.Reset();  // from here on every compileStreaming is refused
  if (outcome != LoopOutcome::settled) return std::unexpected(std::string("compiling pyodide.asm.wasm did not finish"));
  if (promise->State() == v8::Promise::kRejected)
    return std::unexpected("compiling pyodide.asm.wasm failed: " + exception_text(isolate, promise->Result()));
  auto module = promise->Result();
  if (!module->IsWasmModuleObject()) return std::unexpected(std::string("compiling pyodide.asm.wasm gave no module"));
  return scope.Escape(module.As<v8::WasmModuleObject>());
}

}  // namespace vivarium::engine::detail
