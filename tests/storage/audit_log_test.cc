#include "storage/audit_log.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/public_status.h"
#include "common/time_format.h"
#include "crypto/merkle.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.pb.h"
#include "rocksdb/perf_context.h"
#include "rocksdb/perf_level.h"
#include "rocksdb/sst_file_reader.h"
#include "storage/audit_log_id.h"
#include "storage/database.h"
#include "storage/ids.h"
#include "tests/testing/data_files.h"
#include "tests/testing/switchable_fault.h"
#include "tests/testing/test_pki.h"

namespace registry::storage {
namespace {

namespace merkle = crypto::merkle;
using ::registry::testing::SwitchableFault;
using registry::v1::AuditEvent;

// The key that authenticates the log's stored state; a registryd derives it from its key file.
crypto::SecretBytes TestLogKey() { return crypto::SecretBytes(std::string(32, '\x5a')); }

absl::StatusOr<std::unique_ptr<Database>> OpenDatabase(const std::string& path) {
  DatabaseOptions options;
  options.path = path;
  return Database::Open(options);
}

// An event as the call gate would build it; `n` makes it unique.
AuditEvent MakeEvent(int n) {
  AuditEvent event;
  event.set_actor("spiffe://registry.kjc.dev/court/dev-court");
  event.set_role(registry::v1::ROLE_COURT);
  event.set_organisation("basic-court-prishtine");
  event.set_action("/registry.v1.RecordService/GetRecord");
  event.add_record_ids(absl::StrCat("record-", n));
  event.set_purpose_code("criminal_proceedings");
  event.set_case_reference(absl::StrCat("PKR ", n, "/2026"));
  event.set_outcome(0);
  event.set_request_id(absl::StrCat("req-", n));
  return event;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = registry::testing::MakeTempDir("audit-log-test"); }
  void TearDown() override {
    log_.reset();
    db_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string DataDir(absl::string_view name = "data") const {
    return absl::StrCat(dir_, "/", name);
  }

  // Opens the database and the log at DataDir(name); fails the test on error.
  void OpenLog(absl::string_view name = "data", WriteFaultInjector* fault = nullptr) {
    log_.reset();
    db_.reset();
    DatabaseOptions options;
    options.path = DataDir(name);
    options.seams.fault_injector = fault;
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    absl::StatusOr<std::unique_ptr<AuditLog>> log =
        AuditLog::Open(db_.get(), &clock_, TestLogKey());
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
  }

  void CloseLog() {
    log_.reset();
    db_.reset();
  }

  // Five events, the last (4) edited in place as someone without the key would: one bit of its
  // sealed bytes flipped. The log stays open.
  void FiveEventsTheLastEdited() {
    OpenLog();
    AppendEvents(0, 5);
    absl::StatusOr<std::optional<std::string>> sealed = db_->Get(Cf::kAudit, EncodeU64(4));
    ASSERT_TRUE(sealed.ok() && sealed->has_value());
    std::string edited = **sealed;
    edited[edited.size() / 2] ^= 0x20;
    storage::Batch edit;
    edit.Put(Cf::kAudit, EncodeU64(4), edited);
    ASSERT_TRUE(db_->Write(edit).ok());
  }

  // Deletes stored event `index` of the closed log, in a write of its own.
  void DeleteStoredEvent(uint64_t index) {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(DataDir());
    ASSERT_TRUE(db.ok()) << db.status();
    storage::Batch remove;
    remove.Delete(Cf::kAudit, EncodeU64(index));
    ASSERT_TRUE((*db)->Write(remove).ok());
  }

  // Appends `count` events MakeEvent(first..first+count-1) from one thread.
  void AppendEvents(int first, int count) {
    for (int i = first; i < first + count; ++i) {
      absl::StatusOr<uint64_t> seq = log_->Append(MakeEvent(i), nullptr);
      ASSERT_TRUE(seq.ok()) << seq.status();
    }
  }

  // Every stored event of the current tree, in order.
  std::vector<std::string> StoredEvents() const {
    std::vector<std::string> events;
    const uint64_t size = log_->CurrentHead().size;
    absl::Status s = log_->Scan(0, size, [&](uint64_t index, absl::string_view bytes) {
      EXPECT_EQ(index, events.size());
      events.emplace_back(bytes);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s;
    return events;
  }

  static std::string RootOf(const std::vector<std::string>& events, size_t count) {
    std::vector<std::string> leaves;
    for (size_t i = 0; i < count; ++i) leaves.push_back(merkle::HashLeaf(events[i]));
    return merkle::RootFromLeafHashes(leaves);
  }

  // The tree stored by the log is the RFC 6962 tree of exactly the stored
  // events.
  void ExpectConsistentTree() const {
    const std::vector<std::string> events = StoredEvents();
    const AuditLog::Head head = log_->CurrentHead();
    ASSERT_EQ(events.size(), head.size);
    EXPECT_EQ(head.root, RootOf(events, events.size()));
  }

  // No event below `boundary` is stored any more.
  void ExpectNoEventBelow(uint64_t boundary) const {
    auto it = db_->NewIterator(Cf::kAudit);
    it->SeekToFirst();
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(DecodeU64(absl::string_view(it->key().data(), 8)), boundary);
  }

  std::optional<std::string> RawGet(Cf cf, absl::string_view key) const {
    absl::StatusOr<std::optional<std::string>> v = db_->Get(cf, key);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : std::nullopt;
  }

  // The event stored at `index`, opened with the test key; nullopt when there is none.
  std::optional<std::string> OpenedRaw(uint64_t index) const {
    std::optional<std::string> raw = RawGet(Cf::kAudit, EncodeU64(index));
    if (!raw.has_value()) return std::nullopt;
    absl::StatusOr<std::string> opened = AuditLog::OpenEvent(TestLogKey(), index, *raw);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? std::optional<std::string>(*opened) : std::nullopt;
  }

  // With the log closed: opens DataDir() again in a fresh Database and the log on it, as a
  // restarted registryd would, and returns what opening the log said.
  absl::Status ReopenedLogStatus() {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(DataDir());
    if (!db.ok()) {
      ADD_FAILURE() << "reopening the database: " << db.status();
      return db.status();
    }
    return AuditLog::Open(db->get(), &clock_, TestLogKey()).status();
  }

  // `bytes` sealed for `index` as the holder of the key would (an edit the tree still catches).
  static std::string Sealed(uint64_t index, absl::string_view bytes) {
    absl::StatusOr<std::string> sealed = AuditLog::SealEvent(TestLogKey(), index, bytes);
    EXPECT_TRUE(sealed.ok()) << sealed.status();
    return sealed.value_or("");
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::string dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, EmptyLogHasTheEmptyRoot) {
  OpenLog();
  const AuditLog::Head head = log_->CurrentHead();
  EXPECT_EQ(head.size, 0u);
  EXPECT_EQ(head.root, merkle::EmptyRoot());
  EXPECT_EQ(log_->ReadEvent(0).status().code(), absl::StatusCode::kNotFound);
}

// Writes a crash cut off, which Database::Open dropped and counted, are recorded in the log when
// it opens, once, with the count.
TEST_F(AuditLogTest, WritesDroppedAfterACrashAreRecordedOnceWhenTheLogOpens) {
  OpenLog();
  AppendEvents(0, 3);
  Batch counted;
  counted.Put(Cf::kMeta, "storage/cut-off-writes", "2");
  ASSERT_TRUE(db_->Write(counted).ok());
  CloseLog();

  OpenLog();
  ASSERT_EQ(log_->CurrentHead().size, 4u);
  registry::v1::AuditEvent event;
  ASSERT_TRUE(event.ParseFromString(StoredEvents()[3]));
  EXPECT_EQ(event.actor(), "system:storage");
  EXPECT_EQ(event.action(), "recover-cut-off-write");
  // Found in the data folder, not dropped by this open: a count anyone with the folder could have
  // written, and said to be one (a drop at open is tested in DatabaseTest).
  EXPECT_EQ(event.reference(), "found an unchecked count of 2 cut-off writes in the data folder");
  EXPECT_EQ(db_->CutOffWrites().value(), 0u) << "cleared with the event";
  CloseLog();

  OpenLog();
  EXPECT_EQ(log_->CurrentHead().size, 4u) << "recorded once";
}

TEST_F(AuditLogTest, SequencesStartAtZeroAndIncreaseByOne) {
  OpenLog();
  for (uint64_t i = 0; i < 20; ++i) {
    absl::StatusOr<uint64_t> seq = log_->Append(MakeEvent(static_cast<int>(i)), nullptr);
    ASSERT_TRUE(seq.ok()) << seq.status();
    EXPECT_EQ(*seq, i);
    EXPECT_EQ(log_->CurrentHead().size, i + 1);
  }
}

TEST_F(AuditLogTest, StoresTheEventByteForByteAsSerializeEvent) {
  OpenLog();
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(absl::Milliseconds(1234) + absl::Microseconds(17));
    absl::StatusOr<uint64_t> seq = log_->Append(MakeEvent(i), nullptr);
    ASSERT_TRUE(seq.ok()) << seq.status();

    // What the log must have stored: the caller's event with sequence and time
    // filled in.
    AuditEvent expected = MakeEvent(i);
    expected.set_sequence(*seq);
    expected.set_time(FormatInstant(clock_.Now(), /*micros=*/true));
    const std::string expected_bytes = SerializeEvent(expected);

    absl::StatusOr<std::string> read = log_->ReadEvent(*seq);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, expected_bytes);
    // The raw value in the audit column family seals the same bytes, under the
    // big-endian key, and does not contain them.
    const std::optional<std::string> raw = RawGet(Cf::kAudit, EncodeU64(*seq));
    ASSERT_TRUE(raw.has_value());
    EXPECT_FALSE(absl::StrContains(*raw, expected.actor()));
    EXPECT_EQ(OpenedRaw(*seq), expected_bytes);
    // And the leaf of the tree is the hash of exactly those bytes.
    EXPECT_EQ(RawGet(Cf::kMerkle, std::string(1, '\0') + EncodeU64(*seq)),
              merkle::HashLeaf(expected_bytes));
  }
  // Serialization is deterministic: parsing and re-serializing gives the stored
  // bytes.
  for (const std::string& bytes : StoredEvents()) {
    AuditEvent parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    EXPECT_EQ(SerializeEvent(parsed), bytes);
  }
}

TEST_F(AuditLogTest, RootIsTheMerkleTreeHashOfAllEvents) {
  OpenLog();
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(log_->Append(MakeEvent(i), nullptr).ok());
    const std::vector<std::string> events = StoredEvents();
    ASSERT_EQ(events.size(), static_cast<size_t>(i + 1));
    EXPECT_EQ(log_->CurrentHead().root, RootOf(events, events.size())) << "size " << i + 1;
  }
  // Historical roots come from the stored nodes.
  const std::vector<std::string> events = StoredEvents();
  for (size_t size = 0; size <= events.size(); ++size) {
    absl::StatusOr<std::string> root = log_->RootAt(size);
    ASSERT_TRUE(root.ok()) << root.status();
    EXPECT_EQ(*root, RootOf(events, size)) << "size " << size;
  }
  EXPECT_EQ(log_->RootAt(events.size() + 1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuditLogTest, ConcurrentAppendsGetDistinctConsecutiveSequences) {
  SwitchableFault counter;
  OpenLog("data", &counter);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::vector<std::vector<uint64_t>> sequences(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<uint64_t> seq = log_->Append(MakeEvent(t * kPerThread + i), nullptr);
        ASSERT_TRUE(seq.ok()) << seq.status();
        sequences[t].push_back(*seq);
      }
    });
  }
  for (std::thread& th : threads) th.join();

