// Calls whose request the handler never read, audited with the code the caller got: a call whose
// deadline had passed before its request was read.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "registry/v1/records.grpc.pb.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/raw_grpc_call.h"
#include "tests/testing/test_server.h"

namespace registry {
namespace {

namespace v1 = registry::v1;
using testing::TestServer;

// Waits until the log holds more than `size` events (the decode guard writes its event as the
// status leaves, just after the caller may have it), at most 10 s.
void AwaitEventAfter(TestServer& server, uint64_t size) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (testing::AuditLogSize(server) <= size && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
}

// gRPC's C++ client answers a call whose deadline has passed DEADLINE_EXCEEDED itself and sends
// nothing, so the call is written by hand with grpc-timeout 0n: its deadline passes as it
// arrives, and the server cancels it before the handler has read the request.
TEST(UnreadRequestTest, ACallWhoseDeadlineHadPassedIsAuditedAsDeadlineExceeded) {
  auto server = TestServer::Start();
  v1::GetRecordRequest get;
  get.set_record_id(std::string(32, 'a'));
  const v1::CreateRecordRequest create = testing::ExampleRecord();
  for (const auto& [method, request] :
       {std::pair<std::string, std::string>{"/registry.v1.RecordService/GetRecord",
                                            get.SerializeAsString()},
        std::pair<std::string, std::string>{"/registry.v1.RecordService/CreateRecord",
                                            create.SerializeAsString()}}) {
    for (int i = 0; i < 5; ++i) {
      SCOPED_TRACE(absl::StrCat(method, " #", i));
      const uint64_t before = testing::AuditLogSize(*server);
      ASSERT_TRUE(testing::SendRawGrpcCall(server->address(), "clerk", method,
                                           testing::GrpcMessage(0, request),
                                           {{"grpc-timeout", "0n"}})
                      .ok());
      AwaitEventAfter(*server, before);
      absl::SleepFor(absl::Milliseconds(50));  // room for a second event, which must not come
      ASSERT_EQ(testing::AuditLogSize(*server), before + 1) << "one audit event";
      const v1::AuditEvent event = testing::StoredEvent(*server, before);
      EXPECT_EQ(event.actor(), testing::kClerkId);
      EXPECT_EQ(testing::OutcomeName(event), "DEADLINE_EXCEEDED");
    }
  }
  // Not one of the records was created.
  auto records = v1::RecordService::NewStub(server->Channel("clerk"));
  grpc::ClientContext ctx;
  v1::SearchRecordsRequest search;
  search.set_personal_number(create.person().personal_number());
  v1::SearchRecordsResponse found;
  ASSERT_TRUE(records->SearchRecords(&ctx, search, &found).ok());
  EXPECT_EQ(found.records_size(), 0);
}

}  // namespace
}  // namespace registry
