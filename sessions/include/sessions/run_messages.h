// `vivarium run`'s messages (docs/wire-protocol.md): between the run client (the
// unconfined `vivarium run` process) and its program, a sandboxed process forked by the
// user's warm zygote (the run daemon, docs/run-daemon.md) or by the client itself
// (--no-daemon); and between a client and the daemon. One frame each (frame_io.h), CBOR
// maps with a "type", decoded with the same distrust as wire_messages.h's. The program
// also sends that file's PackageRequest and receives its PackageReply and InterruptRequest.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "engine/execution.h"
#include "sessions/wire_error.h"
#include "sessions/wire_messages.h"

namespace vivarium::sessions {

// --- client -> run host: what to boot, on the host's boot socket (its fd 3) -------------
struct RunHostBoot {
  ZygoteBoot boot;
  // Empty: run one program, whose client is on the boot socket itself (--no-daemon).
  // Otherwise the daemon's socket, which it binds before it reports ready.
  std::string socket_path;
  std::int64_t idle_ms = 0;  // the daemon exits after this long with nothing to do
  std::string key;           // the configuration's fingerprint (daemon_key.h)
  std::string settings;      // what it boots, one line (`vivarium daemon status`)
};
// --- run host -> client ------------------------------------------------------------------
struct RunHostReady {
  std::int32_t pid = 0;
};
// A notice of the boot (a first compile, an unusable cache folder), sent as it happens
// to the client that started a zygote, which says it on its stderr (a zygote has none).
struct RunHostNotice {
  std::string text;
};
struct RunHostFailed {
  std::int32_t status = 125;  // the exit status the client ends with (cli/exit_status.h)
  std::string error;
};
using RunHostReport = std::variant<RunHostReady, RunHostNotice, RunHostFailed>;

// --- client -> program: what to run. Over a daemon's socket the frame carries the
// program's three pipe ends (stdin, stdout, stderr; frame_io.h's send_frame_fds).
struct RunRequest {
  std::string code;
  std::string filename;
  std::vector<std::string> argv;
  std::vector<engine::SandboxFile> files;  // --file, read by the client
  std::optional<std::int64_t> timeout_ms;
  bool json = false;
  bool verbose = false;
  bool stdin_is_free = true;       // false when the code came from stdin
  bool send_output_files = false;  // --output-dir: the client writes them
  std::uint32_t uid = 0, gid = 0;  // as root: the program's ids (0 and 0: none)
  // --no-daemon: why the client could not fork the host into a pid namespace of its own
  // (a daemon's program goes by the daemon's own fork).
  std::string pid_namespace_missing;
};
// --- program -> client ------------------------------------------------------------------
// The first frame: the program took the request. A daemon's connection that ends before
// it had no program (the daemon was exiting at that moment): the client may start again.
struct RunStarted {
  std::int32_t pid = 0;  // as the program's parent sees it
};
struct RunEnded {
  std::int32_t status = 0;                        // the exit status (cli/exit_status.h)
  std::vector<engine::SandboxFile> output_files;  // with send_output_files
};
// The daemon could not start the program (fork failed, a malformed request).
struct RunFailed {
  std::string error;
};
using FromProgram = std::variant<RunStarted, PackageRequest, RunEnded, RunFailed>;
using ToProgram = std::variant<PackageReply, InterruptRequest>;

// --- client -> daemon, instead of a RunRequest ------------------------------------------
struct DaemonStatusRequest {};
struct DaemonStopRequest {};
using ToDaemon = std::variant<RunRequest, DaemonStatusRequest, DaemonStopRequest>;
// --- daemon -> client -------------------------------------------------------------------
struct DaemonStatus {
  std::int32_t pid = 0;
  std::string key;
  std::string settings;  // what it booted, one line
  std::int64_t uptime_ms = 0;
  std::int64_t idle_exit_ms = 0;  // until it exits if nothing runs meanwhile
  std::int32_t programs = 0;      // running now
  std::int64_t served = 0;        // programs started so far
  std::uint64_t resident_bytes = 0;
};
struct DaemonStopped {
  std::int32_t pid = 0;
};
using FromDaemon = std::variant<DaemonStatus, DaemonStopped, RunFailed>;

// A RunRequest carries the user's program and --file data: bounded only against a bug.
inline constexpr std::uint64_t kRunRequestFrameLimit = std::uint64_t{3} << 30;

Bytes encode(const RunHostBoot&);
Bytes encode(const RunHostReady&);
Bytes encode(const RunHostNotice&);
Bytes encode(const RunHostFailed&);
Bytes encode(const RunRequest&);
Bytes encode(const RunStarted&);
Bytes encode(const RunEnded&);
Bytes encode(const RunFailed&);
Bytes encode(const DaemonStatusRequest&);
Bytes encode(const DaemonStopRequest&);
Bytes encode(const DaemonStatus&);
Bytes encode(const DaemonStopped&);

std::expected<RunHostBoot, WireError> decode_run_host_boot(std::span<const std::uint8_t> frame);
std::expected<RunHostReport, WireError> decode_run_host_report(std::span<const std::uint8_t> frame);
std::expected<ToDaemon, WireError> decode_to_daemon(std::span<const std::uint8_t> frame);
std::expected<FromDaemon, WireError> decode_from_daemon(std::span<const std::uint8_t> frame);
std::expected<ToProgram, WireError> decode_to_program(std::span<const std::uint8_t> frame);
std::expected<FromProgram, WireError> decode_from_program(std::span<const std::uint8_t> frame);

}  // namespace vivarium::sessions