  std::vector<uint64_t> all;
  for (const auto& s : sequences) all.insert(all.end(), s.begin(), s.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  std::sort(all.begin(), all.end());
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], i);

  // Each caller's sequence number names its own event, and one thread's events
  // stay in order.
  const std::vector<std::string> events = StoredEvents();
  ASSERT_EQ(events.size(), all.size());
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      const uint64_t seq = sequences[t][i];
      if (i > 0) {
        EXPECT_GT(seq, sequences[t][i - 1]);
      }
      AuditEvent stored;
      ASSERT_TRUE(stored.ParseFromString(events[seq]));
      EXPECT_EQ(stored.sequence(), seq);
      ASSERT_EQ(stored.record_ids_size(), 1);
      EXPECT_EQ(stored.record_ids(0), absl::StrCat("record-", t * kPerThread + i));
    }
  }
  ExpectConsistentTree();

  // Group commit: concurrent appenders shared writes (and so fsyncs).
  std::printf("1600 concurrent appends took %d synced writes\n", counter.writes());
  EXPECT_LT(counter.writes(), kThreads * kPerThread);

  // The tree survives a restart unchanged.
  const AuditLog::Head head = log_->CurrentHead();
  OpenLog();
  EXPECT_EQ(log_->CurrentHead().size, head.size);
  EXPECT_EQ(log_->CurrentHead().root, head.root);
}

TEST_F(AuditLogTest, MutationsCommitIffTheirEventIsAppended) {
  SwitchableFault fault;
  OpenLog("data", &fault);

  storage::PendingWrite ok_batch;
  ok_batch.batch()->Put(Cf::kRecords, "record-a", "head-a");
  ok_batch.batch()->Put(Cf::kIndex, "token-a", "");
  absl::StatusOr<uint64_t> seq = log_->Append(MakeEvent(1), &ok_batch);
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(RawGet(Cf::kRecords, "record-a"), "head-a");
  EXPECT_EQ(RawGet(Cf::kIndex, "token-a"), "");

  const AuditLog::Head before = log_->CurrentHead();
  fault.set_failing(true);
  storage::PendingWrite failed_batch;
  failed_batch.batch()->Put(Cf::kRecords, "record-b", "head-b");
  failed_batch.batch()->Delete(Cf::kRecords, "record-a");
  absl::StatusOr<uint64_t> failed = log_->Append(MakeEvent(2), &failed_batch);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  // Nothing of the batch and nothing of the event is stored; the head did not
  // move.
  EXPECT_EQ(RawGet(Cf::kRecords, "record-b"), std::nullopt);
  EXPECT_EQ(RawGet(Cf::kRecords, "record-a"), "head-a");
  EXPECT_EQ(RawGet(Cf::kAudit, EncodeU64(before.size)), std::nullopt);
  EXPECT_EQ(log_->ReadEvent(before.size).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(log_->CurrentHead().size, before.size);
  EXPECT_EQ(log_->CurrentHead().root, before.root);

  // Once the disk works again the log continues where it was, with no hole.
  fault.set_failing(false);
  storage::PendingWrite later_batch;
  later_batch.batch()->Put(Cf::kRecords, "record-c", "head-c");
  absl::StatusOr<uint64_t> later = log_->Append(MakeEvent(3), &later_batch);
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(*later, before.size);
  EXPECT_EQ(RawGet(Cf::kRecords, "record-c"), "head-c");
  EXPECT_EQ(RawGet(Cf::kRecords, "record-b"), std::nullopt);
  ExpectConsistentTree();
  AuditEvent stored;
  ASSERT_TRUE(stored.ParseFromString(*log_->ReadEvent(*later)));
  EXPECT_EQ(stored.record_ids(0), "record-3");

  // The state on disk agrees: a restart sees the same head.
  const AuditLog::Head head = log_->CurrentHead();
  OpenLog();
  EXPECT_EQ(log_->CurrentHead().size, head.size);
  EXPECT_EQ(log_->CurrentHead().root, head.root);
}

TEST_F(AuditLogTest, FailedWriteFailsEveryConcurrentAppenderAndLeavesNoTrace) {
  SwitchableFault fault;
  OpenLog("data", &fault);
  AppendEvents(0, 3);
  const AuditLog::Head before = log_->CurrentHead();
  fault.set_failing(true);
  std::vector<std::thread> threads;
  std::atomic<int> unavailable{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        storage::PendingWrite batch;
        batch.batch()->Put(Cf::kRecords, absl::StrCat("r", t, "-", i), "v");
        absl::StatusOr<uint64_t> seq = log_->Append(MakeEvent(100 + t * 20 + i), &batch);
        if (seq.status().code() == absl::StatusCode::kUnavailable) unavailable.fetch_add(1);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(unavailable.load(), 120);
  EXPECT_EQ(log_->CurrentHead().size, before.size);
  EXPECT_EQ(log_->CurrentHead().root, before.root);
  auto it = db_->NewIterator(Cf::kRecords);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid()) << "a mutation of a failed append was stored";

  fault.set_failing(false);
  AppendEvents(200, 4);
  EXPECT_EQ(log_->CurrentHead().size, before.size + 4);
  ExpectConsistentTree();
}

TEST_F(AuditLogTest, ReopenAfterRestartGivesTheSameHead) {
  OpenLog();
  AppendEvents(0, 37);
  const AuditLog::Head head = log_->CurrentHead();
  const std::vector<std::string> events = StoredEvents();
  CloseLog();

  OpenLog();
  EXPECT_EQ(log_->CurrentHead().size, head.size);
  EXPECT_EQ(log_->CurrentHead().root, head.root);
  EXPECT_EQ(StoredEvents(), events);
  // Appending continues the same tree.
  absl::StatusOr<uint64_t> seq = log_->Append(MakeEvent(99), nullptr);
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(*seq, 37u);
  ExpectConsistentTree();
}

TEST_F(AuditLogTest, OpenFailsWithDataLossWhenTheLastEventWasEdited) {
  OpenLog();
  AppendEvents(0, 10);
  std::string last = *log_->ReadEvent(9);
  AuditEvent edited;
  ASSERT_TRUE(edited.ParseFromString(last));
  edited.set_record_ids(0, "record-X");
  storage::Batch batch;
  batch.Put(Cf::kAudit, EncodeU64(9), Sealed(9, SerializeEvent(edited)));
  ASSERT_TRUE(db_->Write(batch).ok());
  CloseLog();
  EXPECT_EQ(ReopenedLogStatus().code(), absl::StatusCode::kDataLoss);
}

TEST_F(AuditLogTest, OpenFailsWithDataLossWhenTheLastEventIsMissing) {
  OpenLog();
  AppendEvents(0, 10);
  storage::Batch batch;
  batch.Delete(Cf::kAudit, EncodeU64(9));
  ASSERT_TRUE(db_->Write(batch).ok());
  CloseLog();
  EXPECT_EQ(ReopenedLogStatus().code(), absl::StatusCode::kDataLoss);
}

TEST_F(AuditLogTest, OpenFailsWithDataLossWhenEventsLieBeyondTheTree) {
  OpenLog();
  AppendEvents(0, 10);
  storage::Batch batch;
  batch.Put(Cf::kAudit, EncodeU64(10), Sealed(10, SerializeEvent(MakeEvent(10))));
  ASSERT_TRUE(db_->Write(batch).ok());
  CloseLog();
  EXPECT_EQ(ReopenedLogStatus().code(), absl::StatusCode::kDataLoss);
}

// Someone who can write the data folder but has no key file: the hashes are public, so they can
// append (or drop, or edit) events and bring the tree and its state up to date. Every check that
// needs no key passes; the state's MAC does not.
TEST_F(AuditLogTest, ATreeBroughtUpToDateWithoutTheKeyStopsTheLogFromOpening) {
  OpenLog();
  AppendEvents(0, 10);
  CloseLog();
  {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(DataDir());
    ASSERT_TRUE(db.ok()) << db.status();
    absl::StatusOr<std::optional<std::string>> state = (*db)->Get(Cf::kMeta, "audit/frontier");
    ASSERT_TRUE(state.ok() && state->has_value());
    absl::StatusOr<merkle::CompactRange> frontier = merkle::CompactRange::Parse(**state);
    ASSERT_TRUE(frontier.ok()) << frontier.status();
    AuditEvent forged = MakeEvent(10);
    forged.set_sequence(10);
    const std::string bytes = SerializeEvent(forged);
    storage::Batch batch;
    batch.Put(Cf::kAudit, EncodeU64(10), bytes);
    frontier->Append(merkle::HashLeaf(bytes), [&](int level, uint64_t index, absl::string_view h) {
      batch.Put(Cf::kMerkle, absl::StrCat(std::string(1, static_cast<char>(level)),
                                          EncodeU64(index)),
                h);
    });
    batch.Put(Cf::kMeta, "audit/frontier", frontier->Serialize());
    ASSERT_TRUE((*db)->Write(batch).ok());
  }
  const absl::Status opened = ReopenedLogStatus();
  EXPECT_EQ(opened.code(), absl::StatusCode::kDataLoss) << opened;
  EXPECT_THAT(std::string(opened.message()), ::testing::HasSubstr("authentication"));
}

TEST_F(AuditLogTest, ALogOpensOnlyWithTheKeyItWasWrittenWith) {
  OpenLog();
  AppendEvents(0, 3);
  CloseLog();
  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(DataDir());
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(AuditLog::Open(db->get(), &clock_, crypto::SecretBytes(std::string(32, 'k')))
                .status()
                .code(),
            absl::StatusCode::kDataLoss);
  // The MAC deleted: as unauthenticated as a changed one.
  storage::Batch batch;
  batch.Delete(Cf::kMeta, "audit/state-mac");
  ASSERT_TRUE((*db)->Write(batch).ok());
  EXPECT_EQ(AuditLog::Open(db->get(), &clock_, TestLogKey()).status().code(),
            absl::StatusCode::kDataLoss);
}

// Whoever reads the data folder or a backup without the key file learns nothing from the events:
// not who called, what, about which record, for which case, with which outcome.
TEST_F(AuditLogTest, AuditEventsAreSealedAtRest) {
  OpenLog();
  AuditEvent event = MakeEvent(1);
  event.set_actor("spiffe://registry.kjc.dev/employer/qwertyschool");
  event.set_organisation("org-xyzzy-plugh");
  event.set_action("/registry.v1.VettingService/VettingCheck");
  event.set_record_ids(0, "deciding-record-zq7");
  event.set_case_reference("CONSENT-QW-2026/77");
  event.set_request_id("req-frobozz-41");
  ASSERT_TRUE(log_->Append(event, nullptr).ok());
  AppendEvents(2, 3);
  ASSERT_TRUE(db_->Flush().ok());
  const std::vector<std::string> needles = {
      "qwertyschool", "org-xyzzy-plugh", "VettingService", "deciding-record-zq7",
      "CONSENT-QW-2026/77", "req-frobozz-41", "PKR 3/2026", "criminal_proceedings"};
  for (const std::string& needle : needles) {
    EXPECT_THAT(registry::testing::FilesContaining(DataDir(), needle), ::testing::IsEmpty())
        << needle;
  }
  // Not vacuous: the log serves the event, and the files hold what is stored for it.
  AuditEvent read;
  ASSERT_TRUE(read.ParseFromString(*log_->ReadEvent(0)));
  EXPECT_EQ(read.case_reference(), "CONSENT-QW-2026/77");
  const std::optional<std::string> stored = RawGet(Cf::kAudit, EncodeU64(0));
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE(registry::testing::FilesContaining(DataDir(), stored->substr(12, 24)).empty());
}

// An event changed, or moved to another index, without the key: reading it fails and names it,
// before anything of it is believed or served.
TEST_F(AuditLogTest, AnEventChangedOrMovedWithoutTheKeyIsNamedWhenRead) {
  OpenLog();
  AppendEvents(0, 8);
  std::string flipped = *RawGet(Cf::kAudit, EncodeU64(4));
  flipped[flipped.size() / 2] ^= 0x01;
  storage::Batch batch;
  batch.Put(Cf::kAudit, EncodeU64(4), flipped);
  batch.Put(Cf::kAudit, EncodeU64(6), *RawGet(Cf::kAudit, EncodeU64(2)));
  ASSERT_TRUE(db_->Write(batch).ok());
  for (uint64_t index : {4u, 6u}) {
    const absl::StatusOr<std::string> read = log_->ReadEvent(index);
    EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss) << index;
    EXPECT_THAT(std::string(read.status().message()),
                ::testing::HasSubstr(absl::StrCat("audit event ", index, " fails authentication")));
    EXPECT_TRUE(IsPublicError(read.status()));
  }
  std::vector<uint64_t> seen;
  const absl::Status scan = log_->Scan(0, 8, [&](uint64_t index, absl::string_view) {
    seen.push_back(index);
    return true;
  });
  EXPECT_EQ(scan.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 1, 2, 3}));
  EXPECT_TRUE(log_->ReadEvent(5).ok());
}

