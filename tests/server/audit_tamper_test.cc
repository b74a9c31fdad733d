// The auditor's verifier (client/audit_verifier.h, over gRPC) against tampering done directly in
// the server's RocksDB files: an edited, deleted or reordered event, a truncated log whose tree
// was rebuilt to match, and a forked history. Each case starts from a fresh server with about 40
// events and a state file from one successful full verification.
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/audit_verifier.h"
#include "client/connection.h"
#include "client/grpc_audit_log_source.h"
#include "common/clock.h"
#include "crypto/blind_index.h"
#include "crypto/merkle.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/key_file.h"
#include "server/registry_server.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/audit_verify.h"
#include "tests/testing/clients.h"
#include "tests/testing/methods.h"
#include "tests/testing/outcome.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

namespace merkle = crypto::merkle;
using client::AuditState;
using client::AuditVerification;
using client::AuditVerifyOptions;
using storage::Cf;
using storage::Database;
using storage::EncodeU64;

class AuditTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_dir_ = testing::MakeTempDir("audit-tamper-state");
    state_path_ = state_dir_ + "/state/audit-state.json";
    StartServer();
    GenerateEvents();
    // One clean full verification pins the key and records the head.
    absl::StatusOr<AuditVerification> first = Verify(std::nullopt);
    ASSERT_TRUE(first.ok()) << first.status();
    ASSERT_TRUE(client::SaveAuditState(state_path_, first->state).ok());
    verified_size_ = first->log.verified_head().tree_size();
    ASSERT_GE(verified_size_, 40u);
  }

  void TearDown() override {
    server_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(state_dir_, ignored);
  }

  // Starts the server; then SetUp makes the events and saves one clean full verification.
  virtual void StartServer() { server_ = TestServer::Start(); }

  // About forty calls of every kind.
  void GenerateEvents() {
    auto clerk = v1::RecordService::NewStub(server_->Channel("clerk"));
    auto court = v1::RecordService::NewStub(server_->Channel("court"));
    auto vetting = v1::VettingService::NewStub(server_->Channel("vetting"));
    std::vector<std::string> ids;
    for (int i = 0; i < 10; ++i) {
      v1::CreateRecordResponse created;
      grpc::Status s =
          clerk->CreateRecord(NewCallContext().get(), testing::FictionalRecord(i), &created);
      ASSERT_TRUE(s.ok()) << s.error_message();
      ids.push_back(created.record_id());
    }
    for (int i = 0; i < 20; ++i) {
      v1::GetRecordRequest req;
      req.set_record_id(ids[i % ids.size()]);
      req.mutable_purpose()->set_case_reference(absl::StrCat("PKR ", i, "/2026"));
      req.mutable_purpose()->set_purpose_code("criminal_proceedings");
      v1::GetRecordResponse got;
      grpc::Status s = court->GetRecord(NewCallContext().get(), req, &got);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    for (int i = 0; i < 10; ++i) {
      const v1::Person person = testing::FictionalRecord(i).person();
      const v1::VettingCheckRequest req =
          testing::CandidateOf(person, absl::StrCat("CONSENT-", i));
      v1::VettingCheckResponse checked;
      grpc::Status s = vetting->VettingCheck(NewCallContext().get(), req, &checked);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  // A full verification through the gRPC source as the auditor, from `previous`.
  absl::StatusOr<AuditVerification> Verify(const std::optional<AuditState>& previous,
                                           bool full = true) {
    return testing::VerifyAuditLogOver(server_->Channel("auditor"), previous, "audit-tamper-test",
                                       full);
  }

  // Verifies from the saved state file.
  absl::StatusOr<AuditVerification> VerifyFromState(bool full = true) {
    absl::StatusOr<std::optional<AuditState>> state = client::LoadAuditState(state_path_);
    EXPECT_TRUE(state.ok()) << state.status();
    EXPECT_TRUE(state.ok() && state->has_value());
    if (!state.ok()) return state.status();
    return Verify(*state, full);
  }

  // Stops the server and opens its database for direct edits.
  std::unique_ptr<Database> StopAndOpenDatabase() {
    server_->Stop();
    return testing::OpenStoppedDatabase(*server_);
  }

  // The audit log's key, from the server's key file: edits made with it are a key holder's (a
  // registry operator rewriting its own log, or an intruder who also took the key file), which
  // only the auditors' saved heads can catch. Without it, events can be neither read nor
  // written, and the server refuses a log whose state was changed
  // (ARewriteWithoutTheKeyFileStopsTheServer, EventEditedWithoutTheKeyFileIsNamedByTheServer).
  crypto::SecretBytes LogKey() const { return testing::AuditLogKeyOf(*server_); }

  // Every stored event, opened with the key.
  std::vector<std::string> AllEvents(Database* db) const {
    std::vector<std::string> events;
    auto it = db->NewIterator(Cf::kAudit);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const uint64_t index = storage::DecodeU64(absl::string_view(it->key().data(), 8));
      EXPECT_EQ(index, events.size());
      events.push_back(OpenEvent(index, it->value()));
    }
    return events;
  }

  std::string OpenEvent(uint64_t index, absl::string_view stored) const {
    absl::StatusOr<std::string> opened = storage::AuditLog::OpenEvent(LogKey(), index, stored);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.value_or("");
  }

  std::string SealEvent(uint64_t index, absl::string_view bytes) const {
    absl::StatusOr<std::string> sealed = storage::AuditLog::SealEvent(LogKey(), index, bytes);
    EXPECT_TRUE(sealed.ok()) << sealed.status();
    return sealed.value_or("");
  }

  // Event `index` as a key holder reads it, and writes it back.
  std::string GetEvent(Database* db, uint64_t index) const {
    return OpenEvent(index, Get(db, Cf::kAudit, EncodeU64(index)));
  }
  void PutEvent(Database* db, uint64_t index, const std::string& bytes) const {
    Put(db, Cf::kAudit, EncodeU64(index), SealEvent(index, bytes));
  }

  static std::string Get(Database* db, Cf cf, const std::string& key) {
    absl::StatusOr<std::optional<std::string>> v = db->Get(cf, key);
    EXPECT_TRUE(v.ok() && v->has_value()) << key.size();
    return v.ok() && v->has_value() ? **v : "";
  }

  static void Put(Database* db, Cf cf, const std::string& key, const std::string& value) {
    storage::Batch batch;
    batch.Put(cf, key, value);
    ASSERT_TRUE(db->Write(batch).ok());
  }

  // Authenticates the stored tree state as registryd would, with the key from the server's key
  // file (LogKey).
  void SealWithTheKeyFile(Database* db) {
    ASSERT_TRUE(storage::AuditLog::SealStoredState(db, LogKey()).ok());
  }

  // Replaces the whole stored log by `events` (sealed with LogKey) with a matching Merkle tree
  // and frontier, in the layout of storage/audit_log.h, to make the server itself serve a
  // self-consistent but different log (its state sealed afterwards with SealWithTheKeyFile).
  void RewriteLog(Database* db, const std::vector<std::string>& events) const {
    storage::Batch batch;
    for (Cf cf : {Cf::kAudit, Cf::kMerkle}) {
      auto it = db->NewIterator(cf);
      for (it->SeekToFirst(); it->Valid(); it->Next()) batch.Delete(cf, it->key());
    }
    merkle::CompactRange range;
    for (size_t i = 0; i < events.size(); ++i) {
      batch.Put(Cf::kAudit, EncodeU64(i), SealEvent(i, events[i]));
      range.Append(merkle::HashLeaf(events[i]),
                   [&](int level, uint64_t index, absl::string_view hash) {
                     std::string key(1, static_cast<char>(level));
                     key += EncodeU64(index);
                     batch.Put(Cf::kMerkle, key, hash);
                   });
    }
    batch.Put(Cf::kMeta, "audit/frontier", range.Serialize());
    ASSERT_TRUE(db->Write(batch).ok());
  }

  // Changes one character of the event's first record id (every event generated here names a
  // record); the bytes still parse.
  static std::string EditRecordId(const std::string& bytes) {
    v1::AuditEvent event;
    EXPECT_TRUE(event.ParseFromString(bytes));
    EXPECT_GT(event.record_ids_size(), 0);
    if (event.record_ids_size() == 0) return bytes;
    std::string id = event.record_ids(0);
    id[0] = id[0] == 'a' ? 'b' : 'a';
    event.set_record_ids(0, id);
    return storage::SerializeEvent(event);
  }

  static void ExpectDataLossMentioning(const absl::StatusOr<AuditVerification>& result,
                                       absl::string_view text) {
    ASSERT_FALSE(result.ok()) << "tampering went unnoticed";
    EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss) << result.status();
    EXPECT_TRUE(absl::StrContains(result.status().message(), text)) << result.status();
  }

  std::unique_ptr<TestServer> server_;
  std::string state_dir_;
  std::string state_path_;
  uint64_t verified_size_ = 0;
};

