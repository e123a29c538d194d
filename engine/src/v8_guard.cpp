#include "src/v8_guard.h"

#include <exception>

namespace vivarium::engine::detail {

std::string describe_current_exception() noexcept {
  try {
    try {
      throw;
    } catch (const std::exception& error) {
      return std::string("vivarium internal error (C++ exception): ") + error.what();
    } catch (...) {
      return "vivarium internal error: an unknown C++ exception";
    }
  } catch (...) {
    return {};  // even the text could not be built (out of memory)
  }
}

void throw_current_exception(v8::Isolate* isolate) noexcept {
  const std::string text = describe_current_exception();
  v8::Local<v8::String> message;
  if (text.empty() ||
      !v8::String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal, static_cast<int>(text.size()))
           .ToLocal(&message))
    message = v8::String::NewFromUtf8Literal(isolate, "vivarium internal error: out of memory");
  isolate->ThrowException(v8::Exception::Error(message));
}

}  // namespace vivarium::engine::detail
