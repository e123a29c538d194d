#include "src/event_loop.h"

#include <libplatform/libplatform.h>

#include "src/isolate_state.h"
#include "src/v8_process.h"
#include "src/v8_util.h"

namespace vivarium::engine::detail {
namespace {

void report_uncaught(v8::Isolate* isolate, v8::TryCatch& try_catch) {
  auto& state = IsolateState::of(isolate);
  if (!state.output || try_catch.HasTerminated()) return;
  state.output(true, "Uncaught (in timer) " + exception_text(isolate, try_catch) + "\n");
}

// Runs the timer that is due first, if any is due (or any at all when `force`).
bool run_one_timer(v8::Isolate* isolate, bool force) {
  auto& state = IsolateState::of(isolate);
  if (state.timers.empty()) return false;
  auto first = state.timers.begin();
  for (auto it = state.timers.begin(); it != state.timers.end(); ++it)
    if (it->second.due < first->second.due) first = it;
  if (!force && first->second.due > std::chrono::steady_clock::now()) return false;
  Timer timer = std::move(first->second);
  state.timers.erase(first);
  auto context = isolate->GetCurrentContext();
  std::vector<v8::Local<v8::Value>> arguments;
  for (auto& argument : timer.arguments) arguments.push_back(argument.Get(isolate));
  v8::TryCatch try_catch(isolate);
  auto callback = timer.callback.Get(isolate);
  if (callback->Call(context, context->Global(), static_cast<int>(arguments.size()), arguments.data()).IsEmpty())
    report_uncaught(isolate, try_catch);
  return true;
}

std::chrono::steady_clock::time_point next_due(IsolateState& state) {
  auto due = std::chrono::steady_clock::time_point::max();
  for (auto& [id, timer] : state.timers) due = std::min(due, timer.due);
  return due;
}

}  // namespace

LoopOutcome run_until_settled(v8::Isolate* isolate, v8::Local<v8::Promise> promise, LoopWakeup& wakeup) {
  auto& state = IsolateState::of(isolate);
  for (;;) {
    while (v8::platform::PumpMessageLoop(platform(), isolate, v8::platform::MessageLoopBehavior::kDoNotWait)) {
    }
    isolate->PerformMicrotaskCheckpoint();
    if (isolate->IsExecutionTerminating()) return LoopOutcome::terminated;
    if (promise->State() != v8::Promise::kPending) return LoopOutcome::settled;
    if (run_one_timer(isolate, wakeup.interrupted)) continue;
    if (state.timers.empty()) return LoopOutcome::stalled;
    std::unique_lock lock(wakeup.mutex);
    wakeup.condition.wait_until(lock, next_due(state), [&] { return wakeup.interrupted.load(); });
  }
}

}  // namespace vivarium::engine::detail
