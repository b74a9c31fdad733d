// InstallIfDefault takes a signal only where its handling is still the default, and hands back
// what it replaced so that it can be put back.
#include "client/signals.h"

#include <signal.h>

#include "gtest/gtest.h"

namespace registry::client {
namespace {

void Handler(int) {}

// SIGUSR1's disposition as it was before the test, put back after it.
class SignalsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(sigaction(SIGUSR1, nullptr, &saved_), 0); }
  void TearDown() override { sigaction(SIGUSR1, &saved_, nullptr); }

  static struct sigaction Current() {
    struct sigaction now {};
    sigaction(SIGUSR1, nullptr, &now);
    return now;
  }

  struct sigaction saved_ {};
};

TEST_F(SignalsTest, InstallsWhereTheSignalIsStillTheDefaultAndReturnsWhatWasThere) {
  signal(SIGUSR1, SIG_DFL);
  struct sigaction previous {};
  ASSERT_TRUE(InstallIfDefault(SIGUSR1, &Handler, SA_RESETHAND, &previous));
  EXPECT_EQ(previous.sa_handler, SIG_DFL);
  const struct sigaction now = Current();
  EXPECT_EQ(now.sa_handler, &Handler);
  EXPECT_NE(now.sa_flags & SA_RESETHAND, 0);
  ASSERT_EQ(sigaction(SIGUSR1, &previous, nullptr), 0);
  EXPECT_EQ(Current().sa_handler, SIG_DFL);
}

TEST_F(SignalsTest, LeavesAnIgnoredOrHandledSignalAlone) {
  signal(SIGUSR1, SIG_IGN);
  EXPECT_FALSE(InstallIfDefault(SIGUSR1, &Handler, 0, nullptr));
  EXPECT_EQ(Current().sa_handler, SIG_IGN);

  void (*other)(int) = [](int) {};
  signal(SIGUSR1, other);
  EXPECT_FALSE(InstallIfDefault(SIGUSR1, &Handler, 0, nullptr));
  EXPECT_EQ(Current().sa_handler, other);
}

}  // namespace
}  // namespace registry::client
