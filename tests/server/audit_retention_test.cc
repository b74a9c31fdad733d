// Audit retention on a real registryd (audit.retention_days, with a FakeClock moved past the
// limit): the retention job deletes the bytes of the events older than the limit as an audited
// "system:audit-retention" event, written in the batch that deletes them; streams, lists and
// exports start at the boundary and refuse to start below it, naming it; the left edge the
// server serves and the retained events give the signed root; the whole-data check still holds.
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/time_format.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/tree_head.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/clients.h"
#include "tests/testing/outcome.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

namespace merkle = crypto::merkle;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint32_t kRetentionDays = 365;

class AuditRetentionTest : public ::testing::Test {
 protected:
  void Start(uint32_t retention_days, bool scheduler = false) {
    TestServerOptions options;
    options.clock = &clock_;
    options.scheduler = scheduler;
    options.audit.set_retention_days(retention_days);
    server_ = TestServer::Start(std::move(options));
    auditor_ = v1::AuditService::NewStub(server_->Channel("auditor"));
    clerk_ = v1::RecordService::NewStub(server_->Channel("clerk"));
  }

  storage::AuditLog* log() { return server_->server()->audit_log(); }
  uint64_t LogSize() { return testing::AuditLogSize(*server_); }

  v1::AuditEvent EventAt(uint64_t index) { return testing::StoredEvent(*server_, index); }

  std::string Create(int n) {
    v1::CreateRecordResponse created;
    const grpc::Status s =
        clerk_->CreateRecord(NewCallContext().get(), FictionalRecord(n), &created);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return created.record_id();
  }

