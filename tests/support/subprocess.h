// Spawning the real vivarium binary from black-box tests.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vivarium::test_support {

struct ProcessResult {
  int exit_status = -1;  // exit code, or 128 + signal
  std::string out;
  std::string err;
  bool timed_out = false;
};

struct ProcessOptions {
  std::string stdin_data;
  std::map<std::string, std::string> env;  // added to (or overriding) the test's environment
  std::optional<std::string> working_dir;
  std::chrono::milliseconds limit{60000};  // killed after this
};

// Runs argv[0] with argv, feeding stdin_data and collecting stdout and stderr.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// A process whose output is read while it runs (for streaming tests).
class LiveProcess {
 public:
  explicit LiveProcess(const std::vector<std::string>& argv);
  ~LiveProcess();
  // Reads stdout until `needle` appears or the deadline passes; returns what was read.
  std::string read_stdout_until(const std::string& needle, std::chrono::milliseconds limit);
  bool running();
  void send_signal(int signal_number);  // to the process started (not its children)
  int wait();

 private:
  int pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
};

std::string vivarium_binary();  // build/vivarium
// build/vivarium with args.
ProcessResult run_vivarium(std::vector<std::string> args, const ProcessOptions& options = {});
std::string source_dir();     // the repository root
std::string make_temp_dir();  // a fresh directory under the test's temp dir

}  // namespace vivarium::test_support
