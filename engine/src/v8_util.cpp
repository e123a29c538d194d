#include "src/v8_util.h"

#include <cstring>

namespace vivarium::engine::detail {

v8::Local<v8::String> to_v8(v8::Isolate* isolate, std::string_view text) {
  return v8::String::NewFromUtf8(isolate, text.data(), v8::NewStringType::kNormal, static_cast<int>(text.size()))
      .ToLocalChecked();
}

std::string to_std(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  v8::String::Utf8Value utf8(isolate, value);
  return *utf8 ? std::string(*utf8, static_cast<std::size_t>(utf8.length())) : std::string();
}

void throw_error(v8::Isolate* isolate, std::string_view message, std::string_view kind) {
  auto text = to_v8(isolate, message);
  v8::Local<v8::Value> error;
  if (kind == "TypeError")
    error = v8::Exception::TypeError(text);
  else if (kind == "RangeError")
    error = v8::Exception::RangeError(text);
  else
    error = v8::Exception::Error(text);
  isolate->ThrowException(error);
}

std::string exception_text(v8::Isolate* isolate, v8::Local<v8::Value> exception) {
  if (exception.IsEmpty()) return {};
  if (exception->IsObject()) {
    auto stack = get_property(isolate->GetCurrentContext(), exception.As<v8::Object>(), "stack");
    if (stack->IsString()) return to_std(isolate, stack);
  }
  return to_std(isolate, exception);
}

std::string exception_text(v8::Isolate* isolate, const v8::TryCatch& try_catch) {
  if (try_catch.HasTerminated()) return "execution terminated";
  return exception_text(isolate, try_catch.Exception());
}

v8::Local<v8::Value> get_property(v8::Local<v8::Context> context, v8::Local<v8::Object> object, const char* key) {
  auto* isolate = context->GetIsolate();
  v8::Local<v8::Value> value;
  if (!object->Get(context, to_v8(isolate, key)).ToLocal(&value)) return v8::Undefined(isolate);
  return value;
}

std::string copy_bytes(v8::Local<v8::Value> value) {
  if (!value->IsArrayBufferView()) return {};
  auto view = value.As<v8::ArrayBufferView>();
  std::string bytes(view->ByteLength(), '\0');
  if (!bytes.empty()) view->CopyContents(bytes.data(), bytes.size());
  return bytes;
}

v8::Local<v8::Uint8Array> new_uint8array(v8::Isolate* isolate, std::string_view bytes) {
  auto buffer = v8::ArrayBuffer::New(isolate, bytes.size());
  if (!bytes.empty()) std::memcpy(buffer->GetBackingStore()->Data(), bytes.data(), bytes.size());
  return v8::Uint8Array::New(buffer, 0, bytes.size());
}

}  // namespace vivarium::engine::detail
