#include "client/health_check.h"

#include "gtest/gtest.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::client {
namespace {

TEST(ServingStatusNameTest, NamesEveryStatus) {
  EXPECT_EQ(ServingStatusName(ServingStatus::kServing), "SERVING");
  EXPECT_EQ(ServingStatusName(ServingStatus::kNotServing), "NOT_SERVING");
  EXPECT_EQ(ServingStatusName(ServingStatus::kServiceUnknown), "SERVICE_UNKNOWN");
  EXPECT_EQ(ServingStatusName(ServingStatus::kUnknown), "UNKNOWN");
}

TEST(CheckHealthTest, RealServerIsServing) {
  auto server = testing::TestServer::Start();
  ConnectionSettings settings;
  auto status = CheckHealth(server->Channel("auditor"), settings);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, ServingStatus::kServing);
  // A service the server does not know.
  auto unknown = CheckHealth(server->Channel("auditor"), settings, "no.such.Service");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
}

TEST(CheckHealthTest, StoppedServerIsUnavailable) {
  auto server = testing::TestServer::Start();
  auto channel = server->Channel("clerk");
  server->Stop();
  ConnectionSettings settings;
  settings.timeout = absl::Seconds(2);
  EXPECT_EQ(CheckHealth(channel, settings).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace registry::client
