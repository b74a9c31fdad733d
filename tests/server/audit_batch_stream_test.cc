// AuditService.StreamAuditBatches through a real server: the events as stored, many per message
// and in order; limits on a batch's bytes and events; its own audit event durable before the
// first byte (and its refusals audited too); the auditor role only; a missing event is DATA_LOSS,
// never skipped. The verifier's use of it (client/grpc_audit_log_source.cc) is checked here
// for the calls it makes; tampering through it is covered by audit_tamper_test.
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/audit_verifier.h"
#include "client/connection.h"
#include "client/grpc_audit_log_source.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.grpc.pb.h"
#include "server/audit_service.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/clients.h"
#include "tests/testing/methods.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/switchable_fault.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using storage::Cf;
using storage::EncodeU64;

constexpr char kBatches[] = "/registry.v1.AuditService/StreamAuditBatches";

class AuditBatchStreamTest : public ::testing::Test {
 protected:
  void Start(TestServerOptions options = {}) {
    server_ = TestServer::Start(std::move(options));
    auditor_ = v1::AuditService::NewStub(server_->Channel("auditor"));
  }

  storage::AuditLog* log() { return server_->server()->audit_log(); }
  uint64_t LogSize() { return testing::AuditLogSize(*server_); }

  v1::AuditEvent EventAt(uint64_t index) { return testing::StoredEvent(*server_, index); }

  // Appends `count` events straight to the log from several threads (grouped commits), each
  // with `detail_bytes` of detail text, so that a test can have a large log quickly.
  void AppendEvents(int count, size_t detail_bytes = 0) {
    constexpr int kThreads = 32;
    std::atomic<int> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = next++; i < count; i = next++) {
          v1::AuditEvent event;
          event.set_actor("system:test");
          event.set_action("filler");
          event.set_detail(std::string(detail_bytes, 'x'));
          absl::StatusOr<uint64_t> appended = log()->Append(std::move(event), nullptr);
          EXPECT_TRUE(appended.ok()) << appended.status();
        }
      });
    }
    for (std::thread& t : threads) t.join();
  }

  // Reads the whole stream; returns its status.
  grpc::Status ReadBatches(v1::AuditService::Stub* stub, const v1::StreamAuditBatchesRequest& req,
                           std::vector<v1::AuditBatch>* batches) {
    auto ctx = NewCallContext();
    auto reader = stub->StreamAuditBatches(ctx.get(), req);
    v1::AuditBatch batch;
    while (reader->Read(&batch)) batches->push_back(batch);
    return reader->Finish();
  }

  // Checks that `batches` hold exactly the stored events [start, end), in order.
  void ExpectExactly(const std::vector<v1::AuditBatch>& batches, uint64_t start, uint64_t end) {
    uint64_t next = start;
    for (const v1::AuditBatch& batch : batches) {
      ASSERT_EQ(batch.first_index(), next);
      ASSERT_GT(batch.event_bytes_size(), 0);
      for (const std::string& bytes : batch.event_bytes()) {
        absl::StatusOr<std::string> stored = log()->ReadEvent(next);
        ASSERT_TRUE(stored.ok()) << stored.status();
        ASSERT_EQ(bytes, *stored) << "event " << next;
        ++next;
      }
    }
    EXPECT_EQ(next, end);
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::AuditService::Stub> auditor_;
};

TEST_F(AuditBatchStreamTest, SendsTheStoredBytesInOrderAndIsAuditedBeforeTheFirstByte) {
  Start();
  AppendEvents(300);
  const uint64_t size = LogSize();
  v1::StreamAuditBatchesRequest req;  // [0, current size)
  std::vector<v1::AuditBatch> batches;
  const grpc::Status s = ReadBatches(auditor_.get(), req, &batches);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // Every event up to the size when the call came; the call's own event follows them (written
  // before anything was sent, with OK: a failed stream would add a second event).
  ASSERT_EQ(LogSize(), size + 1);
  ExpectExactly(batches, 0, size);
  EXPECT_EQ(batches.size(), 1u) << "300 small events fit one batch";
  const v1::AuditEvent own = EventAt(size);
  EXPECT_EQ(own.action(), kBatches);
  EXPECT_EQ(own.actor(), kAuditorId);
  EXPECT_EQ(testing::OutcomeName(own), "OK");

  // A range within the log: exactly that range.
  req.set_start_index(10);
  req.set_end_index(200);
  batches.clear();
  ASSERT_TRUE(ReadBatches(auditor_.get(), req, &batches).ok());
  ExpectExactly(batches, 10, 200);
  // An empty range: nothing, and still audited.
  const uint64_t before = LogSize();
  req.set_start_index(5);
  req.set_end_index(5);
  batches.clear();
  ASSERT_TRUE(ReadBatches(auditor_.get(), req, &batches).ok());
  EXPECT_TRUE(batches.empty());
  EXPECT_EQ(LogSize(), before + 1);
}

TEST_F(AuditBatchStreamTest, BatchesAreBoundedInEventsAndBytes) {
  Start();
  // More events than one batch holds.
  AppendEvents(server::kAuditBatchMaxEvents + 100);
  v1::StreamAuditBatchesRequest req;
  req.set_end_index(LogSize());
  std::vector<v1::AuditBatch> batches;
  ASSERT_TRUE(ReadBatches(auditor_.get(), req, &batches).ok());
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].event_bytes_size(), server::kAuditBatchMaxEvents);
  ExpectExactly(batches, 0, req.end_index());

  // Large events: a batch never holds more than the byte limit, unless one event alone is
  // larger, which then goes alone.
  const uint64_t first_large = LogSize();
  AppendEvents(7, server::kAuditBatchMaxBytes / 3);
  AppendEvents(2, server::kAuditBatchMaxBytes + 1000);
  req.set_start_index(first_large);
  req.set_end_index(LogSize());
  batches.clear();
  ASSERT_TRUE(ReadBatches(auditor_.get(), req, &batches).ok());
  ExpectExactly(batches, first_large, req.end_index());
  for (const v1::AuditBatch& batch : batches) {
    size_t bytes = 0;
    for (const std::string& e : batch.event_bytes()) bytes += e.size();
    if (batch.event_bytes_size() > 1) {
      EXPECT_LE(bytes, server::kAuditBatchMaxBytes) << "batch at " << batch.first_index();
    }
  }
  EXPECT_GE(batches.size(), 5u);
}