TEST_F(AuditTamperTest, CleanLogVerifiesAgainAndAdvancesTheState) {
  absl::StatusOr<AuditVerification> again = VerifyFromState();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_GT(again->log.verified_head().tree_size(), verified_size_);
  // The pinned key is used: no trust-on-first-use note this time.
  EXPECT_TRUE(again->notes.empty());
}

TEST_F(AuditTamperTest, EditedLastEventStopsTheServerFromStarting) {
  {
    std::unique_ptr<Database> db = StopAndOpenDatabase();
    ASSERT_NE(db, nullptr);
    const std::vector<std::string> events = AllEvents(db.get());
    ASSERT_FALSE(events.empty());
    const uint64_t last = events.size() - 1;
    // The last event is the auditor's own stream call, which names no record: edit the actor.
    v1::AuditEvent event;
    ASSERT_TRUE(event.ParseFromString(events[last]));
    event.set_actor(event.actor() + "x");
    PutEvent(db.get(), last, storage::SerializeEvent(event));
  }
  EXPECT_EQ(server_->Restart().code(), absl::StatusCode::kDataLoss);
}

TEST_F(AuditTamperTest, EditedMiddleEventIsNamed) {
  constexpr uint64_t kEdited = 17;
  {
    std::unique_ptr<Database> db = StopAndOpenDatabase();
    ASSERT_NE(db, nullptr);
    const std::string original = GetEvent(db.get(), kEdited);
    const std::string edited = EditRecordId(original);
    ASSERT_NE(edited, original);
    ASSERT_EQ(edited.size(), original.size());
    PutEvent(db.get(), kEdited, edited);
  }
  // Re-sealed with the key, the event authenticates: start-up (which reads back the events since
  // the last data check) lets it pass, and the auditor's full check finds it.
  ASSERT_TRUE(server_->Restart().ok());
  ExpectDataLossMentioning(VerifyFromState(), absl::StrCat("event ", kEdited, " "));
  // Also without a saved state: the downloaded events do not match the signed root.
  ExpectDataLossMentioning(Verify(std::nullopt), absl::StrCat("event ", kEdited, " "));
}