// The data check names every damaged event, not only the first: a scan past damage tells each
// one (missing events, the trailing ones too, and one that fails authentication) with the error
// a scan stops with, reads every other event, and offers the tree's leaf for the damaged ones.
TEST_F(AuditLogTest, AScanPastDamageTellsEveryDamagedEventAndReadsTheRest) {
  OpenLog();
  AppendEvents(0, 10);
  const std::string leaf_of_3 = *RawGet(Cf::kMerkle, std::string(1, '\0') + EncodeU64(3));
  std::string flipped = *RawGet(Cf::kAudit, EncodeU64(5));
  flipped[flipped.size() / 2] ^= 0x01;
  storage::Batch batch;
  batch.Delete(Cf::kAudit, EncodeU64(1));
  batch.Delete(Cf::kAudit, EncodeU64(3));
  batch.Put(Cf::kAudit, EncodeU64(5), flipped);
  batch.Delete(Cf::kAudit, EncodeU64(8));
  ASSERT_TRUE(db_->Write(batch).ok());
  std::vector<uint64_t> read;
  std::vector<std::pair<uint64_t, std::string>> damaged;
  const absl::Status scan = log_->ScanRetainedPastDamage(
      9,
      [&](uint64_t index, absl::string_view) {
        read.push_back(index);
        return true;
      },
      [&](uint64_t index, const absl::Status& error) {
        EXPECT_EQ(error.code(), absl::StatusCode::kDataLoss) << index;
        EXPECT_TRUE(IsPublicError(error)) << index;
        damaged.emplace_back(index, std::string(error.message()));
      });
  ASSERT_TRUE(scan.ok()) << scan;
  EXPECT_EQ(read, (std::vector<uint64_t>{0, 2, 4, 6, 7}));
  ASSERT_EQ(damaged.size(), 4u);
  EXPECT_EQ(damaged[0], std::make_pair(uint64_t{1}, std::string("audit event 1 is missing")));
  EXPECT_EQ(damaged[1], std::make_pair(uint64_t{3}, std::string("audit event 3 is missing")));
  EXPECT_EQ(damaged[2].first, 5u);
  EXPECT_THAT(damaged[2].second, ::testing::HasSubstr("audit event 5 fails authentication"));
  EXPECT_EQ(damaged[3], std::make_pair(uint64_t{8}, std::string("audit event 8 is missing")));
  EXPECT_EQ(*log_->StoredLeaf(3), leaf_of_3);
  // Every other scan still stops at the first.
  EXPECT_EQ(log_->ScanRetained(9, [](uint64_t, absl::string_view) { return true; }).code(),
            absl::StatusCode::kDataLoss);
}

// The table files (*.sst) of the audit family directly in `data_dir`.
std::set<std::string> AuditTableFiles(const std::string& data_dir) {
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir)) {
    if (entry.path().extension() != ".sst") continue;
    rocksdb::SstFileReader reader{rocksdb::Options()};
    if (!reader.Open(entry.path().string()).ok()) continue;
    if (reader.GetTableProperties()->column_family_name == CfName(Cf::kAudit)) {
      files.insert(entry.path().string());
    }
  }
  return files;
}

