// The executor's outcomes and its reset logic, against fake sessions: forked children
// that speak the real wire protocol and then answer, hang, crash or send garbage. No V8,
// no zygote.
#include "sessions/executor.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <future>
#include <thread>

#include "sessions/frame_io.h"
#include "sessions/wire_messages.h"

using namespace vivarium::sessions;
using namespace std::chrono_literals;

namespace {

// echo: answers at once. interruptible: streams two chunks (when asked to stream), then
// waits for an interrupt and answers KeyboardInterrupt.
enum class Behaviour { echo, hang, crash, garbage, interruptible };

// Forks one fake session per call; counts them, so a test sees a reset fork a fresh one.
class FakeLauncher : public SessionLauncher {
 public:
  explicit FakeLauncher(Behaviour behaviour) : behaviour_(behaviour) {}
  std::expected<SessionProcess, std::string> fork_session() override {
    if (fail_) return std::unexpected("the fake zygote is down");
    int sockets[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) return std::unexpected("socketpair");
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(sockets[0]);
      serve(sockets[1]);
      ::_exit(0);
    }
    ::close(sockets[1]);
    ++forked_;
    children_.push_back(pid);
    SessionProcess process;
    process.pid = pid;
    process.socket = sockets[0];
    return process;
  }
  ~FakeLauncher() override {
    for (pid_t child : children_) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
    }
  }
  int forked() const { return forked_; }
  void set_behaviour(Behaviour behaviour) { behaviour_ = behaviour; }
  void fail_from_now_on() { fail_ = true; }

 private:
  // In the child: each request's code comes back as its stdout, and a counter of the
  // requests this process served as the final expression (state that a reset loses).
  void serve(int socket) {
    for (int served = 1;; ++served) {
      auto frame = receive_frame(socket, kSessionInboundFrameLimit);
      if (!frame) return;
      auto message = decode_to_session(frame->body);
      if (!message || !std::holds_alternative<ExecRequest>(*message)) continue;
      switch (behaviour_) {
        case Behaviour::hang:
          ::pause();
          return;
        case Behaviour::crash:
          return;
        case Behaviour::garbage: {
          const Bytes junk = {0xff, 0x00, 0x13};
          (void)send_frame(socket, junk);
          ::pause();
          return;
        }
        case Behaviour::interruptible: {
          const auto& request = std::get<ExecRequest>(*message);
          if (request.stream) {
            (void)send_frame(socket, encode(OutputChunk{vivarium::engine::OutputStream::out, "one "}));
            (void)send_frame(socket, encode(OutputChunk{vivarium::engine::OutputStream::err, "two"}));
          }
          auto next = receive_frame(socket, kSessionInboundFrameLimit);
          if (!next) return;
          auto interrupt = decode_to_session(next->body);
          vivarium::engine::ExecutionResult result;
          result.std_out = request.globals_json;
          if (interrupt && std::holds_alternative<InterruptRequest>(*interrupt))
            result.error = vivarium::engine::ExecutionError{
                vivarium::engine::ErrorKind::execution, "KeyboardInterrupt", "KeyboardInterrupt", "", {}};
          if (!send_frame(socket, encode(ExecResult{result}))) return;
          break;
        }
        case Behaviour::echo: {
          vivarium::engine::ExecutionResult result;
          result.std_out = std::get<ExecRequest>(*message).code;
          result.final_expression_json = std::to_string(served);
          if (!send_frame(socket, encode(ExecResult{result}))) return;
        }
      }
    }
  }
  Behaviour behaviour_;
  bool fail_ = false;
  int forked_ = 0;
  std::vector<pid_t> children_;
};

class FullMachine : public SessionAdmission {
 public:
  std::optional<std::string> refusal() const override { return "no room"; }
};

constexpr FrameLimits kFrames{1 << 20, 1 << 20};

ExecutorLimits short_limits() {
  ExecutorLimits limits;
  limits.execution_timeout = 200ms;
  limits.grace = 100ms;
  limits.max_sessions = 2;
  return limits;
}

struct Fixture {
  explicit Fixture(Behaviour behaviour, const SessionAdmission* admission = nullptr)
      : launcher(behaviour), executor(registry, launcher, admission, short_limits(), {}, kFrames) {}
  ExecOutcome run(const std::string& id, const std::string& code = "1") {
    return executor.execute(id, {code, {}, {}, {}});
  }
  SessionRegistry registry{2};
  FakeLauncher launcher;
  Executor executor;
};

}  // namespace

