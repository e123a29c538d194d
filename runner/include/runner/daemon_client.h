// A run client's way to the user's warm zygote (docs/run-daemon.md): connect to the one
// for this configuration, or start it. Starting takes the key's lock file, so that of
// two clients starting at the same moment one starts it and the other waits and uses it.
// The client binds the socket itself and hands it to the zygote, so that every problem
// with the folder (full, not ours, a stale socket) is the client's to see and report.
#pragma once

#include <chrono>
#include <expected>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "runner/daemon_key.h"
#include "sessions/run_messages.h"

namespace vivarium::runner {

struct DaemonStart {
  DaemonSettings settings;
  std::string key;            // daemon_key(settings)
  sessions::ZygoteBoot boot;  // what it boots: settings' folders, as text
  std::chrono::milliseconds idle{std::chrono::minutes(10)};
  std::function<void(std::string_view)> on_notice;  // the boot's notices, for stderr
};

struct DaemonFailure {
  // True when the zygote itself could not boot Python (bad assets or package folder):
  // the run would fail the same way without it, so the client reports it and ends with
  // `status`. Otherwise no zygote can be used here (the folder is full or not the
  // user's): the client runs the program without one.
  bool boot_failed = false;
  int status = 125;
  std::string message;
};

// A connected socket to a warm zygote of this user's for `start.key`.
std::expected<int, DaemonFailure> connect_or_start_daemon(const DaemonStart& start);

// A connected socket to the zygote listening at `socket`: the error says why not
// ("stale" when nothing listens there any more).
std::expected<int, std::string> connect_to_daemon(const std::filesystem::path& socket);

// $VIVARIUM_DAEMON_IDLE (seconds), else 10 minutes; the error names a bad value.
std::expected<std::chrono::milliseconds, std::string> daemon_idle_time();

}  // namespace vivarium::runner
