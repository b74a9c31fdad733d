// Reloadable (server/reloadable.h), what the policy and the revocation state are held in: a
// reading taken before another reload never lands over that reload's newer one.
#include "server/reloadable.h"

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace registry::server {
namespace {

// The case: the watcher's poll read the files, and was slow to apply what it read; a SIGHUP's
// reload meanwhile read the newer files and applied them; the poll then applied its older reading
// over them (every client certificate was refused until the next poll). Reloads now run one at a
// time: the second reads only once the first has applied, so the newer reading stays in force.
TEST(ReloadableTest, AReadingTakenBeforeAnotherReloadIsNeverAppliedOverIt) {
  absl::Mutex mu;
  int reads = 0;
  absl::Notification first_is_reading;
  absl::Notification let_the_first_finish;
  Reloadable<int> value([] { return std::string("stamp"); },
                        [&]() -> absl::StatusOr<std::shared_ptr<const int>> {
                          int n;
                          {
                            absl::MutexLock lock(&mu);
                            n = ++reads;
                          }
                          if (n == 1) {
                            first_is_reading.Notify();
                            let_the_first_finish.WaitForNotification();
                          }
                          return std::make_shared<const int>(n);
                        });
  std::thread slow_poll([&] { EXPECT_TRUE(value.Reload().ok()); });
  first_is_reading.WaitForNotification();
  std::thread sighup([&] { EXPECT_TRUE(value.Reload().ok()); });
  // Time for the second reload to read and apply, were it let to while the first is reading.
  absl::SleepFor(absl::Milliseconds(300));
  let_the_first_finish.Notify();
  slow_poll.join();
  sighup.join();
  ASSERT_NE(value.Current(), nullptr);
  EXPECT_EQ(*value.Current(), 2) << "the older reading was applied over the newer one";
}

}  // namespace
}  // namespace registry::server
