// A full disk under a running registry (tests/reliability/full_disk_fs.h: a file system whose
// free space the test sets, failing as a real one does: a short write, then ENOSPC).
//  - Down to the space kept for audit events, changes are refused with RESOURCE_EXHAUSTED (a
//    definite refusal) and the refusal is audited, while reads are answered (each with its
//    event).
//  - A change that meets the full disk in RocksDB itself fails with UNAVAILABLE and nothing of it
//    is written; no acknowledged write is lost.
//  - When space returns the registry takes the very next change, without a restart; a restart
//    after it finds everything that was acknowledged and an audit log that verifies in full.
//  - A failed group commit leaves no trace in the audit log; the next append continues it.
//  - A failure of the disk that RocksDB rates fatal (an I/O error, a failed fsync) is never
//    resumed: no call is answered until a restart, which finds everything acknowledged.
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/audit_verifier.h"
#include "client/connection.h"
#include "client/grpc_audit_log_source.h"
#include "common/clock.h"
#include "crypto/secret_bytes.h"
#include "google/protobuf/util/message_differencer.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "rocksdb/env.h"
#include "rocksdb/io_status.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/pending_write.h"
#include "tests/reliability/full_disk_fs.h"
#include "tests/reliability/registryd_child.h"
#include "tests/testing/audit_verify.h"
#include "tests/testing/clients.h"
#include "tests/testing/test_pki.h"
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

  // The disk fills to `room` bytes right after the registry's next look at the free space (it
  // fills between that look and the write), once RocksDB's background work is done: a compaction
  // of the files that earlier resumes flushed would otherwise meet the full disk first.
  void FillDiskAfterTheRegistryLooks(uint64_t room) {
    storage::Database* db = server_->server()->database();
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    for (;;) {
      absl::StatusOr<bool> idle = db->BackgroundWorkIdle();
      ASSERT_TRUE(idle.ok()) << idle.status();
      if (*idle) break;
      ASSERT_LT(absl::Now(), deadline) << "RocksDB's background work did not end";
      absl::SleepFor(absl::Milliseconds(1));
    }
    disk_->FillAfterNextLook(room);
  }

  uint64_t Events() { return server_->server()->audit_log()->CurrentHead().size; }

  // The outcome of the newest audit event.
  int LastOutcome() {
    auto bytes = server_->server()->audit_log()->ReadEvent(Events() - 1);
    v1::AuditEvent event;
    if (!bytes.ok() || !event.ParseFromString(*bytes)) return -1;
    return event.outcome();
  }

  // The change made once space has returned: the very first one goes through, not one after a
  // wait (FullDiskTest.TheFirstChangeAfterSpaceReturnsGoesThrough).
  void ExpectTheNextChangeTaken(int n) {
    const grpc::Status created = Create(n);
    ASSERT_TRUE(created.ok()) << "the first change after space returned failed: "
                              << created.error_message();
  }

  // Every acknowledged record reads back; the log verifies in full; the data check is clean.
  // The registry holds the acknowledged records and at most `unacknowledged` more (changes whose
  // write failed after it reached the disk whole, found by a restart with their events).
  void ExpectEverythingAcknowledgedAndAConsistentLog(size_t unacknowledged = 0) {
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
    EXPECT_GE(check.records(), acked_.size());
    EXPECT_LE(check.records(), acked_.size() + unacknowledged);
  }

  // A restart finds every acknowledged write and a log that verifies.
  void ExpectAllOfItAfterARestart(size_t unacknowledged = 0) {
    ASSERT_TRUE(server_->Restart().ok());
    Connect();
    ExpectEverythingAcknowledgedAndAConsistentLog(unacknowledged);
  }

  // Space returns: changes are taken again without a restart (among them an amendment of `id`),
  // and then after one.
  void ExpectRecoveryOnceSpaceReturns(const std::string& id) {
    disk_->SetFree(kPlenty);
    ASSERT_NO_FATAL_FAILURE(ExpectTheNextChangeTaken(101));
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
// with RESOURCE_EXHAUSTED before they reach RocksDB (nothing was changed, as the code says; with
// UNAVAILABLE a client could not tell), and that refusal is audited; reads go on, each with
// its audit event. With no space at all even a read gets no answer (none without its event).
TEST_F(FullDiskTest, BelowTheReserveChangesAreRefusedAndReadsGoOn) {
  std::string first;
  for (int n = 0; n < 5; ++n) ASSERT_TRUE(Create(n, n == 0 ? &first : nullptr).ok());
  ExpectEverythingAcknowledgedAndAConsistentLog();

  disk_->SetFree(uint64_t{1} << 20);  // 1 MiB: below the reserve, room for events
  uint64_t events = Events();
  const grpc::Status refused = Create(100);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  // The clerk is told why, not that the call could not be recorded (it was).
  EXPECT_EQ(refused.error_message(),
            "the registry's disk is nearly full: changes are refused until an operator frees "
            "space (reads go on)");
  EXPECT_EQ(Amend(first, "Rr. Plot 1, Pejë").error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Both refusals are in the log, as refusals.
  ASSERT_EQ(Events(), events + 2);
  EXPECT_EQ(LastOutcome(), static_cast<int>(absl::StatusCode::kResourceExhausted));

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

  // Started on such a disk, registryd says so in its log at once (it serves; only a clerk's
  // change found out).
  server_->Stop();
  ::testing::internal::CaptureStderr();
  const absl::Status restarted = server_->Restart();
  const std::string start_log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(restarted.ok()) << restarted;
  Connect();
  EXPECT_THAT(start_log, ::testing::HasSubstr(
                             "the data directory's disk is below the space kept for audit events"));

  // No space at all: a read cannot be audited, so it is not answered.
  disk_->SetFree(0);
  EXPECT_EQ(Get(first, 0).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Vet(1, &vetted).error_code(), grpc::StatusCode::UNAVAILABLE);

  ASSERT_NO_FATAL_FAILURE(ExpectRecoveryOnceSpaceReturns(first));
}

// A backup on a nearly full disk aborted registryd inside RocksDB's backup engine (its flush or
// copy met the full disk). It is now refused before anything is written, saying why, and the
// registry goes on; with room again, the backup is taken. Below the reserve it was refused as a
// record change is, without saying that no backup was taken or how much room one needs.
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
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << refused.error_message();
    // The backup's documented words (docs/operations.md, "The disk fills"), below the reserve
    // too: not a record change's "the registry's disk is nearly full".
    EXPECT_THAT(refused.error_message(),
                ::testing::HasSubstr("no backup taken: the backup folder's disk has "))
        << free;
    EXPECT_THAT(refused.error_message(), ::testing::HasSubstr(" MiB free, and a backup may need "))
        << free;
    v1::Record record;
    ASSERT_TRUE(Get(first, 0, &record).ok()) << free;
  }
  EXPECT_EQ(disk_->refusals(), 0u) << "RocksDB itself met the full disk";
  disk_->SetFree(kPlenty);
  const grpc::Status made = backup();
  EXPECT_TRUE(made.ok()) << made.error_message();
}

