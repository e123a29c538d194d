// The queue towards one client: responses always kept, notifications bounded, and a
// notice of what was dropped.
#include "server/mcp_outgoing_queue.h"

#include <gtest/gtest.h>

#include "server/mcp_jsonrpc.h"

using namespace vivarium::server::mcp;
using namespace std::chrono_literals;

namespace {
json note(const std::string& data) { return notification("notifications/message", {{"data", data}}); }
}  // namespace

TEST(McpOutgoingQueue, MessagesComeOutInOrder) {
  OutgoingQueue queue;
  queue.push_notification(note("a"));
  queue.push_response(result_response(1, json::object()));
  queue.close();
  auto first = queue.pop(0ms);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->is_response);
  auto second = queue.pop(0ms);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->is_response);
  EXPECT_FALSE(queue.pop(0ms));
  EXPECT_TRUE(queue.closed());
}

TEST(McpOutgoingQueue, PopWaitsAndGivesUp) {
  OutgoingQueue queue;
  EXPECT_FALSE(queue.pop(10ms));
  EXPECT_FALSE(queue.closed());
}

TEST(McpOutgoingQueue, NotificationsPastTheBudgetAreDroppedAndCounted) {
  OutgoingQueue queue(300);
  const std::string big(150, 'x');
  queue.push_notification(note(big));
  queue.push_notification(note(big));                       // over the budget: dropped
  queue.push_response(result_response(1, json::object()));  // never dropped
  EXPECT_EQ(queue.dropped_notifications(), 1u);
  ASSERT_TRUE(queue.pop(0ms));  // the first notification leaves room
  queue.push_notification(note("y"));
  auto response = queue.pop(0ms);
  ASSERT_TRUE(response && response->is_response);
  auto notice = queue.pop(0ms);
  ASSERT_TRUE(notice);
  EXPECT_NE(notice->text.find("were dropped"), std::string::npos);
  auto last = queue.pop(0ms);
  ASSERT_TRUE(last);
  EXPECT_NE(last->text.find("\"y\""), std::string::npos);
}
