#include "cli/run_connection.h"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "sessions/frame_io.h"
#include "sessions/frame_limits.h"

namespace vivarium::cli {

ProgramConnection::ProgramConnection(int fd, packages::BootSettings packages, std::uint64_t result_limit,
                                     bool host_report_first)
    : fd_(fd),
      ended_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      settings_(std::move(packages)),
      result_limit_(result_limit),
      host_report_first_(host_report_first) {
  settings_.measure_wheels = false;  // the program's engine checks each wheel's sha256
}

ProgramConnection::~ProgramConnection() {
  if (thread_.joinable()) {
    hang_up();
    thread_.join();
  }
  if (ended_ >= 0) ::close(ended_);
  ::close(fd_);
}

void ProgramConnection::start() {
  thread_ = std::thread([this] { read_loop(); });
}

bool ProgramConnection::send(const sessions::Bytes& frame) {
  std::lock_guard lock(send_mutex_);
  return static_cast<bool>(
      sessions::send_frame(fd_, frame, std::chrono::steady_clock::now() + std::chrono::seconds(10)));
}

void ProgramConnection::interrupt() { (void)send(sessions::encode(sessions::InterruptRequest{})); }

void ProgramConnection::hang_up() { ::shutdown(fd_, SHUT_RDWR); }

ProgramConnection::Outcome ProgramConnection::finish() {
  if (thread_.joinable()) thread_.join();
  return std::move(outcome_);
}

void ProgramConnection::answer_package_request(const sessions::PackageRequest& request) {
  if (!reader_) {
    reader_.emplace();
    // Listed as the zygote listed them at its boot; a folder that cannot be listed now
    // serves nothing (the program's import then fails with ModuleNotFoundError).
    if (auto setup = packages::prepare_boot(settings_)) {
      reader_->packages = setup->options.packages;
      reader_->wheels = setup->options.wheels;
    }
  }
  (void)send(sessions::encode(sessions::PackageReply{reader_->read(request.source, request.file_name)}));
}

void ProgramConnection::read_loop() {
  // The result carries the output files: they lived in the program's memory, which
  // --memory-limit caps, plus framing.
  const std::uint64_t limit = result_limit_;
  if (host_report_first_) {
    auto frame = sessions::receive_frame(fd_, sessions::kZygoteFrameLimit);
    auto report = frame ? sessions::decode_run_host_report(frame->body)
                        : std::expected<sessions::RunHostReport, sessions::WireError>(std::unexpected(frame.error()));
    if (frame && frame->passed_fd >= 0) ::close(frame->passed_fd);
    if (report && std::holds_alternative<sessions::RunHostFailed>(*report))
      outcome_.no_boot = std::get<sessions::RunHostFailed>(*report);
    if (!report || outcome_.no_boot) {
      const std::uint64_t one = 1;
      (void)!::write(ended_, &one, sizeof one);
      return;
    }
  }
  for (;;) {
    auto frame = sessions::receive_frame(fd_, limit);
    if (!frame) {
      if (frame.error().kind == sessions::WireErrorKind::too_large) outcome_.output_too_large = true;
      break;
    }
    if (frame->passed_fd >= 0) ::close(frame->passed_fd);
    auto message = sessions::decode_from_program(frame->body);
    if (!message) break;  // a program that says what it may not is ended like one that died
    if (std::holds_alternative<sessions::RunStarted>(*message)) {
      outcome_.started = true;
    } else if (auto* request = std::get_if<sessions::PackageRequest>(&*message)) {
      answer_package_request(*request);
    } else if (auto* ended = std::get_if<sessions::RunEnded>(&*message)) {
      outcome_.ended = std::move(*ended);
    } else if (auto* failed = std::get_if<sessions::RunFailed>(&*message)) {
      outcome_.failed = failed->error;
      break;
    }
  }
  hang_up();  // whatever the program still holds, it is over
  const std::uint64_t one = 1;
  (void)!::write(ended_, &one, sizeof one);
}

}  // namespace vivarium::cli
