#include "sessions/session_service.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "log/logger.h"
#include "sandbox/layer_probe.h"
#include "units/units.h"

namespace vivarium::sessions {
namespace {

using Clock = std::chrono::steady_clock;

using metrics::resident_bytes;

}  // namespace

SessionService::SessionService(SessionServiceOptions options)
    : options_(std::move(options)),
      registry_(options_.limits.max_sessions),
      zygote_(options_.zygote),
      executor_(registry_, zygote_, &cgroups_, options_.limits, options_.packages, options_.frames) {
  executor_.use_metrics(options_.metrics);
  zygote_.use_metrics(options_.metrics);
}

void SessionService::update_gauges() {
  if (!options_.metrics) return;
  metrics::ResidentMemory memory;
  memory.server = resident_bytes(::getpid());
  if (auto pid = zygote_.pid()) memory.zygote = resident_bytes(*pid);
  const auto sessions = registry_.all();
  for (const auto& session : sessions) {
    std::lock_guard lock(session->mutex);
    if (session->process) memory.sessions += resident_bytes(session->process->pid);
  }
  const auto spares = zygote_.spare_pids();
  for (const pid_t pid : spares) memory.spares += resident_bytes(pid);
  options_.metrics->set_spare_sessions(spares.size());
  options_.metrics->set_sessions_active(registry_.size());
  options_.metrics->set_resident_memory(memory);
}

SessionService::~SessionService() { stop(); }

std::expected<void, std::string> SessionService::start() {
  // The wall as a session will build it, tried once on a forked child: what this
  // machine refuses is said now, once, rather than by every session.
  const auto& zygote = options_.zygote;
  auto layers =
      sandbox::probe_layers({.role = sandbox::Role::session, .identity = sandbox::identity_in(zygote.sandbox_ids, 0)});
  if (!layers) return std::unexpected("cannot confine a session process here: " + layers.error().message);
  if (auto missing = sandbox::missing_layers(*layers); !missing.empty()) {
    if (zygote.require_full_sandbox)
      return std::unexpected("--require-full-sandbox: the process wall misses " + missing);
    log::warn("the process wall misses " + missing + " (vivarium sandbox-check explains each layer)");
  } else {
    log::info("process wall: all " + std::to_string(layers->size()) + " layers active (vivarium sandbox-check)");
  }

  // Stale parents of a crashed server go first; the zygote itself stays outside the budget.
  cgroups_.open(options_.total_memory_limit, options_.process_memory_limit);
  if (cgroups_.enabled()) zygote_.use_cgroups(&cgroups_);
  if (!cgroups_.enabled() && zygote.require_full_sandbox) {
    cgroups_.close();
    return std::unexpected("--require-full-sandbox: no writable memory cgroup here (docs/memory-cgroups.md)");
  }
  const auto boot_started = Clock::now();
  if (auto started = zygote_.start(); !started) {
    cgroups_.close();
    return std::unexpected(started.error());
  }
  log::info("Python ready in " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - boot_started).count()) +
            " ms (zygote pid " + std::to_string(zygote_.pid().value_or(-1)) + ")");
  started_ = true;
  background_ = std::thread([this] { background_loop(); });
  return {};
}

void SessionService::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!started_) return;
    started_ = false;
    stopping_ = true;
  }
  wake_.notify_all();
  if (background_.joinable()) background_.join();
  registry_.end_all();
  zygote_.stop();
  cgroups_.close();
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

// Expires idle sessions and watches session memory, until stop().
void SessionService::background_loop() {
  auto next_expiry = Clock::now();
  const auto expiry_period = std::clamp<std::chrono::milliseconds>(
      options_.session_timeout / 4, std::chrono::milliseconds(200), std::chrono::milliseconds(30000));
  const std::uint64_t memory_cap = options_.process_memory_limit;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(250));
    if (stopping_) break;
    if (Clock::now() >= next_expiry) {
      for (const auto& id : registry_.expire(options_.session_timeout)) {
        log::info("session " + id + " expired");
        if (options_.metrics) options_.metrics->session_expired();
      }
      next_expiry = Clock::now() + expiry_period;
    }
    for (auto& session : registry_.all()) {
      std::lock_guard session_lock(session->mutex);
      if (!session->process) continue;
      const auto rss = resident_bytes(session->process->pid);
      if (rss > memory_cap) {
        log::warn("session " + session->id + " uses " + units::format_size(rss) + ", over its cap of " +
                  units::format_size(memory_cap) + ": killed");
        session->killed_for_memory = true;
        kill_session_process(*session->process);
      }
    }
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {  // orphans re-parented to us (subreaper)
    }
  }
}

}  // namespace vivarium::sessions
