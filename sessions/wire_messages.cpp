#include "sessions/wire_messages.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "engine/sandbox_path.h"
#include "sessions/cbor_depth.h"
#include "sessions/frame_limits.h"
#include "wire_fields.h"

namespace vivarium::sessions {
namespace {

using namespace wire;  // NOLINT(google-build-using-namespace): the shared field readers

constexpr const char* kKindNames[] = {"execution", "timeout", "memory", "engine"};
constexpr engine::ErrorKind kKinds[] = {engine::ErrorKind::execution, engine::ErrorKind::timeout,
                                        engine::ErrorKind::memory, engine::ErrorKind::engine};
constexpr std::int64_t kIntMax = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kIntMin = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kMaxLimit = static_cast<std::int64_t>(kMaxLimitValue);

const char* kind_name(engine::ErrorKind kind) {
  for (std::size_t i = 0; i < std::size(kKinds); ++i)
    if (kKinds[i] == kind) return kKindNames[i];
  return "engine";
}

std::expected<ToSession, WireError> decode_exec_request(const json& message) {
  Fields fields(message, "exec");
  ExecRequest request;
  WIRE_TRY(code, fields.text("code", std::numeric_limits<std::size_t>::max()));
  WIRE_TRY(files, decode_files(fields, message));
  WIRE_TRY(timeout_ms, fields.integer("timeout_ms", 1, kMaxTimeoutMs));
  WIRE_TRY(max_output, fields.integer("max_output", 1, kMaxLimit));
  WIRE_TRY(max_files_bytes, fields.integer("max_output_files_size", 0, kMaxLimit));
  WIRE_TRY(max_files, fields.integer("max_output_files", 0, kMaxLimit));
  WIRE_TRY(globals_json, fields.text("globals", std::numeric_limits<std::size_t>::max()));
  WIRE_TRY(stream, fields.boolean("stream"));
  request.code = std::move(code);
  request.globals_json = std::move(globals_json);
  request.stream = stream;
  request.files = std::move(files);
  request.timeout = std::chrono::milliseconds(timeout_ms);
  request.max_output_bytes = static_cast<std::uint64_t>(max_output);
  request.max_output_files_bytes = static_cast<std::uint64_t>(max_files_bytes);
  request.max_output_files = static_cast<std::uint64_t>(max_files);
  return request;
}

std::expected<FromSession, WireError> decode_result(const json& message) {
  Fields fields(message, "result");
  ExecResult decoded;
  auto& result = decoded.result;
  constexpr auto kAny = std::numeric_limits<std::size_t>::max();  // bounded by the frame limit
  WIRE_TRY(std_out, fields.text("std_out", kAny));
  WIRE_TRY(std_err, fields.text("std_err", kAny));
  WIRE_TRY(final_expression, fields.text("final", kAny));
  WIRE_TRY(files, decode_files(fields, message));
  WIRE_TRY(runtime_ms, fields.integer("runtime_ms", 0, kMaxTimeoutMs));
  WIRE_TRY(lost, fields.boolean("lost"));
  WIRE_TRY(exit_code, fields.optional_integer("exit_code", kIntMin, kIntMax));
  result.std_out = std::move(std_out);
  result.std_err = std::move(std_err);
  result.final_expression_json = std::move(final_expression);
  result.output_files = std::move(files);
  result.code_runtime_ms = runtime_ms;
  result.interpreter_lost = lost;
  if (exit_code) result.exit_code = static_cast<int>(*exit_code);
  WIRE_TRY(error, fields.find("error", false));
  if (error) {
    if (!error->is_object()) return std::unexpected(fields.error(WireErrorKind::wrong_type, "error", "is not a map"));
    Fields e(*error, "result error");
    WIRE_TRY(kind, e.choice("kind", {kKindNames[0], kKindNames[1], kKindNames[2], kKindNames[3]}));
    WIRE_TRY(exception, e.text("exception", kMaxShortText));
    WIRE_TRY(text, e.text("message", kMaxErrorTextBytes + kMarkerRoom));
    WIRE_TRY(traceback, e.text("traceback", kMaxErrorTextBytes + kMarkerRoom));
    WIRE_TRY(line, e.optional_integer("line", 0, kIntMax));
    engine::ExecutionError failure;
    failure.kind = kKinds[kind];
    failure.exception = std::move(exception);
    failure.message = std::move(text);
    failure.traceback = std::move(traceback);
    if (line) failure.line = static_cast<int>(*line);
    result.error = std::move(failure);
  }
  return decoded;
}

}  // namespace

// --- encoders -------------------------------------------------------------------------

Bytes encode(const ZygoteReady& m) {
  return to_frame({{"type", "zygote_ready"}, {"boot_ms", m.boot_ms}, {"missing", m.missing_preloads}});
}
Bytes encode(const ZygoteFailed& m) { return to_frame({{"type", "zygote_failed"}, {"error", m.error}}); }
Bytes encode(const ZygoteBoot& m) {
  json message{{"type", "boot"}, {"memory_limit", m.memory_limit}, {"preload", m.preload}};
  for (const auto& [key, value] : {std::pair{"assets_dir", &m.assets_dir},
                                   {"cache_dir", &m.cache_dir},
                                   {"packages_dir", &m.packages_dir},
                                   {"wheels_dir", &m.wheels_dir}})
    if (*value) message[key] = **value;
  return to_frame(message);
}

Bytes encode(const ForkRequest& m) {
  nlohmann::json message{
      {"type", "fork"}, {"uid", m.uid}, {"gid", m.gid}, {"require_full_sandbox", m.require_full_sandbox}};
  if (!m.cgroups.empty()) message["cgroups"] = m.cgroups;
  if (m.spare) message["spare"] = true;
  return to_frame(message);
}
Bytes encode(const ForkReply& m) { return to_frame({{"type", "forked"}, {"pid", m.pid}}); }
Bytes encode(const ForkFailed& m) { return to_frame({{"type", "fork_failed"}, {"error", m.error}}); }

Bytes encode(const ExecRequest& m) {
  return to_frame({{"type", "exec"},
                   {"code", m.code},
                   {"files", encode_files(m.files)},
                   {"timeout_ms", m.timeout.count()},
                   {"max_output", m.max_output_bytes},
                   {"max_output_files_size", m.max_output_files_bytes},
                   {"max_output_files", m.max_output_files},
                   {"globals", m.globals_json},
                   {"stream", m.stream}});
}
Bytes encode(const PackageReply& m) {
  json message = {{"type", "package"}};
  if (m.wheel) message["wheel"] = bytes_value(*m.wheel);
  return to_frame(message);
}
Bytes encode(const InterruptRequest&) { return to_frame({{"type", "interrupt"}}); }

Bytes encode(const PackageRequest& m) {
  return to_frame({{"type", "package_request"},
                   {"from", m.source == engine::WheelSource::wheel_folder ? "wheels" : "packages"},
                   {"file_name", m.file_name}});
}
Bytes encode(const OutputChunk& m) {
  return to_frame(
      {{"type", "output"}, {"stream", m.stream == engine::OutputStream::err ? "err" : "out"}, {"text", m.text}});
}
Bytes encode(const ExecResult& m) {
  const auto& result = m.result;
  json message = {{"type", "result"},
                  {"std_out", result.std_out},
                  {"std_err", result.std_err},
                  {"final", result.final_expression_json},
                  {"files", encode_files(result.output_files)},
                  {"runtime_ms", result.code_runtime_ms},
                  {"lost", result.interpreter_lost}};
  if (result.exit_code) message["exit_code"] = *result.exit_code;
  if (result.error) {
    const auto& e = *result.error;
    message["error"] = {
        {"kind", kind_name(e.kind)}, {"exception", e.exception}, {"message", e.message}, {"traceback", e.traceback}};
    if (e.line) message["error"]["line"] = *e.line;
  }
  return to_frame(message);
}

// --- decoders -------------------------------------------------------------------------

std::expected<ZygoteReport, WireError> decode_zygote_report(std::span<const std::uint8_t> frame) {
  return guarded([&]() -> std::expected<ZygoteReport, WireError> {
    WIRE_TRY(message, parse(frame));
    WIRE_TRY(type, message_type(message));
    if (type == "zygote_failed") {
      Fields fields(message, "zygote_failed");
      WIRE_TRY(error, fields.text("error", kMaxErrorTextBytes));
      return ZygoteFailed{std::move(error)};
    }
    if (type != "zygote_ready") return std::unexpected(unknown_type(type, "a booting zygote"));
    Fields fields(message, "zygote_ready");
    ZygoteReady ready;
    WIRE_TRY(boot_ms, fields.integer("boot_ms", 0, kMaxTimeoutMs));
    ready.boot_ms = boot_ms;
    WIRE_TRY(missing, fields.find("missing", true));
    if (!missing->is_array() || missing->size() > 10000)
      return std::unexpected(
          fields.error(WireErrorKind::wrong_type, "missing", "is not an array of at most 10000 names"));
    for (const auto& name : *missing) {
      WIRE_TRY(text, fields.check_text(name, "missing", kMaxShortText));
      ready.missing_preloads.push_back(std::move(text));
    }
    return ready;
  });
}

std::expected<ZygoteBoot, WireError> decode_zygote_boot(std::span<const std::uint8_t> frame) {
  return guarded([&]() -> std::expected<ZygoteBoot, WireError> {
    WIRE_TRY(message, parse(frame));
    WIRE_TRY(type, message_type(message));
    if (type != "boot") return std::unexpected(unknown_type(type, "the server to a zygote"));
    Fields fields(message, "boot");
    ZygoteBoot boot;
    WIRE_TRY(memory_limit, fields.integer("memory_limit", 1, static_cast<std::int64_t>(kMaxLimitValue)));
    boot.memory_limit = static_cast<std::uint64_t>(memory_limit);
    for (const auto& [key, value] : {std::pair{"assets_dir", &boot.assets_dir},
                                     {"cache_dir", &boot.cache_dir},
                                     {"packages_dir", &boot.packages_dir},
                                     {"wheels_dir", &boot.wheels_dir}}) {
      WIRE_TRY(text, fields.optional_text(key, kMaxShortText));
      *value = std::move(text);
    }
    WIRE_TRY(preload, fields.find("preload", true));
    if (!preload->is_array() || preload->size() > 1000)
      return std::unexpected(fields.error(WireErrorKind::wrong_type, "preload", "is not an array of package names"));
    for (const auto& name : *preload) {
      WIRE_TRY(text, fields.check_text(name, "preload", kMaxShortText));
      boot.preload.push_back(std::move(text));
    }
    return boot;
  });
}

std::expected<ForkRequest, WireError> decode_fork_request(std::span<const std::uint8_t> frame) {
  return guarded([&]() -> std::expected<ForkRequest, WireError> {
    WIRE_TRY(message, parse(frame));
    WIRE_TRY(type, message_type(message));
    if (type != "fork") return std::unexpected(unknown_type(type, "the server to a zygote"));
    Fields fields(message, "fork");
    ForkRequest request;
    // 4294967295 is the kernel's "no id"; 0 means: keep the zygote's own.
    WIRE_TRY(uid, fields.integer("uid", 0, 4294967294LL));
    WIRE_TRY(gid, fields.integer("gid", 0, 4294967294LL));
    WIRE_TRY(require_full_sandbox, fields.boolean("require_full_sandbox"));
    request.uid = static_cast<std::uint32_t>(uid);
    request.gid = static_cast<std::uint32_t>(gid);
    request.require_full_sandbox = require_full_sandbox;
    WIRE_TRY(spare, fields.find("spare", false));
    if (spare && !spare->is_boolean())
      return std::unexpected(fields.error(WireErrorKind::wrong_type, "spare", "is not a boolean"));
    request.spare = spare && spare->get<bool>();
    WIRE_TRY(cgroups, fields.find("cgroups", false));
    if (!cgroups) return request;
    // A memory and a pids folder on cgroup v1, one folder on v2.
    if (!cgroups->is_array() || cgroups->size() > 4)
      return std::unexpected(
          fields.error(WireErrorKind::wrong_type, "cgroups", "is not an array of at most 4 folders"));
    for (const auto& folder : *cgroups) {
      WIRE_TRY(text, fields.check_text(folder, "cgroups", kMaxShortText));
      request.cgroups.push_back(std::move(text));
    }
    return request;
  });
}

std::expected<ForkOutcome, WireError> decode_fork_outcome(std::span<const std::uint8_t> frame) {
  return guarded([&]() -> std::expected<ForkOutcome, WireError> {
    WIRE_TRY(message, parse(frame));
    WIRE_TRY(type, message_type(message));
    if (type == "fork_failed") {
      Fields fields(message, "fork_failed");
      WIRE_TRY(error, fields.text("error", kMaxErrorTextBytes));
      return ForkFailed{std::move(error)};
    }
    if (type != "forked") return std::unexpected(unknown_type(type, "a zygote after a fork request"));
    Fields fields(message, "forked");
    WIRE_TRY(pid, fields.integer("pid", 1, kIntMax));
    return ForkReply{static_cast<std::int32_t>(pid)};
  });
}

std::expected<ToSession, WireError> decode_to_session(std::span<const std::uint8_t> frame) {
  return guarded([&]() -> std::expected<ToSession, WireError> {
    WIRE_TRY(message, parse(frame));
    WIRE_TRY(type, message_type(message));
    if (type == "exec") return decode_exec_request(message);
    if (type == "interrupt") return InterruptRequest{};
    if (type == "package") {
      Fields fields(message, "package");
      WIRE_TRY(wheel, fields.optional_bytes("wheel"));
      return PackageReply{std::move(wheel)};
    }
    return std::unexpected(unknown_type(type, "the server to a session"));
  });
}

std::expected<FromSession, WireError> decode_from_session(std::span<const std::uint8_t> frame) {
  return guarded([&]() -> std::expected<FromSession, WireError> {
    WIRE_TRY(message, parse(frame));
    WIRE_TRY(type, message_type(message));
    if (type == "result") return decode_result(message);
    if (type == "output") {
      Fields fields(message, "output");
      WIRE_TRY(stream, fields.choice("stream", {"out", "err"}));
      WIRE_TRY(text, fields.text("text", kMaxChunkText));
      return OutputChunk{stream == 0 ? engine::OutputStream::out : engine::OutputStream::err, std::move(text)};
    }
    if (type == "package_request") {
      Fields fields(message, "package_request");
      WIRE_TRY(source, fields.choice("from", {"packages", "wheels"}));
      WIRE_TRY(file_name, fields.text("file_name", 255));
      if (file_name.empty() || file_name.find('/') != std::string::npos)
        return std::unexpected(
            wire_error(WireErrorKind::bad_name, "a package request names '" + file_name + "', not a plain file name"));
      return PackageRequest{source == 0 ? engine::WheelSource::package_folder : engine::WheelSource::wheel_folder,
                            std::move(file_name)};
    }
    return std::unexpected(unknown_type(type, "a session"));
  });
}

}  // namespace vivarium::sessions
