// session_created on every /exec body that exec_reply builds (docs/api.md).
#include "server/exec_reply.h"

#include <gtest/gtest.h>

using namespace vivarium;

TEST(ExecReplySessionCreated, CompletedAndResetRepliesSayWhetherTheInterpreterWasFresh) {
  engine::ExecutionResult result;
  EXPECT_EQ(server::exec_reply(sessions::ExecCompleted{result, true}, 1 << 20).body["session_created"], true);
  EXPECT_EQ(server::exec_reply(sessions::ExecCompleted{result, false}, 1 << 20).body["session_created"], false);
  result.error = engine::ExecutionError{};
  const auto raised = server::exec_reply(sessions::ExecCompleted{result, true}, 1 << 20);
  EXPECT_EQ(raised.body["success"], false);
  EXPECT_EQ(raised.body["session_created"], true);
  const auto reset =
      server::exec_reply(sessions::ExecReset{sessions::ResetReason::timeout, "reset", 7, false}, 1 << 20);
  EXPECT_EQ(reset.status, 200);
  EXPECT_EQ(reset.body["error"]["session_reset"], true);
  EXPECT_EQ(reset.body["session_created"], false);
}

TEST(ExecReplySessionCreated, ARefusalRanNowhereAndSaysFalse) {
  for (auto reason : {sessions::Refusal::too_many_sessions, sessions::Refusal::no_memory,
                      sessions::Refusal::session_ended, sessions::Refusal::stopping}) {
    const auto reply = server::exec_reply(sessions::ExecRefused{reason, "no"}, 1 << 20);
    EXPECT_EQ(reply.body["session_created"], false);
    EXPECT_EQ(reply.body["success"], false);
  }
}

TEST(ExecReplySessionCreated, AShutdownRefusalIs503Unavailable) {
  const auto reply = server::exec_reply(sessions::ExecRefused{sessions::Refusal::stopping, "stopping"}, 1 << 20);
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.body["error"]["type"], "unavailable");
}