// A damaged block of a level-0 file (here the one of events 100..109) is named as those events,
// and stops no read of the others: a scan's seek reads a block of every level-0 file, whatever
// events it holds, so before, every scan of the log failed, naming its first event.
TEST_F(AuditLogTest, ADamagedLevelZeroFileStopsOnlyTheReadsOfItsOwnEvents) {
  OpenLog();
  AppendEvents(0, 100);
  ASSERT_TRUE(db_->CompactRange(Cf::kAudit, "", "").ok());  // events 0..99 below level 0
  const std::set<std::string> compacted = AuditTableFiles(DataDir());
  AppendEvents(100, 10);
  ASSERT_TRUE(db_->Flush().ok());  // events 100..109: one level-0 file
  std::set<std::string> damaged = AuditTableFiles(DataDir());
  for (const std::string& file : compacted) damaged.erase(file);
  ASSERT_EQ(damaged.size(), 1u);
  AppendEvents(110, 10);
  ASSERT_TRUE(db_->Flush().ok());  // events 110..119: another one, intact
  CloseLog();
  // One bit of the file's only data block (16 KiB blocks; ten events are about 3 KiB).
  std::string bytes = registry::testing::ReadBinary(*damaged.begin());
  ASSERT_GT(bytes.size(), 200u);
  bytes[100] = static_cast<char>(bytes[100] ^ 0x04);
  std::ofstream(*damaged.begin(), std::ios::binary | std::ios::trunc) << bytes;
  OpenLog();
  ASSERT_EQ(log_->CurrentHead().size, 120u);

  const auto scan = [&](uint64_t start, uint64_t end, BlockCache cache) {
    std::vector<uint64_t> seen;
    const absl::Status status = log_->Scan(
        start, end,
        [&](uint64_t index, absl::string_view) {
          seen.push_back(index);
          return true;
        },
        cache);
    return std::make_pair(status, seen);
  };
  const auto indexes = [](uint64_t from, uint64_t to) {
    std::vector<uint64_t> all;
    for (uint64_t i = from; i < to; ++i) all.push_back(i);
    return all;
  };
  for (BlockCache cache : {BlockCache::kFill, BlockCache::kBypass}) {
    for (const auto& [from, to] : std::vector<std::pair<uint64_t, uint64_t>>{
             {0, 6}, {10, 20}, {0, 100}, {110, 120}}) {
      const auto [status, seen] = scan(from, to, cache);
      EXPECT_TRUE(status.ok()) << from << ".." << to << ": " << status;
      EXPECT_EQ(seen, indexes(from, to)) << from << ".." << to;
    }
    for (uint64_t from : {0u, 42u, 105u}) {
      const auto [status, seen] = scan(from, 120, cache);
      EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << from;
      EXPECT_TRUE(IsPublicError(status)) << status;
      const uint64_t named = std::max<uint64_t>(from, 100);
      EXPECT_THAT(std::string(status.message()),
                  ::testing::HasSubstr(absl::StrCat("audit event ", named,
                                                    " cannot be read: a checksum")))
          << from;
      EXPECT_EQ(seen, indexes(from, named)) << from;
    }
  }
  const absl::Status retained = log_->ScanRetained(120, [](uint64_t, absl::string_view) {
    return true;
  });
  EXPECT_THAT(std::string(retained.message()), ::testing::HasSubstr("audit event 100 cannot"));
  EXPECT_TRUE(log_->ReadEvent(99).ok());
  EXPECT_TRUE(log_->ReadEvent(110).ok());
}

// The last event written without the key (here: the plaintext an older registryd wrote) stops
// the log from opening even when its hash matches the tree.
TEST_F(AuditLogTest, ALastEventThatIsNotSealedStopsTheLogFromOpening) {
  OpenLog();
  AppendEvents(0, 5);
  const std::string plaintext = *log_->ReadEvent(4);
  storage::Batch batch;
  batch.Put(Cf::kAudit, EncodeU64(4), plaintext);
  ASSERT_TRUE(db_->Write(batch).ok());
  CloseLog();
  const absl::Status opened = ReopenedLogStatus();
  EXPECT_EQ(opened.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(opened.message()), ::testing::HasSubstr("fails authentication"));
}

// A deleted or edited last event was said bare ("audit log's last event is missing"), with no
// event number and nothing to do, where a damaged event before it is named as an incident with
// the way out: the last one is said the same way.
TEST_F(AuditLogTest, ALastEventDeletedOrEditedIsNamedAsAnIncidentWithWhatToDo) {
  const auto expect_incident_at_4 = [&](absl::string_view damage) {
    const absl::Status opened = ReopenedLogStatus();
    EXPECT_EQ(opened.code(), absl::StatusCode::kDataLoss) << damage;
    const std::string said(opened.message());
    EXPECT_THAT(said, ::testing::HasSubstr("the audit log is damaged at event 4 (its last event"));
    EXPECT_THAT(said, ::testing::HasSubstr(damage));
    EXPECT_THAT(said, ::testing::HasSubstr("This is an incident"));
    EXPECT_THAT(said, ::testing::HasSubstr("registryd --verify_data"));
    EXPECT_THAT(said, ::testing::HasSubstr("restoring the last backup that verifies sound"));
  };
  ASSERT_NO_FATAL_FAILURE(FiveEventsTheLastEdited());
  CloseLog();
  expect_incident_at_4("fails authentication");
  ASSERT_NO_FATAL_FAILURE(DeleteStoredEvent(4));
  expect_incident_at_4("is missing");
}

// `registryd --verify_data` stopped at the refusal above, which tells the operator to run it: its
// read-only open asks for a log whose damaged last event is not trusted, and the data check names
// that event. Start-up's open still refuses; the look appends nothing after the event.
TEST_F(AuditLogTest, ALookOpensALogWhoseLastEventIsDamagedWithoutTrustingItAndAppendsNothing) {
  const auto expect_look_only = [&](absl::string_view damage) {
    EXPECT_EQ(ReopenedLogStatus().code(), absl::StatusCode::kDataLoss) << damage;
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(DataDir());
    ASSERT_TRUE(db.ok()) << db.status();
    absl::StatusOr<std::unique_ptr<AuditLog>> look =
        AuditLog::Open(db->get(), &clock_, TestLogKey(), /*damaged_last_event_allowed=*/true);
    ASSERT_TRUE(look.ok()) << damage << ": " << look.status();
    EXPECT_EQ((*look)->CurrentHead().size, 5u) << damage;
    EXPECT_FALSE((*look)->ReadEvent(4).ok()) << damage;
    EXPECT_TRUE((*look)->ReadEvent(3).ok()) << damage;
    AuditEvent event;
    event.set_actor("user:clerk");
    event.set_action("registry.v1.RecordService/GetRecord");
    EXPECT_EQ((*look)->Append(event, nullptr).status().code(),
              absl::StatusCode::kFailedPrecondition)
        << damage;
    absl::StatusOr<std::optional<std::string>> beyond = (*db)->Get(Cf::kAudit, EncodeU64(5));
    ASSERT_TRUE(beyond.ok());
    EXPECT_FALSE(beyond->has_value()) << damage;
  };
  ASSERT_NO_FATAL_FAILURE(FiveEventsTheLastEdited());
  CloseLog();
  ASSERT_NO_FATAL_FAILURE(expect_look_only("edited"));
  ASSERT_NO_FATAL_FAILURE(DeleteStoredEvent(4));
  ASSERT_NO_FATAL_FAILURE(expect_look_only("deleted"));
}

// The last event's row copied to the next index, as someone with the data folder can: start-up
// refuses the log, but `registryd --verify_data` stopped there too, with one line and no
// summary. The look opens it (the data check names the row) and appends nothing over it.
TEST_F(AuditLogTest, ALookOpensALogWithAnEventStoredBeyondItsTreeWhichAStartRefuses) {
  OpenLog();
  AppendEvents(0, 5);
  CloseLog();
  {
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(DataDir());
    ASSERT_TRUE(db.ok()) << db.status();
    absl::StatusOr<std::optional<std::string>> last = (*db)->Get(Cf::kAudit, EncodeU64(4));
    ASSERT_TRUE(last.ok() && last->has_value());
    storage::Batch copy;
    copy.Put(Cf::kAudit, EncodeU64(5), **last);
    ASSERT_TRUE((*db)->Write(copy).ok());
  }
  const absl::Status refused = ReopenedLogStatus();
  EXPECT_EQ(refused.code(), absl::StatusCode::kDataLoss) << refused;
  EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("beyond its tree"));
  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(DataDir());
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<std::unique_ptr<AuditLog>> look =
      AuditLog::Open(db->get(), &clock_, TestLogKey(), /*damaged_last_event_allowed=*/true);
  ASSERT_TRUE(look.ok()) << look.status();
  EXPECT_EQ((*look)->CurrentHead().size, 5u);
  EXPECT_TRUE((*look)->ReadEvent(4).ok());
  AuditEvent event;
  event.set_actor("user:clerk");
  event.set_action("registry.v1.RecordService/GetRecord");
  EXPECT_EQ((*look)->Append(event, nullptr).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*look)->CurrentHead().size, 5u);
}

