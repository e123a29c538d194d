#include "cli/daemon_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/exit_status.h"
#include "runner/daemon_client.h"
#include "runner/daemon_folder.h"
#include "sessions/frame_io.h"
#include "sessions/frame_limits.h"
#include "sessions/run_messages.h"
#include "units/units.h"

namespace vivarium::cli {
namespace {

std::string duration_text(std::int64_t ms) {
  const std::int64_t seconds = ms / 1000;
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 3600) return std::to_string(seconds / 60) + "m" + std::to_string(seconds % 60) + "s";
  return std::to_string(seconds / 3600) + "h" + std::to_string(seconds / 60 % 60) + "m";
}

// One question to the zygote at `socket`, one answer.
std::expected<sessions::FromDaemon, std::string> ask(const std::filesystem::path& socket,
                                                     const sessions::Bytes& question) {
  auto connection = runner::connect_to_daemon(socket);
  if (!connection) return std::unexpected(connection.error());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto sent = sessions::send_frame(*connection, question, deadline);
  auto frame = sent ? sessions::receive_frame(*connection, sessions::kZygoteFrameLimit, deadline)
                    : std::expected<sessions::Frame, sessions::WireError>(std::unexpected(sent.error()));
  ::close(*connection);
  if (!frame) return std::unexpected("no answer (" + frame.error().message + ")");
  if (frame->passed_fd >= 0) ::close(frame->passed_fd);
  auto answer = sessions::decode_from_daemon(frame->body);
  if (!answer) return std::unexpected("a bad answer (" + answer.error().message + ")");
  return *answer;
}

}  // namespace

void add_daemon_command(CLI::App& app, DaemonOptions& options) {
  auto* daemon = app.add_subcommand("daemon", "Show or stop your warm zygotes for `vivarium run`");
  daemon->require_subcommand(1);
  daemon->footer(
      "A `vivarium run` hands its program to a warm zygote of yours for its configuration (binary, assets,\n"
      "package folders, cache folder, memory limit, preload, V8 flags), and starts one when there is none.\n"
      "A zygote exits after VIVARIUM_DAEMON_IDLE seconds (default 600) with nothing to run. Its socket is\n"
      "in $XDG_RUNTIME_DIR/vivarium, else /tmp/vivarium-UID. `vivarium run --no-daemon` uses none.");
  daemon->add_subcommand("status", "List your warm zygotes: pid, uptime, idle exit, programs, memory, settings")
      ->callback([&options] { options.status = true; });
  daemon->add_subcommand("stop", "Stop every warm zygote of yours (programs they run end with exit status 125)")
      ->callback([&options] { options.stop = true; });
}

int daemon_command(const DaemonOptions& options) {
  auto folder = runner::existing_daemon_folder();
  if (!folder) {
    std::cout << "no warm zygote is running (" << folder.error() << ")\n";
    return exit_status::ok;
  }
  const auto sockets = runner::daemon_sockets(*folder);
  int found = 0;
  if (options.status)
    std::printf("%-8s %-8s %-10s %-9s %-7s %-9s %s\n", "PID", "UPTIME", "IDLE-EXIT", "PROGRAMS", "SERVED", "MEMORY",
                "SETTINGS");
  for (const auto& socket : sockets) {
    auto answer = ask(socket, options.stop ? sessions::encode(sessions::DaemonStopRequest{})
                                           : sessions::encode(sessions::DaemonStatusRequest{}));
    if (!answer) {
      if (answer.error() == "stale") {
        // Nothing listens: a zygote that crashed left it.
        if (options.stop) ::unlink(socket.c_str());
        std::cout << (options.stop ? "removed the stale socket " : "stale socket (no zygote): ") << socket.string()
                  << "\n";
      } else {
        std::cout << socket.string() << ": " << answer.error() << "\n";
      }
      continue;
    }
    ++found;
    if (auto* status = std::get_if<sessions::DaemonStatus>(&*answer)) {
      std::printf("%-8d %-8s %-10s %-9d %-7lld %-9s %s\n", status->pid, duration_text(status->uptime_ms).c_str(),
                  duration_text(status->idle_exit_ms).c_str(), status->programs, static_cast<long long>(status->served),
                  units::format_size(status->resident_bytes).c_str(), status->settings.c_str());
    } else if (auto* stopped = std::get_if<sessions::DaemonStopped>(&*answer)) {
      std::cout << "stopped the warm zygote " << stopped->pid << "\n";
    }
  }
  if (found == 0 && options.status) std::cout << "no warm zygote is running\n";
  if (found == 0 && options.stop) std::cout << "no warm zygote was running\n";
  return exit_status::ok;
}

}  // namespace vivarium::cli