TEST_F(AuditBatchStreamTest, OutsideTheLogIsInvalidAndAudited) {
  Start();
  const uint64_t size = LogSize();
  v1::StreamAuditBatchesRequest req;
  req.set_start_index(0);
  req.set_end_index(size + 5);
  std::vector<v1::AuditBatch> batches;
  grpc::Status s = ReadBatches(auditor_.get(), req, &batches);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("end_index"), std::string::npos) << s.error_message();
  EXPECT_TRUE(batches.empty());
  ASSERT_EQ(LogSize(), size + 1);
  EXPECT_EQ(EventAt(size).action(), kBatches);
  EXPECT_EQ(testing::OutcomeName(EventAt(size)), "INVALID_ARGUMENT");

  req.set_start_index(3);
  req.set_end_index(2);
  batches.clear();
  s = ReadBatches(auditor_.get(), req, &batches);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_TRUE(batches.empty());
}

TEST_F(AuditBatchStreamTest, OnlyTheAuditorMayStreamAndEveryRefusalIsAudited) {
  Start();
  for (const char* identity : {"clerk", "court", "vetting", "admin", "unlisted"}) {
    SCOPED_TRACE(identity);
    auto stub = v1::AuditService::NewStub(server_->Channel(identity));
    const uint64_t before = LogSize();
    std::vector<v1::AuditBatch> batches;
    const grpc::Status s = ReadBatches(stub.get(), {}, &batches);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
    EXPECT_TRUE(batches.empty());
    ASSERT_EQ(LogSize(), before + 1);
    EXPECT_EQ(EventAt(before).action(), kBatches);
    EXPECT_EQ(testing::OutcomeName(EventAt(before)), "PERMISSION_DENIED");
  }
}

TEST_F(AuditBatchStreamTest, NothingIsSentWithoutADurableEvent) {
  SwitchableFault fault;
  TestServerOptions options;
  options.fault_injector = &fault;
  Start(std::move(options));
  AppendEvents(20);
  fault.set_failing(true);
  const uint64_t before = LogSize();
  std::vector<v1::AuditBatch> batches;
  const grpc::Status s = ReadBatches(auditor_.get(), {}, &batches);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_TRUE(batches.empty());
  EXPECT_EQ(LogSize(), before);
}

TEST_F(AuditBatchStreamTest, AMissingEventIsDataLossNeverSkipped) {
  Start();
  AppendEvents(600);
  constexpr uint64_t kDeleted = 123;
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
    testing::DeleteStored(db, Cf::kAudit, EncodeU64(kDeleted));
  }));
  ASSERT_TRUE(server_->Restart().ok());
  auditor_ = v1::AuditService::NewStub(server_->Channel("auditor"));
  std::vector<v1::AuditBatch> batches;
  const grpc::Status s = ReadBatches(auditor_.get(), {}, &batches);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DATA_LOSS) << s.error_message();
  EXPECT_NE(s.error_message().find(absl::StrCat("event ", kDeleted, " is missing")),
            std::string::npos)
      << s.error_message();
  // Whatever arrived before the failure is the events before the gap, in order.
  uint64_t received = 0;
  for (const v1::AuditBatch& batch : batches) {
    EXPECT_EQ(batch.first_index(), received);
    received += static_cast<uint64_t>(batch.event_bytes_size());
  }
  EXPECT_LE(received, kDeleted);
}

// The verifier's full check streams with StreamAuditBatches, and its events are the ones the log
// holds: one clean run verifies, and the calls it made are on the record.
TEST_F(AuditBatchStreamTest, FullVerificationStreamsInBatches) {
  Start();
  AppendEvents(server::kAuditBatchMaxEvents * 2 + 17);
  const uint64_t before = LogSize();
  client::ConnectionSettings settings;
  settings.timeout = absl::Seconds(60);
  settings.request_id = "audit-batch-stream-test";
  client::GrpcAuditLogSource source(server_->Channel("auditor"), settings);
  client::AuditVerifyOptions options;
  options.full = true;
  absl::StatusOr<client::AuditVerification> verified =
      client::VerifyAuditLog(source, std::nullopt, options, absl::Now());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_GE(verified->retained_verified, before);
  int batch_calls = 0;
  for (uint64_t i = before; i < LogSize(); ++i) {
    const v1::AuditEvent event = EventAt(i);
    EXPECT_NE(event.action(), kStreamAuditEventsMethod) << "event " << i;
    if (event.action() == kBatches) ++batch_calls;
  }
  EXPECT_GE(batch_calls, 1);

  // A consumer that stops early cancels the stream and gets its own error back.
  uint64_t seen = 0;
  const absl::Status stopped =
      source.StreamEvents(0, LogSize(), [&](const v1::AuditEntry& entry) -> absl::Status {
        if (entry.index() != seen) return absl::DataLossError("out of order");
        if (++seen == 5000) return absl::CancelledError("enough");
        return absl::OkStatus();
      });
  EXPECT_EQ(stopped.code(), absl::StatusCode::kCancelled) << stopped;
  EXPECT_EQ(seen, 5000u);
}

}  // namespace
}  // namespace registry::testing