TEST_F(AuditLogTest, InclusionProofsVerifyForEveryLeafAndSize) {
  OpenLog();
  constexpr int kEvents = 70;
  AppendEvents(0, kEvents);
  const std::vector<std::string> events = StoredEvents();
  for (uint64_t size = 1; size <= kEvents; ++size) {
    const std::string root = RootOf(events, size);
    for (uint64_t index = 0; index < size; ++index) {
      absl::StatusOr<std::vector<std::string>> proof = log_->InclusionProof(index, size);
      ASSERT_TRUE(proof.ok()) << proof.status();
      EXPECT_TRUE(
          merkle::VerifyInclusion(merkle::HashLeaf(events[index]), index, size, *proof, root).ok())
          << "leaf " << index << " of " << size;
      // The same proof does not vouch for another event.
      if (size > 1) {
        const uint64_t other = (index + 1) % size;
        EXPECT_EQ(
            merkle::VerifyInclusion(merkle::HashLeaf(events[other]), index, size, *proof, root)
                .code(),
            absl::StatusCode::kDataLoss);
      }
    }
  }
  EXPECT_EQ(log_->InclusionProof(kEvents, kEvents).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log_->InclusionProof(0, kEvents + 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AuditLogTest, ConsistencyProofsVerifyForEveryPairOfSizes) {
  OpenLog();
  constexpr int kEvents = 70;
  AppendEvents(0, kEvents);
  const std::vector<std::string> events = StoredEvents();
  for (uint64_t second = 1; second <= kEvents; ++second) {
    const std::string second_root = RootOf(events, second);
    for (uint64_t first = 1; first <= second; ++first) {
      const std::string first_root = RootOf(events, first);
      absl::StatusOr<std::vector<std::string>> proof = log_->ConsistencyProof(first, second);
      ASSERT_TRUE(proof.ok()) << proof.status();
      EXPECT_TRUE(merkle::VerifyConsistency(first, second, first_root, second_root, *proof).ok())
          << first << " -> " << second;
      // A rewritten earlier tree is not consistent with the log.
      if (first < second) {
        std::vector<std::string> other = {events.begin(), events.begin() + first};
        other.back() += "x";
        EXPECT_EQ(
            merkle::VerifyConsistency(first, second, RootOf(other, first), second_root, *proof)
                .code(),
            absl::StatusCode::kDataLoss)
            << first << " -> " << second;
      }
    }
  }
  EXPECT_EQ(log_->ConsistencyProof(0, 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log_->ConsistencyProof(6, 5).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log_->ConsistencyProof(5, kEvents + 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(AuditLogTest, EventTimesNeverGoBackwardsEvenWhenTheClockDoes) {
  OpenLog();
  const absl::Time t0 = clock_.Now();
  AppendEvents(0, 1);
  clock_.Set(t0 - absl::Hours(2));  // the system clock was stepped back
  AppendEvents(1, 1);
  clock_.Set(t0 + absl::Seconds(5));
  AppendEvents(2, 1);
  clock_.Set(t0 - absl::Hours(1));
  AppendEvents(3, 1);
  CloseLog();
  // Also across a restart: the log resumes from its last event's time.
  clock_.Set(t0 - absl::Hours(3));
  OpenLog();
  AppendEvents(4, 1);

  std::vector<absl::Time> times;
  for (const std::string& bytes : StoredEvents()) {
    AuditEvent event;
    ASSERT_TRUE(event.ParseFromString(bytes));
    absl::StatusOr<absl::Time> t = ParseInstant(event.time());
    ASSERT_TRUE(t.ok()) << event.time();
    times.push_back(*t);
  }
  ASSERT_EQ(times.size(), 5u);
  EXPECT_EQ(times[0], t0);
  for (size_t i = 1; i < times.size(); ++i) EXPECT_GE(times[i], times[i - 1]) << "event " << i;
  EXPECT_EQ(times[2], t0 + absl::Seconds(5));
  EXPECT_EQ(times[3], t0 + absl::Seconds(5));
  EXPECT_EQ(times[4], t0 + absl::Seconds(5));
}

// Start-up reads the stored frontier, not the events: opening a log of 100,000
// events costs about what opening a log of 10 does.
TEST_F(AuditLogTest, OpenDoesNotReadTheWholeLog) {
  constexpr int kBig = 100000;
  constexpr int kThreads = 100;
  OpenLog("big");
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = t; i < kBig; i += kThreads) {
          absl::StatusOr<uint64_t> seq = log_->Append(MakeEvent(i), nullptr);
          ASSERT_TRUE(seq.ok()) << seq.status();
        }
      });
    }
    for (std::thread& th : threads) th.join();
  }
  ASSERT_EQ(log_->CurrentHead().size, static_cast<uint64_t>(kBig));
  const AuditLog::Head big_head = log_->CurrentHead();
  CloseLog();
  OpenLog("small");
  AppendEvents(0, 10);
  CloseLog();

  // The best of a few opens of each, printed for a reader. And RocksDB's thread-local perf
  // counters during Open, a deterministic measure of how much it reads: the bytes of values it was handed, and the bytes of blocks read from files (each
  // Database has its own block cache, so every round starts cold).
  struct OpenCost {
    absl::Duration time = absl::InfiniteDuration();
    uint64_t value_bytes = 0;
    uint64_t block_bytes = 0;
  };
  auto time_open = [&](absl::string_view name, AuditLog::Head* head) {
    OpenCost cost;
    for (int round = 0; round < 3; ++round) {
      absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(DataDir(name));
      EXPECT_TRUE(db.ok()) << db.status();
      if (!db.ok()) return cost;
      rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
      rocksdb::get_perf_context()->Reset();
      const absl::Time start = absl::Now();
      absl::StatusOr<std::unique_ptr<AuditLog>> log =
          AuditLog::Open(db->get(), &clock_, TestLogKey());
      const absl::Duration took = absl::Now() - start;
      const rocksdb::PerfContext& perf = *rocksdb::get_perf_context();
      cost.value_bytes = std::max<uint64_t>(
          cost.value_bytes, perf.get_read_bytes + perf.multiget_read_bytes + perf.iter_read_bytes);
      cost.block_bytes = std::max<uint64_t>(cost.block_bytes, perf.block_read_byte);
      rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
      EXPECT_TRUE(log.ok()) << log.status();
      if (!log.ok()) return cost;
      *head = (*log)->CurrentHead();
      cost.time = std::min(cost.time, took);
    }
    return cost;
  };
  AuditLog::Head reopened_big;
  AuditLog::Head reopened_small;
  const OpenCost big = time_open("big", &reopened_big);
  const OpenCost small = time_open("small", &reopened_small);
  std::printf("AuditLog::Open, %d events: %s, %llu value bytes, %llu block bytes\n", kBig,
              absl::FormatDuration(big.time).c_str(),
              static_cast<unsigned long long>(big.value_bytes),
              static_cast<unsigned long long>(big.block_bytes));
  std::printf("AuditLog::Open, 10 events: %s, %llu value bytes, %llu block bytes\n",
              absl::FormatDuration(small.time).c_str(),
              static_cast<unsigned long long>(small.value_bytes),
              static_cast<unsigned long long>(small.block_bytes));
  EXPECT_EQ(reopened_big.size, big_head.size);
  EXPECT_EQ(reopened_big.root, big_head.root);
  EXPECT_EQ(reopened_small.size, 10u);
  // The times are printed, not asserted (a busy machine decides them); the byte counters are the
  // check. The log is megabytes; Open reads the frontier, the last event and its leaf (the
  // counters do count: that is more than nothing).
  EXPECT_GT(big.value_bytes, 0u);
  EXPECT_LT(big.value_bytes, 16u * 1024);
  EXPECT_LT(big.block_bytes, 1024u * 1024);
}

// ---------------------------------------------------------------------------------------------
// Retention: pruning the oldest events while the tree keeps every hash

AuditEvent PruningEvent() {
  AuditEvent event;
  event.set_actor("system:audit-retention");
  event.set_action("audit-retention");
  return event;
}

class AuditPruneTest : public AuditLogTest {
 protected:
  // Appends `count` events one hour apart, starting an hour after the clock's current time; the
  // clock is left at the last event's time. Remembers every event's bytes.
  void AppendHourly(int count) {
    for (int i = 0; i < count; ++i) {
      clock_.Advance(absl::Hours(1));
      const int n = static_cast<int>(original_.size());
      absl::StatusOr<uint64_t> seq = log_->Append(MakeEvent(n), nullptr);
      ASSERT_TRUE(seq.ok()) << seq.status();
      absl::StatusOr<std::string> bytes = log_->ReadEvent(*seq);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      original_.push_back(*bytes);
    }
  }

  // The time of original event i.
  absl::Time TimeOf(size_t i) const {
    AuditEvent event;
    EXPECT_TRUE(event.ParseFromString(original_[i]));
    return *ParseInstant(event.time());
  }

  // Sets the clock so that, with a retention of `days`, events [0, due) are due and no other.
  void MakeDue(size_t due, uint32_t days = 1) {
    clock_.Set(TimeOf(due) + absl::Hours(24) * days);
  }

  absl::StatusOr<AuditLog::PruneResult> Prune(uint32_t days = 1, uint64_t max = 1000,
                                              const AuditLog::KeepFn& keep = nullptr) {
    return log_->Prune(days, max, PruningEvent(), keep);
  }

  std::vector<std::string> original_;
};

TEST_F(AuditPruneTest, DeletesTheDuePrefixAndRecordsItInTheSameBatch) {
  OpenLog();
  AppendHourly(30);
  const AuditLog::Head before = log_->CurrentHead();
  MakeDue(20);
  absl::StatusOr<AuditLog::PruneResult> pruned = Prune();
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->from, 0u);
  EXPECT_EQ(pruned->to, 20u);
  EXPECT_EQ(pruned->sequence, 30u);
  EXPECT_EQ(pruned->newest_time, FormatInstant(TimeOf(19), /*micros=*/true));

  // The boundary, and the event that records it, right after the pruned events.
  const AuditLog::Pruned state = log_->CurrentPruned();
  EXPECT_EQ(state.size, 20u);
  EXPECT_EQ(state.recorded_by, 30u);
  EXPECT_EQ(state.newest_time, pruned->newest_time);
  ASSERT_EQ(log_->CurrentHead().size, 31u);
  AuditEvent recorded;
  ASSERT_TRUE(recorded.ParseFromString(*log_->ReadEvent(30)));
  EXPECT_EQ(recorded.actor(), "system:audit-retention");
  EXPECT_EQ(recorded.pruning().from_index(), 0u);
  EXPECT_EQ(recorded.pruning().to_index(), 20u);
  EXPECT_EQ(recorded.pruning().newest_pruned_time(), pruned->newest_time);
  EXPECT_EQ(recorded.pruning().retention_days(), 1u);
  EXPECT_EQ(recorded.pruning().cutoff(), FormatInstant(TimeOf(20), /*micros=*/true));
  // The cutoff is the run's clock minus the retention, and the event is dated no earlier.
  EXPECT_LE(*ParseInstant(recorded.pruning().cutoff()) + absl::Hours(24),
            *ParseInstant(recorded.time()));

  // The bytes of the pruned events are gone, the retained ones and every tree hash stay.
  for (uint64_t i = 0; i < 30; ++i) {
    EXPECT_EQ(RawGet(Cf::kAudit, EncodeU64(i)).has_value(), i >= 20) << i;
    EXPECT_EQ(RawGet(Cf::kMerkle, std::string(1, '\0') + EncodeU64(i)),
              merkle::HashLeaf(original_[i]))
        << i;
  }
  // The tree is the same tree, grown by one event.
  EXPECT_EQ(*log_->RootAt(30), before.root);
  std::vector<std::string> all = original_;
  all.push_back(*log_->ReadEvent(30));
  EXPECT_EQ(log_->CurrentHead().root, RootOf(all, all.size()));
}

