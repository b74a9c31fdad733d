#include "storage/audit_log.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/time_format.h"
#include "crypto/merkle.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.pb.h"
#include "rocksdb/perf_context.h"
#include "rocksdb/perf_level.h"
#include "storage/database.h"
#include "tests/testing/test_pki.h"

namespace registry::storage {
namespace {

namespace merkle = crypto::merkle;
using registry::v1::AuditEvent;

// Fails every write while switched on; counts the writes it was asked about.
class SwitchableFault : public WriteFaultInjector {
 public:
  absl::Status BeforeWrite() override {
    writes_.fetch_add(1);
    if (failing_.load()) return absl::UnavailableError("injected disk failure");
    return absl::OkStatus();
  }
  void set_failing(bool failing) { failing_.store(failing); }
  int writes() const { return writes_.load(); }

 private:
  std::atomic<bool> failing_{false};
  std::atomic<int> writes_{0};
};

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
    options.fault_injector = fault;
    absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(db_.get(), &clock_);
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
  }

  void CloseLog() {
    log_.reset();
    db_.reset();
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

  std::optional<std::string> RawGet(Cf cf, absl::string_view key) const {
    absl::StatusOr<std::optional<std::string>> v = db_->Get(cf, key);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : std::nullopt;
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
    // The raw value in the audit column family is the same bytes, under the
    // big-endian key.
    EXPECT_EQ(RawGet(Cf::kAudit, EncodeU64(*seq)), expected_bytes);
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

  rocksdb::WriteBatch ok_batch;
  ok_batch.Put(db_->cf(Cf::kRecords), "record-a", "head-a");
  ok_batch.Put(db_->cf(Cf::kIndex), "token-a", "");
  absl::StatusOr<uint64_t> seq = log_->Append(MakeEvent(1), &ok_batch);
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(RawGet(Cf::kRecords, "record-a"), "head-a");
  EXPECT_EQ(RawGet(Cf::kIndex, "token-a"), "");

  const AuditLog::Head before = log_->CurrentHead();
  fault.set_failing(true);
  rocksdb::WriteBatch failed_batch;
  failed_batch.Put(db_->cf(Cf::kRecords), "record-b", "head-b");
  failed_batch.Delete(db_->cf(Cf::kRecords), "record-a");
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
  rocksdb::WriteBatch later_batch;
  later_batch.Put(db_->cf(Cf::kRecords), "record-c", "head-c");
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
        rocksdb::WriteBatch batch;
        batch.Put(db_->cf(Cf::kRecords), absl::StrCat("r", t, "-", i), "v");
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
  rocksdb::WriteBatch batch;
  batch.Put(db_->cf(Cf::kAudit), EncodeU64(9), SerializeEvent(edited));
  ASSERT_TRUE(db_->Write(&batch).ok());
  CloseLog();

  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(DataDir());
  ASSERT_TRUE(db.ok()) << db.status();
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(db->get(), &clock_);
  EXPECT_EQ(log.status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(AuditLogTest, OpenFailsWithDataLossWhenTheLastEventIsMissing) {
  OpenLog();
  AppendEvents(0, 10);
  rocksdb::WriteBatch batch;
  batch.Delete(db_->cf(Cf::kAudit), EncodeU64(9));
  ASSERT_TRUE(db_->Write(&batch).ok());
  CloseLog();

  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(DataDir());
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(AuditLog::Open(db->get(), &clock_).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(AuditLogTest, OpenFailsWithDataLossWhenEventsLieBeyondTheTree) {
  OpenLog();
  AppendEvents(0, 10);
  rocksdb::WriteBatch batch;
  batch.Put(db_->cf(Cf::kAudit), EncodeU64(10), SerializeEvent(MakeEvent(10)));
  ASSERT_TRUE(db_->Write(&batch).ok());
  CloseLog();

  absl::StatusOr<std::unique_ptr<Database>> db = OpenDatabase(DataDir());
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ(AuditLog::Open(db->get(), &clock_).status().code(), absl::StatusCode::kDataLoss);
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

  // The best of a few opens of each, so that a busy machine does not decide the result. Also
  // RocksDB's thread-local perf counters during Open, a deterministic measure of how much it
  // reads: the bytes of values it was handed, and the bytes of blocks read from files (each
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
      absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(db->get(), &clock_);
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
  EXPECT_LE(big.time, small.time + absl::Seconds(1));
  // The log is megabytes; Open reads the frontier, the last event and its leaf (the counters
  // do count: that is more than nothing).
  EXPECT_GT(big.value_bytes, 0u);
  EXPECT_LT(big.value_bytes, 16u * 1024);
  EXPECT_LT(big.block_bytes, 1024u * 1024);
}

}  // namespace
}  // namespace registry::storage
