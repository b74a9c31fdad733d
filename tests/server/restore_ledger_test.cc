// A restore, or a start, never brings back an expunged record through the erasure ledger: the
// audit watermark binds the ledger's head (how many entries, the MAC of the last) each time it
// moves, so a ledger that is missing, emptied, an older copy or another file is refused whatever
// state the data folder is in (gone, damaged, or there), for a restore of a named backup and of
// the newest one alike, and nothing is created in its place. A missing ledger is made anew only
// for a new installation (no event in the log, no watermark counting any, no backup). An honest
// restore still works and re-applies the erasures made after its backup.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "server/registry_server.h"
#include "tests/testing/clients.h"
#include "tests/testing/config_problems.h"
#include "tests/testing/data_files.h"
#include "tests/testing/switchable_fault.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::HasSubstr;

// A person nobody else in these tests has.
v1::CreateRecordRequest ErasedPersonRecord() {
  v1::CreateRecordRequest r = ExampleRecord();
  r.mutable_person()->set_surname("Xhemajlqerosi");
  return r;
}

class RestoreLedgerTest : public ::testing::Test {
 protected:
  // Starts, creates a record to keep and one to erase, backs up, erases the second and stops.
  // The ledger's content before and after the erasure are kept.
  void StopWithABackupOfARecordErasedSince() {
    server_ = TestServer::Start();
    kept_ = CreatedRecordId(*server_, "clerk", FictionalRecord(3));
    erased_ = CreatedRecordId(*server_, "clerk", ErasedPersonRecord());
    backup_ = CreatedBackup(*server_);
    ASSERT_NE(backup_.backup_id(), 0u);
    ledger_ = server_->config().erasure_ledger_file();
    older_ledger_ = ReadBinary(ledger_);
    ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", erased_).ok());
    server_->Stop();
    current_ledger_ = ReadBinary(ledger_);
    ASSERT_NE(older_ledger_, current_ledger_);
  }

  void WriteLedger(const std::string& content) {
    std::ofstream(ledger_, std::ios::binary | std::ios::trunc) << content;
  }

  // The ways the ledger is found not to be the current one: each puts it in place and says which.
  struct LedgerState {
    std::string name;
    bool missing = false;
    std::string content;
  };
  std::vector<LedgerState> StaleLedgers() const {
    return {{"missing", true, ""}, {"emptied", false, ""}, {"older", false, older_ledger_}};
  }
  void PutInPlace(const LedgerState& state) {
    if (state.missing) {
      std::filesystem::remove(ledger_);
    } else {
      WriteLedger(state.content);
    }
  }
  // The ledger is as PutInPlace left it: nothing was created, cut or written.
  void ExpectUntouched(const LedgerState& state) {
    if (state.missing) {
      EXPECT_FALSE(std::filesystem::exists(ledger_)) << "a refused step made a new ledger";
    } else {
      EXPECT_EQ(ReadBinary(ledger_), state.content) << state.name;
    }
  }

  // A restore of `id` with each stale ledger is refused, says to put back the current ledger,
  // and leaves the ledger, and the data folder's absence or damage, as they were.
  void ExpectEveryStaleLedgerRefused(uint32_t id) {
    const std::string data_dir = server_->config().data_dir();
    const bool data_there = std::filesystem::exists(data_dir);
    for (const LedgerState& state : StaleLedgers()) {
      PutInPlace(state);
      int applied = -1;
      const absl::Status refused = server::RestoreBackup(server_->config(), id, &applied);
      EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition)
          << state.name << ": " << refused;
      EXPECT_THAT(std::string(refused.message()), HasSubstr("put back the current erasure ledger"))
          << state.name;
      EXPECT_THAT(std::string(refused.message()), HasSubstr("was not changed")) << state.name;
      EXPECT_EQ(applied, -1) << state.name;
      ExpectUntouched(state);
      EXPECT_EQ(std::filesystem::exists(data_dir), data_there) << state.name;
    }
  }

  // With the current ledger put back, the restore of `id` works and re-applies the erasure: the
  // erased record stays erased for courts and vetting, the kept one is served.
  void ExpectAnHonestRestoreOf(uint32_t id) {
    WriteLedger(current_ledger_);
    int applied = -1;
    const absl::Status restored = server::RestoreBackup(server_->config(), id, &applied);
    ASSERT_TRUE(restored.ok()) << restored;
    EXPECT_EQ(applied, 1);
    const absl::Status started = server_->Restart();
    ASSERT_TRUE(started.ok()) << started;
    ExpectTheErasedGoneAndTheKeptServed();
  }

  // The erased record stays erased for courts and vetting; the kept one is served.
  void ExpectTheErasedGoneAndTheKeptServed() {
    const v1::Purpose purpose = CourtPurpose();
    EXPECT_EQ(GetRecordAs(*server_, "court", erased_, nullptr, &purpose).error_code(),
              grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(GetRecordAs(*server_, "court", kept_, nullptr, &purpose).error_code(),
              grpc::StatusCode::OK);
    EXPECT_EQ(VetAs(*server_, "vetting", ErasedPersonRecord().person()),
              v1::VETTING_RESULT_CLEAR);
  }

  // The write fault of the test that fails a commit; declared before server_, which writes
  // through it until it has shut down.
  SwitchableFault fault_;
  std::unique_ptr<TestServer> server_;
  std::string kept_;
  std::string erased_;
  v1::BackupInfo backup_;
  std::string ledger_;
  std::string older_ledger_;
  std::string current_ledger_;
};

