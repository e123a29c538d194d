#include "sessions/run_messages.h"

#include "wire_fields.h"

namespace vivarium::sessions {
namespace {

using namespace wire;  // NOLINT(google-build-using-namespace): the shared field readers

constexpr auto kAnyText = std::numeric_limits<std::size_t>::max();  // bounded by the frame limit
constexpr std::int64_t kMaxPid = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kMaxId = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kMaxCount = std::int64_t{1} << 53;

std::expected<std::vector<std::string>, WireError> decode_texts(const Fields& fields, const json& message,
                                                                const char* key, std::size_t max_count) {
  WIRE_TRY(list, fields.find(key, true));
  if (!list->is_array() || list->size() > max_count)
    return std::unexpected(fields.error(WireErrorKind::wrong_type, key,
                                        "is not an array of at most " + std::to_string(max_count) + " texts"));
  std::vector<std::string> texts;
  for (const auto& entry : *list) {
    WIRE_TRY(text, fields.check_text(entry, key, kAnyText));
    texts.push_back(std::move(text));
  }
  (void)message;
  return texts;
}

std::expected<RunRequest, WireError> decode_run_request(const json& message) {
  Fields fields(message, "run");
  RunRequest request;
  WIRE_TRY(code, fields.text("code", kAnyText));
  WIRE_TRY(filename, fields.text("filename", kMaxPathBytes));
  WIRE_TRY(argv, decode_texts(fields, message, "argv", 1 << 20));
  WIRE_TRY(files, decode_files(fields, message));
  WIRE_TRY(timeout_ms, fields.optional_integer("timeout_ms", 1, kMaxTimeoutMs));
  WIRE_TRY(as_json, fields.boolean("json"));
  WIRE_TRY(verbose, fields.boolean("verbose"));
  WIRE_TRY(stdin_is_free, fields.boolean("stdin_is_free"));
  WIRE_TRY(send_output_files, fields.boolean("send_output_files"));
  WIRE_TRY(uid, fields.integer("uid", 0, kMaxId));
  WIRE_TRY(gid, fields.integer("gid", 0, kMaxId));
  WIRE_TRY(pid_namespace_missing, fields.text("pid_namespace_missing", kMaxShortText));
  request.pid_namespace_missing = std::move(pid_namespace_missing);
  request.code = std::move(code);
  request.filename = std::move(filename);
  request.argv = std::move(argv);
  request.files = std::move(files);
  request.timeout_ms = timeout_ms;
  request.json = as_json;
  request.verbose = verbose;
  request.stdin_is_free = stdin_is_free;
  request.send_output_files = send_output_files;
  request.uid = static_cast<std::uint32_t>(uid);
  request.gid = static_cast<std::uint32_t>(gid);
  return request;
}

std::expected<DaemonStatus, WireError> decode_daemon_status(const json& message) {
  Fields fields(message, "daemon_status");
  DaemonStatus status;
  WIRE_TRY(pid, fields.integer("pid", 1, kMaxPid));
  WIRE_TRY(key, fields.text("key", kMaxShortText));
  WIRE_TRY(settings, fields.text("settings", kMaxShortText * 4));
  WIRE_TRY(uptime_ms, fields.integer("uptime_ms", 0, kMaxCount));
  WIRE_TRY(idle_exit_ms, fields.integer("idle_exit_ms", 0, kMaxCount));
  WIRE_TRY(programs, fields.integer("programs", 0, kMaxPid));
  WIRE_TRY(served, fields.integer("served", 0, kMaxCount));
  WIRE_TRY(resident, fields.integer("resident_bytes", 0, kMaxCount));
  status.pid = static_cast<std::int32_t>(pid);
  status.key = std::move(key);
  status.settings = std::move(settings);
  status.uptime_ms = uptime_ms;
  status.idle_exit_ms = idle_exit_ms;
  status.programs = static_cast<std::int32_t>(programs);
  status.served = served;
  status.resident_bytes = static_cast<std::uint64_t>(resident);
  return status;
}

std::expected<RunFailed, WireError> decode_run_failed(const json& message) {
  Fields fields(message, "run_failed");
  WIRE_TRY(error, fields.text("error", kMaxShortText));
  return RunFailed{std::move(error)};
}

}  // namespace

// --- encoders -------------------------------------------------------------------------

Bytes encode(const RunHostBoot& m) {
  return to_frame({{"type", "run_host_boot"},
                   {"boot", json::binary(encode(m.boot))},
                   {"socket_path", m.socket_path},
                   {"idle_ms", m.idle_ms},
                   {"key", m.key},
                   {"settings", m.settings}});
}
Bytes encode(const RunHostReady& m) { return to_frame({{"type", "run_host_ready"}, {"pid", m.pid}}); }
Bytes encode(const RunHostNotice& m) { return to_frame({{"type", "run_host_notice"}, {"text", m.text}}); }
Bytes encode(const RunHostFailed& m) {
  return to_frame({{"type", "run_host_failed"}, {"status", m.status}, {"error", m.error}});
}
Bytes encode(const RunRequest& m) {
  json message{{"type", "run"},
               {"code", m.code},
               {"filename", m.filename},
               {"argv", m.argv},
               {"files", encode_files(m.files)},
               {"json", m.json},
               {"verbose", m.verbose},
               {"stdin_is_free", m.stdin_is_free},
               {"send_output_files", m.send_output_files},
               {"uid", m.uid},
               {"gid", m.gid},
               {"pid_namespace_missing", m.pid_namespace_missing}};
  if (m.timeout_ms) message["timeout_ms"] = *m.timeout_ms;
  return to_frame(message);
}
Bytes encode(const RunStarted& m) { return to_frame({{"type", "run_started"}, {"pid", m.pid}}); }
Bytes encode(const RunEnded& m) {
  return to_frame({{"type", "run_ended"}, {"status", m.status}, {"files", encode_files(m.output_files)}});
}
Bytes encode(const RunFailed& m) { return to_frame({{"type", "run_failed"}, {"error", m.error}}); }
Bytes encode(const DaemonStatusRequest&) { return to_frame({{"type", "daemon_status_request"}}); }
Bytes encode(const DaemonStopRequest&) { return to_frame({{"type", "daemon_stop"}}); }
Bytes encode(const DaemonStatus& m) {
  return to_frame({{"type", "daemon_status"},
                   {"pid", m.pid},
                   {"key", m.key},
                   {"settings", m.settings},
                   {"uptime_ms", m.uptime_ms},
                   {"idle_exit_ms", m.idle_exit_ms},
                   {"programs", m.programs},
                   {"served", m.served},
                   {"resident_bytes", m.resident_bytes}});
}
Bytes encode(const DaemonStopped& m) { return to_frame({{"type", "daemon_stopped"}, {"pid", m.pid}}); }

// --- decoders -------------------------------------------------------------------------

std::expected<RunHostBoot, WireError> decode_run_host_boot(std::span<const std::uint8_t> frame) {
  return guarded([&]() -> std::expected<RunHostBoot, WireError> {
    WIRE_TRY(message, parse(frame));
    WIRE_TRY(type, message_type(message));
    if (type != "run_host_boot") return std::unexpected(unknown_type(type, "a run client to its host"));
    Fields fields(message, "run_host_boot");
    WIRE_TRY(boot_bytes, fields.bytes("boot"));
    WIRE_TRY(boot, decode_zygote_boot(
                       std::span(reinterpret_cast<const std::uint8_t*>(boot_bytes.data()), boot_bytes.size())));
    WIRE_TRY(socket_path, fields.text("socket_path", 107));  // sockaddr_un's sun_path, less its NUL
    WIRE_TRY(idle_ms, fields.integer("idle_ms", 0, kMaxCount));
    WIRE_TRY(key, fields.text("key", kMaxShortText));
    WIRE_TRY(settings, fields.text("settings", kMaxShortText * 4));
    return RunHostBoot{std::move(boot), std::move(socket_path), idle_ms, std::move(key), std::move(settings)};
  });
}

std::expected<RunHostReport, WireError> decode_run_host_report(std::span<const std::uint8_t> frame) {
  return guarded([&]() -> std::expected<RunHostReport, WireError> {
    WIRE_TRY(message, parse(frame));
    WIRE_TRY(type, message_type(message));
    if (type == "run_host_ready") {
      Fields fields(message, "run_host_ready");
      WIRE_TRY(pid, fields.integer("pid", 1, kMaxPid));
      return RunHostReady{static_cast<std::int32_t>(pid)};
    }
    if (type == "run_host_notice") {
      Fields fields(message, "run_host_notice");
      WIRE_TRY(text, fields.text("text", kMaxShortText * 4));
      return RunHostNotice{std::move(text)};
    }
    if (type == "run_host_failed") {
      Fields fields(message, "run_host_failed");
      WIRE_TRY(status, fields.integer("status", 1, 255));
      WIRE_TRY(error, fields.text("error", kMaxShortText * 4));
      return RunHostFailed{static_cast<std::int32_t>(status), std::move(error)};
    }
    return std::unexpected(unknown_type(type, "a run host"));
  });
}

std::expected<ToDaemon, WireError> decode_to_daemon(std::span<const std::uint8_t> frame) {
  return guarded([&]() -> std::expected<ToDaemon, WireError> {
    WIRE_TRY(message, parse(frame));
    WIRE_TRY(type, message_type(message));
    if (type == "run") return decode_run_request(message);
    if (type == "daemon_status_request") return DaemonStatusRequest{};
    if (type == "daemon_stop") return DaemonStopRequest{};
    return std::unexpected(unknown_type(type, "a run client"));
  });
}

std::expected<FromDaemon, WireError> decode_from_daemon(std::span<const std::uint8_t> frame) {
  return guarded([&]() -> std::expected<FromDaemon, WireError> {
    WIRE_TRY(message, parse(frame));
    WIRE_TRY(type, message_type(message));
    if (type == "daemon_status") return decode_daemon_status(message);
    if (type == "daemon_stopped") {
      Fields fields(message, "daemon_stopped");
      WIRE_TRY(pid, fields.integer("pid", 1, kMaxPid));
      return DaemonStopped{static_cast<std::int32_t>(pid)};
    }
    if (type == "run_failed") return decode_run_failed(message);
    return std::unexpected(unknown_type(type, "a run daemon"));
  });
}

std::expected<ToProgram, WireError> decode_to_program(std::span<const std::uint8_t> frame) {
  WIRE_TRY(message, decode_to_session(frame));
  if (auto* reply = std::get_if<PackageReply>(&message)) return std::move(*reply);
  if (std::holds_alternative<InterruptRequest>(message)) return InterruptRequest{};
  return std::unexpected(wire_error(WireErrorKind::unknown_type, "an exec request is not one a run client sends"));
}

std::expected<FromProgram, WireError> decode_from_program(std::span<const std::uint8_t> frame) {
  return guarded([&]() -> std::expected<FromProgram, WireError> {
    WIRE_TRY(message, parse(frame));
    WIRE_TRY(type, message_type(message));
    if (type == "run_started") {
      Fields fields(message, "run_started");
      WIRE_TRY(pid, fields.integer("pid", 0, kMaxPid));
      return RunStarted{static_cast<std::int32_t>(pid)};
    }
    if (type == "run_ended") {
      Fields fields(message, "run_ended");
      WIRE_TRY(status, fields.integer("status", 0, 255));
      WIRE_TRY(files, decode_files(fields, message));
      return RunEnded{static_cast<std::int32_t>(status), std::move(files)};
    }
    if (type == "run_failed") return decode_run_failed(message);
    if (type == "package_request") {
      WIRE_TRY(from_session, decode_from_session(frame));
      if (auto* request = std::get_if<PackageRequest>(&from_session)) return std::move(*request);
    }
    return std::unexpected(unknown_type(type, "a run program"));
  });
}

}  // namespace vivarium::sessions
