// The audit watermark through a real registryd: a data directory put back from an earlier copy
// is refused at start (and named by the offline data check), the mark follows the log while the
// server runs, and a restore from a backup goes back on purpose and says what it gave up.
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/registry_server.h"
#include "storage/audit_watermark.h"
#include "storage/key_folder_lock.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/checked_calls.h"
#include "tests/testing/clients.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::HasSubstr;

// The mark as the next start would read it.
std::optional<storage::AuditWatermark::Mark> MarkOf(const TestServer& server) {
  absl::StatusOr<std::unique_ptr<storage::AuditWatermark>> mark = storage::AuditWatermark::Open(
      server.config().audit_watermark_file(),
      DerivedKeyOf(server, storage::kAuditWatermarkKeyPurpose), SystemClock::Get());
  EXPECT_TRUE(mark.ok()) << mark.status();
  return mark.ok() ? (*mark)->mark() : std::nullopt;
}

// Enters FictionalRecord(1), then deletes its versions while the registry is stopped: no index
// row changes, so the start's comparison with the index seal finds nothing; the data check
// does, and finds a problem that could change a vetting answer.
void EnterARecordThenDeleteItsVersionsWhileStopped(TestServer& server) {
  CreatedRecordId(server, "clerk", FictionalRecord(1));
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(server, [](storage::Database* db) {
    for (const auto& [cf, row] : CopyRows(db, {storage::Cf::kVersions})) {
      DeleteStored(db, cf, row.first);
    }
  }));
}

// Stops `server` and copies its index seal row into `seal` and its index rows' keys into
// `index_rows`, as someone with the data folder would keep them to put back later.
void CopySealAndIndexKeysWhileStopped(TestServer& server, StoredRows* seal,
                                      std::set<std::string>* index_rows) {
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(server, [&](storage::Database* db) {
    for (auto& row : CopyRows(db, {storage::Cf::kMeta})) {
      if (row.second.first == storage::kIndexSealRow) seal->push_back(row);
    }
    for (const auto& row : CopyRows(db, {storage::Cf::kIndex})) {
      index_rows->insert(row.second.first);
    }
  }));
}

// A registry with one record, a copy of its stopped data folder in `older`, and a conviction
// entered after the copy was taken (returned); it runs again.
v1::CreateRecordRequest CopyThenEnterAnother(TestServer& server, const std::string& older) {
  CreatedRecordId(server, "clerk", FictionalRecord(1));
  server.Stop();
  std::filesystem::copy(server.config().data_dir(), older,
                        std::filesystem::copy_options::recursive);
  EXPECT_TRUE(server.Restart().ok());
  const v1::CreateRecordRequest later = FictionalRecord(2);
  CreatedRecordId(server, "clerk", later);
  return later;
}

TEST(AuditWatermarkServerTest, ADataDirectoryPutBackFromAnEarlierCopyIsRefusedAtStart) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const std::string data_dir = server->config().data_dir();
  const std::string older = server->dir() + "/older-data";
  const v1::CreateRecordRequest later = CopyThenEnterAnother(*server, older);
  ASSERT_EQ(VetAs(*server, "vetting", later.person()), v1::VETTING_RESULT_NOT_CLEAR);
  const uint64_t size = server->server()->audit_log()->CurrentHead().size;
  server->Stop();
  ASSERT_TRUE(MarkOf(*server).has_value());
  EXPECT_EQ(MarkOf(*server)->size, size);

  // The copy is consistent in itself, and would answer CLEAR for that person: it is refused.
  std::filesystem::remove_all(data_dir);
  std::filesystem::copy(older, data_dir, std::filesystem::copy_options::recursive);
  const absl::Status started = server->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_THAT(std::string(started.message()), HasSubstr(absl::StrCat("fewer than the ", size)));
  EXPECT_THAT(std::string(started.message()),
              HasSubstr(server->config().audit_watermark_file()));
  // The offline data check (registryd --verify_data) names it too.
  absl::StatusOr<storage::DataCheckReport> report = server::VerifyDataOffline(server->config());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->problems, ::testing::Contains(HasSubstr("audit watermark")));
}

// Every file under `dir` (by its path there) with its size and a hash of its bytes: what a
// refused start must leave exactly as it found.
std::map<std::string, std::string> FilesOf(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) {
      files[std::filesystem::relative(entry.path(), dir).string()] = "(not a file)";
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    const std::string content = bytes.str();
    files[std::filesystem::relative(entry.path(), dir).string()] =
        absl::StrCat(content.size(), " bytes, hash ", std::hash<std::string>{}(content));
  }
  return files;
}

// Stops `server` with its data folder put back from a copy taken before one more record was
// entered (CopyThenEnterAnother); every file of the folder as it then is, for comparing.
std::map<std::string, std::string> PutBackAnEarlierCopy(TestServer& server) {
  const std::string data_dir = server.config().data_dir();
  const std::string older = server.dir() + "/older-data";
  CopyThenEnterAnother(server, older);
  server.Stop();
  std::filesystem::remove_all(data_dir);
  std::filesystem::copy(older, data_dir, std::filesystem::copy_options::recursive);
  return FilesOf(data_dir);
}

// A start refused for a folder put back from an earlier copy opened it read-write first: a new
// table file, a new MANIFEST (the old one deleted), OPTIONS, CURRENT, an empty write-ahead log,
// LOG rotated, in the folder the refusal says to keep for the investigation. Now it is refused
// before anything is written: every file as it was, none added or removed.
TEST(AuditWatermarkServerTest, AStartRefusedForAFolderPutBackFromAnEarlierCopyWritesNothingThere) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const std::string data_dir = server->config().data_dir();
  const std::map<std::string, std::string> before = PutBackAnEarlierCopy(*server);
  ASSERT_FALSE(before.empty());

  const absl::Status started = server->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_THAT(std::string(started.message()), HasSubstr("put back from an earlier copy"));
  EXPECT_EQ(FilesOf(data_dir), before);
}

// `registryd --confirm_clock` on the same folder opened it to write and wrote its confirmation
// into it, where the start refuses it. It is refused as the start refuses it, in the same words,
// and every file of the folder is left as it was.
TEST(AuditWatermarkServerTest, AClockConfirmedOnAFolderPutBackFromAnEarlierCopyIsRefusedUnwritten) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const std::string data_dir = server->config().data_dir();
  const std::map<std::string, std::string> before = PutBackAnEarlierCopy(*server);
  ASSERT_FALSE(before.empty());

  absl::Time trusted_before;
  const absl::Status confirmed =
      server::ConfirmClock(server->config(), SystemClock::Get(), &trusted_before);
  EXPECT_EQ(confirmed.code(), absl::StatusCode::kDataLoss) << confirmed;
  EXPECT_THAT(std::string(confirmed.message()), HasSubstr("put back from an earlier copy"));
  EXPECT_EQ(FilesOf(data_dir), before);
  const absl::Status started = server->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_EQ(confirmed.message(), started.message());
  EXPECT_EQ(FilesOf(data_dir), before);
}