// The data folder lost (moved away, as after a disk loss): nothing was left to hold the ledger
// to, and the restore brought the erased record back with a missing, emptied or older ledger
// (making a new, empty one when it was missing).
TEST_F(RestoreLedgerTest, ARestoreOverALostDataFolderRefusesAMissingEmptiedOrOlderLedger) {
  ASSERT_NO_FATAL_FAILURE(StopWithABackupOfARecordErasedSince());
  const std::string data_dir = server_->config().data_dir();
  std::filesystem::rename(data_dir, data_dir + "-moved");
  ExpectEveryStaleLedgerRefused(backup_.backup_id());
  ExpectAnHonestRestoreOf(backup_.backup_id());
}

TEST_F(RestoreLedgerTest, ARestoreOverADamagedDataFolderRefusesAMissingEmptiedOrOlderLedger) {
  ASSERT_NO_FATAL_FAILURE(StopWithABackupOfARecordErasedSince());
  std::filesystem::remove(server_->config().data_dir() + "/CURRENT");
  ExpectEveryStaleLedgerRefused(backup_.backup_id());
  ExpectAnHonestRestoreOf(backup_.backup_id());
}

TEST_F(RestoreLedgerTest, ARestoreOfTheNewestBackupRefusesAMissingEmptiedOrOlderLedger) {
  ASSERT_NO_FATAL_FAILURE(StopWithABackupOfARecordErasedSince());
  std::filesystem::remove_all(server_->config().data_dir());
  ExpectEveryStaleLedgerRefused(/*newest*/ 0);
  ExpectAnHonestRestoreOf(/*newest*/ 0);
}

// With the watermark removed as well, the backups are what is left to show that the registry
// held data: a restore does not begin a new, empty ledger for the backup's data.
TEST_F(RestoreLedgerTest, ARestoreWithTheWatermarkAndTheLedgerBothGoneIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StopWithABackupOfARecordErasedSince());
  std::filesystem::remove_all(server_->config().data_dir());
  std::filesystem::remove(server_->config().audit_watermark_file());
  std::filesystem::remove(ledger_);
  int applied = -1;
  const absl::Status refused =
      server::RestoreBackup(server_->config(), backup_.backup_id(), &applied);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("this installation is not new"));
  EXPECT_THAT(std::string(refused.message()), HasSubstr("Put the current erasure ledger back"));
  EXPECT_FALSE(std::filesystem::exists(ledger_)) << "a refused restore made a new ledger";
  EXPECT_FALSE(std::filesystem::exists(server_->config().data_dir()));
  // Nor does a start begin an empty registry beside those backups.
  const absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_THAT(std::string(started.message()), HasSubstr("holds backups of a registry"));
  EXPECT_FALSE(std::filesystem::exists(ledger_));
  EXPECT_FALSE(std::filesystem::exists(server_->config().data_dir()));
  ExpectAnHonestRestoreOf(backup_.backup_id());
}

