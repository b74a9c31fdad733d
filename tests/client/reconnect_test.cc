// registry-console's long-lived channel (CreateChannel, calls through the console's Registry)
// comes back to a registry that was restarted on the same address, even after a call was
// refused while it was down: the console answered 503 "failed to connect to all addresses; ...
// tcp handshaker shutdown" for minutes while a new registry-cli process found the registry
// serving. (GRPC_ARG_MIN_RECONNECT_BACKOFF_MS is gRPC 1.51's shortest connect attempt: at
// 500 ms no handshake finished while only the backup poller read the socket. The console now
// also gives a channel that is not connected a moment to connect before each call, which drives
// the handshake itself.)
//
// registryd runs as a process of its own, as it does beside the console: the threads of a
// server in the test's process would poll the client's sockets too and finish its handshakes,
// which the console has no one to do while no call is in flight.
#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/connection.h"
#include "client/console/registry_api.h"
#include "gtest/gtest.h"
#include "grpcpp/grpcpp.h"
#include "registry/v1/info.grpc.pb.h"
#include "tests/reliability/registryd_child.h"
#include "tests/testing/client_settings.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::client {
namespace {

using ::registry::testing::RegistrydChild;
using ::registry::testing::TestPki;

ConnectionSettings ClerkAt(const std::string& address) {
  ConnectionSettings settings = ::registry::testing::IdentitySettingsAt(address);
  settings.timeout = absl::Seconds(5);
  return settings;
}

// Has the installation's config name `port` instead of the port the system chooses, so that
// registryd comes back where it was.
void KeepPort(const RegistrydChild::Files& files, int port) {
  std::string config;
  {
    std::ifstream in(files.config, std::ios::binary);
    config.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const std::string fixed =
      absl::StrReplaceAll(config, {{"\"127.0.0.1:0\"", absl::StrCat("\"127.0.0.1:", port, "\"")}});
  ASSERT_NE(fixed, config) << "no listen address in " << files.config;
  std::ofstream out(files.config, std::ios::binary | std::ios::trunc);
  out << fixed;
  out.close();
  ASSERT_TRUE(out) << files.config;
}

TEST(ReconnectTest, AChannelThatFailedWhileTheRegistryWasDownReachesItOnceItIsBack) {
  const std::string dir = registry::testing::MakeTempDir("reconnect-");
  RegistrydChild registryd(RegistrydChild::Prepare(dir, registry::testing::DevPolicy()));
  ASSERT_EQ(registryd.Start(absl::Seconds(60)), RegistrydChild::Outcome::kServing)
      << registryd.Log();
  const int port = registryd.port();
  KeepPort(registryd.files(), port);
  const ConnectionSettings settings = ClerkAt(absl::StrCat("127.0.0.1:", port));
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = CreateChannel(settings);
  ASSERT_TRUE(channel.ok()) << channel.status();
  const std::unique_ptr<console::Registry> console = console::NewGrpcRegistry(*channel, settings);

  const absl::StatusOr<v1::WhoAmIResponse> before = console->WhoAmI();
  ASSERT_TRUE(before.ok()) << before.status();

  ASSERT_EQ(registryd.Terminate(absl::Seconds(30)), 0) << registryd.Log();
  const absl::StatusOr<v1::WhoAmIResponse> while_down = console->WhoAmI();
  ASSERT_EQ(while_down.status().code(), absl::StatusCode::kUnavailable) << while_down.status();

  ASSERT_EQ(registryd.Start(absl::Seconds(60)), RegistrydChild::Outcome::kServing)
      << registryd.Log();
  ASSERT_EQ(registryd.port(), port);

  // A call every second, as someone paging through the console makes them. Before, no attempt
  // ever finished: a minute is a bound, not a wait (the first call normally succeeds).
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  absl::StatusOr<v1::WhoAmIResponse> after = console->WhoAmI();
  int calls = 1;
  while (!after.ok() && absl::Now() < give_up) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    after = console->WhoAmI();
    ++calls;
  }
  EXPECT_TRUE(after.ok()) << "still failing after " << calls << " calls: " << after.status();
}

}  // namespace
}  // namespace registry::client