// Restores `backup` into `server`'s stopped folder (RestoreBackup): the events it gave up and
// what it said of them. A refused restore fails the test (fatally).
void RestoreSayingWhatWasLost(const TestServer& server, uint32_t backup, uint64_t* lost,
                              server::RestoreLoss* loss) {
  int applied = 0;
  ASSERT_TRUE(server::RestoreBackup(server.config(), backup, &applied, lost, nullptr, loss).ok());
}

// A registry restored to `backup`, which then grows past `size` events on that new branch; it
// is stopped.
void GrowPastOnAnotherBranch(TestServer& server, uint32_t backup, uint64_t size) {
  int applied = 0;
  ASSERT_TRUE(server::RestoreBackup(server.config(), backup, &applied).ok());
  ASSERT_TRUE(server.Restart().ok());
  for (int i = 10; AuditLogSize(server) <= size; ++i) {
    CreatedRecordId(server, "clerk", FictionalRecord(i));
  }
  server.Stop();
}

// The same for a folder whose log is not the one the watermark holds ("the data directory was
// replaced"): here a later branch of the log, under the mark of the branch it left.
TEST(AuditWatermarkServerTest, AStartRefusedForAReplacedFolderWritesNothingThere) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const std::string data_dir = server->config().data_dir();
  CreatedRecordId(*server, "clerk", FictionalRecord(1));
  const v1::BackupInfo backup = CreatedBackup(*server);
  CreatedRecordId(*server, "clerk", FictionalRecord(2));
  CreatedRecordId(*server, "clerk", FictionalRecord(3));
  server->Stop();
  const std::string mark = server->config().audit_watermark_file();
  const std::string kept = server->dir() + "/kept.watermark";
  std::filesystem::copy_file(mark, kept);
  const uint64_t size = MarkOf(*server)->size;
  GrowPastOnAnotherBranch(*server, backup.backup_id(), size);
  std::filesystem::copy_file(kept, mark, std::filesystem::copy_options::overwrite_existing);
  const std::map<std::string, std::string> before = FilesOf(data_dir);

  const absl::Status started = server->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_THAT(std::string(started.message()),
              HasSubstr(absl::StrCat("the audit log's first ", size, " events are not those")));
  EXPECT_THAT(std::string(started.message()), HasSubstr("the data directory was replaced"));
  EXPECT_EQ(FilesOf(data_dir), before);
}

// Starts a registry on `server`'s stopped files as registryd starts it, with the data checks
// (the walk back through the audit events since the last one); stops it again when it started.
absl::Status StartWithTheDataChecks(const TestServer& server) {
  server::RegistryServerOptions options;
  options.config = server.config();
  options.start_scheduler = false;
  options.start_backup_scheduler = false;
  options.start_data_checks = true;
  absl::StatusOr<std::unique_ptr<server::RegistryServer>> started =
      server::RegistryServer::Start(std::move(options));
  if (!started.ok()) return started.status();
  (*started)->Shutdown(absl::Seconds(1));
  return absl::OkStatus();
}

// A start refused for a deleted audit event ("This is an incident ... preserve the disks") had
// opened the folder to write first: the write-ahead log of the deletion replayed into a new
// table file, a new MANIFEST and OPTIONS, an empty write-ahead log, LOG rotated and an older
// LOG.old deleted. It is refused on the read-only look, in the same words: every file of the
// folder as it was. An event since the last data check (the start's walk) and the last event
// (the log's open) alike.
TEST(AuditWatermarkServerTest, AStartRefusedForADeletedAuditEventWritesNothingThere) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const std::string data_dir = server->config().data_dir();
  for (int i = 1; i <= 3; ++i) CreatedRecordId(*server, "clerk", FictionalRecord(i));
  const uint64_t size = server->server()->audit_log()->CurrentHead().size;
  server->Stop();
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server, [](storage::Database* db) {
    DeleteStored(db, storage::Cf::kAudit, storage::EncodeU64(1));
  }));
  std::map<std::string, std::string> before = FilesOf(data_dir);
  ASSERT_FALSE(before.empty());
  absl::Status started = StartWithTheDataChecks(*server);
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_THAT(std::string(started.message()), HasSubstr("the audit log is damaged at event 1 "));
  EXPECT_THAT(std::string(started.message()), HasSubstr("preserve the disks"));
  EXPECT_EQ(FilesOf(data_dir), before);

  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server, [&](storage::Database* db) {
    DeleteStored(db, storage::Cf::kAudit, storage::EncodeU64(size - 1));
  }));
  before = FilesOf(data_dir);
  started = server->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_THAT(std::string(started.message()),
              HasSubstr(absl::StrCat("its last event, ", size - 1, ", is missing")));
  EXPECT_EQ(FilesOf(data_dir), before);
}

