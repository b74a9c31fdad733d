#include "server/grpc_core_log.h"

#include <grpc/support/log.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace registry::server {
namespace {

// gRPC's core writes the value of an HTTP/2 header it could not parse into its log; a caller
// chooses that value before any certificate is checked.
TEST(GrpcCoreLogTest, ALineOfGrpcsOwnIsJsonWithoutItsTextAndTheirNumberIsBounded) {
  RouteGrpcCoreLog();
  ::testing::internal::CaptureStderr();
  gpr_log(GPR_ERROR, "Error parsing metadata: error=invalid value key=grpc-encoding value=%s",
          "Arben Krasniqi 1234567890");
  for (int i = 0; i < 2 * kGrpcCoreLinesPerMinute; ++i) {
    gpr_log(GPR_ERROR, "another line %d from 1980-04-12", i);
  }
  const std::string out = ::testing::internal::GetCapturedStderr();
  const std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(static_cast<int64_t>(lines.size()), kGrpcCoreLinesPerMinute) << out;
  for (const std::string& line : lines) {
    EXPECT_TRUE(absl::StartsWith(line, "{\"time\":\"")) << line;
    EXPECT_TRUE(absl::EndsWith(line, "}")) << line;
    EXPECT_TRUE(absl::StrContains(line, "\"level\":\"error\"")) << line;
    EXPECT_TRUE(absl::StrContains(line, "\"at\":\"grpc_core_log_test.cc:")) << line;
  }
  for (const char* text : {"Arben", "Krasniqi", "1234567890", "grpc-encoding", "1980-04-12",
                           "another line"}) {
    EXPECT_FALSE(absl::StrContains(out, text)) << text << " reached the log:\n" << out;
  }
}

}  // namespace
}  // namespace registry::server
