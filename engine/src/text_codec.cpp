#include "src/text_codec.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "src/v8_guard.h"
#include "src/v8_util.h"

namespace vivarium::engine::detail {
namespace {

enum class Encoding : int { utf8 = 0, utf16le = 1, latin1 = 2 };

std::optional<Encoding> encoding_from_label(std::string label) {
  std::transform(label.begin(), label.end(), label.begin(), [](unsigned char c) { return std::tolower(c); });
  auto trim = [](std::string& s) {
    const auto first = s.find_first_not_of(" \t\n\f\r");
    const auto last = s.find_last_not_of(" \t\n\f\r");
    s = first == std::string::npos ? std::string() : s.substr(first, last - first + 1);
  };
  trim(label);
  if (label == "utf-8" || label == "utf8" || label == "unicode-1-1-utf-8") return Encoding::utf8;
  if (label == "utf-16le" || label == "utf-16") return Encoding::utf16le;
  // WHATWG maps these labels to windows-1252; Pyodide only hands them ASCII, where the
  // two agree, so a straight ISO-8859-1 mapping is enough.
  if (label == "latin1" || label == "iso-8859-1" || label == "ascii" || label == "us-ascii" ||
      label == "windows-1252" || label == "l1" || label == "iso8859-1")
    return Encoding::latin1;
  return std::nullopt;
}

const char* encoding_name(Encoding e) {
  switch (e) {
    case Encoding::utf8:
      return "utf-8";
    case Encoding::utf16le:
      return "utf-16le";
    case Encoding::latin1:
      return "windows-1252";
  }
  return "utf-8";
}

// Returns the bytes viewed by an ArrayBuffer, SharedArrayBuffer or ArrayBufferView.
bool bytes_of(v8::Local<v8::Value> value, const std::uint8_t*& data, std::size_t& size) {
  if (value->IsArrayBufferView()) {
    auto view = value.As<v8::ArrayBufferView>();
    auto store = view->Buffer()->GetBackingStore();
    data = static_cast<const std::uint8_t*>(store->Data()) + view->ByteOffset();
    size = view->ByteLength();
    return true;
  }
  if (value->IsArrayBuffer()) {
    auto store = value.As<v8::ArrayBuffer>()->GetBackingStore();
    data = static_cast<const std::uint8_t*>(store->Data());
    size = store->ByteLength();
    return true;
  }
  if (value->IsSharedArrayBuffer()) {
    auto store = value.As<v8::SharedArrayBuffer>()->GetBackingStore();
    data = static_cast<const std::uint8_t*>(store->Data());
    size = store->ByteLength();
    return true;
  }
  return false;
}

// Decodes UTF-8 into UTF-16 following the WHATWG decoder: each maximal invalid
// subsequence becomes one U+FFFD, or fails when fatal.
bool decode_utf8(const std::uint8_t* s, std::size_t n, bool fatal, std::u16string& out) {
  out.reserve(n);
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t b = s[i];
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    }
    std::uint32_t cp = 0;
    int needed = 0;
    std::uint8_t lower = 0x80, upper = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      needed = 1;
      cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      if (b == 0xE0) lower = 0xA0;
      if (b == 0xED) upper = 0x9F;
      needed = 2;
      cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      if (b == 0xF0) lower = 0x90;
      if (b == 0xF4) upper = 0x8F;
      needed = 3;
      cp = b & 0x07;
    } else {
      if (fatal) return false;
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    int seen = 0;
    bool ok = true;
    while (seen < needed) {
      if (j >= n || s[j] < lower || s[j] > upper) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (s[j] & 0x3F);
      lower = 0x80;
      upper = 0xBF;
      ++j;
      ++seen;
    }
    if (!ok) {
      if (fatal) return false;
      out.push_back(0xFFFD);
      i = j;  // the maximal subpart consumed so far
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
    i = j;
  }
  return true;
}

bool decode_utf16le(const std::uint8_t* s, std::size_t n, bool fatal, std::u16string& out) {
  out.reserve(n / 2 + 1);
  for (std::size_t i = 0; i + 1 < n; i += 2) {
    const char16_t unit = static_cast<char16_t>(s[i] | (s[i + 1] << 8));
    if (unit >= 0xD800 && unit <= 0xDBFF) {
      if (i + 3 < n) {
        const char16_t next = static_cast<char16_t>(s[i + 2] | (s[i + 3] << 8));
        if (next >= 0xDC00 && next <= 0xDFFF) {
          out.push_back(unit);
          out.push_back(next);
          i += 2;
          continue;
        }
      }
      if (fatal) return false;
      out.push_back(0xFFFD);
    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
      if (fatal) return false;
      out.push_back(0xFFFD);
    } else {
      out.push_back(unit);
    }
  }
  if (n % 2 != 0) {
    if (fatal) return false;
    out.push_back(0xFFFD);
  }
  return true;
}

struct DecoderConfig {
  Encoding encoding = Encoding::utf8;
  bool fatal = false;
  bool ignore_bom = false;
};

bool get_bool_option(v8::Isolate* isolate, v8::Local<v8::Value> options, const char* name) {
  if (!options->IsObject()) return false;
  v8::Local<v8::Value> value;
  if (!options.As<v8::Object>()->Get(isolate->GetCurrentContext(), to_v8(isolate, name)).ToLocal(&value)) return false;
  return value->BooleanValue(isolate);
}

void decoder_construct(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  if (!info.IsConstructCall()) return throw_error(isolate, "TextDecoder must be called with new", "TypeError");
  DecoderConfig config;
  if (info.Length() > 0 && !info[0]->IsUndefined()) {
    auto encoding = encoding_from_label(to_std(isolate, info[0]));
    if (!encoding)
      return throw_error(isolate, "The encoding label provided ('" + to_std(isolate, info[0]) + "') is invalid.",
                         "RangeError");
    config.encoding = *encoding;
  }
  if (info.Length() > 1) {
    config.fatal = get_bool_option(isolate, info[1], "fatal");
    config.ignore_bom = get_bool_option(isolate, info[1], "ignoreBOM");
  }
  auto self = info.This();
  const int packed = static_cast<int>(config.encoding) | (config.fatal ? 4 : 0) | (config.ignore_bom ? 8 : 0);
  self->SetInternalField(0, v8::Integer::New(isolate, packed));
}

std::optional<DecoderConfig> decoder_config(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto self = info.This();
  if (self->InternalFieldCount() < 1) return std::nullopt;
  auto field = self->GetInternalField(0);
  if (!field->IsInt32()) return std::nullopt;
  const int packed = field.As<v8::Int32>()->Value();
  return DecoderConfig{static_cast<Encoding>(packed & 3), (packed & 4) != 0, (packed & 8) != 0};
}

void decoder_decode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  auto config = decoder_config(info);
  if (!config) return throw_error(isolate, "Illegal invocation", "TypeError");
  if (info.Length() == 0 || info[0]->IsUndefined()) return info.GetReturnValue().Set(v8::String::Empty(isolate));
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  if (!bytes_of(info[0], data, size))
    return throw_error(isolate, "The provided value is not of type '(ArrayBuffer or ArrayBufferView)'", "TypeError");
  if (size > static_cast<std::size_t>(v8::String::kMaxLength))
    return throw_error(isolate, "data too large to decode", "RangeError");