// The whole content of the file at `path` ("" when there is none), for comparing.
std::string ContentOf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A stopped registry whose audit log lost its event 1 (one in the middle of the log, written
// after the last data check: there was none), which a start with its data checks refuses on its
// walk back through those events. Every file of its data folder as it then is.
std::map<std::string, std::string> DeleteAnEventInTheMiddle(TestServer& server) {
  for (int i = 1; i <= 3; ++i) CreatedRecordId(server, "clerk", FictionalRecord(i));
  server.Stop();
  EXPECT_NO_FATAL_FAILURE(EditStoppedData(server, [](storage::Database* db) {
    DeleteStored(db, storage::Cf::kAudit, storage::EncodeU64(1));
  }));
  return FilesOf(server.config().data_dir());
}

// The offline steps that write into the data folder, each on `server`'s stopped files:
// `registryd --confirm_clock`, `--adopt_watermark` (which adopts nothing when refused) and
// `--retire_kek 1`.
std::vector<std::function<absl::Status()>> OfflineStepsWriting(const TestServer& server) {
  const registry::v1::ServerConfig config = server.config();
  return {
      [config] {
        absl::Time trusted_before;
        return server::ConfirmClock(config, SystemClock::Get(), &trusted_before);
      },
      [config] {
        bool adopted = false;
        uint64_t size = 0;
        const absl::Status s = server::AdoptWatermark(config, &adopted, &size);
        EXPECT_FALSE(adopted);
        return s;
      },
      [config] { return server::RetireKek(config, 1, SystemClock::Get()); },
  };
}

// `registryd --confirm_clock`, `--adopt_watermark` and `--retire_kek` on a folder whose audit log
// lost an event in the middle: the start refuses it (its walk back through the events since the
// last data check finds the gap), but these skipped that walk, opened the folder to write and
// wrote their step into the damaged log (a confirmation, an adopted mark, a KEK retired from the
// key file). Each is refused now as the start refuses it, in the same words, and every file of
// the folder (and the key file and the watermark) is left as it was.
TEST(AuditWatermarkServerTest, AnOfflineStepOnALogWithAnEventDeletedInTheMiddleIsRefusedUnwritten) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const std::string data_dir = server->config().data_dir();
  const std::map<std::string, std::string> before = DeleteAnEventInTheMiddle(*server);
  ASSERT_FALSE(before.empty());
  const std::string key_file = ContentOf(server->config().key_file());
  const std::string watermark = ContentOf(server->config().audit_watermark_file());
  const absl::Status started = StartWithTheDataChecks(*server);
  ASSERT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  ASSERT_THAT(std::string(started.message()), HasSubstr("the audit log is damaged at event 1 "));
  ASSERT_EQ(FilesOf(data_dir), before);

  const std::vector<std::function<absl::Status()>> steps = OfflineStepsWriting(*server);
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("step ", i));
    const absl::Status refused = steps[i]();
    EXPECT_EQ(refused.code(), absl::StatusCode::kDataLoss) << refused;
    EXPECT_EQ(refused.message(), started.message());
    EXPECT_EQ(FilesOf(data_dir), before);
    EXPECT_EQ(ContentOf(server->config().key_file()), key_file);
    EXPECT_EQ(ContentOf(server->config().audit_watermark_file()), watermark);
  }
}

// State another local account may change (here the erasure ledger and the audit watermark at
// mode 0666) is refused by a start: such an account could put back an earlier ledger or plant
// its own. `--confirm_clock`, `--adopt_watermark` and `--retire_kek` went ahead on it and wrote
// into the folder, and `--restore_backup` restored, taking the erasures to apply again from the
// ledger. Each is refused now in the start's words, and nothing is changed. `--retire_kek` of
// the current version is refused before the folder is opened to write too.
TEST(AuditWatermarkServerTest, AnOfflineStepOnStateOthersMayChangeIsRefusedUnwritten) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const std::string data_dir = server->config().data_dir();
  CreatedRecordId(*server, "clerk", FictionalRecord(1));
  server->Stop();
  const std::string retire_current =
      server::RetireKek(server->config(), 1, SystemClock::Get()).ToString();
  EXPECT_THAT(retire_current, HasSubstr("is the current one"));
  for (const std::string& file :
       {server->config().erasure_ledger_file(), server->config().audit_watermark_file()}) {
    std::filesystem::permissions(file, std::filesystem::perms::all &
                                           ~(std::filesystem::perms::owner_exec |
                                             std::filesystem::perms::group_exec |
                                             std::filesystem::perms::others_exec));
  }
  const std::map<std::string, std::string> before = FilesOf(data_dir);
  const std::string ledger = ContentOf(server->config().erasure_ledger_file());
  const absl::Status started = server->Restart();
  ASSERT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  ASSERT_THAT(std::string(started.message()), HasSubstr("writable by every local account"));

  std::vector<std::function<absl::Status()>> steps = OfflineStepsWriting(*server);
  steps.push_back([&] {
    int applied = 0;
    uint64_t lost = 0;
    std::string aside;
    server::RestoreLoss given_up;
    return server::RestoreBackup(server->config(), 1, &applied, &lost, &aside, &given_up);
  });
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("step ", i));
    const absl::Status refused = steps[i]();
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
    EXPECT_THAT(std::string(refused.message()), HasSubstr(std::string(started.message())));
    EXPECT_EQ(FilesOf(data_dir), before);
    EXPECT_EQ(ContentOf(server->config().erasure_ledger_file()), ledger);
  }
}

// `registryd --adopt_watermark` opened the folder to write before anything was checked: one it
// then refused (the watermark file unreadable, an erasure ledger that does not hold what the
// database applied) had a new MANIFEST, OPTIONS, write-ahead log and LOG written into it. It
// makes the start's read-only look first now, and a refused adoption leaves every file as it
// was.
TEST(AuditWatermarkServerTest, AnAdoptionRefusedWritesNothingIntoTheDataFolder) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const std::string data_dir = server->config().data_dir();
  const std::string id = CreatedRecordId(*server, "clerk", FictionalRecord(1));
  ASSERT_TRUE(ExpungeRecordAs(*server, "clerk", id).ok());
  server->Stop();
  const std::string mark = server->config().audit_watermark_file();
  const std::string ledger = server->config().erasure_ledger_file();
  const std::string kept_mark = ContentOf(mark);
  const std::string kept_ledger = ContentOf(ledger);
  ASSERT_FALSE(kept_ledger.empty());

  std::ofstream(mark, std::ios::trunc) << "garbage\n";
  std::map<std::string, std::string> before = FilesOf(data_dir);
  bool adopted = false;
  uint64_t size = 0;
  absl::Status refused = server::AdoptWatermark(server->config(), &adopted, &size);
  EXPECT_EQ(refused.code(), absl::StatusCode::kDataLoss) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr(absl::StrCat("move ", mark, " aside")));
  EXPECT_FALSE(adopted);
  EXPECT_EQ(FilesOf(data_dir), before);

  std::ofstream(mark, std::ios::trunc | std::ios::binary) << kept_mark;
  std::ofstream(ledger, std::ios::trunc | std::ios::binary) << "";
  before = FilesOf(data_dir);
  refused = server::AdoptWatermark(server->config(), &adopted, &size);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr("truncated, replaced or lost"));
  EXPECT_EQ(refused.message(), server->Restart().message());
  EXPECT_FALSE(adopted);
  EXPECT_EQ(FilesOf(data_dir), before);
  EXPECT_EQ(ContentOf(mark), kept_mark);
}

