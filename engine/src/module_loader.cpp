#include "src/module_loader.h"

#include "engine/runtime.h"
#include "src/host_io.h"
#include "src/isolate_state.h"
#include "src/v8_guard.h"
#include "src/v8_util.h"

namespace vivarium::engine::detail {
namespace fs = std::filesystem;
namespace {

// Named by the module's size, which changes with the bundle; nullopt without a cache
// folder or when the size cannot be read (then the module goes uncached).
std::optional<fs::path> code_cache_path(const IsolateState& state, const fs::path& module_path) {
  if (state.cache_dir.empty()) return std::nullopt;
  std::error_code ec;
  const auto size = fs::file_size(module_path, ec);
  if (ec) return std::nullopt;
  return state.cache_dir /
         (module_path.filename().string() + "-" + std::to_string(size) + "-" + Runtime::code_cache_key() + ".jscache");
}

// Compiles (or returns the already compiled) module at a path inside the asset folder.
v8::MaybeLocal<v8::Module> load_module(v8::Isolate* isolate, const fs::path& path) {
  auto& state = IsolateState::of(isolate);
  if (auto it = state.modules.find(path.string()); it != state.modules.end()) return it->second.Get(isolate);
  auto source_text = read_file(path);
  if (!source_text) {
    throw_error(isolate, "cannot load module " + path.string());
    return {};
  }
  v8::ScriptOrigin origin(isolate, to_v8(isolate, file_url(path)), 0, 0, false, -1, {}, false, false,
                          /*is_module=*/true);

  std::optional<std::string> cache;
  if (auto cache_path = code_cache_path(state, path)) cache = read_file(*cache_path);
  v8::ScriptCompiler::CachedData* cached_data = nullptr;
  if (cache && !cache->empty())
    cached_data = new v8::ScriptCompiler::CachedData(reinterpret_cast<const std::uint8_t*>(cache->data()),
                                                     static_cast<int>(cache->size()));
  v8::ScriptCompiler::Source source(to_v8(isolate, *source_text), origin, cached_data);  // owns cached_data
  v8::Local<v8::Module> module;
  const auto options = cached_data ? v8::ScriptCompiler::kConsumeCodeCache : v8::ScriptCompiler::kNoCompileOptions;
  if (!v8::ScriptCompiler::CompileModule(isolate, &source, options).ToLocal(&module)) return {};
  if (!cached_data || source.GetCachedData()->rejected) state.modules_needing_code_cache.push_back(path.string());
  state.modules.emplace(path.string(), v8::Global<v8::Module>(isolate, module));
  return module;
}

std::optional<fs::path> module_path_of(v8::Isolate* isolate, v8::Local<v8::Module> module) {
  auto& state = IsolateState::of(isolate);
  for (auto& [path, global] : state.modules)
    if (global.Get(isolate) == module) return fs::path(path);
  return std::nullopt;
}

// Resolves an import specifier against its referrer and the asset-folder allow-list.
std::optional<fs::path> resolve_specifier(v8::Isolate* isolate, const std::string& specifier,
                                          const std::optional<fs::path>& referrer) {
  auto& state = IsolateState::of(isolate);
  const std::string_view text = strip_file_scheme(specifier);
  fs::path path(text);
  if (path.is_relative()) {
    if (!(text.starts_with("./") || text.starts_with("../"))) return std::nullopt;  // bare names: none
    path = (referrer ? referrer->parent_path() : state.assets_dir) / path;
  }
  auto allowed = allowed_host_path(state, path.string());
  if (!allowed || allowed->extension() != ".mjs") return std::nullopt;
  return allowed;
}

v8::MaybeLocal<v8::Module> resolve_static_import(v8::Local<v8::Context> context, v8::Local<v8::String> specifier,
                                                 v8::Local<v8::FixedArray>, v8::Local<v8::Module> referrer) {
  auto* isolate = context->GetIsolate();
  const std::string name = to_std(isolate, specifier);
  auto path = resolve_specifier(isolate, name, module_path_of(isolate, referrer));
  if (!path) {
    throw_error(isolate, "Cannot find module '" + name + "'");
    return {};
  }
  return load_module(isolate, *path);
}

v8::MaybeLocal<v8::Promise> import_dynamically(v8::Local<v8::Context> context, v8::Local<v8::Data>,
                                               v8::Local<v8::Value> resource_name, v8::Local<v8::String> specifier,
                                               v8::Local<v8::FixedArray>) {
  auto* isolate = context->GetIsolate();
  v8::Local<v8::Promise::Resolver> resolver;
  if (!v8::Promise::Resolver::New(context).ToLocal(&resolver)) return {};
  v8::TryCatch try_catch(isolate);
  const std::string name = to_std(isolate, specifier);
  std::optional<fs::path> referrer;
  if (resource_name->IsString()) {
    const std::string ref = to_std(isolate, resource_name);
    if (auto ref_path = path_of_file_url(ref)) referrer = fs::path(*ref_path);
  }
  auto fail = [&](v8::Local<v8::Value> error) {
    resolver->Reject(context, error).Check();
    return resolver->GetPromise();
  };
  auto path = resolve_specifier(isolate, name, referrer);
  if (!path) return fail(v8::Exception::TypeError(to_v8(isolate, "Cannot import '" + name + "' in vivarium")));
  v8::Local<v8::Module> module;
  if (!load_module(isolate, *path).ToLocal(&module)) return fail(try_catch.Exception());
  if (module->GetStatus() == v8::Module::kUninstantiated &&
      !module->InstantiateModule(context, guarded<resolve_static_import>).FromMaybe(false))
    return fail(try_catch.Exception());
  v8::Local<v8::Value> evaluation;
  if (!module->Evaluate(context).ToLocal(&evaluation)) return fail(try_catch.Exception());
  if (module->GetStatus() == v8::Module::kErrored) return fail(module->GetException());
  // Pyodide's modules have no top-level await, so evaluation is complete here.
  resolver->Resolve(context, module->GetModuleNamespace()).Check();
  return resolver->GetPromise();
}

void initialize_import_meta(v8::Local<v8::Context> context, v8::Local<v8::Module> module, v8::Local<v8::Object> meta) {
  auto* isolate = context->GetIsolate();
  if (auto path = module_path_of(isolate, module))
    meta->CreateDataProperty(context, to_v8(isolate, "url"), to_v8(isolate, file_url(*path))).Check();
}

}  // namespace

void install_module_loader(v8::Isolate* isolate) {
  isolate->SetHostImportModuleDynamicallyCallback(guarded<import_dynamically>);
  isolate->SetHostInitializeImportMetaObjectCallback(guarded<initialize_import_meta>);
}

void write_module_code_caches(v8::Isolate* isolate) {
  auto& state = IsolateState::of(isolate);
  if (state.cache_dir.empty()) return;
  for (const auto& path : state.modules_needing_code_cache) {
    auto it = state.modules.find(path);
    if (it == state.modules.end()) continue;
    auto module = it->second.Get(isolate);
    std::unique_ptr<v8::ScriptCompiler::CachedData> data(
        v8::ScriptCompiler::CreateCodeCache(module->GetUnboundModuleScript()));
    auto cache_path = code_cache_path(state, path);
    if (data && cache_path) save_cache_file(state, *cache_path, data->data, static_cast<std::size_t>(data->length));
  }
  state.modules_needing_code_cache.clear();
}

}  // namespace vivarium::engine::detail
