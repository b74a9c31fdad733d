// FileStamp and PollingThread, what the policy and revocation watchers are built on: a stamp
// changes when the file is rewritten or replaced (even with the same size and time), and a
// polling thread polls until stopped, and Stop waits for a poll in progress.
#include "server/polling_thread.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace registry::server {
namespace {

namespace fs = std::filesystem;

class FileStampTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("file_stamp_" + std::string(::testing::UnitTest::GetInstance()
                                            ->current_test_info()
                                            ->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static void Write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }
  // Gives `path` the modification time of `like`, to the nanosecond.
  static void SameTimeAs(const fs::path& path, const fs::path& like) {
    struct stat st;
    ASSERT_EQ(::stat(like.c_str(), &st), 0);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }

  fs::path dir_;
};

TEST_F(FileStampTest, MissingFileIsADash) {
  EXPECT_EQ(FileStamp((dir_ / "absent").string()), "-");
}

TEST_F(FileStampTest, SameFileSameStamp) {
  const fs::path file = dir_ / "policy.textproto";
  Write(file, "principals {}");
  EXPECT_EQ(FileStamp(file.string()), FileStamp(file.string()));
}

TEST_F(FileStampTest, ChangesWhenTheSizeChangesAtTheSameTime) {
  const fs::path file = dir_ / "policy.textproto";
  Write(file, "principals {}");
  const fs::path before_copy = dir_ / "time";
  Write(before_copy, "");
  SameTimeAs(before_copy, file);
  const std::string before = FileStamp(file.string());
  Write(file, "principals { id: \"x\" }");
  SameTimeAs(file, before_copy);
  EXPECT_NE(FileStamp(file.string()), before);
}

// An operator's editor, or `mv new old`, replaces the file: same size, and the time set back,
// but another inode.
TEST_F(FileStampTest, ChangesWhenTheFileIsReplacedWithTheSameSizeAndTime) {
  const fs::path file = dir_ / "crl.pem";
  Write(file, "AAAA");
  const std::string before = FileStamp(file.string());
  const fs::path replacement = dir_ / "crl.pem.new";
  Write(replacement, "BBBB");
  SameTimeAs(replacement, file);
  fs::rename(replacement, file);
  EXPECT_NE(FileStamp(file.string()), before);
}

TEST(PollingThreadTest, PollsUntilStopped) {
  std::atomic<int> polls{0};
  absl::Notification third;
  PollingThread thread;
  thread.Start(absl::Milliseconds(1), [&] {
    if (polls.fetch_add(1) + 1 == 3) third.Notify();
  });
  ASSERT_TRUE(third.WaitForNotificationWithTimeout(absl::Seconds(60)));
  thread.Stop();
  EXPECT_GE(polls.load(), 3);
  thread.Stop();  // idempotent: returns at once
}

TEST(PollingThreadTest, StopWaitsForAPollInProgress) {
  absl::Notification entered;
  absl::Notification release;
  std::atomic<bool> finished{false};
  std::atomic<bool> stop_returned_during_poll{false};
  std::atomic<bool> stop_returned{false};
  PollingThread thread;
  thread.Start(absl::Milliseconds(1), [&] {
    if (entered.HasBeenNotified()) return;
    entered.Notify();
    release.WaitForNotification();
    if (stop_returned.load()) stop_returned_during_poll = true;
    finished = true;
  });
  entered.WaitForNotification();
  std::thread stopper([&] {
    thread.Stop();
    stop_returned = true;
  });
  release.Notify();
  stopper.join();
  EXPECT_TRUE(finished.load());
  EXPECT_FALSE(stop_returned_during_poll.load());
}

TEST(PollingThreadTest, StopWithoutStartAndDestructionWithoutStopReturn) {
  { PollingThread never_started; never_started.Stop(); }
  std::atomic<int> polls{0};
  absl::Notification first;
  {
    PollingThread running;
    running.Start(absl::Milliseconds(1), [&] {
      if (polls.fetch_add(1) == 0) first.Notify();
    });
    ASSERT_TRUE(first.WaitForNotificationWithTimeout(absl::Seconds(60)));
  }  // the destructor stops and joins it; a thread left running would end the test binary
  EXPECT_GE(polls.load(), 1);
}

}  // namespace
}  // namespace registry::server