// `registryd --restore_backup` of a backup whose audit log lost an event since its last data
// check put it in place of the data folder, which the next start then refused. The restored copy
// is walked as the start walks it, and the restore refused with the data folder as it was.
TEST(AuditWatermarkServerTest, ARestoreOfABackupWithAnEventDeletedInTheMiddleIsRefused) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const std::string data_dir = server->config().data_dir();
  DeleteAnEventInTheMiddle(*server);
  // The test server starts without the data checks: it serves the damaged log, and backs it up.
  ASSERT_TRUE(server->Restart().ok());
  const v1::BackupInfo backup = CreatedBackup(*server);
  ASSERT_GT(backup.backup_id(), 0u);
  server->Stop();
  const std::map<std::string, std::string> before = FilesOf(data_dir);

  int applied = 0;
  const absl::Status restored =
      server::RestoreBackup(server->config(), backup.backup_id(), &applied);
  EXPECT_EQ(restored.code(), absl::StatusCode::kDataLoss) << restored;
  EXPECT_THAT(std::string(restored.message()),
              HasSubstr(absl::StrCat("backup ", backup.backup_id(), " does not open")));
  EXPECT_THAT(std::string(restored.message()), HasSubstr("the audit log is damaged at event 1 "));
  EXPECT_THAT(std::string(restored.message()), HasSubstr("was not changed"));
  EXPECT_EQ(FilesOf(data_dir), before);
}

// The same for an erasure ledger that does not hold what the database applied: an entry's MAC
// flipped, the ledger emptied, the ledger gone. Each is refused in the start's words, the data
// folder left as it was, and the ledger too (none is made where it is gone).
TEST(AuditWatermarkServerTest, AStartRefusedForAnEditedErasureLedgerWritesNothingThere) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const std::string data_dir = server->config().data_dir();
  for (int i = 1; i <= 2; ++i) {
    const std::string id = CreatedRecordId(*server, "clerk", FictionalRecord(i));
    ASSERT_TRUE(ExpungeRecordAs(*server, "clerk", id).ok());
  }
  server->Stop();
  const std::string ledger = server->config().erasure_ledger_file();
  std::string original;
  {
    std::ifstream in(ledger, std::ios::binary);
    original.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_NE(original.find('\n'), std::string::npos);
  std::string flipped = original;
  char& mac = flipped[original.find('\n') - 1];  // the first entry's MAC, lowercase hex
  mac = mac == 'a' ? 'b' : 'a';
  const struct {
    std::optional<std::string> ledger;
    absl::StatusCode code;
    std::string said;
  } cases[] = {{flipped, absl::StatusCode::kDataLoss, "entry 0 fails authentication"},
               {std::string(), absl::StatusCode::kFailedPrecondition,
                "truncated, replaced or lost"},
               {std::nullopt, absl::StatusCode::kFailedPrecondition, " is missing"}};
  for (const auto& c : cases) {
    const std::string what = c.ledger.has_value() ? absl::StrCat(c.ledger->size(), " bytes")
                                                  : std::string("gone");
    std::filesystem::remove(ledger);
    if (c.ledger.has_value()) std::ofstream(ledger, std::ios::binary) << *c.ledger;
    const std::map<std::string, std::string> before = FilesOf(data_dir);
    const absl::Status started = server->Restart();
    EXPECT_EQ(started.code(), c.code) << what << ": " << started;
    EXPECT_THAT(std::string(started.message()), HasSubstr(c.said)) << what;
    EXPECT_THAT(std::string(started.message()), HasSubstr(ledger)) << what;
    EXPECT_EQ(FilesOf(data_dir), before) << what;
    EXPECT_EQ(std::filesystem::exists(ledger), c.ledger.has_value()) << what;
  }
}

// The same copy put back with the watermark file removed (as the refusal's older wording
// suggested for a new registry): a data directory that holds events and no mark is refused, not
// taken for a first start. An operator who lost the file takes the data as it is with
// --adopt_watermark, which the audit log records; it writes nothing when the mark holds.
TEST(AuditWatermarkServerTest, AnEarlierCopyPutBackWithTheWatermarkRemovedIsRefusedUntilAdopted) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const std::string data_dir = server->config().data_dir();
  const std::string older = server->dir() + "/older-data";
  const v1::CreateRecordRequest later = CopyThenEnterAnother(*server, older);
  server->Stop();

  std::filesystem::remove_all(data_dir);
  std::filesystem::copy(older, data_dir, std::filesystem::copy_options::recursive);
  ASSERT_TRUE(std::filesystem::remove(server->config().audit_watermark_file()));
  const absl::Status started = server->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
  EXPECT_THAT(std::string(started.message()), HasSubstr("is missing"));
  EXPECT_THAT(std::string(started.message()), HasSubstr("--adopt_watermark"));
  EXPECT_FALSE(std::filesystem::exists(server->config().audit_watermark_file()));
  // --check_config and the offline data check say the same.
  absl::StatusOr<storage::DataCheckReport> report = server::VerifyDataOffline(server->config());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->problems, ::testing::Contains(HasSubstr("is missing")));

  bool adopted = false;
  uint64_t size = 0;
  ASSERT_TRUE(server::AdoptWatermark(server->config(), &adopted, &size).ok());
  EXPECT_TRUE(adopted);
  ASSERT_TRUE(MarkOf(*server).has_value());
  EXPECT_EQ(MarkOf(*server)->size, size);
  ASSERT_TRUE(server->Restart().ok()) << "refused after --adopt_watermark";
  EXPECT_EQ(VetAs(*server, "vetting", later.person()), v1::VETTING_RESULT_CLEAR);
  const v1::AuditEvent adoption = StoredEvent(*server, size - 1);
  EXPECT_EQ(adoption.actor(), "system:watermark");
  EXPECT_EQ(adoption.action(), "adopt-watermark");
  EXPECT_EQ(adoption.reference(),
            absl::StrCat("the log at size ", size - 1, " taken as the watermark; before: no "
                         "watermark"));
  server->Stop();
  const uint64_t before = MarkOf(*server)->size;
  ASSERT_TRUE(server::AdoptWatermark(server->config(), &adopted, &size).ok());
  EXPECT_FALSE(adopted);
  EXPECT_EQ(MarkOf(*server)->size, before);
}

// A watermark file with garbage in it stopped the start and --adopt_watermark alike with
// "malformed" and nothing more. Both now say the way out, and it works: --adopt_watermark still
// refuses the unreadable mark (it may have been ahead of the log), the file moved aside on
// purpose is adopted as a lost one is, and the adoption is in the audit log.
TEST(AuditWatermarkServerTest, AWatermarkThatCannotBeReadIsRefusedWithAWayOutThatWorks) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  CreatedRecordId(*server, "clerk", FictionalRecord(1));
  server->Stop();
  const std::string mark = server->config().audit_watermark_file();
  std::ofstream(mark, std::ios::trunc) << "garbage\n";

  const absl::Status started = server->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_THAT(std::string(started.message()), HasSubstr("must not be edited"));
  bool adopted = false;
  uint64_t size = 0;
  const absl::Status refused = server::AdoptWatermark(server->config(), &adopted, &size);
  EXPECT_EQ(refused.code(), absl::StatusCode::kDataLoss) << refused;
  EXPECT_THAT(std::string(refused.message()), HasSubstr(absl::StrCat("move ", mark, " aside")));
  EXPECT_FALSE(adopted);

  std::filesystem::rename(mark, mark + ".damaged");
  ASSERT_TRUE(server::AdoptWatermark(server->config(), &adopted, &size).ok());
  EXPECT_TRUE(adopted);
  ASSERT_TRUE(server->Restart().ok()) << "refused after --adopt_watermark";
  EXPECT_EQ(StoredEvent(*server, size - 1).action(), "adopt-watermark");
}

