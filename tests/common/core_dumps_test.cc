// registryd keeps its memory (every KEK, the derivation root, the records it served) out of core
// dumps: common/core_dumps.h (registry-console too). Run in a child process, as it changes the process for good.
#include "common/core_dumps.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest.h"

#if defined(__SANITIZE_ADDRESS__)
#define REGISTRY_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REGISTRY_TEST_UNDER_ASAN 1
#endif
#endif

namespace registry {
namespace {

// What the child found, as its exit code.
enum ChildResult : int {
  kKept = 0,
  kCallFailed = 1,
  kCoreLimitLeft = 2,
  kStillDumpable = 3,
  kLimitRaisedAgain = 4,
};

int RunInChild() {
  if (!KeepOutOfCoreDumps().ok()) return kCallFailed;
  struct rlimit core = {1, 1};
  if (::getrlimit(RLIMIT_CORE, &core) != 0 || core.rlim_cur != 0 || core.rlim_max != 0) {
    return kCoreLimitLeft;
  }
#ifndef REGISTRY_TEST_UNDER_ASAN
  if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) return kStillDumpable;
#endif
  // The hard limit went to 0 too: nothing registryd runs may ask for core files again (an
  // unprivileged process cannot raise a hard limit; root could, which the unit does not give).
  if (::geteuid() != 0) {
    const struct rlimit again = {RLIM_INFINITY, RLIM_INFINITY};
    if (::setrlimit(RLIMIT_CORE, &again) == 0) return kLimitRaisedAgain;
  }
  return kKept;
}

TEST(CoreDumpsTest, TheProcessWritesNoCoreAndIsNotDumpable) {
  // Start from core files allowed, as a shell with `ulimit -c unlimited` would.
  struct rlimit allowed;
  ASSERT_EQ(::getrlimit(RLIMIT_CORE, &allowed), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    allowed.rlim_cur = allowed.rlim_max;
    ::setrlimit(RLIMIT_CORE, &allowed);
    ::_exit(RunInChild());
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), kKept)
      << "1: the call failed, 2: a core size limit is left, 3: still dumpable, 4: the limit "
         "could be raised again";
}

}  // namespace
}  // namespace registry