// Without the key file an event cannot even be read, and a changed one fails authentication: the
// server stops the stream there and names it, before serving anything of it.
TEST_F(AuditTamperTest, EventEditedWithoutTheKeyFileIsNamedByTheServer) {
  constexpr uint64_t kEdited = 17;
  {
    std::unique_ptr<Database> db = StopAndOpenDatabase();
    ASSERT_NE(db, nullptr);
    std::string stored = Get(db.get(), Cf::kAudit, EncodeU64(kEdited));
    ASSERT_GT(stored.size(), 40u);
    stored[stored.size() / 2] ^= 0x20;
    Put(db.get(), Cf::kAudit, EncodeU64(kEdited), stored);
  }
  ASSERT_TRUE(server_->Restart().ok());
  ExpectDataLossMentioning(VerifyFromState(),
                           absl::StrCat("audit event ", kEdited, " fails authentication"));
}

TEST_F(AuditTamperTest, DeletedMiddleEventIsMissing) {
  constexpr uint64_t kDeleted = 20;
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(
      *server_, [&](Database* db) { testing::DeleteStored(db, Cf::kAudit, EncodeU64(kDeleted)); }));
  ASSERT_TRUE(server_->Restart().ok());
  // The server refuses to stream past the gap, and says where it is.
  ExpectDataLossMentioning(VerifyFromState(), absl::StrCat("event ", kDeleted, " is missing"));
}

