// The run client's end of the connection to its program (runner/program.h): a thread
// reads what the program sends (that it started, wheel requests, how it ended) and
// answers wheel requests from the package folders, which only the client may read;
// Ctrl-C goes the other way. Everything the program sends is checked as hostile.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "packages/boot_setup.h"
#include "packages/package_reader.h"
#include "sessions/run_messages.h"

namespace vivarium::cli {

class ProgramConnection {
 public:
  struct Outcome {
    bool started = false;                            // RunStarted came
    std::optional<sessions::RunEnded> ended;         // how it ended, when it said so
    std::optional<std::string> failed;               // the daemon could not start it
    std::optional<sessions::RunHostFailed> no_boot;  // --no-daemon: Python did not boot
    bool output_too_large = false;
  };

  // `host_report_first`: a --no-daemon host reports its boot before the program speaks.
  ProgramConnection(int fd, packages::BootSettings packages, std::uint64_t result_limit, bool host_report_first);
  ~ProgramConnection();
  ProgramConnection(const ProgramConnection&) = delete;
  ProgramConnection& operator=(const ProgramConnection&) = delete;

  int fd() const { return fd_; }
  void start();
  // Readable once the program's end closed (it has ended): the relay's ended_fd.
  int ended_fd() const { return ended_; }
  void interrupt();  // Ctrl-C: KeyboardInterrupt in the program
  void hang_up();    // the program ends (its inbox reads end of file)
  Outcome finish();  // waits for the reader

 private:
  void read_loop();
  void answer_package_request(const sessions::PackageRequest& request);
  bool send(const sessions::Bytes& frame);

  int fd_;
  int ended_;
  packages::BootSettings settings_;
  std::optional<packages::PackageReader> reader_;  // listed on the first wheel request
  std::uint64_t result_limit_;
  bool host_report_first_;
  std::mutex send_mutex_;
  std::thread thread_;
  Outcome outcome_;
};

}  // namespace vivarium::cli
