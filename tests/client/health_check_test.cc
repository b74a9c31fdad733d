#include "client/health_check.h"

#include <string>

#include "gtest/gtest.h"

namespace registry::client {
namespace {

TEST(EncodeHealthCheckRequestTest, WritesFieldOneAsString) {
  EXPECT_EQ(EncodeHealthCheckRequest(""), "");
  EXPECT_EQ(EncodeHealthCheckRequest("registry.v1.RecordService"),
            std::string("\x0a\x19") + "registry.v1.RecordService");
}

TEST(DecodeHealthCheckResponseTest, ReadsEveryStatus) {
  EXPECT_EQ(*DecodeHealthCheckResponse(""), ServingStatus::kUnknown);
  EXPECT_EQ(*DecodeHealthCheckResponse(std::string("\x08\x01", 2)), ServingStatus::kServing);
  EXPECT_EQ(*DecodeHealthCheckResponse(std::string("\x08\x02", 2)), ServingStatus::kNotServing);
  EXPECT_EQ(*DecodeHealthCheckResponse(std::string("\x08\x03", 2)),
            ServingStatus::kServiceUnknown);
  EXPECT_EQ(*DecodeHealthCheckResponse(std::string("\x08\x07", 2)), ServingStatus::kUnknown);
}

TEST(DecodeHealthCheckResponseTest, SkipsUnknownFields) {
  // field 2 string "ab", field 3 fixed32, field 1 = SERVING, field 4 fixed64.
  const std::string bytes("\x12\x02" "ab" "\x1d\x01\x02\x03\x04" "\x08\x01"
                          "\x21\x01\x02\x03\x04\x05\x06\x07\x08",
                          2 + 2 + 5 + 2 + 9);
  auto status = DecodeHealthCheckResponse(bytes);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(*status, ServingStatus::kServing);
}

TEST(DecodeHealthCheckResponseTest, RefusesMalformedBytes) {
  for (const std::string& bad : {std::string("\x08", 1), std::string("\x12\x05" "ab", 4),
                                 std::string("\x00\x01", 2), std::string("\x0b", 1)}) {
    EXPECT_EQ(DecodeHealthCheckResponse(bad).status().code(), absl::StatusCode::kDataLoss);
  }
}

TEST(ServingStatusNameTest, UsesTheProtoNames) {
  EXPECT_EQ(ServingStatusName(ServingStatus::kServing), "SERVING");
  EXPECT_EQ(ServingStatusName(ServingStatus::kNotServing), "NOT_SERVING");
  EXPECT_EQ(ServingStatusName(ServingStatus::kServiceUnknown), "SERVICE_UNKNOWN");
  EXPECT_EQ(ServingStatusName(ServingStatus::kUnknown), "UNKNOWN");
}

}  // namespace
}  // namespace registry::client