// A backup verification on a disk without room for the restored copy reported a sound backup as
// failed ("restore failed: ... No space left on device", "audit log verifies: NO (0 events)")
// and counted a failed verification, which the runbook treats as an incident. It is now refused
// before anything is restored, saying why, and counts as no verification, also when the gauge is
// read back from the audit log after a restart.
TEST_F(FullDiskTest, AVerificationWithoutRoomIsRefusedAndCountsAsNoVerification) {
  for (int n = 0; n < 5; ++n) ASSERT_TRUE(Create(n).ok());
  auto admin = v1::AdminService::NewStub(server_->Channel("admin"));
  v1::BackupInfo backup;
  ASSERT_TRUE(admin->CreateBackup(NewCallContext().get(), {}, &backup).ok());
  v1::VerifyBackupRequest request;
  request.set_backup_id(backup.backup_id());
  v1::VerifyBackupResponse report;
  ASSERT_TRUE(admin->VerifyBackup(NewCallContext().get(), request, &report).ok());
  ASSERT_TRUE(report.ok()) << report.DebugString();
  const auto expect_one_sound_verification = [&] {
    const std::string metrics = server_->server()->metrics().Render();
    EXPECT_THAT(metrics, ::testing::HasSubstr("\nregistryd_backup_last_verification_ok 1\n"));
    EXPECT_THAT(metrics,
                ::testing::Not(::testing::HasSubstr("verifications_total{result=\"failed\"} 1")));
  };
  expect_one_sound_verification();

  // 3 MiB, below the reserve; just above it, without room for the copy.
  for (const uint64_t free : {uint64_t{3} << 20, (uint64_t{64} << 20) + 1}) {
    disk_->SetFree(free);
    report.Clear();
    const grpc::Status refused =
        admin->VerifyBackup(NewCallContext().get(), request, &report);
    EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << free << ": " << refused.error_message() << report.DebugString();
    EXPECT_THAT(refused.error_message(),
                ::testing::HasSubstr(absl::StrCat("backup not verified: the backup folder's disk "
                                                  "has ", free >> 20, " MiB free")));
    EXPECT_THAT(refused.error_message(),
                ::testing::HasSubstr("Nothing was found wrong with the backup"));
    EXPECT_EQ(LastOutcome(), static_cast<int>(absl::StatusCode::kResourceExhausted));
    expect_one_sound_verification();
  }
  EXPECT_EQ(disk_->refusals(), 0u) << "RocksDB itself met the full disk";

  disk_->SetFree(kPlenty);
  ASSERT_TRUE(server_->Restart().ok());
  Connect();
  ASSERT_TRUE(server_->server()->RecallLastChecks().ok());
  expect_one_sound_verification();
}

