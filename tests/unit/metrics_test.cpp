// The metrics catalogue as GET /metrics renders it: names, labels and values in the text
// format 0.0.4 (promtool's own check runs on a live scrape in tests/metrics).
#include "metrics/metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

using vivarium::metrics::ExecutionOutcome;
using vivarium::metrics::Metrics;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

}  // namespace

TEST(Metrics, EveryKnownLabelValueIsThereAtZeroBeforeAnyEvent) {
  const auto text = Metrics().render();
  for (const char* outcome : {"ok", "error", "timeout", "reset", "refused"})
    EXPECT_TRUE(has_line(text, std::string("vivarium_executions_total{outcome=\"") + outcome + "\"} 0")) << outcome;
  for (const char* reason : {"auth", "rate", "size"})
    EXPECT_TRUE(has_line(text, std::string("vivarium_http_rejections_total{reason=\"") + reason + "\"} 0"));
  EXPECT_TRUE(has_line(text, "vivarium_sessions_created_total 0"));
  EXPECT_TRUE(has_line(text, "# TYPE vivarium_execution_duration_seconds histogram"));
  EXPECT_TRUE(has_line(text, "# TYPE vivarium_resident_memory_bytes gauge"));
}

TEST(Metrics, ExecutionsAreCountedByOutcomeAndTimedInTheHistogram) {
  Metrics metrics;
  metrics.execution(ExecutionOutcome::ok, std::chrono::milliseconds(3));
  metrics.execution(ExecutionOutcome::ok, std::chrono::milliseconds(40));
  metrics.execution(ExecutionOutcome::timeout, std::chrono::seconds(31));
  const auto text = metrics.render();
  EXPECT_TRUE(has_line(text, "vivarium_executions_total{outcome=\"ok\"} 2"));
  EXPECT_TRUE(has_line(text, "vivarium_executions_total{outcome=\"timeout\"} 1"));
  EXPECT_TRUE(has_line(text, "vivarium_execution_duration_seconds_count 3"));
  EXPECT_TRUE(has_line(text, "vivarium_execution_duration_seconds_bucket{le=\"0.005\"} 1"));
  EXPECT_TRUE(has_line(text, "vivarium_execution_duration_seconds_bucket{le=\"30\"} 2"));
  EXPECT_TRUE(has_line(text, "vivarium_execution_duration_seconds_bucket{le=\"+Inf\"} 3"));
}

TEST(Metrics, RepliesOf401And429And413CountAsRejections) {
  Metrics metrics;
  metrics.http_request("/exec", 401);
  metrics.http_request("/exec", 429);
  metrics.http_request("/exec", 413);
  metrics.http_request("/exec", 413);
  metrics.http_request("/exec", 200);
  const auto text = metrics.render();
  EXPECT_TRUE(has_line(text, "vivarium_http_rejections_total{reason=\"auth\"} 1"));
  EXPECT_TRUE(has_line(text, "vivarium_http_rejections_total{reason=\"rate\"} 1"));
  EXPECT_TRUE(has_line(text, "vivarium_http_rejections_total{reason=\"size\"} 2"));
  EXPECT_TRUE(has_line(text, "vivarium_http_requests_total{route=\"/exec\",status=\"413\"} 2"));
  EXPECT_TRUE(has_line(text, "vivarium_http_requests_total{route=\"/exec\",status=\"200\"} 1"));
}

TEST(Metrics, SessionsResetsRestartsAndGaugesAreRendered) {
  Metrics metrics;
  metrics.session_created();
  metrics.session_expired();
  metrics.session_reset("memory_limit");
  metrics.zygote_restarted();
  metrics.new_session(std::chrono::milliseconds(4));
  metrics.set_sessions_active(7);
  metrics.set_resident_memory({.server = 1024, .zygote = 2048, .sessions = 4096});
  const auto text = metrics.render();
  EXPECT_TRUE(has_line(text, "vivarium_sessions_created_total 1"));
  EXPECT_TRUE(has_line(text, "vivarium_sessions_expired_total 1"));
  EXPECT_TRUE(has_line(text, "vivarium_session_resets_total{reason=\"memory_limit\"} 1"));
  EXPECT_TRUE(has_line(text, "vivarium_zygote_restarts_total 1"));
  EXPECT_TRUE(has_line(text, "vivarium_session_start_duration_seconds_count 1"));
  EXPECT_TRUE(has_line(text, "vivarium_sessions_active 7"));
  EXPECT_TRUE(has_line(text, "vivarium_resident_memory_bytes{process=\"zygote\"} 2048"));
}

TEST(Metrics, ResidentBytesOfThisProcessAreSomeAndOfNoProcessNone) {
  EXPECT_GT(vivarium::metrics::resident_bytes(::getpid()), 1u << 20);
  EXPECT_EQ(vivarium::metrics::resident_bytes(-1), 0u);
}
