// The natives handed to the boot script's closure (engine/js/bootstrap.js): output,
// stdin, the memory snapshot, an interruptible sleep and the interrupt buffer (the boot
// adds the compiled pyodide.asm.wasm as wasmModule). They are never put on globalThis.
#include "src/boot_hooks.h"

#include <unistd.h>

#include <cstring>

#include "src/host_io.h"
#include "src/snapshot_file.h"
#include "src/v8_guard.h"
#include "src/v8_util.h"

namespace vivarium::engine::detail {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

void hook_write(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto& state = IsolateState::of(info.GetIsolate());
  if (info.Length() < 2 || !state.output) return;
  const bool is_stderr = info[0]->IsNumber() && info[0].As<v8::Number>()->Value() == 2;
  state.output(is_stderr, to_std(info.GetIsolate(), info[1]));
}

void hook_write_bytes(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto& state = IsolateState::of(info.GetIsolate());
  if (info.Length() < 2 || !info[1]->IsArrayBufferView()) return info.GetReturnValue().Set(0);
  auto view = info[1].As<v8::ArrayBufferView>();
  const bool is_stderr = info[0]->IsNumber() && info[0].As<v8::Number>()->Value() == 2;
  if (state.output) {
    auto store = view->Buffer()->GetBackingStore();
    if (store->Data())
      state.output(is_stderr,
                   std::string_view(static_cast<const char*>(store->Data()) + view->ByteOffset(), view->ByteLength()));
  }
  info.GetReturnValue().Set(static_cast<double>(view->ByteLength()));
}

void hook_read_stdin(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto& state = IsolateState::of(info.GetIsolate());
  info.GetReturnValue().Set(0);
  if (!state.inherit_stdin || info.Length() < 1 || !info[0]->IsUint8Array()) return;
  auto view = info[0].As<v8::Uint8Array>();
  auto store = view->Buffer()->GetBackingStore();
  if (!store->Data() || view->ByteLength() == 0) return;
  ssize_t got;
  do {
    got = ::read(STDIN_FILENO, static_cast<char*>(store->Data()) + view->ByteOffset(), view->ByteLength());
  } while (got < 0 && errno == EINTR);
  info.GetReturnValue().Set(static_cast<double>(got > 0 ? got : 0));
}

// The name of the snapshot file before it had a trailer, removed when the new one is
// written (an older vivarium sharing the cache folder makes it again).
std::optional<fs::path> headless_snapshot_path(const IsolateState& state) {
  if (state.cache_dir.empty()) return std::nullopt;
  // The snapshot holds wasm memory only: it depends on the bundle, not on V8.
  std::error_code wasm_error, stdlib_error;
  const auto wasm_size = fs::file_size(state.assets_dir / "pyodide.asm.wasm", wasm_error);
  const auto stdlib_size = fs::file_size(state.assets_dir / "python_stdlib.zip", stdlib_error);
  if (wasm_error || stdlib_error) return std::nullopt;  // checked at boot, so gone since: no snapshot
  return state.cache_dir /
         ("pyodide-memory-" + std::to_string(wasm_size) + "-" + std::to_string(stdlib_size) + ".snapshot");
}

}  // namespace

// "-v3": the file has a trailer (snapshot_file.h) and the pre-imported modules bound no name
// (-v2 files bound them in __main__); an older vivarium reading it as its own
// would copy the trailer into Python's memory.
std::optional<fs::path> snapshot_path(const IsolateState& state) {
  const auto old = headless_snapshot_path(state);
  if (!old) return std::nullopt;
  return old->parent_path() / (old->stem().string() + "-v3.snapshot");
}