// The disk fills between the registry's look at the free space and the write (another process
// took the space): RocksDB's own write fails, the change is UNAVAILABLE and not half-written, and
// once space returns the registry takes changes again without a restart.
TEST_F(FullDiskTest, AWriteThatMeetsAFullDiskIsUnavailableAndTheRegistryRecovers) {
  std::string first;
  for (int n = 0; n < 5; ++n) ASSERT_TRUE(Create(n, n == 0 ? &first : nullptr).ok());
  ExpectEverythingAcknowledgedAndAConsistentLog();

  ASSERT_NO_FATAL_FAILURE(FillDiskAfterTheRegistryLooks(0));
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

// Once space has returned, the very next change goes through: not the second, not the fifth.
// RocksDB's own recovery from a full disk polls for free space every few seconds and, while it
// waits, refuses to be resumed; the registry used to meet it there and refuse the first changes
// after the operator had freed space, a random number of them, depending on when the poll came.
TEST_F(FullDiskTest, TheFirstChangeAfterSpaceReturnsGoesThrough) {
  std::string first;
  for (int n = 0; n < 3; ++n) ASSERT_TRUE(Create(n, n == 0 ? &first : nullptr).ok());
  for (int round = 0; round < 3; ++round) {
    ASSERT_NO_FATAL_FAILURE(FillDiskAfterTheRegistryLooks(0));
    const uint64_t refusals = disk_->refusals();
    EXPECT_EQ(Create(600 + round).error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_GT(disk_->refusals(), refusals) << "the change did not meet the full disk";
    disk_->SetFree(kPlenty);
    const grpc::Status created = Create(610 + round);
    EXPECT_TRUE(created.ok()) << "round " << round << ": " << created.error_message();
    const grpc::Status amended = Amend(first, absl::StrCat("Rr. Plot ", round, ", Pejë"));
    EXPECT_TRUE(amended.ok()) << "round " << round << ": " << amended.error_message();
  }
  ExpectEverythingAcknowledgedAndAConsistentLog();
  ASSERT_NO_FATAL_FAILURE(ExpectAllOfItAfterARestart());
}

// A start on a full disk (after a kill, the open replays the write-ahead log into a new table
// file) ended with RocksDB's text alone ("rocksdb: IO error: No space left on device: While
// appending to file: .../000024.sst"). It says that the data folder's disk is full and what to
// do, as a start that may be tried again (UNAVAILABLE: registryd exits 1), and once space is back
// the start finds everything.
TEST_F(FullDiskTest, AStartOnAFullDiskSaysTheDataFoldersDiskIsFullAndStartsOnceSpaceReturns) {
  for (int n = 0; n < 3; ++n) ASSERT_TRUE(Create(n).ok());
  server_->Stop();
  disk_->SetFree(0);
  const absl::Status refused = server_->Restart();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  const std::string data_dir = server_->config().data_dir();
  EXPECT_THAT(std::string(refused.message()),
              ::testing::HasSubstr(absl::StrCat("the disk holding data_dir ", data_dir,
                                                " is full")));
  EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("Free space on that disk"));
  EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("nothing is lost"));
  EXPECT_GT(disk_->refusals(), 0u) << "the start did not meet the full disk";

  disk_->SetFree(kPlenty);
  ASSERT_NO_FATAL_FAILURE(ExpectAllOfItAfterARestart());
}

