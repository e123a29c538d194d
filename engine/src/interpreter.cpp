#include "engine/interpreter.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "engine/assets.h"
#include "engine/output_marker.h"
#include "engine/runtime.h"
#include "src/boot_hooks.h"
#include "src/capped_allocator.h"
#include "src/embedded_sources.h"
#include "src/event_loop.h"
#include "src/execution_watchdog.h"
#include "src/host_functions.h"
#include "src/isolate_state.h"
#include "src/module_loader.h"
#include "src/v8_guard.h"
#include "src/v8_util.h"
#include "src/wasm_cache.h"

namespace vivarium::engine {
namespace fs = std::filesystem;
using detail::exception_text;
using detail::IsolateState;
using detail::to_std;
using detail::to_v8;

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

constexpr std::int32_t kSigint = 2;  // what Pyodide's interrupt buffer expects for SIGINT

// V8 counts the wasm memory (30 MB once the snapshot is in) besides the JS heap (~16 MB
// after a boot) against the old generation's first limit. Under its default it started
// two full collections while booting, the second finishing inside the first execution:
// ~28 ms of a `run`'s CPU (--trace-gc). With 64 MB one was left, with 128 MB none. Past
// the limit a session is collected as before; it only comes later.
constexpr std::size_t kInitialOldGeneration = std::size_t{128} << 20;

// JS heap nearly full: stop the JS that is running instead of letting V8 abort the
// process, and give V8 the headroom it needs to unwind. Called by V8 in the middle of a
// garbage collection, where no JS exception may be thrown; nothing in it throws, and the
// guard only makes sure of that.
std::size_t on_near_heap_limit(void* data, std::size_t current_limit, std::size_t) {
  detail::catch_cpp_exceptions(
      [&] {
        auto* state = static_cast<IsolateState*>(data);
        state->heap_exhausted = true;
        state->isolate->TerminateExecution();
      },
      [](const std::string&) {});
  return current_limit + (std::size_t{64} << 20);
}

}  // namespace

struct Interpreter::Impl {
  BootOptions options;
  IsolateState state;
  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator;
  v8::Isolate* isolate = nullptr;
  v8::Global<v8::Function> execute_function;
  std::shared_ptr<v8::BackingStore> interrupt_store;  // Int32Array Pyodide polls
  detail::LoopWakeup wakeup;
  std::unique_ptr<detail::ExecutionWatchdog> watchdog;  // made at the end of the boot
  bool usable = false;
  bool reseed_pending = false;
  std::vector<std::string> missing_preloads;
  BootTimings timings;

  ~Impl() {
    watchdog.reset();  // its thread may still call into the isolate
    if (!isolate) return;
    {
      v8::Isolate::Scope isolate_scope(isolate);
      execute_function.Reset();
      state.timers.clear();
      state.modules.clear();
      state.wasm_marker.Reset();
      state.context.Reset();
    }
    isolate->Dispose();
  }

  std::expected<void, std::string> boot();
  ExecutionResult execute(const ExecutionRequest& request);
};

