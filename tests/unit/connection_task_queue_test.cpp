#include "server/connection_task_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>

using namespace vivarium::server;
using namespace std::chrono_literals;

namespace {
// Waits (bounded) until `predicate` holds; the queue's threads run on their own time.
template <typename Predicate>
bool eventually(Predicate predicate) {
  for (int i = 0; i < 500 && !predicate(); ++i) std::this_thread::sleep_for(10ms);
  return predicate();
}
}  // namespace

TEST(ConnectionTaskQueue, AFinishedThreadServesTheNextConnectionInsteadOfANewThread) {
  ConnectionTaskQueue queue(8, nullptr);
  std::set<std::thread::id> ids;
  for (int i = 0; i < 5; ++i) {
    std::promise<std::thread::id> ran;
    queue.enqueue([&ran] { ran.set_value(std::this_thread::get_id()); });
    ids.insert(ran.get_future().get());
    ASSERT_TRUE(eventually([&] { return queue.running() == 0; }));  // back to idle
  }
  EXPECT_EQ(ids.size(), 1u) << "one lingering thread served all five, one after the other";
  EXPECT_FALSE(ids.contains(std::this_thread::get_id()));
}

TEST(ConnectionTaskQueue, ConnectionsAtOnceEachGetAThreadUpToTheCapThenRunInline) {
  ConnectionTaskQueue queue(3, nullptr);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  for (int i = 0; i < 3; ++i) queue.enqueue([released] { released.wait(); });
  EXPECT_TRUE(eventually([&] { return queue.running() == 3; }));
  bool inline_flag = false;
  std::thread::id where;
  queue.enqueue([&] {
    inline_flag = ConnectionTaskQueue::running_inline();
    where = std::this_thread::get_id();
  });
  EXPECT_TRUE(inline_flag) << "past the cap, the accept thread answers it itself";
  EXPECT_EQ(where, std::this_thread::get_id());
  EXPECT_FALSE(ConnectionTaskQueue::running_inline());
  release.set_value();
  EXPECT_TRUE(eventually([&] { return queue.running() == 0; }));
}

TEST(ConnectionTaskQueue, ShutdownWakesWaitingConnectionsAndWaitsForBusyOnes) {
  std::atomic<bool> woken{false};
  auto queue = std::make_unique<ConnectionTaskQueue>(
      4, [&] { woken = true; }, 50ms);
  std::atomic<int> finished{0};
  for (int i = 0; i < 2; ++i)
    queue->enqueue([&] {
      std::this_thread::sleep_for(100ms);
      ++finished;
    });
  queue->shutdown();
  EXPECT_TRUE(woken) << "shutdown first wakes connections that wait for a request";
  EXPECT_EQ(finished, 2) << "shutdown returns only when every connection has ended";
  queue.reset();  // the destructor's shutdown has nothing left to wait for
}
