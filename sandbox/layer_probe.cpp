#include "sandbox/layer_probe.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "sandbox/pid_namespace.h"

namespace vivarium::sandbox {
namespace {

constexpr int kLastLayer = static_cast<int>(Layer::landlock_scopes);

// One line per layer: "<layer number> <0|1> <detail>". Details never hold a newline.
std::string serialize(const std::vector<LayerStatus>& layers) {
  std::string text;
  for (const auto& status : layers)
    text += std::to_string(static_cast<int>(status.layer)) + " " + (status.active ? "1 " : "0 ") + status.detail + "\n";
  return text;
}

std::vector<LayerStatus> parse(const std::string& text) {
  std::vector<LayerStatus> layers;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    int layer = -1, active = 0;
    if (!(fields >> layer >> active) || layer < 0 || layer > kLastLayer) continue;
    std::string detail;
    std::getline(fields >> std::ws, detail);
    layers.push_back({static_cast<Layer>(layer), active == 1, detail});
  }
  return layers;
}

}  // namespace

std::expected<std::vector<LayerStatus>, SandboxError> probe_layers(ConfineOptions options) {
  options.require_all = false;
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0)
    return std::unexpected(SandboxError{SandboxError::Kind::failed, std::string("pipe: ") + std::strerror(errno)});
  // Forked as sessions and run's program are, so that the pid namespace is reported
  // truthfully.
  auto forked = fork_in_own_pid_namespace();
  const pid_t child = forked.pid;
  if (child < 0) {
    ::close(report[0]);
    ::close(report[1]);
    return std::unexpected(
        SandboxError{SandboxError::Kind::failed, std::string("fork: ") + std::strerror(forked.error)});
  }
  if (child == 0) {
    ::close(report[0]);
    options.pid_namespace_missing = forked.missing;
    auto layers = confine(options);
    const std::string text = layers ? serialize(*layers) : "error " + layers.error().message;
    (void)!::write(report[1], text.data(), text.size());
    ::_exit(layers ? 0 : 1);
  }
  ::close(report[1]);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(report[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(report[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return std::unexpected(SandboxError{SandboxError::Kind::failed, text.starts_with("error ")
                                                                        ? text.substr(6)
                                                                        : "the sandbox probe died before it reported"});
  return parse(text);
}

std::string missing_layers(const std::vector<LayerStatus>& layers) {
  std::string text;
  for (const auto& status : layers) {
    if (status.active) continue;
    if (!text.empty()) text += "; ";
    text += std::string(name_of(status.layer)) + " (" + status.detail + ")";
  }
  return text;
}

}  // namespace vivarium::sandbox
