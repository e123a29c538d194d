#include "src/host_functions.h"

#include <sys/random.h>

#include <chrono>
#include <cstring>
#include <vector>

#include "engine/base64.h"
#include "engine/wheel_name.h"
#include "src/host_io.h"
#include "src/isolate_state.h"
#include "src/package_files.h"
#include "src/text_codec.h"
#include "src/v8_guard.h"
#include "src/v8_util.h"

namespace vivarium::engine::detail {
namespace {

using Info = v8::FunctionCallbackInfo<v8::Value>;

void fill_random(void* data, std::size_t size) {
  auto* bytes = static_cast<std::uint8_t*>(data);
  while (size > 0) {
    const ssize_t got = ::getrandom(bytes, size, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      std::abort();  // no entropy is a broken invariant, never a silent fallback
    }
    bytes += got;
    size -= static_cast<std::size_t>(got);
  }
}

// read(path): text of a file in the asset folder.
void host_read(const Info& info) {
  auto* isolate = info.GetIsolate();
  auto& state = IsolateState::of(isolate);
  const std::string requested = info.Length() > 0 ? to_std(isolate, info[0]) : std::string();
  auto path = allowed_host_path(state, requested);
  auto content = path ? read_file(*path) : std::nullopt;
  if (!content) return throw_error(isolate, "read: no such file: " + requested);
  info.GetReturnValue().Set(to_v8(isolate, *content));
}

// readbuffer(path): bytes of a file in the asset folder, or a wheel of the package folder
// (or of the extra wheel folder) that is listed and whose sha256 matches.
void host_readbuffer(const Info& info) {
  auto* isolate = info.GetIsolate();
  auto& state = IsolateState::of(isolate);
  const std::string requested = info.Length() > 0 ? to_std(isolate, info[0]) : std::string();
  if (auto source = wheel_source_of(state.package_files, requested)) {
    auto bytes = read_package_file(state.package_files, *source, requested);
    if (!bytes) return throw_error(isolate, "readbuffer: " + bytes.error());
    auto buffer = v8::ArrayBuffer::New(isolate, bytes->size());
    if (!bytes->empty()) std::memcpy(buffer->GetBackingStore()->Data(), bytes->data(), bytes->size());
    return info.GetReturnValue().Set(buffer);
  }
  auto path = allowed_host_path(state, requested);
  auto content = path ? read_file(*path) : std::nullopt;
  if (!content) return throw_error(isolate, "readbuffer: no such file: " + requested);
  auto buffer = v8::ArrayBuffer::New(isolate, content->size());
  std::memcpy(buffer->GetBackingStore()->Data(), content->data(), content->size());
  info.GetReturnValue().Set(buffer);
}

// wheelname(file): what a wheel file name says, for micropip, so that it follows the same
// rules as the package listings (engine/wheel_name.h): {name, version, pythonTag, abiTag,
// platformTag, purePython3}, or an error saying why the name is not a wheel's.
void host_wheelname(const Info& info) {
  auto* isolate = info.GetIsolate();
  const std::string file_name = info.Length() > 0 ? to_std(isolate, info[0]) : std::string();
  auto wheel = parse_wheel_file_name(file_name);
  if (!wheel) return throw_error(isolate, file_name + " is " + wheel.error());
  auto context = isolate->GetCurrentContext();
  auto result = v8::Object::New(isolate);
  const auto set = [&](const char* key, v8::Local<v8::Value> value) {
    result->Set(context, to_v8(isolate, key), value).Check();
  };
  set("name", to_v8(isolate, wheel->name));
  set("version", to_v8(isolate, wheel->version));
  set("pythonTag", to_v8(isolate, wheel->python_tag));
  set("abiTag", to_v8(isolate, wheel->abi_tag));
  set("platformTag", to_v8(isolate, wheel->platform_tag));
  set("purePython3", v8::Boolean::New(isolate, is_pure_python3(*wheel)));
  info.GetReturnValue().Set(result);
}

void host_load(const Info& info) { throw_error(info.GetIsolate(), "load() is not available in vivarium"); }

std::string join_arguments(const Info& info) {
  std::string line;
  for (int i = 0; i < info.Length(); ++i) {
    if (i > 0) line += ' ';
    line += to_std(info.GetIsolate(), info[i]);
  }
  line += '\n';
  return line;
}

void write_out(const Info& info, bool is_stderr) {
  auto& state = IsolateState::of(info.GetIsolate());
  if (state.output) state.output(is_stderr, join_arguments(info));
}
void host_print(const Info& info) { write_out(info, false); }
void host_print_err(const Info& info) { write_out(info, true); }

void host_set_timeout(const Info& info) {
  auto* isolate = info.GetIsolate();
  auto& state = IsolateState::of(isolate);
  if (info.Length() < 1 || !info[0]->IsFunction())
    return throw_error(isolate, "setTimeout needs a function", "TypeError");
  double delay = 0;
  if (info.Length() > 1 && !info[1]->NumberValue(isolate->GetCurrentContext()).To(&delay)) return;
  if (!(delay > 0)) delay = 0;  // NaN and negatives mean "now"
  delay = std::min(delay, 2147483647.0);
  Timer timer;
  timer.callback.Reset(isolate, info[0].As<v8::Function>());
  for (int i = 2; i < info.Length(); ++i) timer.arguments.emplace_back(isolate, info[i]);
  timer.due = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<std::int64_t>(delay * 1000.0));
  const std::uint32_t id = state.next_timer_id++;
  state.timers.emplace(id, std::move(timer));
  info.GetReturnValue().Set(v8::Integer::NewFromUnsigned(isolate, id));
}

void host_clear_timeout(const Info& info) {
  auto* isolate = info.GetIsolate();
  auto& state = IsolateState::of(isolate);
  if (info.Length() < 1 || !info[0]->IsNumber()) return;
  const double id = info[0].As<v8::Number>()->Value();
  if (id >= 1 && id < 4294967296.0) state.timers.erase(static_cast<std::uint32_t>(id));
}

void host_queue_microtask(const Info& info) {
  auto* isolate = info.GetIsolate();
  if (info.Length() < 1 || !info[0]->IsFunction())
    return throw_error(isolate, "queueMicrotask needs a function", "TypeError");
  isolate->EnqueueMicrotask(info[0].As<v8::Function>());
}

void host_performance_now(const Info& info) {
  static const auto origin = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - origin).count();
  info.GetReturnValue().Set(ms);
}