TEST(AuditWatermarkServerTest, AStartOnAFolderWithoutADatabaseMakesNoneThereAndSaysCheckDataDir) {
  // A mistyped data_dir (or a folder moved away): the start refuses before it makes a database
  // there, says so, and leaves nothing behind that a second start would take for rolled back.
  std::unique_ptr<TestServer> server = TestServer::Start();
  CreatedRecordId(*server, "clerk", FictionalRecord(1));
  const std::string data_dir = server->config().data_dir();
  server->Stop();
  const std::string moved = server->dir() + "/moved-data";
  std::filesystem::rename(data_dir, moved);
  for (int attempt = 0; attempt < 2; ++attempt) {
    const absl::Status started = server->Restart();
    EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition) << started;
    EXPECT_THAT(std::string(started.message()), HasSubstr("holds no database"));
    EXPECT_THAT(std::string(started.message()), HasSubstr("check data_dir in the config"));
    EXPECT_THAT(std::string(started.message()), HasSubstr("nothing was created there"));
    EXPECT_FALSE(storage::Database::Exists(data_dir)) << "attempt " << attempt;
  }
  // Put back where the config says, it starts.
  std::filesystem::rename(moved, data_dir);
  ASSERT_TRUE(server->Restart().ok());
}

TEST(AuditWatermarkServerTest, TheMarkFollowsTheLogWhileTheServerRuns) {
  TestServerOptions options;
  options.watermark_interval = absl::Milliseconds(10);
  std::unique_ptr<TestServer> server = TestServer::Start(std::move(options));
  CreatedRecordId(*server, "clerk", FictionalRecord(1));
  const uint64_t size = server->server()->audit_log()->CurrentHead().size;
  // Waits for the writer, not for a time: it is done when the file holds the head.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  std::optional<storage::AuditWatermark::Mark> mark;
  while ((mark = MarkOf(*server), !mark.has_value() || mark->size < size) &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_TRUE(mark.has_value());
  EXPECT_GE(mark->size, size);
}

// A finding of `admin verify-data` that could change a vetting answer is in the watermark file
// when the call is answered, not one watermark interval later: a crash meanwhile would have
// started the registry again without it, answering vetting checks from the damaged data.
TEST(AuditWatermarkServerTest, AnAdminDataChecksFindingIsKeptBesideTheKeyFileBeforeItsReply) {
  std::unique_ptr<TestServer> server = TestServer::Start();  // the mark: at start and stop only
  ASSERT_NO_FATAL_FAILURE(EnterARecordThenDeleteItsVersionsWhileStopped(*server));
  ASSERT_TRUE(server->Restart().ok());
  ASSERT_TRUE(MarkOf(*server).has_value());
  EXPECT_FALSE(MarkOf(*server)->index_broken);
  EXPECT_GT(VerifiedData(*server).problem_count(), 0u);
  // Read while the registry runs, as the start after a crash would read it.
  ASSERT_TRUE(MarkOf(*server).has_value());
  EXPECT_TRUE(MarkOf(*server)->index_broken);
}

TEST(AuditWatermarkServerTest, ARestoreGoesBackOnPurposeAndSaysWhatItGaveUp) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  CreatedRecordId(*server, "clerk", FictionalRecord(1));
  const v1::BackupInfo backup = CreatedBackup(*server);
  ASSERT_GT(backup.backup_id(), 0u);
  CreatedRecordId(*server, "clerk", FictionalRecord(2));
  server->Stop();
  const uint64_t before = MarkOf(*server)->size;
  uint64_t lost = 0;
  server::RestoreLoss loss;
  ASSERT_NO_FATAL_FAILURE(RestoreSayingWhatWasLost(*server, backup.backup_id(), &lost, &loss));
  EXPECT_FALSE(loss.other_branch);
  ASSERT_TRUE(MarkOf(*server).has_value());
  EXPECT_LT(MarkOf(*server)->size, before);
  // The new mark holds the restored log and the event that records the restore.
  EXPECT_EQ(lost, before - (MarkOf(*server)->size - 1));
  EXPECT_GE(lost, 2u);  // at least the second record's creation and the backup's own event
  ASSERT_TRUE(server->Restart().ok());
}

// Backup 1, then backup 2 with more events; backup 1 restored (giving up backup 2's branch);
// the registry started and stopped again on the new branch. `backup_2_size` receives the size
// of backup 2's log, `parting` the size of backup 1's (the first events the branches share),
// and `live` the size of the log on the new branch.
struct Branches {
  v1::BackupInfo first;
  v1::BackupInfo second;
  uint64_t parting = 0;
  uint64_t live = 0;
};

Branches LeaveABranch(TestServer& server) {
  Branches b;
  CreatedRecordId(server, "clerk", FictionalRecord(1));
  b.first = CreatedBackup(server);
  for (int i = 2; i <= 5; ++i) CreatedRecordId(server, "clerk", FictionalRecord(i));
  b.second = CreatedBackup(server);
  server.Stop();
  uint64_t lost = 0;
  server::RestoreLoss loss;
  EXPECT_NO_FATAL_FAILURE(RestoreSayingWhatWasLost(server, b.first.backup_id(), &lost, &loss));
  // The plain going back: backup 1's log is the first part of the one it replaces.
  EXPECT_GT(lost, 0u);
  EXPECT_FALSE(loss.other_branch);
  EXPECT_EQ(loss.events, lost);
  EXPECT_EQ(loss.said, "");
  b.parting = MarkOf(server)->size - 1;  // the restore's own event follows the backup's log
  EXPECT_TRUE(server.Restart().ok());
  for (int i = 6; i <= 7; ++i) CreatedRecordId(server, "clerk", FictionalRecord(i));
  server.Stop();
  b.live = MarkOf(server)->size;  // written as it stopped: the log's head
  return b;
}

