// registry-console itself, run as a process: its exit codes follow registry-cli's (README.md).
#include <stdio.h>
#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace {

std::string TestPki() {
  const char* dir = getenv("REGISTRY_TEST_PKI_DIR");
  return dir != nullptr && *dir != '\0' ? dir : REGISTRY_BINARY_DIR "/test-pki";
}

struct ConsoleRun {
  int code = -1;
  std::string output;
};

// registry-console with `args`, its standard output and error together.
ConsoleRun RunConsole(const std::string& args) {
  ConsoleRun run;
  const std::string command =
      absl::StrCat(REGISTRY_BINARY_DIR "/registry-console ", args, " 2>&1 </dev/null");
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) run.output.append(buffer, n);
  const int status = pclose(pipe);
  if (WIFEXITED(status)) run.code = WEXITSTATUS(status);
  return run;
}

// A --listen address that is not loopback was INVALID_ARGUMENT with exit status 1, where a bad
// --identity exits 2: an option's value refused for its content is a usage mistake, exit 2.
TEST(ConsoleMainTest, AListenAddressRefusedForItsContentExitsTwoAsABadIdentityDoes) {
  const std::string identity = TestPki() + "/clerk";
  const ConsoleRun remote = RunConsole(absl::StrCat(
      "--identity ", identity, " --server 127.0.0.1:1 --listen 0.0.0.0:4765"));
  EXPECT_EQ(remote.code, 2) << remote.output;
  EXPECT_TRUE(absl::StrContains(remote.output, "INVALID_ARGUMENT: --listen 0.0.0.0:4765 is not a "
                                               "loopback address"))
      << remote.output;
  const ConsoleRun no_identity =
      RunConsole("--identity /nonexistent/clerk --server 127.0.0.1:1 --listen 0.0.0.0:4765");
  EXPECT_EQ(no_identity.code, 2) << no_identity.output;
}

}  // namespace