// registryd (which runs the data checks) reads back at start-up every event written since the last
// data check, each authenticated: it had started and served on a deleted or edited one, logging
// the damage after "registryd serving" and writing on to the damaged log.
TEST_F(AuditTamperTest, AStartIsRefusedOverAnEventDeletedOrEditedSinceTheLastDataCheck) {
  const auto expect_start_refused_at = [&](uint64_t index) {
    server::RegistryServerOptions options;
    options.config = server_->config();
    options.start_scheduler = false;
    options.start_backup_scheduler = false;
    absl::StatusOr<std::unique_ptr<server::RegistryServer>> started =
        server::RegistryServer::Start(std::move(options));
    ASSERT_FALSE(started.ok()) << "started on a damaged audit log";
    EXPECT_EQ(started.status().code(), absl::StatusCode::kDataLoss) << started.status();
    const std::string said(started.status().message());
    EXPECT_THAT(said, ::testing::HasSubstr(
                          absl::StrCat("the audit log is damaged at event ", index, " ")));
    EXPECT_THAT(said, ::testing::HasSubstr("This is an incident"));
    EXPECT_THAT(said, ::testing::HasSubstr("`audit verify` fails"));
    EXPECT_THAT(said, ::testing::HasSubstr("registryd --verify_data"));
    EXPECT_THAT(said, ::testing::HasSubstr("restoring the last backup"));
  };
  constexpr uint64_t kEdited = 17;
  constexpr uint64_t kDeleted = 20;
  std::string original;
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](Database* db) {
    original = Get(db, Cf::kAudit, EncodeU64(kEdited));
    ASSERT_GT(original.size(), 40u);
    std::string stored = original;
    stored[stored.size() / 2] ^= 0x20;
    Put(db, Cf::kAudit, EncodeU64(kEdited), stored);
  }));
  ASSERT_NO_FATAL_FAILURE(expect_start_refused_at(kEdited));
  // The edited event put back, another deleted.
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](Database* db) {
    Put(db, Cf::kAudit, EncodeU64(kEdited), original);
    testing::DeleteStored(db, Cf::kAudit, EncodeU64(kDeleted));
  }));
  ASSERT_NO_FATAL_FAILURE(expect_start_refused_at(kDeleted));
}

// The auditor reads around a gap: a list or an export from a time after it, or up to a time
// before it, neither scans nor stops at the missing event (events are in time order, so the
// first event from a time is found without reading those before it).
TEST_F(AuditTamperTest, AReadFromATimeAfterAMissingEventOrUpToOneBeforeItIsNotStoppedByIt) {
  constexpr uint64_t kDeleted = 20;
  const std::string after = testing::StoredEvent(*server_, 30).time();
  const std::string before = testing::StoredEvent(*server_, 10).time();
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(
      *server_, [&](Database* db) { testing::DeleteStored(db, Cf::kAudit, EncodeU64(kDeleted)); }));
  ASSERT_TRUE(server_->Restart().ok());
  auto auditor = v1::AuditService::NewStub(server_->Channel("auditor"));
  const auto list = [&](const v1::AuditFilter& filter, v1::ListAuditEventsResponse* page) {
    v1::ListAuditEventsRequest request;
    *request.mutable_filter() = filter;
    request.set_page_size(1000);
    return auditor->ListAuditEvents(NewCallContext().get(), request, page);
  };
  v1::AuditFilter from;
  from.set_from_time(after);
  v1::ListAuditEventsResponse page;
  grpc::Status s = list(from, &page);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_GT(page.entries_size(), 0);
  EXPECT_GT(page.entries(0).index(), kDeleted);
  EXPECT_LE(page.entries(0).index(), 30u);
  v1::AuditFilter to;
  to.set_to_time(before);
  page.Clear();
  s = list(to, &page);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_GT(page.entries_size(), 0);
  EXPECT_LT(page.entries(page.entries_size() - 1).index(), 10u);
  EXPECT_TRUE(page.next_page_token().empty()) << "nothing after its to_time can match";
  // A read over the gap still stops there and names it.
  page.Clear();
  s = list(v1::AuditFilter(), &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr(absl::StrCat("event ", kDeleted)));
}