// RocksDB's own log (LOG in the data folder) met the full disk too: its writer stayed failed, and
// the next warning RocksDB wrote once space had returned (admin verify-data opening each table
// file) failed its assertion and ended registryd. Its lines now go through the registry's own
// logger (storage/rocksdb_info_log.h), which drops what it cannot write; RocksDbInfoLogTest
// fails its writes (this file system does not reach that log). Here: the warnings of the episode
// are in the log, and verify-data after it is answered, with the registry going on.
TEST_F(FullDiskTest, VerifyDataAfterTheDiskFilledAndWasFreedIsAnsweredAndTheRegistryLives) {
  std::string first;
  for (int n = 0; n < 3; ++n) ASSERT_TRUE(Create(n, n == 0 ? &first : nullptr).ok());
  ASSERT_NO_FATAL_FAILURE(FillDiskAfterTheRegistryLooks(0));
  EXPECT_EQ(Create(900).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Get(first, 0).error_code(), grpc::StatusCode::UNAVAILABLE);
  disk_->SetFree(kPlenty);
  ASSERT_NO_FATAL_FAILURE(ExpectTheNextChangeTaken(902));
  auto admin = v1::AdminService::NewStub(server_->Channel("admin"));
  for (int i = 0; i < 2; ++i) {
    v1::VerifyDataResponse check;
    const grpc::Status s = admin->VerifyData(NewCallContext().get(), {}, &check);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(check.problem_count(), 0u) << check.DebugString();
  }
  EXPECT_TRUE(Amend(first, "Rr. Plot 9, Pejë").ok());
  ExpectEverythingAcknowledgedAndAConsistentLog();
  EXPECT_THAT(ReadFileOrDie(server_->config().data_dir() + "/LOG"),
              ::testing::HasSubstr("Background IO error"));
}