// At a start over the data folder itself, an older or emptied ledger is refused in the
// watermark's words (it names what it recorded and what to do), and a missing one is not made
// anew.
TEST_F(RestoreLedgerTest, AStartWithAMissingEmptiedOrOlderLedgerIsRefusedByTheWatermark) {
  ASSERT_NO_FATAL_FAILURE(StopWithABackupOfARecordErasedSince());
  for (const LedgerState& state : StaleLedgers()) {
    PutInPlace(state);
    const absl::Status started = server_->Restart();
    EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition)
        << state.name << ": " << started;
    EXPECT_THAT(std::string(started.message()),
                HasSubstr(absl::StrCat("the audit watermark ",
                                       server_->config().audit_watermark_file())))
        << state.name;
    EXPECT_THAT(std::string(started.message()), HasSubstr("recorded that it held 1 erasure"))
        << state.name;
    EXPECT_THAT(std::string(started.message()), HasSubstr("put back the current erasure ledger"))
        << state.name;
    ExpectUntouched(state);
  }
  WriteLedger(current_ledger_);
  const absl::Status started = server_->Restart();
  ASSERT_TRUE(started.ok()) << started;
}

// A registry that has served but never erased: a missing ledger was made anew at its start, as
// if it were a new installation, though a backup restored later may need what the lost one held.
TEST_F(RestoreLedgerTest, AStartWithAMissingLedgerOfAnInstallationThatHeldDataIsRefused) {
  server_ = TestServer::Start();
  kept_ = CreatedRecordId(*server_, "clerk", FictionalRecord(3));
  server_->Stop();
  ledger_ = server_->config().erasure_ledger_file();
  std::filesystem::remove(ledger_);
  const absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_THAT(std::string(started.message()), HasSubstr("this installation is not new"));
  EXPECT_FALSE(std::filesystem::exists(ledger_)) << "a refused start made a new ledger";
}

// A new installation (no watermark, no data, no backup) starts and begins its ledger; the
// watermark it leaves binds the ledger's head.
TEST_F(RestoreLedgerTest, ANewInstallationStartsAndItsWatermarkBindsTheLedger) {
  server_ = TestServer::Start();
  ledger_ = server_->config().erasure_ledger_file();
  EXPECT_TRUE(std::filesystem::exists(ledger_));
  erased_ = CreatedRecordId(*server_, "clerk", ErasedPersonRecord());
  ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", erased_).ok());
  server_->Stop();
  std::string line = ReadBinary(server_->config().audit_watermark_file());
  ASSERT_FALSE(line.empty());
  line.pop_back();
  const std::vector<std::string> fields = absl::StrSplit(line, ' ');
  // Then the index seal's generation and digest.
  ASSERT_EQ(fields.size(), 8u) << line;
  EXPECT_EQ(fields[3], "1");
  const std::string ledger = ReadBinary(ledger_);
  // The ledger entry's MAC is its last field.
  const std::string entry = ledger.substr(0, ledger.find('\n'));
  EXPECT_EQ(fields[4], entry.substr(entry.rfind(' ') + 1));
  const absl::Status started = server_->Restart();
  ASSERT_TRUE(started.ok()) << started;
}