// Restoring backup 2 then, made before backup 1's restore on the branch it gave up, said
// nothing was lost ("0 events written after it given up"): only sizes were compared, and
// backup 2's log is longer than the one it replaced. Every event written since the branches
// parted was given up unsaid (an auditor's next verify found a forked head). It is said now,
// with where the two part, in what the restore returns and in its audit event.
TEST(AuditWatermarkServerTest, ARestoreOfABackupFromAnAbandonedBranchSaysWhereTheLogsPart) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const Branches b = LeaveABranch(*server);
  uint64_t lost = 0;
  server::RestoreLoss loss;
  ASSERT_NO_FATAL_FAILURE(RestoreSayingWhatWasLost(*server, b.second.backup_id(), &lost, &loss));
  const uint64_t restored = MarkOf(*server)->size - 1;
  ASSERT_GT(restored, b.live) << "backup 2 holds more events than the log it replaces";
  ASSERT_GT(b.live - b.parting, 1u);
  EXPECT_TRUE(loss.other_branch);
  ASSERT_TRUE(loss.shared.has_value());
  EXPECT_EQ(*loss.shared, b.parting);
  EXPECT_EQ(loss.events, b.live - b.parting);
  EXPECT_EQ(lost, loss.events);
  const std::string said =
      absl::StrCat("backup ", b.second.backup_id(), " is from another branch of the audit log: "
                   "the ", b.live - b.parting, " events the log held after its first ", b.parting,
                   " (where the two part) are given up");
  EXPECT_EQ(loss.said, said);
  ASSERT_TRUE(server->Restart().ok());
  const v1::AuditEvent event = StoredEvent(*server, restored);
  EXPECT_EQ(event.actor(), "system:restore");
  EXPECT_THAT(event.reference(), HasSubstr(said));
  EXPECT_THAT(event.reference(), ::testing::Not(HasSubstr("0 events written after it")));
}

// The other way round: the new branch grew past backup 2, which a size comparison took for a
// plain going back by the difference, where everything since the parting is given up.
TEST(AuditWatermarkServerTest, ARestoreOfAShorterBackupFromAnAbandonedBranchCountsFromThePart) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  Branches b = LeaveABranch(*server);
  ASSERT_TRUE(server->Restart().ok());
  for (int i = 20; i < 30; ++i) CreatedRecordId(*server, "clerk", FictionalRecord(i));
  server->Stop();
  b.live = MarkOf(*server)->size;
  uint64_t lost = 0;
  server::RestoreLoss loss;
  ASSERT_NO_FATAL_FAILURE(RestoreSayingWhatWasLost(*server, b.second.backup_id(), &lost, &loss));
  ASSERT_LT(MarkOf(*server)->size - 1, b.live);
  EXPECT_TRUE(loss.other_branch);
  EXPECT_EQ(loss.shared, std::optional<uint64_t>(b.parting));
  EXPECT_EQ(lost, b.live - b.parting);
}

// With the data folder it replaces gone (often why a restore is run), the watermark alone still
// tells another branch when the backup's log reaches its size: its root there is another.
TEST(AuditWatermarkServerTest, ARestoreFromAnotherBranchIsSaidWhenTheDataFolderIsGone) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const Branches b = LeaveABranch(*server);
  std::filesystem::rename(server->config().data_dir(), server->dir() + "/lost-data");
  uint64_t lost = 0;
  server::RestoreLoss loss;
  ASSERT_NO_FATAL_FAILURE(RestoreSayingWhatWasLost(*server, b.second.backup_id(), &lost, &loss));
  EXPECT_TRUE(loss.other_branch);
  EXPECT_FALSE(loss.shared.has_value());
  EXPECT_EQ(lost, b.live);
  EXPECT_THAT(loss.said, HasSubstr("is from another branch of the audit log"));
  EXPECT_THAT(loss.said, HasSubstr(absl::StrCat("up to ", b.live, " events are given up")));
}

// A start refused because the database cannot be opened for another reason than a foreign
// write-ahead log (a table file deleted) made the writable open after the read-only look, which
// failed too but rotated LOG to LOG.old.<microseconds> and wrote a new LOG into the folder kept
// for the investigation, at every restart (a service manager restarts every few seconds: files
// without limit). Every file of the folder, names and bytes, stays as it was, start after start.
TEST(AuditWatermarkServerTest, AStartRefusedForADeletedTableFileWritesNothingThere) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const std::string data_dir = server->config().data_dir();
  for (int i = 1; i <= 3; ++i) CreatedRecordId(*server, "clerk", FictionalRecord(i));
  server->Stop();
  ASSERT_NO_FATAL_FAILURE(
      EditStoppedData(*server, [](storage::Database* db) { ASSERT_TRUE(db->Flush().ok()); }));
  std::string table;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir)) {
    if (entry.path().extension() == ".sst") table = entry.path().string();
  }
  ASSERT_FALSE(table.empty());
  ASSERT_TRUE(std::filesystem::remove(table));
  const std::map<std::string, std::string> before = FilesOf(data_dir);
  for (int start = 0; start < 3; ++start) {
    SCOPED_TRACE(start);
    const absl::Status started = server->Restart();
    EXPECT_FALSE(started.ok());
    EXPECT_EQ(FilesOf(data_dir), before);
  }
}

// `registryd --restore_backup` under a config whose data_dir differs from the running registry's
// but which names the same key folder (erasure ledger, audit watermark) went ahead while the
// registry ran, and put the running registry's watermark back to the backup's log: that registry
// then no longer started. It is refused, naming the running registry's lock and saying to stop it
// first; the watermark is as it was, and the registry starts again.
TEST(AuditWatermarkServerTest, ARestoreBesideARunningRegistryWithItsKeyFolderIsRefused) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  CreatedRecordId(*server, "clerk", FictionalRecord(1));
  CreatedBackup(*server);
  CreatedRecordId(*server, "clerk", FictionalRecord(2));
  registry::v1::ServerConfig other = server->config();
  other.set_data_dir(server->dir() + "/another-data");
  std::string json;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(other, &json, o).ok());
  const std::string config = server->dir() + "/another-config.json";
  std::ofstream(config) << json;
  const std::string watermark = ContentOf(server->config().audit_watermark_file());
  const std::string ledger = ContentOf(server->config().erasure_ledger_file());
  const std::string printed = server->dir() + "/restore-output.txt";
  const int status = std::system(absl::StrCat(REGISTRY_BINARY_DIR, "/registryd --config ",
                                              config, " --restore_backup 0 > ", printed, " 2>&1")
                                     .c_str());
  const std::string out = ContentOf(printed);
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 1) << out;
  EXPECT_THAT(out, HasSubstr(storage::KeyFolderLock::LockPathOf(
                       server->config().erasure_ledger_file())));
  EXPECT_THAT(out, HasSubstr("stop that registryd first"));
  EXPECT_FALSE(std::filesystem::exists(other.data_dir()));
  EXPECT_EQ(ContentOf(server->config().audit_watermark_file()), watermark);
  EXPECT_EQ(ContentOf(server->config().erasure_ledger_file()), ledger);
  server->Stop();
  ASSERT_TRUE(server->Restart().ok());
}


