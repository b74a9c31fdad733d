// Calls no handler served, audited with the code the caller got: a call whose deadline had passed
// before its request was read, or before its handler would have run.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
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

// A deadline after 2262 (grpc-timeout allows up to 99999999 hours; a Go client's largest
// duration sends 2562047H) overflowed the system clock's time point the gate compared it with,
// wrapped round to the past, and the call was refused DEADLINE_EXCEEDED before its handler. It is
// served as any call.
TEST(UnreadRequestTest, ACallWhoseDeadlineIsCenturiesAheadIsServed) {
  auto server = TestServer::Start();
  const v1::CreateRecordRequest create = testing::ExampleRecord();
  v1::SearchRecordsRequest search;
  search.set_personal_number(create.person().personal_number());
  for (const char* timeout : {"2562047H", "99999999H", "99999999S"}) {
    SCOPED_TRACE(timeout);
    const uint64_t before = testing::AuditLogSize(*server);
    ASSERT_TRUE(testing::SendRawGrpcCall(server->address(), "clerk",
                                         "/registry.v1.RecordService/SearchRecords",
                                         testing::GrpcMessage(0, search.SerializeAsString()),
                                         {{"grpc-timeout", timeout}})
                    .ok());
    AwaitEventAfter(*server, before);
    ASSERT_EQ(testing::AuditLogSize(*server), before + 1) << "one audit event";
    const v1::AuditEvent event = testing::StoredEvent(*server, before);
    EXPECT_EQ(event.action(), "/registry.v1.RecordService/SearchRecords");
    EXPECT_EQ(testing::OutcomeName(event), "OK");
  }
}

// The system clock, read in 5 ms while `slow` is set. The gate reads the registry's clock as it
// takes a call, after gRPC has read the request: there every call is held past a 1 ms deadline.
class SlowClock final : public Clock {
 public:
  absl::Time Now() const override {
    if (slow.load()) absl::SleepFor(absl::Milliseconds(5));
    return absl::Now();
  }
  std::atomic<bool> slow{false};
};

// gRPC's transport counts deadlines in whole milliseconds, so grpc-timeout 1n is 1 ms: the
// request is usually read within it, and the handler ran whether the deadline passed before it
// started or while it ran (its event said OK, or ALREADY_EXISTS, while the caller got
// DEADLINE_EXCEEDED and nothing). Here the gate is held past the deadline after the request was
// read (SlowClock), and refuses the call before its handler: one event naming the caller with
// the code it got, no record created, nothing found for it, no vetting answer (the person's
// history keeps each probe, as it keeps every refused check, without a result).
TEST(UnreadRequestTest, ACallWhoseDeadlinePassedBeforeItsHandlerIsRefusedAsDeadlineExceeded) {
  SlowClock clock;
  auto server = TestServer::Start(testing::TestServerOptions::OnClock(&clock));
  const v1::CreateRecordRequest create = testing::ExampleRecord();
  v1::SearchRecordsRequest search;
  search.set_personal_number(create.person().personal_number());
  const v1::VettingCheckRequest vet = testing::CandidateOf(create.person());
  struct Sent {
    std::string identity;
    std::string actor;
    std::string method;
    std::string request;
  };
  const std::vector<Sent> calls = {
      {"clerk", testing::kClerkId, "/registry.v1.RecordService/SearchRecords",
       search.SerializeAsString()},
      {"clerk", testing::kClerkId, "/registry.v1.RecordService/CreateRecord",
       create.SerializeAsString()},
      {"vetting", testing::kVettingId, "/registry.v1.VettingService/VettingCheck",
       vet.SerializeAsString()},
  };
  constexpr int kTimes = 5;
  clock.slow = true;
  for (const Sent& call : calls) {
    for (int i = 0; i < kTimes; ++i) {
      SCOPED_TRACE(absl::StrCat(call.method, " #", i));
      const uint64_t before = testing::AuditLogSize(*server);
      ASSERT_TRUE(testing::SendRawGrpcCall(server->address(), call.identity, call.method,
                                           testing::GrpcMessage(0, call.request),
                                           {{"grpc-timeout", "1n"}})
                      .ok());
      AwaitEventAfter(*server, before);
      absl::SleepFor(absl::Milliseconds(50));  // room for a second event, which must not come
      ASSERT_EQ(testing::AuditLogSize(*server), before + 1) << "one audit event";
      const v1::AuditEvent event = testing::StoredEvent(*server, before);
      EXPECT_EQ(event.actor(), call.actor);
      EXPECT_EQ(event.action(), call.method);
      EXPECT_EQ(testing::OutcomeName(event), "DEADLINE_EXCEEDED");
      EXPECT_TRUE(event.record_ids().empty()) << "no record was created or read";
      EXPECT_TRUE(event.recipient().empty()) << "nothing was disclosed";
    }
  }
  clock.slow = false;
  // Not one of the records was created.
  auto records = v1::RecordService::NewStub(server->Channel("clerk"));
  {
    grpc::ClientContext ctx;
    v1::SearchRecordsResponse found;
    ASSERT_TRUE(records->SearchRecords(&ctx, search, &found).ok());
    EXPECT_EQ(found.records_size(), 0);
  }
  // Each check whose request was read is in the person's history, refused with the caller's code
  // and answered nothing (one whose deadline passed before its request was read names no one).
  auto vetting = v1::VettingService::NewStub(server->Channel("clerk"));
  grpc::ClientContext ctx;
  v1::ListChecksAboutPersonRequest list;
  list.set_personal_number(vet.personal_number());
  list.set_request_reference("DSR-2026-7");
  v1::ListChecksAboutPersonResponse history;
  ASSERT_TRUE(vetting->ListChecksAboutPerson(&ctx, list, &history).ok());
  EXPECT_LE(history.checks_size(), kTimes);
  for (const v1::CheckSummary& check : history.checks()) {
    EXPECT_EQ(check.status_code(), static_cast<int>(grpc::StatusCode::DEADLINE_EXCEEDED));
    EXPECT_EQ(check.result(), v1::VETTING_RESULT_UNSPECIFIED);
    EXPECT_EQ(check.requester(), testing::kVettingId);
  }
}

}  // namespace
}  // namespace registry