std::expected<void, std::string> Interpreter::Impl::boot() {
  const auto started = Clock::now();

  allocator = detail::make_capped_allocator(Runtime::options().array_buffer_limit);
  v8::Isolate::CreateParams params;
  params.array_buffer_allocator = allocator.get();
  params.constraints.ConfigureDefaultsFromHeapSize(0, Runtime::options().js_heap_limit);
  params.constraints.set_initial_old_generation_size_in_bytes(
      std::min<std::size_t>(kInitialOldGeneration, Runtime::options().js_heap_limit / 2));
  isolate = v8::Isolate::New(params);
  state.isolate = isolate;
  isolate->SetData(0, &state);
  isolate->AddNearHeapLimitCallback(on_near_heap_limit, &state);  // guarded inside
  isolate->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  detail::install_module_loader(isolate);
  detail::install_wasm_streaming(isolate);

  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handle_scope(isolate);
  auto context = v8::Context::New(isolate);
  state.context.Reset(isolate, context);
  v8::Context::Scope context_scope(context);
  detail::install_host_functions(isolate, context);

  // Boot output (Pyodide's loading messages) is dropped unless asked for.
  const bool debug = std::getenv("VIVARIUM_DEBUG") != nullptr;
  state.output = [debug](bool, std::string_view text) {
    if (debug) (void)!::write(STDERR_FILENO, text.data(), text.size());
  };

  v8::TryCatch try_catch(isolate);
  auto fail = [&](const std::string& what) -> std::expected<void, std::string> {
    return std::unexpected(what + ": " + exception_text(isolate, try_catch));
  };
  v8::ScriptOrigin origin(isolate, to_v8(isolate, "vivarium:bootstrap.js"));
  v8::Local<v8::Script> script;
  v8::Local<v8::Value> factory;
  if (!v8::Script::Compile(context, to_v8(isolate, detail::kBootstrapJs), &origin).ToLocal(&script) ||
      !script->Run(context).ToLocal(&factory) || !factory->IsFunction())
    return fail("the boot script failed");
  state.wakeup = &wakeup;
  auto hooks_object = detail::make_boot_hooks(context, state, interrupt_store);
  auto wasm_module = detail::compile_pyodide_wasm(context, wakeup);
  if (!wasm_module) return std::unexpected(wasm_module.error());
  hooks_object->Set(context, to_v8(isolate, "wasmModule"), *wasm_module).Check();
  v8::Local<v8::Value> hooks = hooks_object;
  v8::Local<v8::Value> boot_function;
  if (!factory.As<v8::Function>()->Call(context, v8::Undefined(isolate), 1, &hooks).ToLocal(&boot_function))
    return fail("the boot script failed");

  auto folder_url = [](const fs::path& dir) { return dir.empty() ? std::string() : dir.string() + "/"; };
  auto string_array = [&](const std::vector<std::string>& items) {
    auto array = v8::Array::New(isolate, static_cast<int>(items.size()));
    for (std::size_t i = 0; i < items.size(); ++i)
      array->Set(context, static_cast<std::uint32_t>(i), to_v8(isolate, items[i])).Check();
    return array;
  };
  std::vector<std::string> wheel_files;
  for (const auto& [file, sha256] : state.package_files.wheels.sha256_by_file) wheel_files.push_back(file);
  auto config = v8::Object::New(isolate);
  auto set = [&](const char* key, v8::Local<v8::Value> value) {
    config->Set(context, to_v8(isolate, key), value).Check();
  };
  set("indexURL", to_v8(isolate, state.assets_dir.string() + "/"));
  set("home", to_v8(isolate, kSandboxHome));
  set("runnerSource", to_v8(isolate, detail::kRunnerPy));
  set("micropipSource", to_v8(isolate, detail::kMicropipPy));
  set("pep440Source", to_v8(isolate, detail::kPep440Py));
  set("packagesURL", to_v8(isolate, folder_url(state.package_files.packages.dir)));
  set("wheelsURL", to_v8(isolate, folder_url(state.package_files.wheels.dir)));
  set("wheelFiles", string_array(wheel_files));
  set("preload", string_array(options.preload));
  v8::Local<v8::Value> args[] = {config};
  v8::Local<v8::Value> pending;
  if (!boot_function.As<v8::Function>()->Call(context, v8::Undefined(isolate), 1, args).ToLocal(&pending))
    return fail("booting Pyodide failed");
  auto promise = pending.As<v8::Promise>();
  const auto outcome = detail::run_until_settled(isolate, promise, wakeup);
  if (outcome != detail::LoopOutcome::settled) return std::unexpected(std::string("booting Pyodide did not finish"));
  if (promise->State() == v8::Promise::kRejected)
    return std::unexpected("booting Pyodide failed: " + exception_text(isolate, promise->Result()));
  auto booted = promise->Result();
  if (!booted->IsObject()) return std::unexpected(std::string("booting Pyodide returned nothing"));
  auto execute = detail::get_property(context, booted.As<v8::Object>(), "execute");
  if (!execute->IsFunction()) return std::unexpected(std::string("booting Pyodide returned no execute function"));
  execute_function.Reset(isolate, execute.As<v8::Function>());
  auto missing = detail::get_property(context, booted.As<v8::Object>(), "missingPreloads");
  if (missing->IsArray())
    for (std::uint32_t i = 0; i < missing.As<v8::Array>()->Length(); ++i)
      missing_preloads.push_back(to_std(isolate, missing.As<v8::Array>()->Get(context, i).ToLocalChecked()));

  // From here on untrusted code runs: no JS code generation from strings (eval,
  // new Function), so nothing can build code that was not in the bundle.
  context->AllowCodeGenerationFromStrings(false);
  detail::write_module_code_caches(isolate);
  state.output = nullptr;
  timings.wasm_cache_hit = state.wasm_cache_hit;
  // KeyboardInterrupt at the deadline or when interrupt() asks, TerminateExecution after
  // a grace period, then the embedder's last resort. It always watches, even without a
  // timeout, so that an interrupt escalates the same way.
  auto* interrupt_flag = static_cast<std::int32_t*>(interrupt_store->Data());
  watchdog = std::make_unique<detail::ExecutionWatchdog>(
      detail::ExecutionWatchdog::Actions{.interrupt =
                                             [this, interrupt_flag] {
                                               std::atomic_ref<std::int32_t>(*interrupt_flag).store(kSigint);
                                               wakeup.interrupt();
                                             },
                                         .terminate =
                                             [this] {
                                               isolate->TerminateExecution();
                                               wakeup.interrupt();
                                             },
                                         .unresponsive = options.on_unresponsive},
      options.interrupt_grace);
  timings.total_ms = ms_since(started);
  usable = true;
  return {};
}