// The status code of a consented vetting check of `person` by the vetting organisation.
grpc::StatusCode VetCodeOf(const TestServer& server, const v1::Person& person) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::VettingCheckResponse resp;
  return v1::VettingService::NewStub(server.Channel("vetting"))
      ->VettingCheck(&ctx, CandidateOf(person), &resp)
      .error_code();
}

// Replaces the file at `path` with `content` (what an operator's copy back does).
void PutBack(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  ASSERT_EQ(ContentOf(path), content);
}

// An index row deleted, the seal row of an earlier copy of the folder put back (it matches the
// rows left) and that copy's watermark put back beside the key file: each is consistent with the
// others, and the start took them, answering CLEAR for a person with a conviction. The mark is
// older than any crash leaves it (the newest event is an hour after it): refused at start.
TEST(AuditWatermarkServerTest, AnOlderWatermarkPutBackWithAnOlderSealAndIndexRowsDeletedIsRefused) {
  FakeClock clock(absl::Now());
  std::unique_ptr<TestServer> server = TestServer::Start(TestServerOptions::OnClock(&clock));
  CreatedRecordId(*server, "clerk", FictionalRecord(1));
  StoredRows seal;
  std::set<std::string> index_rows;
  ASSERT_NO_FATAL_FAILURE(CopySealAndIndexKeysWhileStopped(*server, &seal, &index_rows));
  ASSERT_EQ(seal.size(), 1u);
  const std::string path = server->config().audit_watermark_file();
  const std::string older = ContentOf(path);
  const uint64_t older_size = MarkOf(*server)->size;
  clock.Advance(absl::Hours(1));
  ASSERT_TRUE(server->Restart().ok());
  const v1::CreateRecordRequest later = FictionalRecord(2);
  CreatedRecordId(*server, "clerk", later);
  ASSERT_EQ(VetAs(*server, "vetting", later.person()), v1::VETTING_RESULT_NOT_CLEAR);
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server, [&](storage::Database* db) {
    for (const auto& row : CopyRows(db, {storage::Cf::kIndex})) {
      if (index_rows.count(row.second.first) == 0) DeleteStored(db, row.first, row.second.first);
    }
    PutRows(db, seal);
  }));
  ASSERT_NO_FATAL_FAILURE(PutBack(path, older));

  const absl::Status started = server->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_THAT(std::string(started.message()), HasSubstr(path));
  EXPECT_THAT(std::string(started.message()),
              HasSubstr(absl::StrCat("when the audit log held ", older_size, " events")));
  EXPECT_THAT(std::string(started.message()), HasSubstr("--adopt_watermark"));
  // The offline data check names it too.
  absl::StatusOr<storage::DataCheckReport> report = server::VerifyDataOffline(server->config());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->problems, ::testing::Contains(HasSubstr("put back from an earlier time")));
}

// A data check's finding that breaks the index is in the audit log too: the watermark file put
// back from before the check (which does not keep it) no longer lifts it at the next start.
TEST(AuditWatermarkServerTest, AWatermarkFromBeforeADataChecksFindingPutBackKeepsVettingRefused) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const v1::CreateRecordRequest record = FictionalRecord(1);
  ASSERT_NO_FATAL_FAILURE(EnterARecordThenDeleteItsVersionsWhileStopped(*server));
  const std::string path = server->config().audit_watermark_file();
  const std::string before = ContentOf(path);
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_GT(VerifiedData(*server).problem_count(), 0u);
  EXPECT_EQ(VetCodeOf(*server, record.person()), grpc::StatusCode::DATA_LOSS);
  server->Stop();
  ASSERT_TRUE(MarkOf(*server)->index_broken);
  ASSERT_NO_FATAL_FAILURE(PutBack(path, before));
  ASSERT_FALSE(MarkOf(*server)->index_broken);

  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(VetCodeOf(*server, record.person()), grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(VetCodeOf(*server, FictionalRecord(3).person()), grpc::StatusCode::DATA_LOSS);
  // And the mark keeps it again.
  server->Stop();
  EXPECT_TRUE(MarkOf(*server)->index_broken);
}

// --adopt_watermark after the watermark was deleted never re-runs the data check: the finding
// the log keeps goes into the mark it writes.
TEST(AuditWatermarkServerTest, AnAdoptionAfterTheWatermarkWasDeletedKeepsTheFinding) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  const v1::CreateRecordRequest record = FictionalRecord(1);
  ASSERT_NO_FATAL_FAILURE(EnterARecordThenDeleteItsVersionsWhileStopped(*server));
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_GT(VerifiedData(*server).problem_count(), 0u);
  server->Stop();
  std::filesystem::remove(server->config().audit_watermark_file());
  bool adopted = false;
  uint64_t size = 0;
  const absl::Status status = server::AdoptWatermark(server->config(), &adopted, &size);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_TRUE(adopted);
  ASSERT_TRUE(MarkOf(*server).has_value());
  EXPECT_TRUE(MarkOf(*server)->index_broken);
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(VetCodeOf(*server, record.person()), grpc::StatusCode::DATA_LOSS);
}

// What a crash leaves: the mark written, then events (here a record, half a minute later), then
// a start without the mark having followed them. Within the slack, the start takes it and
// answers from the data there is.
TEST(AuditWatermarkServerTest, AStartAfterACrashWithinTheSlackStillStarts) {
  FakeClock clock(absl::Now());
  std::unique_ptr<TestServer> server = TestServer::Start(TestServerOptions::OnClock(&clock));
  CreatedRecordId(*server, "clerk", FictionalRecord(1));
  server->Stop();
  const std::string path = server->config().audit_watermark_file();
  const std::string at_stop = ContentOf(path);
  ASSERT_TRUE(server->Restart().ok());
  clock.Advance(absl::Seconds(30));
  const v1::CreateRecordRequest later = FictionalRecord(2);
  CreatedRecordId(*server, "clerk", later);
  server->Stop();
  const uint64_t head = MarkOf(*server)->size;
  // As the file was when the crash came: before the start and the record.
  ASSERT_NO_FATAL_FAILURE(PutBack(path, at_stop));
  ASSERT_LT(MarkOf(*server)->size, head);

  const absl::Status started = server->Restart();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_EQ(VetAs(*server, "vetting", later.person()), v1::VETTING_RESULT_NOT_CLEAR);
}

