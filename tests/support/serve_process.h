// A `vivarium serve` started for one test, on an ephemeral port.
#pragma once

#include <sys/types.h>

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vivarium::test_support {

class ServeProcess {
 public:
  // Starts `vivarium serve --port 0 <args>` (plus env) and waits until it listens; args
  // with a --port of their own replace the ephemeral one. `command_prefix` runs it
  // through another program that then execs it (e.g. setpriv, to start it as a user).
  explicit ServeProcess(std::vector<std::string> args = {}, std::map<std::string, std::string> env = {},
                        std::string working_dir = "", std::vector<std::string> command_prefix = {});
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const;  // everything written to stderr so far
  // Sends a signal and waits for the exit status (128 + signal if killed).
  int stop(int signal_number);
  bool running();

 private:
  pid_t pid_ = -1;
  int port_ = -1;
  int exit_status_ = -1;
  int stderr_fd_ = -1;
  mutable std::mutex mutex_;
  std::string log_;
  std::thread reader_;
};

// Processes whose /proc/PID/comm is `name` and whose ancestry includes `ancestor`.
std::vector<pid_t> descendants_named(pid_t ancestor, const std::string& name);
// True while the process exists and is not a zombie.
bool process_alive(pid_t pid);

}  // namespace vivarium::test_support
