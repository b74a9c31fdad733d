// SerialWorker runs what it is given one at a time, in order, off the caller's thread; AwaitIdle
// returns only once everything posted before it has run; its destructor runs what is left.
#include "server/serial_worker.h"

#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry::server {
namespace {

TEST(SerialWorkerTest, RunsTasksInOrderOffTheCallersThreadAndAwaitIdleWaitsForThem) {
  SerialWorker worker;
  absl::Notification release;
  absl::Mutex mu;
  std::vector<int> ran;
  std::thread::id ran_on;
  // The first task holds the worker until the test releases it: everything after it waits.
  worker.Post([&] {
    release.WaitForNotification();
    absl::MutexLock lock(&mu);
    ran.push_back(0);
    ran_on = std::this_thread::get_id();
  });
  for (int i = 1; i <= 5; ++i) {
    worker.Post([&, i] {
      absl::MutexLock lock(&mu);
      ran.push_back(i);
    });
  }
  {
    absl::MutexLock lock(&mu);
    EXPECT_TRUE(ran.empty()) << "Post does not run the task itself";
  }
  release.Notify();
  worker.AwaitIdle();
  absl::MutexLock lock(&mu);
  EXPECT_THAT(ran, ::testing::ElementsAre(0, 1, 2, 3, 4, 5));
  EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(SerialWorkerTest, TheDestructorRunsWhatIsStillQueued) {
  absl::Notification release;
  int ran = 0;
  {
    SerialWorker worker;
    worker.Post([&] { release.WaitForNotification(); });
    for (int i = 0; i < 3; ++i) worker.Post([&] { ++ran; });
    release.Notify();
  }
  EXPECT_EQ(ran, 3);
}

}  // namespace
}  // namespace registry::server