TEST_F(AuditPruneTest, ProofsOfEveryEventStillVerifyAfterPruning) {
  OpenLog();
  AppendHourly(45);
  MakeDue(29);
  ASSERT_TRUE(Prune().ok());
  AppendHourly(3);
  // original_ lacks the pruning event (index 45); take it from the log.
  std::vector<std::string> all(original_.begin(), original_.begin() + 45);
  all.push_back(*log_->ReadEvent(45));
  all.insert(all.end(), original_.begin() + 45, original_.end());
  const uint64_t n = log_->CurrentHead().size;
  ASSERT_EQ(all.size(), n);
  for (uint64_t size = 1; size <= n; ++size) {
    const std::string root = RootOf(all, size);
    ASSERT_EQ(*log_->RootAt(size), root) << size;
    // Inclusion: of retained events and, given their leaf hash, of pruned ones too.
    for (uint64_t index = 0; index < size; ++index) {
      absl::StatusOr<std::vector<std::string>> proof = log_->InclusionProof(index, size);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_TRUE(
          merkle::VerifyInclusion(merkle::HashLeaf(all[index]), index, size, *proof, root).ok())
          << index << " of " << size;
    }
    for (uint64_t first = 1; first <= size; ++first) {
      absl::StatusOr<std::vector<std::string>> proof = log_->ConsistencyProof(first, size);
      ASSERT_TRUE(proof.ok()) << proof.status();
      ASSERT_TRUE(
          merkle::VerifyConsistency(first, size, RootOf(all, first), root, *proof).ok())
          << first << " -> " << size;
    }
  }
}

