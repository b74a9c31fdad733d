// registry-console itself, run as a process: its exit codes follow registry-cli's (README.md).
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/testing/cli_run.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

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

// A mistyped option came after the whole help (36 lines), the error last: it is first, with the
// two lines registry-cli prints after a mistake on its command line.
TEST(ConsoleMainTest, AMistypedOptionIsSaidFirstWithHowToReadTheOptions) {
  const ConsoleRun run = RunConsole("--lsten 127.0.0.1:0");
  EXPECT_EQ(run.code, 2) << run.output;
  EXPECT_EQ(run.output,
            "registry-console: error: INVALID_ARGUMENT: unknown option --lsten (did you mean "
            "--listen?)\nusage: registry-console [options]\nrun 'registry-console --help' for its "
            "options\n");
}

// registry-cli says of an expired or a revoked certificate what to do and where the new one
// goes; registry-console said only gRPC's "client certificate is revoked", and of an expired one
// not where the new one goes.
TEST(ConsoleMainTest, ARefusedCertificateIsSaidAsRegistryCliSaysIt) {
  const auto& pki = registry::testing::TestPki::Get();
  const std::string advice =
      ": the registry refuses it; ask the registry office for a new certificate and put it in "
      "your identity folder ";
  const ConsoleRun expired = RunConsole(absl::StrCat(
      "--identity ", pki.IdentityDir("expired"), " --server 127.0.0.1:1 --listen 127.0.0.1:0"));
  EXPECT_EQ(expired.code, 1) << expired.output;
  EXPECT_TRUE(absl::StrContains(
      registry::testing::Flowed(expired.output),
      absl::StrCat("expired/cert.pem) expired on 2020-01-02T00:00:00Z", advice,
                   pki.IdentityDir("expired"), " (--identity)")))
      << expired.output;

  const std::unique_ptr<registry::testing::TestServer> server =
      registry::testing::TestServer::Start();
  const ConsoleRun revoked = RunConsole(absl::StrCat("--identity ", pki.IdentityDir("revoked"),
                                                     " --server ", server->address(),
                                                     " --listen 127.0.0.1:0"));
  EXPECT_EQ(revoked.code, 1) << revoked.output;
  EXPECT_TRUE(absl::StartsWith(revoked.output,
                               "registry-console: error: UNAUTHENTICATED: your certificate ("))
      << revoked.output;
  EXPECT_TRUE(absl::StrContains(registry::testing::Flowed(revoked.output),
                                absl::StrCat("revoked/cert.pem) is revoked", advice,
                                             pki.IdentityDir("revoked"), " (--identity)")))
      << revoked.output;
}

// registry-cli warns of a private key that other accounts of the computer may read, as ssh
// does; registry-console used one without a word. It warns in registry-cli's words, naming the
// chmod that makes it the official's only, and goes on.
TEST(ConsoleMainTest, AKeyOthersMayReadIsWarnedAboutAsRegistryCliWarns) {
  const auto& pki = registry::testing::TestPki::Get();
  const std::string identity = registry::testing::MakeTempDir("console-key") + "/clerk";
  ASSERT_EQ(::mkdir(identity.c_str(), 0700), 0);
  for (const char* name : {"ca.pem", "cert.pem", "key.pem"}) {
    std::ofstream(identity + "/" + name, std::ios::binary)
        << pki.ReadFile(absl::StrCat("clerk/", name));
  }
  ASSERT_EQ(::chmod((identity + "/key.pem").c_str(), 0644), 0);
  const std::string args =
      absl::StrCat("--identity ", identity, " --server 127.0.0.1:1 --listen 127.0.0.1:0");
  const ConsoleRun open = RunConsole(args);
  EXPECT_EQ(open.code, 1) << open.output;  // nothing answers at 127.0.0.1:1
  EXPECT_TRUE(absl::StrContains(
      open.output, absl::StrCat("registry-console: warning: the private key --identity ",
                                identity, "/key.pem may be read by other accounts on this "
                                "computer (mode 0644); make it yours only: chmod 600 ",
                                identity, "/key.pem\n")))
      << open.output;
  ASSERT_EQ(::chmod((identity + "/key.pem").c_str(), 0600), 0);
  const ConsoleRun own = RunConsole(args);
  EXPECT_FALSE(absl::StrContains(own.output, "warning:")) << own.output;
}

}  // namespace