TEST(Executor, ACompletedExecutionKeepsItsProcessForTheNext) {
  Fixture fixture(Behaviour::echo);
  auto first = fixture.run("a", "print(1)");
  ASSERT_TRUE(std::holds_alternative<ExecCompleted>(first));
  EXPECT_EQ(std::get<ExecCompleted>(first).result.std_out, "print(1)");
  auto second = fixture.run("a");
  ASSERT_TRUE(std::holds_alternative<ExecCompleted>(second));
  EXPECT_EQ(std::get<ExecCompleted>(second).result.final_expression_json, "2");  // the same process
  EXPECT_EQ(fixture.launcher.forked(), 1);
}

TEST(Executor, AHangingSessionIsResetAtTheDeadlineAndTheNextExecutionForksAFreshOne) {
  Fixture fixture(Behaviour::hang);
  auto hung = fixture.run("a");
  ASSERT_TRUE(std::holds_alternative<ExecReset>(hung));
  EXPECT_EQ(std::get<ExecReset>(hung).reason, ResetReason::timeout);
  EXPECT_GE(std::get<ExecReset>(hung).runtime_ms, 250);  // timeout + grace (300 ms)
  fixture.launcher.set_behaviour(Behaviour::echo);
  auto next = fixture.run("a");
  ASSERT_TRUE(std::holds_alternative<ExecCompleted>(next));
  EXPECT_EQ(std::get<ExecCompleted>(next).result.final_expression_json, "1");  // state is gone
  EXPECT_EQ(fixture.launcher.forked(), 2);
}