// The health check tells the truth on a full disk: once a call failed for want of space (its
// audit event could not be written, so no call is answered), NOT_SERVING while the disk stays
// full; SERVING again as soon as space returns (the check resumes the database as a write would,
// without writing anything itself), and the next call is answered.
TEST_F(FullDiskTest, HealthIsNotServingWhileTheDiskIsFullAndServingOnceSpaceReturns) {
  std::string first;
  for (int n = 0; n < 3; ++n) ASSERT_TRUE(Create(n, n == 0 ? &first : nullptr).ok());
  auto health = grpc::health::v1::Health::NewStub(server_->Channel("admin"));
  const auto check = [&] {
    grpc::health::v1::HealthCheckResponse resp;
    const grpc::Status s =
        health->Check(NewCallContext().get(), grpc::health::v1::HealthCheckRequest(), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.status();
  };
  EXPECT_EQ(check(), grpc::health::v1::HealthCheckResponse::SERVING);
  disk_->SetFree(0);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Get(first, 0).error_code(), grpc::StatusCode::UNAVAILABLE);
  const uint64_t refusals = disk_->refusals();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(check(), grpc::health::v1::HealthCheckResponse::NOT_SERVING) << i;
  }
  EXPECT_EQ(disk_->refusals(), refusals) << "a health check wrote";
  const uint64_t events = Events();
  disk_->SetFree(kPlenty);
  EXPECT_EQ(check(), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(check(), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_EQ(Events(), events) << "health checks are not audited";
  EXPECT_TRUE(Get(first, 0).ok());
  ASSERT_NO_FATAL_FAILURE(ExpectTheNextChangeTaken(950));
  ExpectEverythingAcknowledgedAndAConsistentLog();
}

// A failed fsync of the write-ahead log (EIO): what the disk holds is unknown, RocksDB rates it
// fatal, and the registry never resumes it. No call is answered (none without its event) until
// a restart, which finds every acknowledged record, a log that verifies and a clean data check;
// the change whose sync failed is wholly there, with its event, or wholly absent.
TEST_F(FullDiskTest, AFailedSyncOfTheLogStopsTheRegistryUntilARestart) {
  std::string first;
  for (int n = 0; n < 3; ++n) ASSERT_TRUE(Create(n, n == 0 ? &first : nullptr).ok());
  ExpectEverythingAcknowledgedAndAConsistentLog();
  disk_->FailNextLogSync(rocksdb::IOStatus::IOError("input/output error (injected)"));
  EXPECT_EQ(Create(800).error_code(), grpc::StatusCode::UNAVAILABLE);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(Create(801 + i).error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(Get(first, 0).error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  ASSERT_NO_FATAL_FAILURE(ExpectAllOfItAfterARestart(/*unacknowledged=*/1));
  const grpc::Status created = Create(810);
  EXPECT_TRUE(created.ok()) << created.error_message();
  ExpectEverythingAcknowledgedAndAConsistentLog(/*unacknowledged=*/1);
}

// The first call after space returned is a backup: its flush meets RocksDB's stopped writes
// before any write has resumed them.
TEST_F(FullDiskTest, ABackupAfterAFailedWriteIsTakenOnceSpaceReturns) {
  std::string first;
  for (int n = 0; n < 3; ++n) ASSERT_TRUE(Create(n, n == 0 ? &first : nullptr).ok());
  ASSERT_NO_FATAL_FAILURE(FillDiskAfterTheRegistryLooks(0));
  EXPECT_EQ(Create(700).error_code(), grpc::StatusCode::UNAVAILABLE);
  disk_->SetFree(kPlenty);
  auto admin = v1::AdminService::NewStub(server_->Channel("admin"));
  v1::BackupInfo info;
  const grpc::Status made =
      admin->CreateBackup(NewCallContext().get(), v1::CreateBackupRequest(), &info);
  EXPECT_TRUE(made.ok()) << made.error_message();
  const grpc::Status created = Create(701);
  EXPECT_TRUE(created.ok()) << created.error_message();
  ExpectEverythingAcknowledgedAndAConsistentLog();
}

// Room for part of a write only: the log's last record is cut short on disk. Each time, the
// change is refused and, once space is back, the next one goes through; a restart then finds
// every acknowledged write and a log that verifies.
TEST_F(FullDiskTest, AShortWriteAtTheEndOfTheLogIsNeitherAcknowledgedNorFatal) {
  for (int n = 0; n < 3; ++n) ASSERT_TRUE(Create(n).ok());
  int next = 300;
  for (uint64_t room : {1, 40, 200, 700, 3000}) {
    ASSERT_NO_FATAL_FAILURE(FillDiskAfterTheRegistryLooks(room));
    const grpc::Status s = Create(static_cast<int>(200 + room));
    if (!s.ok()) {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    }
    disk_->SetFree(kPlenty);
    SCOPED_TRACE(absl::StrCat("after a short write of ", room));
    ASSERT_NO_FATAL_FAILURE(ExpectTheNextChangeTaken(next++));
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
  ASSERT_NO_FATAL_FAILURE(FillDiskAfterTheRegistryLooks(300));
  EXPECT_EQ(Create(400).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_GT(disk_->refusals(), 0u);
  // Still a few hundred bytes, less than any flush needs: every attempt stays refused.
  disk_->SetFree(300);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Create(401 + i).error_code(), grpc::StatusCode::UNAVAILABLE);
  }
  disk_->SetFree(kPlenty);
  ASSERT_NO_FATAL_FAILURE(ExpectTheNextChangeTaken(500));
  ExpectEverythingAcknowledgedAndAConsistentLog();
}

// The storage layer alone on the full disk (and on a disk that fails otherwise), where the order
// of flushes, failures and resumes is the test's own.
class FullDiskDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = testing::MakeTempDir("registry-full-disk-db");
    disk_ = std::make_shared<FullDiskFileSystem>();
    env_ = rocksdb::NewCompositeEnv(disk_);
    ASSERT_NO_FATAL_FAILURE(Open());
  }
  void TearDown() override {
    log_.reset();
    db_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
  }

  void Open() {
    storage::DatabaseOptions options;
    options.path = root_ + "/data";
    options.seams.env = env_.get();
    options.reserve_bytes = 0;  // the test fills the disk where it wants
    auto db = storage::Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  // Closes the database (and the log) and opens it again, as a restart does.
  void Reopen() {
    log_.reset();
    db_.reset();
    ASSERT_NO_FATAL_FAILURE(Open());
  }
  void OpenLog() {
    auto log = storage::AuditLog::Open(db_.get(), &clock_, LogKey());
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
  }
  static crypto::SecretBytes LogKey() { return crypto::SecretBytes(std::string(32, '\x5a')); }

  absl::Status Put(const std::string& key) {
    storage::Batch batch;
    batch.Put(storage::Cf::kRecords, key, "v");
    return db_->Write(batch);
  }
  bool Stored(const std::string& key) {
    auto value = db_->Get(storage::Cf::kRecords, key);
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() && value->has_value();
  }

  absl::StatusOr<uint64_t> AppendEvent(int n) {
    v1::AuditEvent event;
    event.set_actor("spiffe://registry.kjc.dev/clerk/dev-clerk");
    event.set_action("/registry.v1.RecordService/CreateRecord");
    event.set_request_id(absl::StrCat("req-", n));
    storage::PendingWrite change;
    change.batch()->Put(storage::Cf::kRecords, absl::StrCat("record-", n), "v");
    return log_->Append(std::move(event), &change);
  }
  // The log's stored events are 0..size-1, each its tree's leaf, and nothing else is stored.
  void ExpectAWholeLog() {
    const uint64_t size = log_->CurrentHead().size;
    uint64_t next = 0;
    ASSERT_TRUE(log_->Scan(0, size, [&](uint64_t index, absl::string_view) {
                      EXPECT_EQ(index, next);
                      ++next;
                      return true;
                    }).ok());
    EXPECT_EQ(next, size);
    std::vector<std::string> problems;
    ASSERT_TRUE(log_->CheckStoredTree([&](std::string p) { problems.push_back(p); }).ok());
    EXPECT_THAT(problems, ::testing::IsEmpty());
  }

  std::string root_;
  std::shared_ptr<FullDiskFileSystem> disk_;
  std::unique_ptr<rocksdb::Env> env_;
  std::unique_ptr<storage::Database> db_;
  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::unique_ptr<storage::AuditLog> log_;
};

// A write that fails on a write-ahead log into which nothing else went (every memtable had just
// been flushed): RocksDB's resume flushes nothing then and so keeps that log, whose writer
// refuses every later append; the next write ended the process on RocksDB's assertion. The
// database keeps a memtable filled before each write, so that the resume starts a new log, and
// the first write after space returns goes through.
TEST_F(FullDiskDatabaseTest, AWriteThatFailsRightAfterAFlushIsResumed) {
  ASSERT_TRUE(Put("a").ok());
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(db_->Flush().ok());
    disk_->SetFree(0);
    const absl::Status failed = Put(absl::StrCat("failed-", round));
    EXPECT_EQ(failed.code(), absl::StatusCode::kUnavailable) << failed;
    disk_->SetFree(kPlenty);
    const absl::Status next = Put(absl::StrCat("next-", round));
    EXPECT_TRUE(next.ok()) << round << ": " << next;
    EXPECT_FALSE(Stored(absl::StrCat("failed-", round)));
  }
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_TRUE(Stored("a"));
  for (int round = 0; round < 3; ++round) {
    EXPECT_FALSE(Stored(absl::StrCat("failed-", round)));
    EXPECT_TRUE(Stored(absl::StrCat("next-", round)));
  }
}

// While the disk has no room, no resume is tried (RocksDB would rate a log it cannot create a
// fatal error, and take writes no more before a restart); each write fails alone, and the first
// once space returns goes through.
TEST_F(FullDiskDatabaseTest, NoResumeIsTriedWithoutRoomAndTheFirstWriteWithRoomGoesThrough) {
  ASSERT_TRUE(Put("a").ok());
  disk_->SetFree(0);
  EXPECT_EQ(Put("b").code(), absl::StatusCode::kUnavailable);
  for (int i = 0; i < 3; ++i) {
    const absl::Status refused = Put(absl::StrCat("c", i));
    EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(refused.message(), ::testing::HasSubstr("free space")) << refused;
  }
  disk_->SetFree(kPlenty);
  EXPECT_TRUE(Put("d").ok());
  EXPECT_TRUE(db_->Flush().ok());
}

// A compaction that meets the full disk is a soft error: RocksDB goes on taking writes, and so
// must the registry, on the little room there is (the audit events of reads on a disk below the
// reserve), without first asking for the room a resume would need.
TEST_F(FullDiskDatabaseTest, ACompactionThatMeetsAFullDiskDoesNotStopWrites) {
  const std::string value(1024, 'v');
  for (int file = 0; file < 2; ++file) {
    storage::Batch batch;
    for (int i = 0; i < 200; ++i) batch.Put(storage::Cf::kRecords, absl::StrCat("k", i), value);
    ASSERT_TRUE(db_->Write(batch).ok());
    ASSERT_TRUE(db_->Flush().ok());
  }
  disk_->SetFree(64 << 10);  // room for writes, not for the compaction's 200 KiB
  const uint64_t refusals = disk_->refusals();
  EXPECT_FALSE(db_->CompactRange(storage::Cf::kRecords, "", "").ok());
  EXPECT_GT(disk_->refusals(), refusals) << "the compaction did not meet the full disk";
  disk_->SetFree(64 << 10);  // what the compaction's cut-off file took, the operator gave back
  for (int i = 0; i < 3; ++i) {
    const absl::Status put = Put(absl::StrCat("after-", i));
    EXPECT_TRUE(put.ok()) << i << ": " << put;
  }
  disk_->SetFree(kPlenty);
  EXPECT_TRUE(db_->CompactRange(storage::Cf::kRecords, "", "").ok());
  EXPECT_TRUE(Stored("after-2"));
}

// A disk that says it is full only when the log is synced (a thin or network volume): RocksDB
// rates it as the full disk it is, and the next write resumes and goes through.
TEST_F(FullDiskDatabaseTest, NoSpaceFromASyncOfTheLogIsResumed) {
  ASSERT_TRUE(Put("a").ok());
  disk_->FailNextLogSync(rocksdb::IOStatus::NoSpace("no space left on device (at fsync)"));
  EXPECT_EQ(Put("b").code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(Stored("b"));
  const absl::Status next = Put("c");
  EXPECT_TRUE(next.ok()) << next;
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_TRUE(Stored("a"));
  EXPECT_TRUE(Stored("c"));
}

// Any other failure of the log (an I/O error writing it, a failed fsync: what the disk holds is
// then unknown) is one RocksDB rates fatal: it is never resumed, every later write fails saying
// that a restart is needed, reads go on, and the restart takes writes again.
TEST_F(FullDiskDatabaseTest, AnIoErrorOnTheLogIsNeverResumedAndARestartTakesWritesAgain) {
  for (const bool sync : {false, true}) {
    SCOPED_TRACE(sync ? "a failed sync" : "a failed append");
    ASSERT_TRUE(Put("a").ok());
    const rocksdb::IOStatus eio = rocksdb::IOStatus::IOError("input/output error (injected)");
    if (sync) {
      disk_->FailNextLogSync(eio);
    } else {
      disk_->FailNextLogAppend(eio);
    }
    EXPECT_EQ(Put("b").code(), absl::StatusCode::kUnavailable);
    for (int i = 0; i < 2; ++i) {
      const absl::Status refused = Put("c");
      EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
      EXPECT_THAT(refused.message(), ::testing::HasSubstr("restart registryd")) << refused;
    }
    EXPECT_FALSE(db_->Flush().ok());
    EXPECT_TRUE(Stored("a"));
    EXPECT_FALSE(Stored("c"));
    ASSERT_NO_FATAL_FAILURE(Reopen());
    EXPECT_TRUE(Stored("a"));
    EXPECT_FALSE(Stored("c"));
    // "b" was appended in full before its sync failed: the restart may find it, whole.
    const absl::Status after = Put("d");
    EXPECT_TRUE(after.ok()) << after;
  }
}

// Group commits that meet the full disk fail every appender and leave the log as it was: no
// event stored, the head not moved. The first append once space returns takes the next index
// (no hole, no index given twice), and the log and its tree are whole, before and after a
// restart.
TEST_F(FullDiskDatabaseTest, FailedGroupCommitsLeaveNoTraceAndTheNextAppendContinuesTheLog) {
  ASSERT_NO_FATAL_FAILURE(OpenLog());
  for (int n = 0; n < 3; ++n) ASSERT_TRUE(AppendEvent(n).ok());
  const storage::AuditLog::Head before = log_->CurrentHead();
  disk_->SetFree(0);
  std::atomic<int> unavailable{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const absl::StatusOr<uint64_t> seq = AppendEvent(100 + t * 5 + i);
        if (seq.status().code() == absl::StatusCode::kUnavailable) unavailable.fetch_add(1);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(unavailable.load(), 20);
  EXPECT_GT(disk_->refusals(), 0u);
  EXPECT_EQ(log_->CurrentHead().size, before.size);
  EXPECT_EQ(log_->CurrentHead().root, before.root);
  for (int n = 100; n < 120; ++n) EXPECT_FALSE(Stored(absl::StrCat("record-", n))) << n;

  disk_->SetFree(kPlenty);
  const absl::StatusOr<uint64_t> next = AppendEvent(200);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, before.size);
  ASSERT_TRUE(AppendEvent(201).ok());
  ASSERT_NO_FATAL_FAILURE(ExpectAWholeLog());
  const storage::AuditLog::Head head = log_->CurrentHead();
  EXPECT_EQ(head.size, before.size + 2);

  ASSERT_NO_FATAL_FAILURE(Reopen());
  ASSERT_NO_FATAL_FAILURE(OpenLog());
  EXPECT_EQ(log_->CurrentHead().size, head.size);
  EXPECT_EQ(log_->CurrentHead().root, head.root);
  ASSERT_NO_FATAL_FAILURE(ExpectAWholeLog());
  EXPECT_TRUE(Stored("record-200"));
}

}  // namespace
}  // namespace registry::testing