  void Expunge(const std::string& id) {
    v1::ExpungeRecordRequest req;
    req.set_record_id(id);
    req.set_legal_basis("CC 04/L-082 art. 103");
    v1::ExpungeRecordResponse resp;
    const grpc::Status s = clerk_->ExpungeRecord(NewCallContext().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  // Calls that each leave an event: record creations and court reads.
  void MakeCalls(int first, int count) {
    auto court = v1::RecordService::NewStub(server_->Channel("court"));
    for (int i = first; i < first + count; ++i) {
      const std::string id = Create(i);
      v1::GetRecordRequest get;
      get.set_record_id(id);
      get.mutable_purpose()->set_case_reference(absl::StrCat("PKR ", i, "/2026"));
      get.mutable_purpose()->set_purpose_code("criminal_proceedings");
      v1::GetRecordResponse got;
      const grpc::Status s = court->GetRecord(NewCallContext().get(), get, &got);
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
  }

  // The events written so far become due: the clock moves past the retention limit of the
  // newest, and the calls made afterwards are not due.
  void AgePastRetention() { clock_.Advance(absl::Hours(24) * (kRetentionDays + 1)); }

  uint64_t RunAuditRetention() {
    absl::StatusOr<uint64_t> n = server_->server()->RunAuditRetentionOnce();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : 0;
  }

  v1::PrunedPrefix GetPrunedPrefix() {
    v1::PrunedPrefix prefix;
    const grpc::Status s = auditor_->GetPrunedPrefix(NewCallContext().get(), {}, &prefix);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return prefix;
  }

  grpc::Status Stream(uint64_t start, uint64_t end, std::vector<v1::AuditEntry>* out) {
    v1::StreamAuditEventsRequest req;
    req.set_start_index(start);
    req.set_end_index(end);
    auto ctx = NewCallContext();
    auto reader = auditor_->StreamAuditEvents(ctx.get(), req);
    v1::AuditEntry entry;
    while (reader->Read(&entry)) out->push_back(entry);
    return reader->Finish();
  }

  v1::VerifyDataResponse VerifyData() {
    v1::VerifyDataResponse resp;
    const grpc::Status s = v1::AdminService::NewStub(server_->Channel("admin"))
                               ->VerifyData(NewCallContext().get(), v1::VerifyDataRequest(), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  FakeClock clock_{absl::Now()};
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::AuditService::Stub> auditor_;
  std::unique_ptr<v1::RecordService::Stub> clerk_;
};

TEST_F(AuditRetentionTest, PruningIsAnAuditedSystemEventWrittenWithTheDeletion) {
  Start(kRetentionDays);
  MakeCalls(0, 6);
  const uint64_t old_events = LogSize();
  const std::string newest_old_time = EventAt(old_events - 1).time();
  const std::string old_root = log()->CurrentHead().root;
  // Nothing is due yet.
  EXPECT_EQ(RunAuditRetention(), 0u);
  EXPECT_EQ(LogSize(), old_events);

  AgePastRetention();
  MakeCalls(6, 2);
  const uint64_t before = LogSize();
  EXPECT_EQ(RunAuditRetention(), old_events);
  ASSERT_EQ(LogSize(), before + 1);
  const v1::AuditEvent recorded = EventAt(before);
  EXPECT_EQ(recorded.actor(), "system:audit-retention");
  EXPECT_EQ(recorded.action(), "audit-retention");
  EXPECT_EQ(testing::OutcomeName(recorded), "OK");
  EXPECT_EQ(recorded.pruning().from_index(), 0u);
  EXPECT_EQ(recorded.pruning().to_index(), old_events);
  EXPECT_EQ(recorded.pruning().newest_pruned_time(), newest_old_time);
  EXPECT_EQ(recorded.pruning().retention_days(), kRetentionDays);
  EXPECT_LT(*ParseInstant(newest_old_time), *ParseInstant(recorded.pruning().cutoff()));

  const storage::AuditLog::Pruned pruned = log()->CurrentPruned();
  EXPECT_EQ(pruned.size, old_events);
  EXPECT_EQ(pruned.recorded_by, before);
  EXPECT_EQ(pruned.newest_time, newest_old_time);
  EXPECT_EQ(log()->ReadEvent(0).status().code(), absl::StatusCode::kOutOfRange);
  // The tree is the same tree: its root at the old size did not change.
  EXPECT_EQ(*log()->RootAt(old_events), old_root);

  // Run again: nothing more is due, nothing is written.
  EXPECT_EQ(RunAuditRetention(), 0u);
  EXPECT_EQ(LogSize(), before + 1);

  // Survives a restart.
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(server_->server()->audit_log()->CurrentPruned().size, old_events);
}

TEST_F(AuditRetentionTest, WithRetentionZeroNothingIsEverPruned) {
  Start(0);
  MakeCalls(0, 3);
  clock_.Advance(absl::Hours(24) * 365 * 100);
  const uint64_t before = LogSize();
  EXPECT_EQ(RunAuditRetention(), 0u);
  EXPECT_EQ(LogSize(), before);
  EXPECT_EQ(log()->CurrentPruned().size, 0u);
  EXPECT_TRUE(log()->ReadEvent(0).ok());
  const v1::PrunedPrefix prefix = GetPrunedPrefix();
  EXPECT_EQ(prefix.pruned_size(), 0u);
  EXPECT_THAT(prefix.left_edge(), IsEmpty());
}

TEST_F(AuditRetentionTest, TheLeftEdgeAndTheRetainedEventsGiveTheSignedRoot) {
  Start(kRetentionDays);
  MakeCalls(0, 5);
  AgePastRetention();
  MakeCalls(5, 2);
  ASSERT_GT(RunAuditRetention(), 0u);
  const v1::PrunedPrefix prefix = GetPrunedPrefix();
  const storage::AuditLog::Pruned pruned = log()->CurrentPruned();
  EXPECT_EQ(prefix.pruned_size(), pruned.size);
  EXPECT_EQ(prefix.newest_pruned_time(), pruned.newest_time);
  EXPECT_EQ(prefix.recorded_by(), pruned.recorded_by);

  v1::SignedTreeHead head;
  ASSERT_TRUE(auditor_->GetSignedTreeHead(NewCallContext().get(), {}, &head).ok());
  const std::string signed_bytes = *crypto::TreeHeadSigningBytes(
      head.log_id(), head.tree_size(), head.timestamp_micros(), head.root_hash(), head.key_id());
  ASSERT_TRUE(crypto::Ed25519Verify(server_->server()->audit_signer().public_key(), signed_bytes,
                                    head.signature())
                  .ok());
  absl::StatusOr<merkle::CompactRange> range = merkle::CompactRange::FromHashes(
      prefix.pruned_size(), {prefix.left_edge().begin(), prefix.left_edge().end()});
  ASSERT_TRUE(range.ok()) << range.status();
  std::vector<v1::AuditEntry> entries;
  ASSERT_TRUE(Stream(prefix.pruned_size(), head.tree_size(), &entries).ok());
  ASSERT_EQ(entries.size(), head.tree_size() - prefix.pruned_size());
  for (const v1::AuditEntry& entry : entries) {
    ASSERT_EQ(entry.index(), range->size());
    range->Append(merkle::HashLeaf(entry.event_bytes()), nullptr);
  }
  EXPECT_EQ(range->Root(), head.root_hash());
  // The recording event is among the retained ones, with the served boundary.
  const v1::AuditEntry& recording = entries[prefix.recorded_by() - prefix.pruned_size()];
  v1::AuditEvent event;
  ASSERT_TRUE(event.ParseFromString(recording.event_bytes()));
  EXPECT_EQ(event.pruning().to_index(), prefix.pruned_size());
  EXPECT_EQ(event.pruning().newest_pruned_time(), prefix.newest_pruned_time());

  // Proofs still reach the pruned events: their hashes stay.
  v1::GetInclusionProofRequest req;
  req.set_leaf_index(0);
  req.set_tree_size(head.tree_size());
  v1::InclusionProof proof;
  EXPECT_TRUE(auditor_->GetInclusionProof(NewCallContext().get(), req, &proof).ok());
  EXPECT_FALSE(proof.hashes().empty());
}

TEST_F(AuditRetentionTest, StreamsListsAndExportsStartAtTheBoundaryAndNameIt) {
  Start(kRetentionDays);
  MakeCalls(0, 4);
  // A page token from before the pruning.
  v1::ListAuditEventsRequest first_page;
  first_page.set_page_size(2);
  v1::ListAuditEventsResponse page;
  ASSERT_TRUE(auditor_->ListAuditEvents(NewCallContext().get(), first_page, &page).ok());
  const std::string old_token = page.next_page_token();
  ASSERT_FALSE(old_token.empty());

  AgePastRetention();
  MakeCalls(4, 2);
  ASSERT_GT(RunAuditRetention(), 0u);
  const uint64_t boundary = log()->CurrentPruned().size;
  ASSERT_GT(boundary, 2u);
  const std::string named = absl::StrCat("before index ", boundary,
                                         " were deleted by audit retention");

  // List: the first page starts at the boundary.
  v1::ListAuditEventsResponse listed;
  ASSERT_TRUE(auditor_->ListAuditEvents(NewCallContext().get(), {}, &listed).ok());
  ASSERT_GT(listed.entries_size(), 0);
  EXPECT_EQ(listed.entries(0).index(), boundary);
  for (int i = 1; i < listed.entries_size(); ++i) {
    EXPECT_EQ(listed.entries(i).index(), boundary + i);
  }
  // A token from before the pruning names the new start instead of skipping to it.
  v1::ListAuditEventsRequest stale;
  stale.set_page_token(old_token);
  v1::ListAuditEventsResponse stale_page;
  const grpc::Status stale_status =
      auditor_->ListAuditEvents(NewCallContext().get(), stale, &stale_page);
  EXPECT_EQ(stale_status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_THAT(stale_status.error_message(), HasSubstr(named));
  EXPECT_EQ(stale_page.entries_size(), 0);

  // Streams: below the boundary, refused before anything is sent, with one event recording the
  // refusal; from the boundary, every retained event.
  for (uint64_t start : {uint64_t{0}, boundary - 1}) {
    const uint64_t before = LogSize();
    std::vector<v1::AuditEntry> got;
    const grpc::Status s = Stream(start, 0, &got);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE) << start;
    EXPECT_THAT(s.error_message(), HasSubstr(named));
    EXPECT_THAT(s.error_message(), HasSubstr(absl::StrCat("the log starts at index ", boundary)));
    EXPECT_THAT(got, IsEmpty());
    ASSERT_EQ(LogSize(), before + 1);
    EXPECT_EQ(testing::OutcomeName(EventAt(before)), "OUT_OF_RANGE");
  }
  std::vector<v1::AuditEntry> streamed;
  ASSERT_TRUE(Stream(boundary, 0, &streamed).ok());
  ASSERT_FALSE(streamed.empty());
  EXPECT_EQ(streamed.front().index(), boundary);
  // The same for batches.
  for (uint64_t start : {uint64_t{0}, boundary - 1}) {
    const uint64_t before = LogSize();
    v1::StreamAuditBatchesRequest batch_req;
    batch_req.set_start_index(start);
    auto batch_ctx = NewCallContext();
    auto batches = auditor_->StreamAuditBatches(batch_ctx.get(), batch_req);
    v1::AuditBatch batch;
    EXPECT_FALSE(batches->Read(&batch)) << start;
    const grpc::Status s = batches->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::OUT_OF_RANGE) << start;
    EXPECT_THAT(s.error_message(), HasSubstr(named));
    ASSERT_EQ(LogSize(), before + 1);
    EXPECT_EQ(testing::OutcomeName(EventAt(before)), "OUT_OF_RANGE");
  }
  {
    v1::StreamAuditBatchesRequest batch_req;
    batch_req.set_start_index(boundary);
    auto batch_ctx = NewCallContext();
    auto batches = auditor_->StreamAuditBatches(batch_ctx.get(), batch_req);
    v1::AuditBatch batch;
    ASSERT_TRUE(batches->Read(&batch));
    EXPECT_EQ(batch.first_index(), boundary);
    EXPECT_EQ(batch.event_bytes(0), *log()->ReadEvent(boundary));
    while (batches->Read(&batch)) {
    }
    ASSERT_TRUE(batches->Finish().ok());
  }

  // Export: every retained event, from the boundary.
  v1::ExportAuditEventsRequest req;
  req.set_recipient("Information and Privacy Agency");
  req.set_reference("IPA-2026-9");
  auto ctx = NewCallContext();
  auto reader = auditor_->ExportAuditEvents(ctx.get(), req);
  std::vector<uint64_t> exported;
  v1::AuditEntry entry;
  while (reader->Read(&entry)) exported.push_back(entry.index());
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_FALSE(exported.empty());
  EXPECT_EQ(exported.front(), boundary);
  for (size_t i = 1; i < exported.size(); ++i) EXPECT_EQ(exported[i], boundary + i);
}

// The scheduler runs audit retention on its own (here at start-up, as on every run).
TEST_F(AuditRetentionTest, TheSchedulerPrunesWithoutBeingAsked) {
  Start(kRetentionDays, /*scheduler=*/true);
  MakeCalls(0, 3);
  const uint64_t old_events = LogSize();
  AgePastRetention();
  ASSERT_TRUE(server_->Restart().ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (server_->server()->audit_log()->CurrentPruned().size == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  const storage::AuditLog::Pruned pruned = server_->server()->audit_log()->CurrentPruned();
  EXPECT_EQ(pruned.size, old_events);
  EXPECT_EQ(EventAt(pruned.recorded_by).actor(), "system:audit-retention");
}

// The data check reads the create and expunge events of every record; retention deletes them.
// What it keeps of them (one row per record, in the pruning's batch) stands in for them: the
// check passes after pruning exactly as before, and the rows are what vouch for old records.
TEST_F(AuditRetentionTest, TheDataCheckHoldsAcrossPruning) {
  Start(kRetentionDays);
  const std::string kept = Create(0);
  const std::string erased = Create(1);
  const std::string erased_later = Create(2);
  Expunge(erased);
  EXPECT_EQ(VerifyData().problem_count(), 0u);

  AgePastRetention();
  ASSERT_GT(RunAuditRetention(), 0u);
  ASSERT_GT(log()->CurrentPruned().size, 4u);  // the creates and the expunge are gone
  v1::VerifyDataResponse after = VerifyData();
  EXPECT_EQ(after.problem_count(), 0u) << (after.problems().empty() ? "" : after.problems(0));
  // A record created before the boundary and erased after it.
  Expunge(erased_later);
  after = VerifyData();
  EXPECT_EQ(after.problem_count(), 0u) << (after.problems().empty() ? "" : after.problems(0));

  // The kept row is what stands for the pruned create event, and the number of kept rows is
  // authenticated: deleting the row (with the record's, to hide it) is caught, and the check
  // reports nothing it cannot believe.
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
    testing::DeleteStored(db, storage::Cf::kMeta, "audit/pruned-facts/" + kept);
  }));
  ASSERT_TRUE(server_->Restart().ok());
  v1::VerifyDataResponse resp;
  const grpc::Status s = v1::AdminService::NewStub(server_->Channel("admin"))
                             ->VerifyData(NewCallContext().get(), v1::VerifyDataRequest(), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("kept facts were deleted or put back"));
}

// A person's vetting history outlives the events that wrote it: the pruning keeps a row naming
// each entry its events wrote, so the entries are still paired, and an entry deleted after its
// event is gone is still caught.
TEST_F(AuditRetentionTest, VettingHistoryEntriesArePairedAcrossPruning) {
  Start(kRetentionDays);
  Create(0);
  v1::VettingCheckResponse answer;
  const grpc::Status vetted =
      v1::VettingService::NewStub(server_->Channel("vetting"))
          ->VettingCheck(NewCallContext().get(), CandidateOf(FictionalRecord(0).person()), &answer);
  ASSERT_TRUE(vetted.ok()) << vetted.error_message();
  const uint64_t vetting_event = LogSize() - 1;
  ASSERT_EQ(EventAt(vetting_event).check_id(), answer.check_id());

  AgePastRetention();
  ASSERT_GT(RunAuditRetention(), 0u);
  ASSERT_GT(log()->CurrentPruned().size, vetting_event);
  v1::VerifyDataResponse r = VerifyData();
  EXPECT_EQ(r.problem_count(), 0u) << (r.problems().empty() ? "" : r.problems(0));
  EXPECT_EQ(r.vetting_checks(), 1u);

  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
    const std::string key = testing::StoredCheckKey(*server_, db, answer.check_id());
    ASSERT_FALSE(key.empty());
    testing::DeleteStored(db, storage::Cf::kChecks, key);
  }));
  ASSERT_TRUE(server_->Restart().ok());
  r = VerifyData();
  EXPECT_EQ(r.problem_count(), 1u);
  EXPECT_THAT(r.problems(), Contains(absl::StrCat("vetting check ", answer.check_id(),
                                                  ": written in the audit log but not stored")));
}

