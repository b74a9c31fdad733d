// A full disk under a running registry (tests/reliability/full_disk_fs.h: a file system whose
// free space the test sets, failing as a real one does: a short write, then ENOSPC).
//  - Down to the space kept for audit events, changes are refused with UNAVAILABLE and the
//    refusal is audited, while reads are answered (each with its event).
//  - A change that meets the full disk in RocksDB itself fails with UNAVAILABLE and nothing of it
//    is written; no acknowledged write is lost.
//  - When space returns the registry takes changes again without a restart; a restart after it
//    finds everything that was acknowledged and an audit log that verifies in full.
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/audit_verifier.h"
#include "client/connection.h"
#include "client/grpc_audit_log_source.h"
#include "google/protobuf/util/message_differencer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "rocksdb/env.h"
#include "storage/audit_log.h"
#include "tests/reliability/full_disk_fs.h"
#include "tests/reliability/registryd_child.h"
#include "tests/testing/audit_verify.h"
#include "tests/testing/clients.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

constexpr uint64_t kPlenty = uint64_t{1} << 40;

class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    disk_ = std::make_shared<FullDiskFileSystem>();
    env_ = rocksdb::NewCompositeEnv(disk_);
    testing::TestServerOptions options;
    options.storage_env = env_.get();
    options.policy = std::make_unique<v1::AccessPolicy>(testing::UnthrottledDevPolicy());
    server_ = TestServer::Start(std::move(options));
    Connect();
  }

  void Connect() {
    clerk_ = v1::RecordService::NewStub(server_->Channel("clerk"));
    court_ = v1::RecordService::NewStub(server_->Channel("court"));
    vetting_ = v1::VettingService::NewStub(server_->Channel("vetting"));
  }

  grpc::Status Create(int n, std::string* id = nullptr) {
    v1::CreateRecordResponse resp;
    grpc::Status s =
        clerk_->CreateRecord(NewCallContext().get(), testing::FictionalRecord(n), &resp);
    if (s.ok()) {
      acked_.push_back({resp.record_id(), n});
      if (id != nullptr) *id = resp.record_id();
    }
    return s;
  }

  grpc::Status Amend(const std::string& id, const std::string& address) {
    v1::AmendRecordRequest req;
    req.set_record_id(id);
    req.mutable_person()->set_last_known_address(address);
    req.mutable_update_mask()->add_paths("person.last_known_address");
    req.set_reason("address corrected by court notice");
    v1::AmendRecordResponse resp;
    return clerk_->AmendRecord(NewCallContext().get(), req, &resp);
  }

  grpc::Status Get(const std::string& id, int n, v1::Record* record = nullptr) {
    v1::GetRecordRequest req;
    req.set_record_id(id);
    req.mutable_purpose()->set_case_reference(absl::StrCat("PKR ", n, "/2026"));
    req.mutable_purpose()->set_purpose_code("criminal_proceedings");
    v1::GetRecordResponse resp;
    grpc::Status s = court_->GetRecord(NewCallContext().get(), req, &resp);
    if (record != nullptr) *record = resp.record();
    return s;
  }

  grpc::Status Vet(int n, v1::VettingCheckResponse* resp) {
    return vetting_->VettingCheck(
        NewCallContext().get(),
        testing::CandidateOf(testing::FictionalRecord(n).person(), absl::StrCat("C-", n)), resp);
  }

  uint64_t Events() { return server_->server()->audit_log()->CurrentHead().size; }

  // The outcome of the newest audit event.
  int LastOutcome() {
    auto bytes = server_->server()->audit_log()->ReadEvent(Events() - 1);
    v1::AuditEvent event;
    if (!bytes.ok() || !event.ParseFromString(*bytes)) return -1;
    return event.outcome();
  }

  // Waits until a change is taken again; false after the deadline.
  bool WaitForChanges(int n, absl::Duration deadline) {
    const absl::Time end = absl::Now() + deadline;
    while (absl::Now() < end) {
      if (Create(n).ok()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // Every acknowledged record reads back; the log verifies in full; the data check is clean.
  void ExpectEverythingAcknowledgedAndAConsistentLog() {
    for (const auto& [id, n] : acked_) {
      v1::Record record;
      grpc::Status s = Get(id, n, &record);
      ASSERT_TRUE(s.ok()) << id << ": " << s.error_message();
      EXPECT_EQ(record.person().personal_number(),
                testing::FictionalRecord(n).person().personal_number());
    }
    auto verified = testing::VerifyAuditLogOver(server_->Channel("auditor"), state_, "full-disk");
    ASSERT_TRUE(verified.ok()) << verified.status();
    state_ = verified->state;
    auto admin = v1::AdminService::NewStub(server_->Channel("admin"));
    v1::VerifyDataResponse check;
    grpc::Status s = admin->VerifyData(NewCallContext().get(), {}, &check);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(check.problem_count(), 0u) << check.DebugString();
    EXPECT_EQ(check.records(), acked_.size());
  }

  // A restart finds every acknowledged write and a log that verifies.
  void ExpectAllOfItAfterARestart() {
    ASSERT_TRUE(server_->Restart().ok());
    Connect();
    ExpectEverythingAcknowledgedAndAConsistentLog();
  }

  // Space returns: changes are taken again without a restart (among them an amendment of `id`),
  // and then after one.
  void ExpectRecoveryOnceSpaceReturns(const std::string& id) {
    disk_->SetFree(kPlenty);
    ASSERT_TRUE(WaitForChanges(101, absl::Seconds(30)))
        << "changes still fail after space returned";
    EXPECT_TRUE(Amend(id, "Rr. Plot 2, Pejë").ok());
    ExpectEverythingAcknowledgedAndAConsistentLog();
    ExpectAllOfItAfterARestart();
  }

  std::shared_ptr<FullDiskFileSystem> disk_;
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::RecordService::Stub> clerk_, court_;
  std::unique_ptr<v1::VettingService::Stub> vetting_;
  std::vector<std::pair<std::string, int>> acked_;
  std::optional<client::AuditState> state_;
};

// The disk fills up to the space kept for audit events (64 MiB by default): changes are refused
// with UNAVAILABLE before they reach RocksDB, and that refusal is audited; reads go on, each with
// its audit event. With no space at all even a read gets no answer (none without its event).
TEST_F(FullDiskTest, BelowTheReserveChangesAreRefusedAndReadsGoOn) {
  std::string first;
  for (int n = 0; n < 5; ++n) ASSERT_TRUE(Create(n, n == 0 ? &first : nullptr).ok());
  ExpectEverythingAcknowledgedAndAConsistentLog();

  disk_->SetFree(uint64_t{1} << 20);  // 1 MiB: below the reserve, room for events
  uint64_t events = Events();
  const grpc::Status refused = Create(100);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
  // The clerk is told why, not that the call could not be recorded (it was).
  EXPECT_EQ(refused.error_message(),
            "the registry's disk is nearly full: changes are refused until an operator frees "
            "space (reads go on)");
  EXPECT_EQ(Amend(first, "Rr. Plot 1, Pejë").error_code(), grpc::StatusCode::UNAVAILABLE);
  // Both refusals are in the log, as refusals.
  ASSERT_EQ(Events(), events + 2);
  EXPECT_EQ(LastOutcome(), static_cast<int>(absl::StatusCode::kUnavailable));

  // Reads are answered, and audited.
  events = Events();
  for (const auto& [id, n] : acked_) {
    v1::Record record;
    ASSERT_TRUE(Get(id, n, &record).ok()) << id;
    EXPECT_EQ(record.metadata().version(), 1u);
  }
  v1::VettingCheckResponse vetted;
  ASSERT_TRUE(Vet(1, &vetted).ok());
  EXPECT_EQ(vetted.result(), v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(Events(), events + acked_.size() + 1);
  ExpectEverythingAcknowledgedAndAConsistentLog();
  EXPECT_EQ(disk_->refusals(), 0u) << "RocksDB itself met the full disk";

  // No space at all: a read cannot be audited, so it is not answered.
  disk_->SetFree(0);
  EXPECT_EQ(Get(first, 0).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Vet(1, &vetted).error_code(), grpc::StatusCode::UNAVAILABLE);

  ASSERT_NO_FATAL_FAILURE(ExpectRecoveryOnceSpaceReturns(first));
}

// A backup on a nearly full disk aborted registryd inside RocksDB's backup engine (its flush or
// copy met the full disk). It is now refused before anything is written, saying why, and the
// registry goes on; with room again, the backup is taken.
TEST_F(FullDiskTest, ABackupWithoutRoomIsRefusedAndTheRegistryGoesOn) {
  std::string first;
  for (int n = 0; n < 5; ++n) ASSERT_TRUE(Create(n, n == 0 ? &first : nullptr).ok());
  auto admin = v1::AdminService::NewStub(server_->Channel("admin"));
  const auto backup = [&] {
    v1::BackupInfo info;
    return admin->CreateBackup(NewCallContext().get(), v1::CreateBackupRequest(), &info);
  };
  for (const uint64_t free : {uint64_t{1} << 20, (uint64_t{64} << 20) + 1}) {
    disk_->SetFree(free);  // below the reserve; above it, but without room for a copy
    const grpc::Status refused = backup();
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAVAILABLE) << refused.error_message();
    EXPECT_THAT(refused.error_message(),
                ::testing::AnyOf(::testing::HasSubstr("disk is nearly full"),
                                 ::testing::HasSubstr("no backup taken")));
    v1::Record record;
    ASSERT_TRUE(Get(first, 0, &record).ok()) << free;
  }
  EXPECT_EQ(disk_->refusals(), 0u) << "RocksDB itself met the full disk";
  disk_->SetFree(kPlenty);
  const grpc::Status made = backup();
  EXPECT_TRUE(made.ok()) << made.error_message();
}

// The disk fills between the registry's look at the free space and the write (another process
// took the space): RocksDB's own write fails, the change is UNAVAILABLE and not half-written, and
// once space returns the registry takes changes again without a restart.
TEST_F(FullDiskTest, AWriteThatMeetsAFullDiskIsUnavailableAndTheRegistryRecovers) {
  std::string first;
  for (int n = 0; n < 5; ++n) ASSERT_TRUE(Create(n, n == 0 ? &first : nullptr).ok());
  ExpectEverythingAcknowledgedAndAConsistentLog();

  disk_->ReportPlentyOnce();
  disk_->SetFree(0);
  EXPECT_EQ(Create(100).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_GT(disk_->refusals(), 0u);
  EXPECT_EQ(Amend(first, "Rr. Plot 1, Pejë").error_code(), grpc::StatusCode::UNAVAILABLE);
  // Nothing is answered without its event; what is answered is right.
  v1::Record record;
  const grpc::Status read = Get(first, 0, &record);
  if (read.ok()) {
    EXPECT_EQ(record.metadata().version(), 1u);
  } else {
    EXPECT_EQ(read.error_code(), grpc::StatusCode::UNAVAILABLE) << read.error_message();
  }

  ASSERT_NO_FATAL_FAILURE(ExpectRecoveryOnceSpaceReturns(first));
}

// Room for part of a write only: the log's last record is cut short on disk. Each time, the
// change is refused and, once space is back, the next ones go through; a restart then finds
// every acknowledged write and a log that verifies.
TEST_F(FullDiskTest, AShortWriteAtTheEndOfTheLogIsNeitherAcknowledgedNorFatal) {
  for (int n = 0; n < 3; ++n) ASSERT_TRUE(Create(n).ok());
  int next = 300;
  for (uint64_t room : {1, 40, 200, 700, 3000}) {
    disk_->ReportPlentyOnce();  // the disk fills after the registry looked
    disk_->SetFree(room);
    const grpc::Status s = Create(static_cast<int>(200 + room));
    if (!s.ok()) {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    }
    disk_->SetFree(kPlenty);
    ASSERT_TRUE(WaitForChanges(next++, absl::Seconds(30))) << "after a short write of " << room;
  }
  EXPECT_GT(disk_->refusals(), 0u);
  ExpectEverythingAcknowledgedAndAConsistentLog();
  ASSERT_NO_FATAL_FAILURE(ExpectAllOfItAfterARestart());
}

// A nearly full disk: room for a write's first bytes, not for the flush a resume makes. Changes
// stay refused while it lasts (a resume tried then would fail its flush) and go through again
// once space returns, without a restart.
TEST_F(FullDiskTest, ANearlyFullDiskStopsChangesOnlyUntilSpaceReturns) {
  for (int n = 0; n < 3; ++n) ASSERT_TRUE(Create(n).ok());
  disk_->ReportPlentyOnce();
  disk_->SetFree(300);
  EXPECT_EQ(Create(400).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_GT(disk_->refusals(), 0u);
  // Still a few hundred bytes, less than any flush needs: every attempt stays refused.
  disk_->SetFree(300);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Create(401 + i).error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  disk_->SetFree(kPlenty);
  ASSERT_TRUE(WaitForChanges(500, absl::Seconds(30)))
      << "changes still fail after space returned";
  ExpectEverythingAcknowledgedAndAConsistentLog();
}

}  // namespace
}  // namespace registry::testing