// crypto.getRandomValues(typedArray): OS entropy, per call, never a seeded generator (a
// forked session must not repeat its zygote's numbers).
void host_get_random_values(const Info& info) {
  auto* isolate = info.GetIsolate();
  if (info.Length() < 1 || !info[0]->IsArrayBufferView() || info[0]->IsDataView() || info[0]->IsFloat32Array() ||
      info[0]->IsFloat64Array())
    return throw_error(isolate, "getRandomValues needs an integer TypedArray", "TypeError");
  auto view = info[0].As<v8::ArrayBufferView>();
  if (view->ByteLength() > 65536)
    return throw_error(isolate, "getRandomValues: the byte length exceeds 65536", "RangeError");
  auto store = view->Buffer()->GetBackingStore();
  if (store->Data() != nullptr && view->ByteLength() > 0)
    fill_random(static_cast<std::uint8_t*>(store->Data()) + view->ByteOffset(), view->ByteLength());
  info.GetReturnValue().Set(info[0]);
}

void host_math_random(const Info& info) {
  std::uint64_t bits = 0;
  fill_random(&bits, sizeof bits);
  info.GetReturnValue().Set(static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0));
}

// os.system: emscripten in shell mode asks d8's os.system for random bytes with exactly
//   os.system("sh", ["-c", "head -c<N> /dev/urandom | base64 --wrap=0"]).
// This look-alike runs nothing: it answers that one request from getrandom() and refuses
// every other call.
void host_os_system(const Info& info) {
  auto* isolate = info.GetIsolate();
  auto context = isolate->GetCurrentContext();
  auto refuse = [&] { throw_error(isolate, "os.system is not available in vivarium"); };
  if (info.Length() != 2 || !info[0]->IsString() || !info[1]->IsArray()) return refuse();
  if (to_std(isolate, info[0]) != "sh") return refuse();
  auto args = info[1].As<v8::Array>();
  if (args->Length() != 2) return refuse();
  v8::Local<v8::Value> flag, command;
  if (!args->Get(context, 0).ToLocal(&flag) || !args->Get(context, 1).ToLocal(&command)) return;
  if (!flag->IsString() || !command->IsString() || to_std(isolate, flag) != "-c") return refuse();
  // Exactly "head -c<digits> /dev/urandom | base64 --wrap=0", nothing more or less.
  static constexpr std::string_view kPrefix = "head -c", kSuffix = " /dev/urandom | base64 --wrap=0";
  const std::string text = to_std(isolate, command);
  if (!text.starts_with(kPrefix) || !text.ends_with(kSuffix)) return refuse();
  const std::string_view digits =
      std::string_view(text).substr(kPrefix.size(), text.size() - kPrefix.size() - kSuffix.size());
  if (digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string_view::npos)
    return refuse();
  const std::size_t count = std::stoul(std::string(digits));
  if (count > 65536) return refuse();
  std::string bytes(count, '\0');
  fill_random(bytes.data(), count);
  info.GetReturnValue().Set(to_v8(isolate, base64_encode(bytes)));
}