// The last version a pruned event wrote is kept: a record put back to its state before a change
// whose event is gone is still caught.
TEST_F(AuditRetentionTest, ARecordPutBackBehindThePrunedBoundaryIsCaught) {
  Start(kRetentionDays);
  const std::string id = Create(0);
  testing::StoredRows saved;
  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
    saved = testing::CopyRows(db, {storage::Cf::kRecords, storage::Cf::kVersions});
  }));
  ASSERT_TRUE(server_->Restart().ok());
  clerk_ = v1::RecordService::NewStub(server_->Channel("clerk"));
  v1::DisputeRecordRequest dispute;
  dispute.set_record_id(id);
  dispute.set_reason("the person disputes the case number");
  v1::RecordStatusResponse disputed;
  ASSERT_TRUE(clerk_->DisputeRecord(NewCallContext().get(), dispute, &disputed).ok());
  ASSERT_EQ(disputed.version(), 2u);
  const uint64_t dispute_event = LogSize() - 1;
  ASSERT_EQ(EventAt(dispute_event).record_version(), 2u);

  AgePastRetention();
  ASSERT_GT(RunAuditRetention(), 0u);
  ASSERT_GT(log()->CurrentPruned().size, dispute_event);
  v1::VerifyDataResponse r = VerifyData();
  EXPECT_EQ(r.problem_count(), 0u) << (r.problems().empty() ? "" : r.problems(0));

  ASSERT_NO_FATAL_FAILURE(testing::EditStoppedData(*server_, [&](storage::Database* db) {
    testing::PutRows(db, saved);
    for (const auto& [cf, row] : testing::CopyRows(db, {storage::Cf::kVersions})) {
      bool old = false;
      for (const auto& kept : saved) old = old || kept.second.first == row.first;
      if (!old) testing::DeleteStored(db, cf, row.first);
    }
  }));
  ASSERT_TRUE(server_->Restart().ok());
  r = VerifyData();
  EXPECT_EQ(r.problem_count(), 1u);
  EXPECT_THAT(r.problems(),
              Contains(absl::StrCat("record ", id, ": version 1 is stored, but the audit log saw ",
                                    "version 2 written: an earlier state was put back")));
}

}  // namespace
}  // namespace registry::testing
