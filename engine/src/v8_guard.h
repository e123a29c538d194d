// The one guard at the V8 boundary. V8 is built without C++ exceptions: one that unwinds
// through its frames ends the process (std::terminate) or leaves the isolate corrupt.
// Every function V8 calls back into (host functions, boot hooks, accessors, the module
// loader's resolve/import/import.meta callbacks, WebAssembly streaming, the heap-limit
// callback) is therefore installed as guarded<function>, or runs its body through
// catch_cpp_exceptions() where a JS exception cannot be thrown. Any C++ exception becomes
// a JS Error naming it, which Python sees as a JsException (or which fails the boot with
// that text), and the interpreter goes on working.
#pragma once

#include <v8.h>

#include <string>
#include <utility>

namespace vivarium::engine::detail {

// Call only from a catch block: the exception in flight, as one line of text. Never throws.
std::string describe_current_exception() noexcept;
// Throws a JS Error into isolate for the C++ exception in flight. Never throws.
void throw_current_exception(v8::Isolate* isolate) noexcept;

// Runs body(); a C++ exception it lets out is caught and its text handed to failed (an
// exception out of failed itself is dropped).
template <typename Body, typename Failed>
void catch_cpp_exceptions(Body&& body, Failed&& failed) noexcept {
  try {
    std::forward<Body>(body)();
  } catch (...) {
    try {
      std::forward<Failed>(failed)(describe_current_exception());
    } catch (...) {
    }
  }
}

namespace guard_detail {
template <auto Callback, typename Result, typename... Args>
Result call(Args... args) noexcept {
  try {
    return Callback(args...);
  } catch (...) {
    // V8 runs every callback on its isolate's thread with the isolate entered.
    throw_current_exception(v8::Isolate::GetCurrent());
    // Empty (MaybeLocal) or nothing: V8 sees the exception that was just thrown.
    return Result();
  }
}
template <auto Callback, typename Result, typename... Args>
constexpr auto wrap(Result (*)(Args...)) {
  return &call<Callback, Result, Args...>;
}
}  // namespace guard_detail

// guarded<f> has f's signature and can be handed to V8 wherever f could.
template <auto Callback>
inline constexpr auto guarded = guard_detail::wrap<Callback>(Callback);

}  // namespace vivarium::engine::detail
