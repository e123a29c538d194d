#include "support/serve_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "support/subprocess.h"

extern char** environ;

namespace vivarium::test_support {
namespace fs = std::filesystem;

ServeProcess::ServeProcess(std::vector<std::string> args, std::map<std::string, std::string> env,
                           std::string working_dir, std::vector<std::string> command_prefix) {
  std::vector<std::string> argv = command_prefix;
  argv.insert(argv.end(), {vivarium_binary(), "serve"});
  if (std::find(args.begin(), args.end(), "--port") == args.end()) argv.insert(argv.end(), {"--port", "0"});
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    if (!env.contains(entry.substr(0, entry.find('=')))) envs.push_back(entry);
  }
  for (auto& [k, v] : env) envs.push_back(k + "=" + v);
  std::vector<char*> c_args, c_env;
  for (auto& a : argv) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  for (auto& e : envs) c_env.push_back(e.data());
  c_env.push_back(nullptr);

  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  if (!working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());
  if (::posix_spawn(&pid_, c_args[0], &actions, nullptr, c_args.data(), c_env.data()) != 0)
    throw std::runtime_error("cannot spawn vivarium serve");
  posix_spawn_file_actions_destroy(&actions);
  ::close(err_pipe[1]);
  stderr_fd_ = err_pipe[0];
  reader_ = std::thread([this] {
    char buffer[4096];
    for (;;) {
      const ssize_t got = ::read(stderr_fd_, buffer, sizeof buffer);
      if (got <= 0) break;
      std::lock_guard lock(mutex_);
      log_.append(buffer, static_cast<std::size_t>(got));
    }
  });
  static const std::regex kListening("listening on http://[^:]+:([0-9]+)");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch match;
    const std::string text = log();
    if (std::regex_search(text, match, kListening)) {
      port_ = std::stoi(match[1].str());
      return;
    }
    if (!running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("vivarium serve did not start:\n" + log());
}

ServeProcess::~ServeProcess() {
  if (pid_ > 0) stop(SIGKILL);
  if (reader_.joinable()) reader_.join();
  if (stderr_fd_ >= 0) ::close(stderr_fd_);
}

std::string ServeProcess::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

bool ServeProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == 0) return true;
  exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  pid_ = -1;
  return false;
}

int ServeProcess::stop(int signal_number) {
  if (pid_ <= 0) return exit_status_;
  ::kill(pid_, signal_number);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

namespace {
pid_t parent_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(text.substr(close + 2));
  char state;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}
}  // namespace

std::vector<pid_t> descendants_named(pid_t ancestor, const std::string& name) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string dir = entry.path().filename();
    if (dir.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(dir);
    std::ifstream comm(entry.path() / "comm");
    std::string comm_name;
    std::getline(comm, comm_name);
    if (comm_name != name) continue;
    for (pid_t p = parent_of(pid); p > 1; p = parent_of(p))
      if (p == ancestor) {
        found.push_back(pid);
        break;
      }
  }
  std::sort(found.begin(), found.end());
  return found;
}

bool process_alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  const auto close = text.rfind(')');
  return close != std::string::npos && text.size() > close + 2 && text[close + 2] != 'Z';
}

}  // namespace vivarium::test_support
