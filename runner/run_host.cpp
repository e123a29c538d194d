#include "runner/run_host.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "engine/interpreter.h"
#include "engine/runtime.h"
#include "packages/boot_setup.h"
#include "packages/packages.h"
#include "runner/exit_status.h"
#include "runner/program.h"
#include "runner/run_daemon.h"
#include "sessions/frame_io.h"
#include "sessions/frame_limits.h"
#include "sessions/run_messages.h"
#include "sessions/warm_up.h"

namespace vivarium::runner {
namespace {

constexpr auto kBootFrameLimit = std::chrono::seconds(10);

std::optional<std::filesystem::path> path_of(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  return std::filesystem::path(*text);
}

}  // namespace

int run_host_main(int boot_fd) {
  auto fail = [&](int status, const std::string& why) {
    (void)sessions::send_frame(boot_fd, sessions::encode(sessions::RunHostFailed{status, why}));
    return status;
  };
  auto frame =
      sessions::receive_frame(boot_fd, sessions::kZygoteFrameLimit, std::chrono::steady_clock::now() + kBootFrameLimit);
  if (!frame) return exit_status::internal;  // no client on the other end
  if (frame->passed_fd >= 0) ::close(frame->passed_fd);
  auto host = sessions::decode_run_host_boot(frame->body);
  if (!host) return fail(exit_status::internal, "the run host's boot frame cannot be decoded: " + host.error().message);
  const bool daemon = !host->socket_path.empty();
  ::prctl(PR_SET_NAME, daemon ? "vivarium-daemon" : "vivarium-prog");

  engine::RuntimeOptions runtime;
  runtime.wasm_memory_limit = host->boot.memory_limit;
  if (auto initialized = engine::Runtime::initialize(runtime); !initialized)
    return fail(exit_status::usage, initialized.error());
  const auto& b = host->boot;
  auto setup = packages::prepare_boot(
      {path_of(b.assets_dir), path_of(b.cache_dir), path_of(b.packages_dir), path_of(b.wheels_dir), b.preload});
  if (!setup)
    return fail(
        setup.error().problem == packages::BootSetupProblem::assets ? exit_status::internal : exit_status::usage,
        setup.error().message);
  engine::BootOptions& boot = setup->options;
  prepare_program_boot(boot);
  // A zygote's stderr is /dev/null: its boot's notices go to the client that started it.
  if (daemon)
    boot.on_notice = [boot_fd](std::string_view notice) {
      (void)sessions::send_frame(boot_fd, sessions::encode(sessions::RunHostNotice{std::string(notice)}));
    };
  auto interpreter = engine::Interpreter::boot(boot);
  if (!interpreter) return fail(exit_status::internal, interpreter.error());

  BootedPython python{interpreter->get(), {}};
  if (auto warning = packages::missing_packages_warning((*interpreter)->missing_preloads(), setup->packages_dir);
      !warning.empty())
    python.warnings.push_back(warning);
  if (auto warning = packages::skipped_wheels_warning(setup->skipped_wheels, setup->wheels_dir); !warning.empty())
    python.warnings.push_back(warning);
  if (!sessions::send_frame(boot_fd, sessions::encode(sessions::RunHostReady{static_cast<std::int32_t>(::getpid())})))
    return exit_status::internal;
  if (daemon) {
    ::close(boot_fd);
    const DaemonIdentity identity{host->key, host->settings, std::chrono::milliseconds(host->idle_ms),
                                  host->socket_path};
    // Only a zygote warms up (sessions/warm_up.h): a --no-daemon run would pay for
    // nothing. It does so after forking its first program, whose client would otherwise
    // wait ~50 ms for it (docs/performance.md), so that program starts as a --no-daemon
    // one does. The modules programs commonly import are in the memory snapshot already.
    run_daemon(python, kRunHostListenFd, identity, [&] { sessions::warm_up(**interpreter, ""); });
  }
  // --no-daemon: the client's request follows on the same socket, which becomes fd 3.
  auto request_frame = sessions::receive_frame(boot_fd, sessions::kRunRequestFrameLimit);
  if (!request_frame) return exit_status::internal;
  auto request = sessions::decode_to_daemon(request_frame->body);
  if (!request || !std::holds_alternative<sessions::RunRequest>(*request))
    return fail(exit_status::internal, "the run request cannot be decoded");
  if (boot_fd != kProgramConnectionFd && ::dup2(boot_fd, kProgramConnectionFd) < 0) return exit_status::internal;
  auto& run = std::get<sessions::RunRequest>(*request);
  const std::string missing = run.pid_namespace_missing;
  program_main(python, std::move(run), false, missing);
}

}  // namespace vivarium::runner