TEST_F(AuditPruneTest, TheLeftEdgeAndTheRetainedEventsGiveTheRoot) {
  OpenLog();
  AppendHourly(50);
  MakeDue(37);
  ASSERT_TRUE(Prune().ok());
  const AuditLog::Pruned pruned = log_->CurrentPruned();
  ASSERT_EQ(pruned.size, 37u);
  absl::StatusOr<merkle::CompactRange> edge = log_->FrontierAt(pruned.size);
  ASSERT_TRUE(edge.ok()) << edge.status();
  EXPECT_EQ(edge->size(), 37u);
  EXPECT_EQ(edge->Hashes().size(), 3u);  // 37 = 32 + 4 + 1
  merkle::CompactRange range = *std::move(edge);
  const uint64_t n = log_->CurrentHead().size;
  ASSERT_TRUE(log_->ScanRetained(n, [&](uint64_t index, absl::string_view bytes) {
                    EXPECT_EQ(index, range.size());
                    range.Append(merkle::HashLeaf(bytes), nullptr);
                    return true;
                  }).ok());
  EXPECT_EQ(range.size(), n);
  EXPECT_EQ(range.Root(), log_->CurrentHead().root);
  EXPECT_EQ(log_->FrontierAt(n + 1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuditPruneTest, ScansStartAtTheBoundaryAndRefuseToStartBelowIt) {
  OpenLog();
  AppendHourly(30);
  MakeDue(12);
  ASSERT_TRUE(Prune().ok());
  const uint64_t n = log_->CurrentHead().size;
  std::vector<uint64_t> seen;
  ASSERT_TRUE(log_->Scan(12, n, [&](uint64_t index, absl::string_view) {
                    seen.push_back(index);
                    return true;
                  }).ok());
  ASSERT_EQ(seen.size(), n - 12);
  EXPECT_EQ(seen.front(), 12u);
  seen.clear();
  ASSERT_TRUE(log_->ScanRetained(n, [&](uint64_t index, absl::string_view) {
                    seen.push_back(index);
                    return true;
                  }).ok());
  ASSERT_EQ(seen.size(), n - 12);
  EXPECT_EQ(seen.front(), 12u);

  // Below the boundary: a public OUT_OF_RANGE that names it, before anything is handed out.
  for (uint64_t start : {0u, 5u, 11u}) {
    bool called = false;
    const absl::Status below = log_->Scan(start, n, [&](uint64_t, absl::string_view) {
      called = true;
      return true;
    });
    EXPECT_EQ(below.code(), absl::StatusCode::kOutOfRange) << start;
    EXPECT_TRUE(IsPublicError(below));
    EXPECT_THAT(std::string(below.message()),
                ::testing::HasSubstr("before index 12 were deleted by audit retention"));
    EXPECT_THAT(std::string(below.message()),
                ::testing::HasSubstr(FormatInstant(TimeOf(11), /*micros=*/true)));
    EXPECT_FALSE(called);
    EXPECT_EQ(log_->ReadEvent(start).status().code(), absl::StatusCode::kOutOfRange);
  }
  EXPECT_TRUE(log_->Scan(3, 3, [](uint64_t, absl::string_view) { return true; }).ok());

  // Above the boundary a missing event is still damage, never taken for pruning.
  storage::Batch batch;
  batch.Delete(Cf::kAudit, EncodeU64(20));
  ASSERT_TRUE(db_->Write(batch).ok());
  const absl::Status gap = log_->ScanRetained(n, [](uint64_t, absl::string_view) { return true; });
  EXPECT_EQ(gap.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(gap.message(), "audit event 20 is missing");
}

TEST_F(AuditPruneTest, NothingDueWritesNothing) {
  OpenLog();
  AppendHourly(10);
  const AuditLog::Head before = log_->CurrentHead();
  // The oldest event is exactly at the cutoff: not before it, so not due.
  MakeDue(0);
  absl::StatusOr<AuditLog::PruneResult> pruned = Prune();
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->to, pruned->from);
  EXPECT_EQ(log_->CurrentHead().size, before.size);
  EXPECT_EQ(log_->CurrentPruned().size, 0u);
  EXPECT_EQ(Prune(0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Prune(1, 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(AuditPruneTest, StepsAreCappedContiguousAndEachRecorded) {
  OpenLog();
  AppendHourly(40);
  MakeDue(25);
  std::vector<AuditLog::PruneResult> steps;
  while (true) {
    absl::StatusOr<AuditLog::PruneResult> step = Prune(1, /*max=*/7);
    ASSERT_TRUE(step.ok()) << step.status();
    if (step->to == step->from) break;
    steps.push_back(*step);
  }
  ASSERT_EQ(steps.size(), 4u);  // 7 + 7 + 7 + 4
  uint64_t boundary = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(steps[i].from, boundary) << i;
    EXPECT_LE(steps[i].to - steps[i].from, 7u);
    EXPECT_EQ(steps[i].sequence, 40u + i);
    AuditEvent recorded;
    ASSERT_TRUE(recorded.ParseFromString(*log_->ReadEvent(steps[i].sequence)));
    EXPECT_EQ(recorded.pruning().from_index(), steps[i].from);
    EXPECT_EQ(recorded.pruning().to_index(), steps[i].to);
    boundary = steps[i].to;
  }
  EXPECT_EQ(boundary, 25u);
  EXPECT_EQ(log_->CurrentPruned().size, 25u);
  EXPECT_EQ(log_->CurrentPruned().recorded_by, 43u);
}

TEST_F(AuditPruneTest, BoundaryAndPrunedFactsSurviveARestart) {
  OpenLog();
  AppendHourly(20);
  MakeDue(9);
  int kept = 0;
  ASSERT_TRUE(Prune(1, 1000, [&](const AuditEvent& event, AuditLog::PrunedFacts* facts) {
                ++kept;
                facts->Put(event.record_ids(0), event.request_id());
                if (event.record_ids(0) == "record-3") facts->Delete("record-2");
              }).ok());
  EXPECT_EQ(kept, 9);
  const AuditLog::Pruned pruned = log_->CurrentPruned();
  const AuditLog::Head head = log_->CurrentHead();
  CloseLog();
  OpenLog();
  EXPECT_EQ(log_->CurrentPruned().size, pruned.size);
  EXPECT_EQ(log_->CurrentPruned().recorded_by, pruned.recorded_by);
  EXPECT_EQ(log_->CurrentPruned().newest_time, pruned.newest_time);
  EXPECT_EQ(log_->CurrentHead().root, head.root);
  EXPECT_EQ(log_->ReadEvent(3).status().code(), absl::StatusCode::kOutOfRange);
  std::vector<std::pair<std::string, std::string>> facts;
  ASSERT_TRUE(log_->ScanPrunedFacts([&](absl::string_view key, absl::string_view value) {
                    facts.emplace_back(key, value);
                  }).ok());
  ASSERT_EQ(facts.size(), 8u);  // record-0..8 but record-2, deleted within the same batch
  EXPECT_EQ(facts[0], std::make_pair(std::string("record-0"), std::string("req-0")));
  EXPECT_EQ(facts[2], std::make_pair(std::string("record-3"), std::string("req-3")));
  // Appending and pruning continue from the stored state.
  AppendHourly(5);
  MakeDue(15);
  absl::StatusOr<AuditLog::PruneResult> next = Prune();
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->from, 9u);
  EXPECT_EQ(next->to, 15u);
  ExpectNoEventBelow(15);
}

// A kept fact carries a MAC over its key and value: one moved to another record's key (or
// edited, or forged without the key file) is refused rather than believed by the data check.
TEST_F(AuditPruneTest, AMovedPrunedFactFailsAuthentication) {
  OpenLog();
  AppendHourly(10);
  MakeDue(5);
  ASSERT_TRUE(Prune(1, 1000, [&](const AuditEvent& event, AuditLog::PrunedFacts* facts) {
                facts->Put(event.record_ids(0), "created");
              }).ok());
  ASSERT_TRUE(log_->ScanPrunedFacts([](absl::string_view, absl::string_view) {}).ok());
  absl::StatusOr<std::optional<std::string>> row =
      db_->Get(Cf::kMeta, "audit/pruned-facts/record-0");
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ(row->value().substr(0, 7), "created");
  storage::Batch batch;
  batch.Put(Cf::kMeta, "audit/pruned-facts/record-9", **row);
  ASSERT_TRUE(db_->Write(batch).ok());
  EXPECT_EQ(log_->ScanPrunedFacts([](absl::string_view, absl::string_view) {}).code(),
            absl::StatusCode::kDataLoss);
}

// The count of kept facts is authenticated with the boundary: a row deleted from the folder (or
// one put back after a later pruning deleted it) is noticed, though every row left authenticates.
// Rows written again for the same key, by the same or a later pruning, count once.
TEST_F(AuditPruneTest, ADeletedPrunedFactIsNoticed) {
  OpenLog();
  AppendHourly(20);
  MakeDue(6);
  ASSERT_TRUE(Prune(1, 1000, [&](const AuditEvent& event, AuditLog::PrunedFacts* facts) {
                facts->Put(event.record_ids(0), "created");
                facts->Put("shared", event.request_id());
              }).ok());
  EXPECT_EQ(log_->CurrentPruned().facts, 7u);  // record-0..5 and "shared"
  const std::optional<std::string> erased_row = RawGet(Cf::kMeta, "audit/pruned-facts/record-1");
  ASSERT_TRUE(erased_row.has_value());
  MakeDue(12);
  ASSERT_TRUE(Prune(1, 1000, [&](const AuditEvent& event, AuditLog::PrunedFacts* facts) {
                facts->Put("shared", event.request_id());
                if (event.record_ids(0) == "record-8") facts->Delete("record-1");
              }).ok());
  EXPECT_EQ(log_->CurrentPruned().facts, 6u);
  int rows = 0;
  ASSERT_TRUE(log_->ScanPrunedFacts([&](absl::string_view, absl::string_view) { ++rows; }).ok());
  EXPECT_EQ(rows, 6);
  // The count survives a restart.
  CloseLog();
  OpenLog();
  ASSERT_TRUE(log_->ScanPrunedFacts([](absl::string_view, absl::string_view) {}).ok());

  const std::string row_key = "audit/pruned-facts/record-3";
  const std::optional<std::string> row = RawGet(Cf::kMeta, row_key);
  ASSERT_TRUE(row.has_value());
  {
    storage::Batch batch;
    batch.Delete(Cf::kMeta, row_key);
    ASSERT_TRUE(db_->Write(batch).ok());
  }
  const absl::Status deleted = log_->ScanPrunedFacts([](absl::string_view, absl::string_view) {});
  EXPECT_EQ(deleted.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(deleted.message(),
            "audit retention kept 6 facts and 5 are stored: kept facts were deleted or put back");
  {
    storage::Batch batch;
    batch.Put(Cf::kMeta, row_key, *row);
    ASSERT_TRUE(db_->Write(batch).ok());
  }
  ASSERT_TRUE(log_->ScanPrunedFacts([](absl::string_view, absl::string_view) {}).ok());
  // A row the second pruning deleted, put back from an older copy: it authenticates, the count
  // does not.
  {
    storage::Batch batch;
    batch.Put(Cf::kMeta, "audit/pruned-facts/record-1", *erased_row);
    ASSERT_TRUE(db_->Write(batch).ok());
  }
  EXPECT_EQ(log_->ScanPrunedFacts([](absl::string_view, absl::string_view) {}).code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(AuditPruneTest, AFailedWriteChangesNothing) {
  SwitchableFault fault;
  OpenLog("data", &fault);
  AppendHourly(12);
  const AuditLog::Head before = log_->CurrentHead();
  MakeDue(8);
  fault.set_failing(true);
  EXPECT_EQ(Prune().status().code(), absl::StatusCode::kUnavailable);
  fault.set_failing(false);
  EXPECT_EQ(log_->CurrentPruned().size, 0u);
  EXPECT_EQ(log_->CurrentHead().size, before.size);
  EXPECT_EQ(log_->CurrentHead().root, before.root);
  for (uint64_t i = 0; i < 12; ++i) EXPECT_EQ(OpenedRaw(i), original_[i]);
  ExpectConsistentTree();
  // And the next attempt does the whole job.
  absl::StatusOr<AuditLog::PruneResult> pruned = Prune();
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_EQ(pruned->to, 8u);
}

// Only what the tree commits to decides what is old: an event edited on disk (here to look
// older, which would otherwise get it and everything before it deleted) stops the pruning, and
// it stays, with every event before it, for the auditor's verifier to name.
TEST_F(AuditPruneTest, AnEventThatDoesNotMatchItsLeafStopsPruningAndStays) {
  OpenLog();
  AppendHourly(20);
  AuditEvent edited;
  ASSERT_TRUE(edited.ParseFromString(original_[15]));
  edited.set_time(FormatInstant(TimeOf(0) - absl::Hours(100), /*micros=*/true));
  storage::Batch batch;
  batch.Put(Cf::kAudit, EncodeU64(15), Sealed(15, SerializeEvent(edited)));
  ASSERT_TRUE(db_->Write(batch).ok());
  MakeDue(18);
  const absl::StatusOr<AuditLog::PruneResult> pruned = Prune();
  EXPECT_EQ(pruned.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(pruned.status().message(),
            "audit event 15 does not match its tree leaf; audit retention stopped before it");
  EXPECT_EQ(log_->CurrentPruned().size, 0u);
  for (uint64_t i = 0; i < 15; ++i) EXPECT_EQ(OpenedRaw(i), original_[i]);
}

TEST_F(AuditPruneTest, PrunedBytesLeaveTheFiles) {
  OpenLog();
  AppendHourly(4);
  AuditEvent marked = MakeEvent(1000);
  marked.set_case_reference("PRUNE-MARKER-7Q");
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(log_->Append(marked, nullptr).ok());
  original_.push_back(*log_->ReadEvent(4));
  AppendHourly(4);
  ASSERT_TRUE(db_->Flush().ok());
  // The marker is sealed at rest (AuditEventsAreSealedAtRest), so the probe looks for the
  // event's stored bytes: found while the event is kept, so that their absence later means
  // something.
  const std::optional<std::string> stored = RawGet(Cf::kAudit, EncodeU64(4));
  ASSERT_TRUE(stored.has_value());
  ASSERT_GE(stored->size(), 40u);
  const std::string probe = stored->substr(12, 24);  // past the nonce: the ciphertext
  EXPECT_FALSE(registry::testing::FilesContaining(DataDir(), probe).empty());
  MakeDue(6);
  ASSERT_TRUE(Prune().ok());
  EXPECT_EQ(log_->CurrentPruned().size, 6u);
  EXPECT_THAT(registry::testing::FilesContaining(DataDir(), probe), ::testing::IsEmpty());
}

TEST_F(AuditPruneTest, OpenRefusesABoundaryThatDoesNotFitTheTree) {
  OpenLog();
  AppendHourly(10);
  MakeDue(5);
  ASSERT_TRUE(Prune().ok());
  const std::string stored = *RawGet(Cf::kMeta, "audit/pruned");
  CloseLog();
  for (const std::string& bad : {
           EncodeU64(5) + EncodeU64(11) + stored.substr(16),  // recorded beyond the tree
           EncodeU64(5) + EncodeU64(4) + stored.substr(16),   // recorded inside the prefix
           EncodeU64(5) + EncodeU64(10) + "not a time",
           stored.substr(0, 12),
       }) {
    {
      absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(DataDir());
      ASSERT_TRUE(db.ok()) << db.status();
      storage::Batch batch;
      batch.Put(Cf::kMeta, "audit/pruned", bad);
      ASSERT_TRUE((*db)->Write(batch).ok());
      EXPECT_EQ(AuditLog::Open(db->get(), &clock_, TestLogKey()).status().code(),
            absl::StatusCode::kDataLoss);
    }
  }
}

// Readers and a pruning that runs while they read: a scan from the retained start and reads of
// single events see either the old boundary with its events or the new one, never deleted events
// reported as missing (DATA_LOSS). A stress test: the window it probes (between a reader settling
// its start and opening its snapshot) is narrow, so it shows the ordering under load and under
// the sanitizers, without proving it.
TEST_F(AuditPruneTest, ReadersDuringPruningNeverSeeAGap) {
  OpenLog();
  AppendHourly(240);
  MakeDue(180);
  std::atomic<bool> done{false};
  std::atomic<int> scans{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      while (!done.load()) {
        const uint64_t n = log_->CurrentHead().size;
        const absl::Status scanned =
            log_->ScanRetained(n, [](uint64_t, absl::string_view) { return true; });
        EXPECT_TRUE(scanned.ok()) << scanned;
        const uint64_t probe = log_->CurrentPruned().size + static_cast<uint64_t>(t);
        const absl::StatusOr<std::string> read = log_->ReadEvent(probe);
        EXPECT_TRUE(read.ok() || read.status().code() == absl::StatusCode::kOutOfRange)
            << read.status();
        scans.fetch_add(1);
      }
    });
  }
  while (true) {
    absl::StatusOr<AuditLog::PruneResult> step = Prune(1, /*max=*/4);
    ASSERT_TRUE(step.ok()) << step.status();
    if (step->to == step->from) break;
  }
  done.store(true);
  for (std::thread& th : readers) th.join();
  EXPECT_EQ(log_->CurrentPruned().size, 180u);
  EXPECT_GT(scans.load(), 0);
}


// The log id (storage/audit_log_id.h): only the key file's holder names the log. Whoever can only
// write the data folder (e.g. put back an older copy of it) must not be able to give the log a
// new name, or an auditor's client would report a rolled-back log as another log (a warning)
// instead of a truncated one (a failure).
class AuditLogIdTest : public AuditLogTest {
 protected:
  // Opens DataDir() with no log on it.
  void OpenDatabaseOnly() {
    log_.reset();
    db_.reset();
    absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(DataDir());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  // A database as registryd leaves it: named, then some events written.
  std::string NamedLogWithEvents() {
    OpenDatabaseOnly();
    absl::StatusOr<std::string> id = EnsureAuditLogId(db_.get(), TestLogKey());
    EXPECT_TRUE(id.ok()) << id.status();
    OpenLog();
    AppendEvents(0, 5);
    CloseLog();
    return id.value_or("");
  }

  void PutRaw(Cf cf, absl::string_view key, absl::string_view value) {
    Batch batch;
    batch.Put(cf, key, value);
    ASSERT_TRUE(db_->Write(batch).ok());
  }

  void DeleteRaw(Cf cf, absl::string_view key) {
    Batch batch;
    batch.Delete(cf, key);
    ASSERT_TRUE(db_->Write(batch).ok());
  }

  // What EnsureAuditLogId says now, and that a refusal left the stored value as it was (no new
  // name slipped in).
  absl::Status EnsureStatusKeepingStoredValue() {
    const std::optional<std::string> before = RawGet(Cf::kMeta, kLogIdKey);
    absl::StatusOr<std::string> id = EnsureAuditLogId(db_.get(), TestLogKey());
    if (!id.ok()) {
      EXPECT_EQ(RawGet(Cf::kMeta, kLogIdKey), before);
    }
    return id.status();
  }

  static std::string OtherId(absl::string_view id) {
    std::string other(id);
    other[0] = other[0] == 'a' ? 'b' : 'a';
    return other;
  }

  static constexpr char kLogIdKey[] = "audit/log-id";
};

TEST_F(AuditLogIdTest, AFreshDatabaseGetsAnAuthenticatedIdThatIsStableAcrossReopens) {
  OpenDatabaseOnly();
  ASSERT_TRUE(NameNewAuditLog(db_.get(), TestLogKey()).ok());
  absl::StatusOr<std::string> id = ReadAuditLogId(*db_, TestLogKey());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(IsRegistryId(*id)) << *id;
  // Stored with its MAC, not as the bare id.
  absl::StatusOr<std::string> sealed = SealAuditLogId(TestLogKey(), *id);
  ASSERT_TRUE(sealed.ok()) << sealed.status();
  EXPECT_EQ(RawGet(Cf::kMeta, kLogIdKey), *sealed);
  EXPECT_NE(*sealed, *id);

  // What RecordStore::Create writes next, then events.
  PutRaw(Cf::kMeta, "keys/check", std::string(32, 'k'));
  PutRaw(Cf::kMeta, "schema/version", "8");
  OpenLog();
  AppendEvents(0, 3);
  CloseLog();
  OpenDatabaseOnly();
  ASSERT_TRUE(NameNewAuditLog(db_.get(), TestLogKey()).ok());
  absl::StatusOr<std::string> again = ReadAuditLogId(*db_, TestLogKey());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *id);
  EXPECT_EQ(RawGet(Cf::kMeta, kLogIdKey), *sealed);
  // Another new database gets another name; so does one whose first start a crash cut off
  // (Database::Open left only its count of cut-off writes).
  std::unique_ptr<Database> other_db = *OpenDatabase(DataDir("other"));
  absl::StatusOr<std::string> other = EnsureAuditLogId(other_db.get(), TestLogKey());
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_NE(*other, *id);
  std::unique_ptr<Database> cut_db = *OpenDatabase(DataDir("cut-off"));
  Batch count;
  count.Put(Cf::kMeta, "storage/cut-off-writes", "1");
  ASSERT_TRUE(cut_db->Write(count).ok());
  ASSERT_EQ(*cut_db->CutOffWrites(), 1u);
  absl::StatusOr<std::string> after_crash = EnsureAuditLogId(cut_db.get(), TestLogKey());
  ASSERT_TRUE(after_crash.ok()) << after_crash.status();
  EXPECT_NE(*after_crash, *id);
}

TEST_F(AuditLogIdTest, ADeletedIdOnADatabaseWithEventsIsRefusedNotRedrawn) {
  NamedLogWithEvents();
  OpenDatabaseOnly();
  DeleteRaw(Cf::kMeta, kLogIdKey);
  const absl::Status refused = EnsureStatusKeepingStoredValue();
  EXPECT_EQ(refused.code(), absl::StatusCode::kDataLoss) << refused;
  EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("audit log id is missing"));
  // Refused for good: a second start does not name it either.
  EXPECT_EQ(EnsureStatusKeepingStoredValue().code(), absl::StatusCode::kDataLoss);
}

// Not only events: a record, a tree node, audit state or the key check value without a log id
// is no new database.
TEST_F(AuditLogIdTest, ADeletedIdOnADatabaseWithAnyOtherDataIsRefused) {
  const std::vector<std::pair<Cf, std::string>> rows = {
      {Cf::kRecords, std::string(32, 'r')},
      {Cf::kMerkle, std::string(1, '\0') + EncodeU64(0)},
      {Cf::kMeta, "audit/frontier"},
      {Cf::kMeta, "keys/check"},
  };
  for (const auto& [cf, key] : rows) {
    SCOPED_TRACE(absl::StrCat(CfName(cf), " ", key.size()));
    db_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(DataDir(), ignored);
    OpenDatabaseOnly();
    PutRaw(cf, key, "x");
    const absl::Status refused = EnsureStatusKeepingStoredValue();
    EXPECT_EQ(refused.code(), absl::StatusCode::kDataLoss) << refused;
    EXPECT_EQ(ReadAuditLogId(*db_, TestLogKey()).status().code(), absl::StatusCode::kDataLoss);
  }
}

TEST_F(AuditLogIdTest, AnAlteredIdIsRefused) {
  const std::string id = NamedLogWithEvents();
  OpenDatabaseOnly();
  const std::string stored = *RawGet(Cf::kMeta, kLogIdKey);
  ASSERT_EQ(stored.size(), kIdSize + 32);
  std::string id_byte_flipped = stored;
  id_byte_flipped[7] = id_byte_flipped[7] == 'a' ? 'b' : 'a';  // still 32 lowercase hex
  std::string mac_byte_flipped = stored;
  mac_byte_flipped[kIdSize + 5] ^= 0x01;
  const std::vector<std::pair<std::string, std::string>> altered = {
      {"another well-formed id", OtherId(id)},
      {"the id alone", id},
      {"another id with the MAC of this one", OtherId(id) + stored.substr(kIdSize)},
      {"a byte of the id flipped", id_byte_flipped},
      {"a byte of the MAC flipped", mac_byte_flipped},
      {"the MAC cut short", stored.substr(0, stored.size() - 1)},
      {"empty", ""},
  };
  for (const auto& [what, value] : altered) {
    SCOPED_TRACE(what);
    PutRaw(Cf::kMeta, kLogIdKey, value);
    const absl::Status refused = EnsureStatusKeepingStoredValue();
    EXPECT_EQ(refused.code(), absl::StatusCode::kDataLoss) << refused;
    EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("fails authentication"));
  }
  // Put back as it was, it is accepted again.
  PutRaw(Cf::kMeta, kLogIdKey, stored);
  absl::StatusOr<std::string> back = EnsureAuditLogId(db_.get(), TestLogKey());
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, id);
}

TEST_F(AuditLogIdTest, AnIdFromAnotherKeyFileIsRefused) {
  const crypto::SecretBytes other_key(std::string(32, 'k'));
  const std::string id = NamedLogWithEvents();
  OpenDatabaseOnly();
  // This database's id, read with another installation's key.
  absl::StatusOr<std::string> foreign_reader = EnsureAuditLogId(db_.get(), other_key);
  EXPECT_EQ(foreign_reader.status().code(), absl::StatusCode::kDataLoss)
      << foreign_reader.status();
  // Another installation's authenticated id (any name, this one's included), copied in.
  for (const std::string& name : {OtherId(id), id}) {
    absl::StatusOr<std::string> foreign = SealAuditLogId(other_key, name);
    ASSERT_TRUE(foreign.ok()) << foreign.status();
    PutRaw(Cf::kMeta, kLogIdKey, *foreign);
    EXPECT_EQ(EnsureStatusKeepingStoredValue().code(), absl::StatusCode::kDataLoss);
  }
}

}  // namespace
}  // namespace registry::storage