// An export's event is written before its first entry leaves; when the stream then breaks off
// (here at a missing event), a second event records the outcome the export actually had.
TEST_F(AuditTamperTest, AnExportThatBreaksOffRecordsItsActualOutcome) {
  constexpr uint64_t kDeleted = 20;
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(
      *server_, [&](Database* db) { testing::DeleteStored(db, Cf::kAudit, EncodeU64(kDeleted)); }));
  ASSERT_TRUE(server_->Restart().ok());
  storage::AuditLog* log = server_->server()->audit_log();
  const uint64_t before = log->CurrentHead().size;
  {
    auto ctx = NewCallContext();
    v1::ExportAuditEventsRequest req;
    req.set_recipient("Information and Privacy Agency");
    req.set_reference("IPA-2026-4");
    auto reader =
        v1::AuditService::NewStub(server_->Channel("auditor"))->ExportAuditEvents(ctx.get(), req);
    v1::AuditEntry entry;
    uint64_t received = 0;
    while (reader->Read(&entry)) ++received;
    EXPECT_EQ(received, kDeleted);
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DATA_LOSS);
  }
  ASSERT_EQ(log->CurrentHead().size, before + 2);
  v1::AuditEvent started, ended;
  ASSERT_TRUE(started.ParseFromString(*log->ReadEvent(before)));
  ASSERT_TRUE(ended.ParseFromString(*log->ReadEvent(before + 1)));
  EXPECT_EQ(started.action(), kExportAuditEventsMethod);
  EXPECT_EQ(testing::OutcomeName(started), "OK");
  EXPECT_EQ(ended.action(), started.action());
  EXPECT_EQ(ended.actor(), started.actor());
  EXPECT_EQ(ended.request_id(), started.request_id());
  EXPECT_EQ(testing::OutcomeName(ended), "DATA_LOSS");
  EXPECT_EQ(ended.reference(), absl::StrCat("outcome of event ", before));
}

TEST_F(AuditTamperTest, SwappedEventsAreCaught) {
  constexpr uint64_t kFirst = 12;
  constexpr uint64_t kSecond = 25;
  {
    std::unique_ptr<Database> db = StopAndOpenDatabase();
    ASSERT_NE(db, nullptr);
    const std::string a = GetEvent(db.get(), kFirst);
    const std::string b = GetEvent(db.get(), kSecond);
    ASSERT_NE(a, b);
    storage::Batch batch;
    batch.Put(Cf::kAudit, EncodeU64(kFirst), SealEvent(kFirst, b));
    batch.Put(Cf::kAudit, EncodeU64(kSecond), SealEvent(kSecond, a));
    ASSERT_TRUE(db->Write(batch).ok());
  }
  ASSERT_TRUE(server_->Restart().ok());
  // The first position that holds the wrong event is named.
  ExpectDataLossMentioning(VerifyFromState(), absl::StrCat("event ", kFirst, " "));
}

TEST_F(AuditTamperTest, TruncatedLogWithRebuiltTreeIsCaughtByTheSavedHead) {
  uint64_t kept = 0;
  {
    std::unique_ptr<Database> db = StopAndOpenDatabase();
    ASSERT_NE(db, nullptr);
    std::vector<std::string> events = AllEvents(db.get());
    ASSERT_GT(events.size(), 10u);
    events.resize(events.size() - 10);
    kept = events.size();
    ASSERT_LT(kept, verified_size_);
    RewriteLog(db.get(), events);
    SealWithTheKeyFile(db.get());
  }
  // The rebuilt log is self-consistent, but shorter than the watermark. Whoever holds the key file
  // can also write the watermark; without it, the server starts and serves the log...
  ASSERT_NO_FATAL_FAILURE(testing::ExpectRefusedByTheWatermarkThenForgeIt(*server_));
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, kept);
  ExpectDataLossMentioning(VerifyFromState(), "truncated");
  // ...and a verifier without memory would even accept it: the saved head is what catches it.
  absl::StatusOr<AuditVerification> fresh = Verify(std::nullopt);
  EXPECT_TRUE(fresh.ok()) << fresh.status();
}