ExecutionResult Interpreter::Impl::execute(const ExecutionRequest& request) {
  ExecutionResult result;
  if (!usable) {
    result.error = ExecutionError{ErrorKind::engine, "", "the interpreter was stopped and cannot run code", "", {}};
    result.interpreter_lost = true;
    return result;
  }
  const auto started = Clock::now();
  v8::Isolate::Scope isolate_scope(isolate);
  v8::HandleScope handle_scope(isolate);
  auto context = state.context.Get(isolate);
  v8::Context::Scope context_scope(context);

  std::size_t dropped_out = 0, dropped_err = 0;
  const std::size_t keep = request.max_output_bytes.value_or(std::string::npos);
  state.output = [&](bool is_stderr, std::string_view text) {
    auto& kept = is_stderr ? result.std_err : result.std_out;
    auto& dropped = is_stderr ? dropped_err : dropped_out;
    const std::size_t room = kept.size() < keep ? keep - kept.size() : 0;
    kept.append(text.substr(0, room));
    dropped += text.size() - std::min(room, text.size());
    if (request.on_output) request.on_output(is_stderr ? OutputStream::err : OutputStream::out, text);
  };

  auto* interrupt_flag = static_cast<std::int32_t*>(interrupt_store->Data());
  std::atomic_ref<std::int32_t>(*interrupt_flag).store(0);
  wakeup.interrupted = false;
  std::optional<Clock::time_point> deadline;
  if (request.timeout) deadline = started + *request.timeout;
  watchdog->begin(deadline);

  v8::TryCatch try_catch(isolate);
  auto argv = v8::Array::New(isolate, static_cast<int>(request.argv.size()));
  for (std::size_t i = 0; i < request.argv.size(); ++i)
    argv->Set(context, static_cast<std::uint32_t>(i), to_v8(isolate, request.argv[i])).Check();
  auto files = v8::Array::New(isolate, static_cast<int>(request.files.size()));
  for (std::size_t i = 0; i < request.files.size(); ++i) {
    auto pair = v8::Array::New(isolate, 2);
    pair->Set(context, 0, to_v8(isolate, request.files[i].path)).Check();
    pair->Set(context, 1, detail::new_uint8array(isolate, request.files[i].data)).Check();
    files->Set(context, static_cast<std::uint32_t>(i), pair).Check();
  }
  v8::Local<v8::Value> args[] = {to_v8(isolate, request.code),
                                 to_v8(isolate, request.filename),
                                 argv,
                                 files,
                                 v8::Boolean::New(isolate, reseed_pending),
                                 to_v8(isolate, request.globals_json)};
  reseed_pending = false;
  v8::Local<v8::Value> pending;
  std::optional<std::string> engine_failure;
  v8::Local<v8::Promise> promise;
  if (!execute_function.Get(isolate)->Call(context, v8::Undefined(isolate), 6, args).ToLocal(&pending)) {
    engine_failure = exception_text(isolate, try_catch);
  } else {
    promise = pending.As<v8::Promise>();
    switch (detail::run_until_settled(isolate, promise, wakeup)) {
      case detail::LoopOutcome::settled:
        if (promise->State() == v8::Promise::kRejected) engine_failure = exception_text(isolate, promise->Result());
        break;
      case detail::LoopOutcome::terminated:
        engine_failure = "execution terminated";
        break;
      case detail::LoopOutcome::stalled:
        engine_failure = "the code waits for an event that can never happen (nothing is scheduled)";
        break;
    }
  }
  // From here on the watchdog does nothing more to this execution.
  const auto [timed_out, interrupted, hard_stopped] = watchdog->end();
  std::atomic_ref<std::int32_t>(*interrupt_flag).store(0);
  if (isolate->IsExecutionTerminating() || hard_stopped || state.heap_exhausted) {
    isolate->CancelTerminateExecution();
    usable = false;
    result.interpreter_lost = true;
  }

  if (!engine_failure && !promise.IsEmpty()) {
    auto report = promise->Result();
    if (report->IsObject()) {
      auto object = report.As<v8::Object>();
      auto final_json = detail::get_property(context, object, "final");
      if (final_json->IsString()) result.final_expression_json = to_std(isolate, final_json);
      auto exit_code = detail::get_property(context, object, "exit_code");
      if (exit_code->IsNumber()) result.exit_code = static_cast<int>(exit_code.As<v8::Number>()->Value());
      auto out_files = detail::get_property(context, object, "files");
      if (out_files->IsArray()) {
        auto list = out_files.As<v8::Array>();
        for (std::uint32_t i = 0; i < list->Length(); ++i) {
          v8::Local<v8::Value> entry;
          if (!list->Get(context, i).ToLocal(&entry) || !entry->IsArray()) continue;
          auto pair = entry.As<v8::Array>();
          v8::Local<v8::Value> path, data;
          if (!pair->Get(context, 0).ToLocal(&path) || !pair->Get(context, 1).ToLocal(&data)) continue;
          result.output_files.push_back({to_std(isolate, path), detail::copy_bytes(data)});
        }
      }
      auto error = detail::get_property(context, object, "error");
      if (error->IsObject()) {
        auto e = error.As<v8::Object>();
        ExecutionError failure;
        failure.exception = to_std(isolate, detail::get_property(context, e, "exception"));
        failure.message = to_std(isolate, detail::get_property(context, e, "message"));
        failure.traceback = to_std(isolate, detail::get_property(context, e, "traceback"));
        auto line = detail::get_property(context, e, "line");
        if (line->IsNumber()) failure.line = static_cast<int>(line.As<v8::Number>()->Value());
        failure.kind = failure.exception == "MemoryError" ? ErrorKind::memory : ErrorKind::execution;
        if (timed_out && failure.exception == "KeyboardInterrupt") failure.kind = ErrorKind::timeout;
        result.error = std::move(failure);
      }
    }
  }
  if (engine_failure) {
    ExecutionError failure;
    failure.kind = ErrorKind::engine;
    if (timed_out) {
      failure.kind = ErrorKind::timeout;
      failure.exception = "TimeoutError";
      failure.message = "TimeoutError: execution stopped after the time limit";
    } else if (interrupted) {
      // The code caught KeyboardInterrupt and ran on: stopped hard, as past a timeout.
      failure.kind = ErrorKind::execution;
      failure.exception = "KeyboardInterrupt";
      failure.message = "KeyboardInterrupt: the code ignored the interrupt and was stopped";
    } else if (state.heap_exhausted) {
      failure.kind = ErrorKind::memory;
      failure.exception = "MemoryError";
      failure.message = "MemoryError: the JavaScript heap limit was reached";
    } else {
      // Pyodide cannot recover from a failure below Python (a JS stack overflow, a wasm
      // trap, a fatal error): the interpreter is done for.
      const auto first_line = engine_failure->substr(0, engine_failure->find('\n'));
      failure.message = "the interpreter crashed: " + first_line;
      usable = false;
      result.interpreter_lost = true;
    }
    result.error = std::move(failure);
  } else if (timed_out && !result.error) {
    // The code finished on its own between the deadline and the interrupt check.
    ExecutionError failure{
        ErrorKind::timeout, "TimeoutError", "TimeoutError: execution stopped after the time limit", "", {}};
    result.error = std::move(failure);
  }
  state.output = nullptr;
  auto mark_truncation = [](std::string& text, std::size_t dropped) {
    if (dropped > 0) text += output_truncation_marker(dropped);
  };
  mark_truncation(result.std_out, dropped_out);
  mark_truncation(result.std_err, dropped_err);
  result.code_runtime_ms = static_cast<std::int64_t>(ms_since(started));
  return result;
}