// An erasure whose commit failed is in the ledger, not yet in the data folder's marker: the
// marker cannot tell that an older ledger lacks it, the watermark can. --check_config reports it
// as the start refuses it; before, both passed and the erasure was lost.
TEST_F(RestoreLedgerTest, ALedgerOlderThanTheWatermarkRecordedIsReportedByCheckConfigAndTheStart) {
  TestServerOptions options;
  options.fault_injector = &fault_;
  server_ = TestServer::Start(std::move(options));
  erased_ = CreatedRecordId(*server_, "clerk", ErasedPersonRecord());
  ledger_ = server_->config().erasure_ledger_file();
  older_ledger_ = ReadBinary(ledger_);
  fault_.set_failing(true);
  EXPECT_EQ(ExpungeRecordAs(*server_, "clerk", erased_).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  fault_.set_failing(false);
  server_->Stop();
  current_ledger_ = ReadBinary(ledger_);
  ASSERT_NE(older_ledger_, current_ledger_);
  WriteLedger(older_ledger_);

  const std::vector<std::string> problems = ConfigProblems(server_->config(), "restore-ledger");
  bool said = false;
  for (const std::string& p : problems) {
    said = said || (absl::StrContains(p, "erasure_ledger_file: ") &&
                    absl::StrContains(p, "recorded that it held 1 erasure") &&
                    absl::StrContains(p, "put back the current erasure ledger"));
  }
  EXPECT_TRUE(said) << ::testing::PrintToString(problems);
  EXPECT_EQ(ReadBinary(ledger_), older_ledger_);

  const absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_THAT(std::string(started.message()), HasSubstr("recorded that it held 1 erasure"));
  // With the current ledger the start finishes the erasure.
  WriteLedger(current_ledger_);
  const absl::Status again = server_->Restart();
  ASSERT_TRUE(again.ok()) << again;
  const v1::Purpose purpose = CourtPurpose();
  EXPECT_EQ(GetRecordAs(*server_, "court", erased_, nullptr, &purpose).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// The data folder, the erasure ledger and the audit watermark put back together from a copy
// taken before an erasure agree with each other: the start served the erased record again and
// --check_config found no problem, though the backup folder held a backup made after the
// erasure (a restore in the same state was refused). The backups record how many erasures
// their database had applied; the start and --check_config hold the ledger to each of them.
TEST_F(RestoreLedgerTest, AFolderAndLedgerPutBackFromBeforeAnErasureAreRefusedBesideANewerBackup) {
  server_ = TestServer::Start();
  kept_ = CreatedRecordId(*server_, "clerk", FictionalRecord(3));
  erased_ = CreatedRecordId(*server_, "clerk", ErasedPersonRecord());
  ASSERT_NE(CreatedBackup(*server_).backup_id(), 0u);
  server_->Stop();
  const v1::ServerConfig config = server_->config();
  ledger_ = config.erasure_ledger_file();
  const std::string copies = MakeTempDir("rolled-back");
  std::filesystem::copy(config.data_dir(), copies + "/earlier",
                        std::filesystem::copy_options::recursive);
  older_ledger_ = ReadBinary(ledger_);
  const std::string older_watermark = ReadBinary(config.audit_watermark_file());
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", erased_).ok());
  const uint32_t newer = CreatedBackup(*server_).backup_id();
  ASSERT_NE(newer, 0u);
  server_->Stop();
  current_ledger_ = ReadBinary(ledger_);
  const std::string current_watermark = ReadBinary(config.audit_watermark_file());
  std::filesystem::rename(config.data_dir(), copies + "/current");
  std::filesystem::copy(copies + "/earlier", config.data_dir(),
                        std::filesystem::copy_options::recursive);
  WriteLedger(older_ledger_);
  std::ofstream(config.audit_watermark_file(), std::ios::binary | std::ios::trunc)
      << older_watermark;

  const std::string says = absl::StrCat("backup ", newer, " in ", config.backup_dir(),
                                        " recorded that it held 1 erasure");
  const std::vector<std::string> problems = ConfigProblems(config, "rolled-back-config");
  bool said = false;
  for (const std::string& p : problems) {
    said = said || (absl::StrContains(p, "erasure_ledger_file: ") && absl::StrContains(p, says) &&
                    absl::StrContains(p, "put back the current erasure ledger"));
  }
  EXPECT_TRUE(said) << ::testing::PrintToString(problems);

  // The start is refused before it serves anything: the erased record is never answered.
  const absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_THAT(std::string(started.message()), HasSubstr(says));
  EXPECT_THAT(std::string(started.message()), HasSubstr("put back the current erasure ledger"));
  EXPECT_EQ(ReadBinary(ledger_), older_ledger_);

  // The current folder, ledger and watermark put back: the start, beside the same two backups
  // (one older than the erasure), serves, and the record stays erased.
  std::filesystem::remove_all(config.data_dir());
  std::filesystem::rename(copies + "/current", config.data_dir());
  WriteLedger(current_ledger_);
  std::ofstream(config.audit_watermark_file(), std::ios::binary | std::ios::trunc)
      << current_watermark;
  for (const std::string& p : ConfigProblems(config, "put-back-config")) {
    EXPECT_THAT(p, ::testing::Not(HasSubstr("erasure_ledger_file")));
  }
  const absl::Status honest = server_->Restart();
  ASSERT_TRUE(honest.ok()) << honest;
  ExpectTheErasedGoneAndTheKeptServed();
}

}  // namespace
}  // namespace registry::testing