// The same truncation by someone who can write the data folder but has no key file: the events
// they keep stay sealed as they were, and the tree's hashes are public, so they can rebuild the
// tree state from the stored leaves; its authentication they cannot, and registryd refuses to
// open the log.
TEST_F(AuditTamperTest, ARewriteWithoutTheKeyFileStopsTheServer) {
  {
    std::unique_ptr<Database> db = StopAndOpenDatabase();
    ASSERT_NE(db, nullptr);
    const uint64_t size = AllEvents(db.get()).size();
    ASSERT_GT(size, 10u);
    const uint64_t kept = size - 10;
    storage::Batch batch;
    batch.DeleteRange(Cf::kAudit, EncodeU64(kept), EncodeU64(size));
    merkle::CompactRange range;
    for (uint64_t i = 0; i < kept; ++i) {
      const std::string leaf = Get(db.get(), Cf::kMerkle, std::string(1, '\0') + EncodeU64(i));
      range.Append(leaf, [&](int level, uint64_t index, absl::string_view hash) {
        std::string key(1, static_cast<char>(level));
        key += EncodeU64(index);
        batch.Put(Cf::kMerkle, key, hash);
      });
    }
    batch.Put(Cf::kMeta, "audit/frontier", range.Serialize());
    ASSERT_TRUE(db->Write(batch).ok());
  }
  const absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_THAT(std::string(started.message()), ::testing::HasSubstr("fails authentication"));
}

TEST_F(AuditTamperTest, ForkedHeadOfTheSameSizeIsCaught) {
  {
    std::unique_ptr<Database> db = StopAndOpenDatabase();
    ASSERT_NE(db, nullptr);
    // Another history of exactly the verified size: the same events with one of them rewritten,
    // and a tree built to match. The auditor's first call (the signed head) sees exactly it.
    std::vector<std::string> events = AllEvents(db.get());
    ASSERT_GE(events.size(), verified_size_);
    events.resize(verified_size_);
    events[5] = EditRecordId(events[5]);
    RewriteLog(db.get(), events);
    SealWithTheKeyFile(db.get());
  }
  ASSERT_NO_FATAL_FAILURE(testing::ExpectRefusedByTheWatermarkThenForgeIt(*server_));
  ASSERT_TRUE(server_->Restart().ok());
  ExpectDataLossMentioning(VerifyFromState(/*full=*/false),
                           absl::StrCat("forked head at size ", verified_size_));
}

TEST_F(AuditTamperTest, ForkedLongerLogIsCaught) {
  {
    std::unique_ptr<Database> db = StopAndOpenDatabase();
    ASSERT_NE(db, nullptr);
    // A longer log whose past differs from the verified one: no consistency proof can join them.
    std::vector<std::string> events = AllEvents(db.get());
    ASSERT_GT(events.size(), verified_size_);
    events[3] = EditRecordId(events[3]);
    RewriteLog(db.get(), events);
    SealWithTheKeyFile(db.get());
  }
  // Its root at the watermark's size is not the one the watermark holds.
  ASSERT_NO_FATAL_FAILURE(testing::ExpectRefusedByTheWatermarkThenForgeIt(*server_));
  ASSERT_TRUE(server_->Restart().ok());
  ExpectDataLossMentioning(VerifyFromState(/*full=*/false), "forked");
  // A fresh full verification accepts it (the server signs what it has): only memory helps.
  absl::StatusOr<AuditVerification> fresh = Verify(std::nullopt);
  EXPECT_TRUE(fresh.ok()) << fresh.status();
}

