// Small helpers for the engine's V8 glue: strings, exceptions, properties and bytes.
// V8 only: no isolate state, no files.
#pragma once

#include <v8.h>

#include <string>
#include <string_view>

namespace vivarium::engine::detail {

// Throws a JS exception of the given constructor ("TypeError", "RangeError", "Error").
void throw_error(v8::Isolate* isolate, std::string_view message, std::string_view kind = "Error");
v8::Local<v8::String> to_v8(v8::Isolate* isolate, std::string_view text);
std::string to_std(v8::Isolate* isolate, v8::Local<v8::Value> value);

// A thrown or rejected JS value as text: its stack when it has one (an Error), else the
// value itself.
std::string exception_text(v8::Isolate* isolate, v8::Local<v8::Value> exception);
// What the try_catch caught, as text; "execution terminated" for TerminateExecution.
std::string exception_text(v8::Isolate* isolate, const v8::TryCatch& try_catch);

// object[key], or undefined when reading it throws.
v8::Local<v8::Value> get_property(v8::Local<v8::Context> context, v8::Local<v8::Object> object, const char* key);
// The bytes an ArrayBufferView shows (empty for anything else).
std::string copy_bytes(v8::Local<v8::Value> value);
v8::Local<v8::Uint8Array> new_uint8array(v8::Isolate* isolate, std::string_view bytes);

}  // namespace vivarium::engine::detail