  if (config->encoding == Encoding::latin1) {
    v8::Local<v8::String> result;
    if (!v8::String::NewFromOneByte(isolate, data, v8::NewStringType::kNormal, static_cast<int>(size)).ToLocal(&result))
      return;
    return info.GetReturnValue().Set(result);
  }
  if (config->encoding == Encoding::utf8) {
    if (!config->ignore_bom && size >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) {
      data += 3;
      size -= 3;
    }
    // Fast path: pure ASCII needs no transcoding.
    std::size_t ascii = 0;
    while (ascii < size && data[ascii] < 0x80) ++ascii;
    if (ascii == size) {
      v8::Local<v8::String> result;
      if (!v8::String::NewFromOneByte(isolate, data, v8::NewStringType::kNormal, static_cast<int>(size))
               .ToLocal(&result))
        return;
      return info.GetReturnValue().Set(result);
    }
  } else if (!config->ignore_bom && size >= 2 && data[0] == 0xFF && data[1] == 0xFE) {
    data += 2;
    size -= 2;
  }
  std::u16string decoded;
  const bool ok = config->encoding == Encoding::utf8 ? decode_utf8(data, size, config->fatal, decoded)
                                                     : decode_utf16le(data, size, config->fatal, decoded);
  if (!ok) return throw_error(isolate, "The encoded data was not valid.", "TypeError");
  v8::Local<v8::String> result;
  if (!v8::String::NewFromTwoByte(isolate, reinterpret_cast<const std::uint16_t*>(decoded.data()),
                                  v8::NewStringType::kNormal, static_cast<int>(decoded.size()))
           .ToLocal(&result))
    return;
  info.GetReturnValue().Set(result);
}

