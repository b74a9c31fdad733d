// CheckCanListen: why an address cannot be listened on, before anything is opened.
#include "server/listen_check.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/held_port.h"

namespace registry::server {
namespace {

using ::registry::testing::HeldPort;
using ::testing::HasSubstr;

TEST(ListenCheckTest, AFreeAddressOrAnyPortCanBeListenedOn) {
  EXPECT_TRUE(CheckCanListen("listen_address", "127.0.0.1:0").ok());
  EXPECT_TRUE(CheckCanListen("listen_address", "localhost:0").ok());
}

TEST(ListenCheckTest, APortInUseIsSaidToBeInUseNamingTheField) {
  HeldPort held;
  ASSERT_NE(held.port(), 0);
  const std::string address = absl::StrCat("127.0.0.1:", held.port());
  const absl::Status status = CheckCanListen("metrics.listen_address", address);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr(absl::StrCat("metrics.listen_address: cannot listen on ", address,
                                     ": the port is in use")));
}

TEST(ListenCheckTest, AnAddressNotThisMachinesOrAHostThatDoesNotResolveIsSaidAsSuch) {
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): never one of this machine's addresses.
  const absl::Status foreign = CheckCanListen("listen_address", "192.0.2.1:7443");
  EXPECT_EQ(foreign.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(foreign.message()),
              HasSubstr("the address is not one of this machine's"));
  for (const char* address : {"999.1.1.1:7443", "no-such-host.invalid:7443"}) {
    const absl::Status status = CheckCanListen("listen_address", address);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << address;
    EXPECT_THAT(std::string(status.message()),
                HasSubstr("the host is not an address, or a name this machine resolves"))
        << address;
  }
  EXPECT_EQ(CheckCanListen("listen_address", "127.0.0.1").code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace registry::server