// Whether the log holds an index-seal-broken event; its reference in *reference.
bool SealBrokenEventOf(TestServer& server, std::string* reference = nullptr) {
  for (const v1::AuditEvent& event : StoredEventsOf(server, "system:index-seal")) {
    if (event.action() != "index-seal-broken") continue;
    if (reference != nullptr) *reference = event.reference();
    return true;
  }
  return false;
}

// A conviction entered after the watermark file and the seal row were copied (within the slack
// a crash is allowed, so the start takes the mark for a crash's), its index rows deleted while
// stopped and the seal row and the watermark put back from before it: the seal matches the rows
// left and binds the generation the mark binds, and the start answered CLEAR for that person.
// The records the events past the mark wrote are checked at start: every vetting check is
// refused, in an index-seal-broken event naming the events, and the mark keeps it.
TEST(AuditWatermarkServerTest, IndexRowsDeletedWithTheSealAndWatermarkPutBackWithinTheSlackBreak) {
  FakeClock clock(absl::Now());
  std::unique_ptr<TestServer> server = TestServer::Start(TestServerOptions::OnClock(&clock));
  const v1::CreateRecordRequest earlier = FictionalRecord(1);
  CreatedRecordId(*server, "clerk", earlier);
  StoredRows seal;
  std::set<std::string> index_rows;
  ASSERT_NO_FATAL_FAILURE(CopySealAndIndexKeysWhileStopped(*server, &seal, &index_rows));
  ASSERT_EQ(seal.size(), 1u);
  const std::string path = server->config().audit_watermark_file();
  const std::string older = ContentOf(path);
  const uint64_t older_size = MarkOf(*server)->size;
  ASSERT_TRUE(server->Restart().ok());
  clock.Advance(absl::Seconds(20));
  const v1::CreateRecordRequest later = FictionalRecord(2);
  CreatedRecordId(*server, "clerk", later);
  ASSERT_EQ(VetAs(*server, "vetting", later.person()), v1::VETTING_RESULT_NOT_CLEAR);
  size_t deleted = 0;
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server, [&](storage::Database* db) {
    for (const auto& row : CopyRows(db, {storage::Cf::kIndex})) {
      if (index_rows.count(row.second.first) > 0) continue;
      DeleteStored(db, row.first, row.second.first);
      ++deleted;
    }
    PutRows(db, seal);
  }));
  ASSERT_GT(deleted, 0u);
  ASSERT_NO_FATAL_FAILURE(PutBack(path, older));

  const absl::Status started = server->Restart();
  ASSERT_TRUE(started.ok()) << started;
  for (const v1::Person& person :
       {later.person(), earlier.person(), FictionalRecord(3).person()}) {
    EXPECT_EQ(VetCodeOf(*server, person), grpc::StatusCode::DATA_LOSS);
  }
  std::string reference;
  ASSERT_TRUE(SealBrokenEventOf(*server, &reference));
  EXPECT_THAT(reference, HasSubstr("past the audit watermark"));
  EXPECT_THAT(reference, HasSubstr(absl::StrCat("audit events ", older_size, " to ")));
  EXPECT_THAT(reference, HasSubstr("wrote 1 record, with "));
  server->Stop();
  EXPECT_TRUE(MarkOf(*server)->index_broken);
  // With a watermark that keeps no finding (written anew at the head), the audit log keeps it.
  ASSERT_NO_FATAL_FAILURE(ForgeWatermark(*server));
  ASSERT_FALSE(MarkOf(*server)->index_broken);
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(VetCodeOf(*server, later.person()), grpc::StatusCode::DATA_LOSS);
}

// An honest crash right after writes (the mark left before a create, an amendment and an
// expunge, as the file was when the crash came): each record is as its event left it, so the
// start takes the log, breaks nothing and answers.
TEST(AuditWatermarkServerTest, AStartAfterACrashRightAfterWritesChecksTheirRecordsAndAnswers) {
  FakeClock clock(absl::Now());
  std::unique_ptr<TestServer> server = TestServer::Start(TestServerOptions::OnClock(&clock));
  const std::string amended = CreatedRecordId(*server, "clerk", FictionalRecord(1));
  const std::string expunged = CreatedRecordId(*server, "clerk", FictionalRecord(3));
  server->Stop();
  const std::string path = server->config().audit_watermark_file();
  const std::string at_stop = ContentOf(path);
  ASSERT_TRUE(server->Restart().ok());
  clock.Advance(absl::Seconds(10));
  ASSERT_NO_FATAL_FAILURE(AmendAddressByCourtNotice(*server, amended));
  ASSERT_TRUE(ExpungeRecordAs(*server, "clerk", expunged).ok());
  const v1::CreateRecordRequest later = FictionalRecord(2);
  CreatedRecordId(*server, "clerk", later);
  server->Stop();
  ASSERT_NO_FATAL_FAILURE(PutBack(path, at_stop));

  const absl::Status started = server->Restart();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_EQ(VetAs(*server, "vetting", later.person()), v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_EQ(VetAs(*server, "vetting", FictionalRecord(1).person()),
            v1::VETTING_RESULT_NOT_CLEAR);
  EXPECT_FALSE(SealBrokenEventOf(*server));
  server->Stop();
  EXPECT_FALSE(MarkOf(*server)->index_broken);
}

// A watermark file put back from an earlier copy while registryd runs, with nothing written
// since the mark's last writing, was left as it was at a clean stop (only a mark that had moved
// was written): the stop writes the mark it holds whatever it says.
TEST(AuditWatermarkServerTest, AWatermarkFilePutBackWhileRunningIsWrittenOverAtAStop) {
  std::unique_ptr<TestServer> server = TestServer::Start();
  CreatedRecordId(*server, "clerk", FictionalRecord(1));
  server->Stop();
  const std::string path = server->config().audit_watermark_file();
  const std::string older = ContentOf(path);
  ASSERT_TRUE(server->Restart().ok());
  CreatedRecordId(*server, "clerk", FictionalRecord(2));
  server->Stop();
  ASSERT_TRUE(server->Restart().ok());
  // The mark the stop wrote is at the head: nothing has moved since.
  const uint64_t size = AuditLogSize(*server);
  ASSERT_EQ(MarkOf(*server)->size, size);
  ASSERT_NO_FATAL_FAILURE(PutBack(path, older));
  ASSERT_LT(MarkOf(*server)->size, size);
  server->Stop();
  EXPECT_NE(ContentOf(path), older);
  EXPECT_GE(MarkOf(*server)->size, size);
  ASSERT_TRUE(server->Restart().ok());
}

}  // namespace
}  // namespace registry::testing