// Someone who can write the data folder but has no key file puts back an older copy of it: the
// audit watermark refuses it at start, and without the watermark the saved head catches the
// truncation. Deleting or replacing the log id as well would make the
// verifier take the rolled-back log for another log (a one-time warning, not a failure); the id
// is authenticated with the key file (storage/audit_log_id.h), so the server refuses to start.
TEST_F(AuditTamperTest, ARolledBackLogCannotBeRenamedWithoutTheKeyFile) {
  const std::string data_dir = server_->config().data_dir();
  const std::string older = state_dir_ + "/older-data";
  server_->Stop();
  std::filesystem::copy(data_dir, older, std::filesystem::copy_options::recursive);
  ASSERT_TRUE(server_->Restart().ok());
  // Each verification is audited: after two more, the log the auditor saw outgrows the copy.
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<AuditVerification> again = VerifyFromState();
    ASSERT_TRUE(again.ok()) << again.status();
    ASSERT_TRUE(client::SaveAuditState(state_path_, again->state).ok());
  }
  const std::string log_id = server_->server()->audit_log_id();
  server_->Stop();
  // Puts the older copy back, then applies `edit` to the stored id.
  auto roll_back = [&](const std::function<void(Database*)>& edit) {
    server_->Stop();
    std::filesystem::remove_all(data_dir);
    std::filesystem::copy(older, data_dir, std::filesystem::copy_options::recursive);
    std::unique_ptr<Database> db = testing::OpenStoppedDatabase(*server_);
    ASSERT_NE(db, nullptr);
    edit(db.get());
  };

  roll_back([](Database* db) { testing::DeleteStored(db, Cf::kMeta, "audit/log-id"); });
  absl::Status started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_THAT(std::string(started.message()), ::testing::HasSubstr("audit log id is missing"));

  std::string other_id = log_id;
  other_id[0] = other_id[0] == 'a' ? 'b' : 'a';
  for (const std::string& replaced : {other_id, other_id + std::string(32, '\0')}) {
    roll_back([&](Database* db) { Put(db, Cf::kMeta, "audit/log-id", replaced); });
    started = server_->Restart();
    EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
    EXPECT_THAT(std::string(started.message()), ::testing::HasSubstr("fails authentication"));
  }

  // The copy as it was is refused at start: the audit watermark, kept beside the key file, is
  // ahead of it.
  roll_back([](Database*) {});
  started = server_->Restart();
  EXPECT_EQ(started.code(), absl::StatusCode::kDataLoss) << started;
  EXPECT_THAT(std::string(started.message()), ::testing::HasSubstr("fewer than"));
  // With the watermark rewritten (by someone who also holds the key file) it starts, under its
  // own name, and the auditor's saved head calls it truncated.
  ASSERT_NO_FATAL_FAILURE(testing::ForgeWatermark(*server_));
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(server_->server()->audit_log_id(), log_id);
  ExpectDataLossMentioning(VerifyFromState(), "truncated");
}

// The same against a log whose oldest events audit retention deleted: the server's clock
// starts 400 days back, the events of SetUp are made then, the clock moves to now and a
// retention of 365 days prunes them all; a few recent events follow, then the clean full
// verification. Tampering with a retained event, with the left edge the server serves, or with
// the boundary it keeps is each caught.
class PrunedAuditTamperTest : public AuditTamperTest {
 protected:
  void StartServer() override { server_ = TestServer::StartPruningAudit(&clock_); }

  void SetUp() override {
    state_dir_ = testing::MakeTempDir("audit-tamper-state");
    state_path_ = state_dir_ + "/state/audit-state.json";
    StartServer();
    GenerateEvents();
    clock_.Set(absl::Now());
    absl::StatusOr<uint64_t> pruned = server_->server()->RunAuditRetentionOnce();
    ASSERT_TRUE(pruned.ok()) << pruned.status();
    pruned_ = server_->server()->audit_log()->CurrentPruned().size;
    ASSERT_EQ(*pruned, pruned_);
    ASSERT_GE(pruned_, 40u);
    auto clerk = v1::RecordService::NewStub(server_->Channel("clerk"));
    for (int i = 0; i < 5; ++i) {
      v1::CreateRecordResponse created;
      grpc::Status s =
          clerk->CreateRecord(NewCallContext().get(), testing::FictionalRecord(100 + i), &created);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
    absl::StatusOr<AuditVerification> first = Verify(std::nullopt);
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_EQ(first->log.pruned_size(), pruned_);
    EXPECT_EQ(first->retained_verified, first->log.verified_head().tree_size() - pruned_);
    ASSERT_TRUE(client::SaveAuditState(state_path_, first->state).ok());
    verified_size_ = first->log.verified_head().tree_size();
  }

  FakeClock clock_{absl::Now() - absl::Hours(24 * 400)};
  uint64_t pruned_ = 0;
};

TEST_F(PrunedAuditTamperTest, CleanPrunedLogVerifiesAgain) {
  absl::StatusOr<AuditVerification> again = VerifyFromState();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->log.pruned_size(), pruned_);
  EXPECT_EQ(again->retention_days, 365u);
}