void decoder_encoding(v8::Local<v8::String>, const v8::PropertyCallbackInfo<v8::Value>& info) {
  auto self = info.This();
  if (self->InternalFieldCount() < 1 || !self->GetInternalField(0)->IsInt32()) return;
  const int packed = self->GetInternalField(0).As<v8::Int32>()->Value();
  info.GetReturnValue().Set(to_v8(info.GetIsolate(), encoding_name(static_cast<Encoding>(packed & 3))));
}

void encoder_encode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  v8::Local<v8::String> text = v8::String::Empty(isolate);
  if (info.Length() > 0 && !info[0]->IsUndefined() && !info[0]->ToString(isolate->GetCurrentContext()).ToLocal(&text))
    return;
  const int length = text->Utf8Length(isolate);
  auto buffer = v8::ArrayBuffer::New(isolate, static_cast<std::size_t>(length));
  text->WriteUtf8(isolate, static_cast<char*>(buffer->GetBackingStore()->Data()), length, nullptr,
                  v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  info.GetReturnValue().Set(v8::Uint8Array::New(buffer, 0, static_cast<std::size_t>(length)));
}

void encoder_encode_into(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  auto context = isolate->GetCurrentContext();
  v8::Local<v8::String> text;
  if (info.Length() < 2 || !info[1]->IsUint8Array())
    return throw_error(isolate, "encodeInto needs a string and a Uint8Array", "TypeError");
  if (!info[0]->ToString(context).ToLocal(&text)) return;
  auto target = info[1].As<v8::Uint8Array>();
  char* out = static_cast<char*>(target->Buffer()->GetBackingStore()->Data()) + target->ByteOffset();
  int read = 0;
  const int written = text->WriteUtf8(isolate, out, static_cast<int>(target->ByteLength()), &read,
                                      v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  // V8 counts characters read in UTF-16 code units, as encodeInto must report them.
  auto result = v8::Object::New(isolate);
  result->Set(context, to_v8(isolate, "read"), v8::Integer::New(isolate, read)).Check();
  result->Set(context, to_v8(isolate, "written"), v8::Integer::New(isolate, written)).Check();
  info.GetReturnValue().Set(result);
}

void encoder_construct(const v8::FunctionCallbackInfo<v8::Value>& info) {
  if (!info.IsConstructCall()) throw_error(info.GetIsolate(), "TextEncoder must be called with new", "TypeError");
}

void encoder_encoding(v8::Local<v8::String>, const v8::PropertyCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(to_v8(info.GetIsolate(), "utf-8"));
}

}  // namespace

void install_text_codec(v8::Isolate* isolate, v8::Local<v8::Context> context) {
  auto global = context->Global();

  // Every callback is installed guarded (see v8_guard.h).
  auto decoder = v8::FunctionTemplate::New(isolate, guarded<decoder_construct>);
  decoder->SetClassName(to_v8(isolate, "TextDecoder"));
  decoder->InstanceTemplate()->SetInternalFieldCount(1);
  auto decoder_proto = decoder->PrototypeTemplate();
  decoder_proto->Set(isolate, "decode", v8::FunctionTemplate::New(isolate, guarded<decoder_decode>));
  decoder->InstanceTemplate()->SetAccessor(to_v8(isolate, "encoding"), guarded<decoder_encoding>);
  global->Set(context, to_v8(isolate, "TextDecoder"), decoder->GetFunction(context).ToLocalChecked()).Check();

  auto encoder = v8::FunctionTemplate::New(isolate, guarded<encoder_construct>);
  encoder->SetClassName(to_v8(isolate, "TextEncoder"));
  auto encoder_proto = encoder->PrototypeTemplate();
  encoder_proto->Set(isolate, "encode", v8::FunctionTemplate::New(isolate, guarded<encoder_encode>));
  encoder_proto->Set(isolate, "encodeInto", v8::FunctionTemplate::New(isolate, guarded<encoder_encode_into>));
  encoder->InstanceTemplate()->SetAccessor(to_v8(isolate, "encoding"), guarded<encoder_encoding>);
  global->Set(context, to_v8(isolate, "TextEncoder"), encoder->GetFunction(context).ToLocalChecked()).Check();
}

}  // namespace vivarium::engine::detail
