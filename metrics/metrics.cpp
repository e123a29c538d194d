#include "metrics/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>

namespace vivarium::metrics {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// From a warm exec (~3 ms) to the default timeout (30 s) and past it (the grace).
const prometheus::Histogram::BucketBoundaries kExecutionBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                                   1,     2.5,  5,     10,   30,  60};
// A fork from a booted zygote takes a few ms; one that restarts the zygote takes seconds.
const prometheus::Histogram::BucketBoundaries kNewSessionBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                                    0.25,  0.5,    1,     2.5,  5,     10};

constexpr std::array kOutcomes = {"ok", "error", "timeout", "reset", "refused"};
constexpr std::array kResetReasons = {"memory_limit", "timeout", "crashed", "bad_message", "interpreter_lost"};
constexpr std::array kRejections = {"auth", "rate", "size"};
constexpr std::array kSessionStarts = {"spare", "fork"};

}  // namespace

struct Metrics::Families {
  prometheus::Registry registry;

  prometheus::Gauge& sessions_active = BuildGauge()
                                           .Name("vivarium_sessions_active")
                                           .Help("Sessions alive now (with or without a running process).")
                                           .Register(registry)
                                           .Add({});
  prometheus::Counter& sessions_created =
      BuildCounter()
          .Name("vivarium_sessions_created_total")
          .Help("Sessions created: first executions of a session id not alive before.")
          .Register(registry)
          .Add({});
  prometheus::Counter& sessions_expired = BuildCounter()
                                              .Name("vivarium_sessions_expired_total")
                                              .Help("Sessions ended for being idle past --session-timeout.")
                                              .Register(registry)
                                              .Add({});
  prometheus::Family<prometheus::Counter>& session_resets =
      BuildCounter()
          .Name("vivarium_session_resets_total")
          .Help("Session processes replaced after an execution, by reason; the next execution starts afresh.")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& executions =
      BuildCounter().Name("vivarium_executions_total").Help("Executions finished, by outcome.").Register(registry);
  prometheus::Histogram& execution_seconds =
      BuildHistogram()
          .Name("vivarium_execution_duration_seconds")
          .Help("Wall time of an execution, from its turn in the session to its result.")
          .Register(registry)
          .Add({}, kExecutionBuckets);
  prometheus::Histogram& new_session_seconds =
      BuildHistogram()
          .Name("vivarium_session_start_duration_seconds")
          .Help(
              "Time to get a fresh session process from the zygote for a first execution (zygote restarts "
              "included).")
          .Register(registry)
          .Add({}, kNewSessionBuckets);
  prometheus::Counter& zygote_restarts = BuildCounter()
                                             .Name("vivarium_zygote_restarts_total")
                                             .Help("Times the zygote died and was started again.")
                                             .Register(registry)
                                             .Add({});
  prometheus::Family<prometheus::Counter>& session_starts =
      BuildCounter()
          .Name("vivarium_session_starts_total")
          .Help(
              "Session processes given to a first execution, by where they came from: a ready spare, or a fork "
              "on the request's path.")
          .Register(registry);
  prometheus::Gauge& spare_sessions = BuildGauge()
                                          .Name("vivarium_spare_sessions")
                                          .Help("Spare session processes ready now (--spare-sessions).")
                                          .Register(registry)
                                          .Add({});
  prometheus::Family<prometheus::Gauge>& resident =
      BuildGauge()
          .Name("vivarium_resident_memory_bytes")
          .Help(
              "Resident memory at scrape time, by process: the server, the zygote, all sessions together, and "
              "all spares together.")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& http_requests =
      BuildCounter()
          .Name("vivarium_http_requests_total")
          .Help("HTTP requests answered, by route pattern and status.")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& rejections =
      BuildCounter()
          .Name("vivarium_http_rejections_total")
          .Help("Requests refused by reason: auth (401), rate (429), size (413).")
          .Register(registry);

  Families() {
    // Every known label value exists from the start, at 0: a query sees the series
    // before the first event, and rate() sees its first increase.
    for (const char* outcome : kOutcomes) executions.Add({{"outcome", outcome}});
    for (const char* reason : kResetReasons) session_resets.Add({{"reason", reason}});
    for (const char* reason : kRejections) rejections.Add({{"reason", reason}});
    for (const char* process : {"server", "zygote", "sessions", "spares"}) resident.Add({{"process", process}});
    for (const char* from : kSessionStarts) session_starts.Add({{"from", from}});
  }
};

Metrics::Metrics() : families_(std::make_unique<Families>()) {}
Metrics::~Metrics() = default;

void Metrics::session_created() { families_->sessions_created.Increment(); }
void Metrics::session_expired() { families_->sessions_expired.Increment(); }
void Metrics::session_reset(std::string_view reason) {
  families_->session_resets.Add({{"reason", std::string(reason)}}).Increment();
}

void Metrics::execution(ExecutionOutcome outcome, std::chrono::duration<double> time) {
  families_->executions.Add({{"outcome", kOutcomes[static_cast<std::size_t>(outcome)]}}).Increment();
  families_->execution_seconds.Observe(time.count());
}

void Metrics::new_session(std::chrono::duration<double> latency) {
  families_->new_session_seconds.Observe(latency.count());
}

void Metrics::zygote_restarted() { families_->zygote_restarts.Increment(); }
void Metrics::session_started(SessionStart from) {
  families_->session_starts.Add({{"from", kSessionStarts[static_cast<std::size_t>(from)]}}).Increment();
}

void Metrics::http_request(std::string_view route, int status) {
  families_->http_requests.Add({{"route", std::string(route)}, {"status", std::to_string(status)}}).Increment();
  const char* rejection = status == 401 ? "auth" : status == 429 ? "rate" : status == 413 ? "size" : nullptr;
  if (rejection) families_->rejections.Add({{"reason", rejection}}).Increment();
}

void Metrics::set_sessions_active(std::size_t count) { families_->sessions_active.Set(static_cast<double>(count)); }

void Metrics::set_resident_memory(const ResidentMemory& memory) {
  families_->resident.Add({{"process", "server"}}).Set(static_cast<double>(memory.server));
  families_->resident.Add({{"process", "zygote"}}).Set(static_cast<double>(memory.zygote));
  families_->resident.Add({{"process", "sessions"}}).Set(static_cast<double>(memory.sessions));
  families_->resident.Add({{"process", "spares"}}).Set(static_cast<double>(memory.spares));
}
void Metrics::set_spare_sessions(std::size_t count) { families_->spare_sessions.Set(static_cast<double>(count)); }

std::string Metrics::render() const { return prometheus::TextSerializer().Serialize(families_->registry.Collect()); }

}  // namespace vivarium::metrics