TEST_F(PrunedAuditTamperTest, EditedRetainedEventIsNamed) {
  // pruned_ records the pruning; the creations follow it.
  const uint64_t edited = pruned_ + 2;
  {
    std::unique_ptr<Database> db = StopAndOpenDatabase();
    ASSERT_NE(db, nullptr);
    PutEvent(db.get(), edited, EditRecordId(GetEvent(db.get(), edited)));
  }
  ASSERT_TRUE(server_->Restart().ok());
  ExpectDataLossMentioning(VerifyFromState(), absl::StrCat("event ", edited, " "));
  ExpectDataLossMentioning(Verify(std::nullopt), absl::StrCat("event ", edited, " "));
}

TEST_F(PrunedAuditTamperTest, EditedLeftEdgeHashIsCaught) {
  {
    std::unique_ptr<Database> db = StopAndOpenDatabase();
    ASSERT_NE(db, nullptr);
    // The largest subtree of the left edge: level of the highest set bit of the boundary, index 0.
    int level = 63;
    while ((pruned_ >> level) == 0) --level;
    const std::string key = std::string(1, static_cast<char>(level)) + EncodeU64(0);
    std::string node = Get(db.get(), Cf::kMerkle, key);
    ASSERT_EQ(node.size(), 32u);
    node[0] ^= 0x01;
    Put(db.get(), Cf::kMerkle, key, node);
  }
  ASSERT_NO_FATAL_FAILURE(testing::ExpectRefusedByTheWatermarkThenForgeIt(*server_));
  ASSERT_TRUE(server_->Restart().ok());
  // From the saved head, the consistency proofs the server builds from that node give it away
  // first; a first verification finds the left edge wrong.
  ExpectDataLossMentioning(VerifyFromState(/*full=*/false), "forked head");
  ExpectDataLossMentioning(Verify(std::nullopt),
                           absl::StrCat("the left edge of the pruned prefix (events [0, ", pruned_,
                                        ")) does not match the signed tree head"));
}

// An intruder hides retained events behind a larger boundary: deletes them, raises the boundary
// and points it at a later event (the one recording the pruning names the old boundary).
TEST_F(PrunedAuditTamperTest, RaisedBoundaryHidingEventsIsCaught) {
  {
    std::unique_ptr<Database> db = StopAndOpenDatabase();
    ASSERT_NE(db, nullptr);
    const std::string stored = Get(db.get(), Cf::kMeta, "audit/pruned");
    ASSERT_GT(stored.size(), 16u);
    const uint64_t raised = pruned_ + 3;
    storage::Batch batch;
    batch.DeleteRange(Cf::kAudit, EncodeU64(pruned_), EncodeU64(raised));
    batch.Put(Cf::kMeta, "audit/pruned",
              EncodeU64(raised) + EncodeU64(raised + 1) + stored.substr(16));
    ASSERT_TRUE(db->Write(batch).ok());
    SealWithTheKeyFile(db.get());
  }
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(server_->server()->audit_log()->CurrentPruned().size, pruned_ + 3);
  ExpectDataLossMentioning(
      VerifyFromState(/*full=*/false),
      absl::StrCat("event ", pruned_ + 4, ", which the log names as the record of its pruning, "
                   "is not an audit retention event"));
}

// And the reverse: a boundary lowered below the one the auditor saw.
TEST_F(PrunedAuditTamperTest, LoweredBoundaryIsCaught) {
  {
    std::unique_ptr<Database> db = StopAndOpenDatabase();
    ASSERT_NE(db, nullptr);
    const std::string stored = Get(db.get(), Cf::kMeta, "audit/pruned");
    Put(db.get(), Cf::kMeta, "audit/pruned",
        EncodeU64(pruned_ - 2) + stored.substr(8));
    SealWithTheKeyFile(db.get());
  }
  ASSERT_TRUE(server_->Restart().ok());
  ExpectDataLossMentioning(VerifyFromState(/*full=*/false), "the pruned prefix never shrinks");
}

}  // namespace
}  // namespace registry::testing