// btoa(text): base64 of a string whose characters are all below U+0100, as in browsers.
void host_btoa(const Info& info) {
  auto* isolate = info.GetIsolate();
  v8::Local<v8::String> text;
  if (info.Length() < 1 || !info[0]->ToString(isolate->GetCurrentContext()).ToLocal(&text)) return;
  std::string bytes(static_cast<std::size_t>(text->Length()), '\0');
  std::vector<std::uint16_t> units(bytes.size());
  text->Write(isolate, units.data(), 0, static_cast<int>(units.size()), v8::String::NO_NULL_TERMINATION);
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (units[i] > 0xFF) return throw_error(isolate, "btoa: the string contains characters outside Latin1");
    bytes[i] = static_cast<char>(units[i]);
  }
  info.GetReturnValue().Set(to_v8(isolate, base64_encode(bytes)));
}

// atob(base64): the decoded bytes as a Latin1 string, as in browsers, which forgive
// whitespace and missing padding; the rest is the strict decoder's.
void host_atob(const Info& info) {
  auto* isolate = info.GetIsolate();
  std::string text = info.Length() > 0 ? to_std(isolate, info[0]) : std::string();
  std::erase_if(text, [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; });
  while (text.size() % 4 != 0) text += '=';
  auto decoded = base64_decode(text);
  if (!decoded) return throw_error(isolate, "atob: the string is not valid base64");
  v8::Local<v8::String> result;
  if (v8::String::NewFromOneByte(isolate, reinterpret_cast<const std::uint8_t*>(decoded->data()),
                                 v8::NewStringType::kNormal, static_cast<int>(decoded->size()))
          .ToLocal(&result))
    info.GetReturnValue().Set(result);
}

// Every host function is installed guarded (see v8_guard.h).
template <v8::FunctionCallback Callback>
void set_function(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                  const char* name) {
  auto function = v8::FunctionTemplate::New(isolate, guarded<Callback>, {}, {}, 0, v8::ConstructorBehavior::kThrow)
                      ->GetFunction(context)
                      .ToLocalChecked();
  function->SetName(to_v8(isolate, name));
  target->Set(context, to_v8(isolate, name), function).Check();
}

}  // namespace

void install_host_functions(v8::Isolate* isolate, v8::Local<v8::Context> context) {
  auto global = context->Global();
  set_function<host_read>(isolate, context, global, "read");
  set_function<host_readbuffer>(isolate, context, global, "readbuffer");
  set_function<host_load>(isolate, context, global, "load");
  set_function<host_wheelname>(isolate, context, global, "wheelname");
  set_function<host_print>(isolate, context, global, "print");
  set_function<host_print_err>(isolate, context, global, "printErr");
  set_function<host_set_timeout>(isolate, context, global, "setTimeout");
  set_function<host_clear_timeout>(isolate, context, global, "clearTimeout");
  set_function<host_queue_microtask>(isolate, context, global, "queueMicrotask");
  set_function<host_btoa>(isolate, context, global, "btoa");
  set_function<host_atob>(isolate, context, global, "atob");

  auto console = v8::Object::New(isolate);
  set_function<host_print>(isolate, context, console, "log");
  set_function<host_print>(isolate, context, console, "info");
  set_function<host_print>(isolate, context, console, "debug");
  set_function<host_print_err>(isolate, context, console, "warn");
  set_function<host_print_err>(isolate, context, console, "error");
  global->Set(context, to_v8(isolate, "console"), console).Check();

  auto performance = v8::Object::New(isolate);
  set_function<host_performance_now>(isolate, context, performance, "now");
  global->Set(context, to_v8(isolate, "performance"), performance).Check();

  auto crypto = v8::Object::New(isolate);
  set_function<host_get_random_values>(isolate, context, crypto, "getRandomValues");
  global->Set(context, to_v8(isolate, "crypto"), crypto).Check();

  auto os = v8::Object::New(isolate);
  set_function<host_os_system>(isolate, context, os, "system");
  global->Set(context, to_v8(isolate, "os"), os).Check();

  v8::Local<v8::Value> math;
  if (global->Get(context, to_v8(isolate, "Math")).ToLocal(&math) && math->IsObject())
    set_function<host_math_random>(isolate, context, math.As<v8::Object>(), "random");

  install_text_codec(isolate, context);
}

}  // namespace vivarium::engine::detail