TEST(Executor, SessionCreatedIsTrueOnTheFirstExecutionAndTheFirstAfterAReset) {
  Fixture fixture(Behaviour::crash);  // the behaviour of the processes forked from now on
  vivarium::metrics::Metrics metrics;
  fixture.executor.use_metrics(&metrics);
  auto crashed = fixture.run("a");
  ASSERT_TRUE(std::holds_alternative<ExecReset>(crashed));
  EXPECT_TRUE(std::get<ExecReset>(crashed).session_created);  // it ran in a fresh process, then lost it
  fixture.launcher.set_behaviour(Behaviour::echo);
  auto after = fixture.run("a");
  ASSERT_TRUE(std::holds_alternative<ExecCompleted>(after));
  EXPECT_TRUE(std::get<ExecCompleted>(after).session_created);
  auto next = fixture.run("a");
  EXPECT_FALSE(std::get<ExecCompleted>(next).session_created);
  auto other = fixture.run("b");
  EXPECT_TRUE(std::get<ExecCompleted>(other).session_created);

  const auto text = metrics.render();
  EXPECT_NE(text.find("vivarium_sessions_created_total 2\n"), std::string::npos);  // a and b; the reset is none
  EXPECT_NE(text.find("vivarium_session_resets_total{reason=\"crashed\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("vivarium_executions_total{outcome=\"ok\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("vivarium_executions_total{outcome=\"reset\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("vivarium_session_start_duration_seconds_count 3\n"), std::string::npos);
}

TEST(Executor, ACrashIsAResetThatSaysSo) {
  Fixture fixture(Behaviour::crash);
  auto crashed = fixture.run("a");
  ASSERT_TRUE(std::holds_alternative<ExecReset>(crashed));
  EXPECT_EQ(std::get<ExecReset>(crashed).reason, ResetReason::crashed);
  EXPECT_NE(std::get<ExecReset>(crashed).message.find("crashed"), std::string::npos);
}

TEST(Executor, AFrameThatCannotBeDecodedIsAResetNotATimeout) {
  Fixture fixture(Behaviour::garbage);
  auto bad = fixture.run("a");
  ASSERT_TRUE(std::holds_alternative<ExecReset>(bad));
  EXPECT_EQ(std::get<ExecReset>(bad).reason, ResetReason::bad_message);
}

TEST(Executor, RefusalsNameTheirReasonAndForkNothing) {
  FullMachine full;
  Fixture no_room(Behaviour::echo, &full);
  auto refused = no_room.run("a");
  ASSERT_TRUE(std::holds_alternative<ExecRefused>(refused));
  EXPECT_EQ(std::get<ExecRefused>(refused).reason, Refusal::no_memory);
  EXPECT_EQ(std::get<ExecRefused>(refused).message, "no room");
  EXPECT_EQ(no_room.launcher.forked(), 0);

  Fixture capped(Behaviour::echo);
  ASSERT_TRUE(std::holds_alternative<ExecCompleted>(capped.run("a")));
  ASSERT_TRUE(std::holds_alternative<ExecCompleted>(capped.run("b")));
  auto third = capped.run("c");
  ASSERT_TRUE(std::holds_alternative<ExecRefused>(third));
  EXPECT_EQ(std::get<ExecRefused>(third).reason, Refusal::too_many_sessions);

  Fixture down(Behaviour::echo);
  down.launcher.fail_from_now_on();
  auto cannot = down.run("a");
  ASSERT_TRUE(std::holds_alternative<ExecRefused>(cannot));
  EXPECT_EQ(std::get<ExecRefused>(cannot).reason, Refusal::cannot_start);
  EXPECT_NE(std::get<ExecRefused>(cannot).message.find("the fake zygote is down"), std::string::npos);
}

TEST(Executor, ADeletedSessionEndsTheExecutionThatRunsInIt) {
  Fixture fixture(Behaviour::hang);
  std::thread remover([&] {
    std::this_thread::sleep_for(100ms);
    fixture.registry.remove("a");
  });
  auto ended = fixture.run("a");
  remover.join();
  ASSERT_TRUE(std::holds_alternative<ExecRefused>(ended));
  EXPECT_EQ(std::get<ExecRefused>(ended).reason, Refusal::session_ended);
}

TEST(Executor, StreamedOutputReachesTheCallerInOrderAndAnInterruptEndsTheExecution) {
  Fixture fixture(Behaviour::interruptible);
  std::vector<std::string> seen;
  std::promise<void> two_chunks;
  ExecInput input{"code", {}, R"({"a": 1})", {}, {}};
  input.on_output = [&](vivarium::engine::OutputStream stream, std::string_view text) {
    seen.push_back(std::string(stream == vivarium::engine::OutputStream::out ? "out:" : "err:") + std::string(text));
    if (seen.size() == 2) two_chunks.set_value();
  };
  std::thread interrupter([&] {
    two_chunks.get_future().wait();
    EXPECT_EQ(fixture.executor.interrupt("s"), InterruptOutcome::interrupted);
  });
  auto outcome = fixture.executor.execute("s", input);
  interrupter.join();
  EXPECT_EQ(seen, (std::vector<std::string>{"out:one ", "err:two"}));
  auto* done = std::get_if<ExecCompleted>(&outcome);
  ASSERT_NE(done, nullptr);
  ASSERT_TRUE(done->result.error);
  EXPECT_EQ(done->result.error->exception, "KeyboardInterrupt");
  EXPECT_EQ(done->result.std_out, R"({"a": 1})") << "globals_json travels to the session";
}

TEST(Executor, InterruptFindsNothingWhenIdleOrUnknown) {
  Fixture fixture(Behaviour::echo);
  EXPECT_EQ(fixture.executor.interrupt("nobody"), InterruptOutcome::no_session);
  fixture.run("idle");
  EXPECT_EQ(fixture.executor.interrupt("idle"), InterruptOutcome::not_running);
}

TEST(Executor, AnInterruptForAnotherCallerLeavesTheRunningExecutionAlone) {
  Fixture fixture(Behaviour::interruptible);
  std::atomic<bool> other{false};
  ExecInput input{"code", {}, {}, {}, std::make_shared<std::atomic<bool>>(false)};
  std::thread interrupter([&] {
    // Not this execution's flag: nothing is sent, until the right one is given.
    while (fixture.executor.interrupt("s", input.cancelled.get()) != InterruptOutcome::interrupted) {
      // (no_session until the executor has created the session)
      EXPECT_NE(fixture.executor.interrupt("s", &other), InterruptOutcome::interrupted);
      std::this_thread::sleep_for(1ms);
    }
  });
  auto outcome = fixture.executor.execute("s", input);
  interrupter.join();
  ASSERT_TRUE(std::holds_alternative<ExecCompleted>(outcome));
  EXPECT_EQ(std::get<ExecCompleted>(outcome).result.error->exception, "KeyboardInterrupt");
}

TEST(Executor, ACallerThatGaveUpBeforeItsTurnDoesNotRun) {
  Fixture fixture(Behaviour::echo);
  ExecInput input{"code", {}, {}, {}, std::make_shared<std::atomic<bool>>(true)};
  auto outcome = fixture.executor.execute("s", input);
  auto* refused = std::get_if<ExecRefused>(&outcome);
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->reason, Refusal::cancelled);
  EXPECT_EQ(fixture.launcher.forked(), 1) << "the session exists, its process waits for the next";
}