namespace {

// Pyodide restores a snapshot by copying its memory image into the wasm memory from a JS
// buffer. Here it gets only the header (about 128 bytes: a magic number, the build id,
// JSON of the JS references), to check and parse, and placeSnapshot copies the 30 MB
// image from the mapped file. As a JS buffer the image counted as external memory, which
// pushed V8 into garbage collections during boot, and its mapping stayed in the process
// until that buffer was collected: `run`'s RSS was 155 MB, 127 MB without it.

// loadSnapshot() -> {header: Uint8Array, size: Pyodide's snapshot length} or undefined.
void hook_load_snapshot(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  auto& state = IsolateState::of(isolate);
  const auto path = snapshot_path(state);
  auto mapped = path ? MappedFile::open(*path) : nullptr;
  const auto layout = mapped ? snapshot_layout(mapped->data(), mapped->size()) : std::nullopt;
  if (!layout) return;  // none, cut short or not a snapshot: boot without, and make a new one
  state.pending_snapshot = mapped;
  auto context = isolate->GetCurrentContext();
  auto result = v8::Object::New(isolate);
  const std::string_view header(reinterpret_cast<const char*>(mapped->data()), layout->header_length);
  result->Set(context, to_v8(isolate, "header"), new_uint8array(isolate, header)).Check();
  result->Set(context, to_v8(isolate, "size"), v8::Number::New(isolate, static_cast<double>(layout->total_length)))
      .Check();
  info.GetReturnValue().Set(result);
}

// placeSnapshot(memory: ArrayBuffer) -> true once the image fills the start of memory.
void hook_place_snapshot(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto& state = IsolateState::of(info.GetIsolate());
  const auto snapshot = std::move(state.pending_snapshot);  // unmapped when this returns
  info.GetReturnValue().Set(false);
  if (!snapshot || info.Length() < 1 || !info[0]->IsArrayBuffer()) return;
  const auto layout = snapshot_layout(snapshot->data(), snapshot->size());
  auto memory = info[0].As<v8::ArrayBuffer>()->GetBackingStore();
  if (!layout || !memory->Data()) return;
  const std::size_t image_length = layout->total_length - layout->header_length;
  if (memory->ByteLength() < image_length) return;
  std::memcpy(memory->Data(), snapshot->data() + layout->header_length, image_length);
  info.GetReturnValue().Set(true);
}

void hook_save_snapshot(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto& state = IsolateState::of(info.GetIsolate());
  const auto path = snapshot_path(state);
  if (!path || info.Length() < 1 || !info[0]->IsArrayBufferView()) return;
  const std::string bytes = snapshot_file_bytes(copy_bytes(info[0]));
  save_cache_file(state, *path, bytes.data(), bytes.size());
  std::error_code ec;
  if (const auto old = headless_snapshot_path(state); old && !state.cache_unwritable) fs::remove(*old, ec);
}

// sleep(ms): blocks without burning CPU (emscripten's own nanosleep busy-waits), in
// slices, returning early once an interrupt is pending.
void hook_sleep(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto& state = IsolateState::of(info.GetIsolate());
  double ms = 0;
  if (info.Length() < 1 || !info[0]->NumberValue(info.GetIsolate()->GetCurrentContext()).To(&ms)) return;
  if (!(ms > 0)) return;
  const auto until = Clock::now() + std::chrono::microseconds(static_cast<std::int64_t>(std::min(ms, 1e9) * 1000));
  // One wait, woken by the watchdog's interrupt. Polling the flag every 10 ms cost 90
  // sleeping sessions a quarter of the 2 cores here (perf, bench/load.sh), in wake-ups.
  std::unique_lock lock(state.wakeup->mutex);
  state.wakeup->condition.wait_until(lock, until, [&] { return state.wakeup->interrupted.load(); });
}

// Every hook is installed guarded (see v8_guard.h).
template <v8::FunctionCallback Callback>
void set_hook(v8::Local<v8::Context> context, v8::Local<v8::Object> hooks, const char* name) {
  auto* isolate = context->GetIsolate();
  auto function = v8::FunctionTemplate::New(isolate, guarded<Callback>, {}, {}, 0, v8::ConstructorBehavior::kThrow)
                      ->GetFunction(context)
                      .ToLocalChecked();
  hooks->Set(context, to_v8(isolate, name), function).Check();
}

}  // namespace

v8::Local<v8::Object> make_boot_hooks(v8::Local<v8::Context> context, IsolateState& state,
                                      std::shared_ptr<v8::BackingStore>& interrupt_store) {
  auto* isolate = context->GetIsolate();
  auto hooks = v8::Object::New(isolate);
  set_hook<hook_write>(context, hooks, "write");
  set_hook<hook_write_bytes>(context, hooks, "writeBytes");
  set_hook<hook_read_stdin>(context, hooks, "readStdin");
  set_hook<hook_load_snapshot>(context, hooks, "loadSnapshot");
  set_hook<hook_place_snapshot>(context, hooks, "placeSnapshot");
  set_hook<hook_save_snapshot>(context, hooks, "saveSnapshot");
  set_hook<hook_sleep>(context, hooks, "sleep");
  auto interrupt = v8::SharedArrayBuffer::New(isolate, sizeof(std::int32_t));
  interrupt_store = interrupt->GetBackingStore();
  state.interrupt_flag = static_cast<const std::int32_t*>(interrupt_store->Data());
  hooks->Set(context, to_v8(isolate, "interruptBuffer"), v8::Int32Array::New(interrupt, 0, 1)).Check();
  return hooks;
}

}  // namespace vivarium::engine::detail