// --- public API ---------------------------------------------------------------------

Interpreter::Interpreter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Interpreter::~Interpreter() = default;

std::expected<std::unique_ptr<Interpreter>, std::string> Interpreter::boot(const BootOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  // Sizes are checked at every start, before any path is derived from the bundle (its
  // canonical folder, the snapshot's name); the content hashes only when there is no boot
  // cache yet, i.e. the first time this bundle is used (hashing costs ~20 ms).
  if (auto checked = check_assets(options.assets_dir, false); !checked) return std::unexpected(checked.error());
  std::error_code ec;
  impl->state.assets_dir = fs::canonical(options.assets_dir, ec);
  if (ec) return std::unexpected("Pyodide assets not found at " + options.assets_dir.string());
  impl->state.cache_dir = options.cache_dir;
  impl->state.inherit_stdin = options.inherit_stdin;
  auto& packages = impl->state.package_files;
  if (options.packages) {
    packages.packages = {fs::canonical(options.packages->dir, ec), options.packages->sha256_by_file};
    if (ec) return std::unexpected("package folder not found: " + options.packages->dir.string());
  }
  if (options.wheels) {
    packages.wheels = {fs::canonical(options.wheels->dir, ec), options.wheels->sha256_by_file};
    if (ec) return std::unexpected("wheel folder not found: " + options.wheels->dir.string());
  }
  packages.fetch = options.fetch_package_file;
  impl->state.notice = options.on_notice;
  const auto snapshot = detail::snapshot_path(impl->state);
  std::error_code exists_ec;
  const bool first_boot = !snapshot || !fs::exists(*snapshot, exists_ec);
  if (first_boot) {
    if (auto checked = check_assets(impl->state.assets_dir, true); !checked) return std::unexpected(checked.error());
  }
  if (auto booted = impl->boot(); !booted) return std::unexpected(booted.error());
  return std::unique_ptr<Interpreter>(new Interpreter(std::move(impl)));
}

ExecutionResult Interpreter::execute(const ExecutionRequest& request) { return impl_->execute(request); }
bool Interpreter::usable() const { return impl_->usable; }

bool Interpreter::interrupt() { return impl_->watchdog && impl_->watchdog->interrupt(); }

void Interpreter::reseed_after_fork() {
  // A fork copies the generator state of its parent: every session would draw the same
  // numbers. Entropy itself (os.urandom, crypto.getRandomValues, Math.random) already
  // comes from getrandom() per call. The runner reseeds before the next execution runs
  // anything (a separate execution here would cost a fork ~30 ms of copy-on-write).
  impl_->reseed_pending = true;
}
Interpreter::BootTimings Interpreter::boot_timings() const { return impl_->timings; }
std::vector<std::string> Interpreter::missing_preloads() const { return impl_->missing_preloads; }
void Interpreter::set_package_fetcher(WheelFetcher fetch) { impl_->state.package_files.fetch = std::move(fetch); }

}  // namespace vivarium::engine
