#include "client/audit_verifier.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/time_format.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/secret_bytes.h"
#include "crypto/tree_head.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// Every allocation through operator new in this test binary is counted, so that a test can
// measure the most the verifier holds at once, exactly and whatever the heap already held (an
// address-space limit alone cannot: pages freed by earlier tests stay mapped and are reused).
// AddressSanitizer replaces operator new itself; under it nothing is counted.
#if !defined(__SANITIZE_ADDRESS__)
#define REGISTRY_COUNTS_ALLOCATIONS 1
namespace {
constexpr size_t kAllocationHeader = alignof(std::max_align_t);  // keeps blocks aligned
std::atomic<size_t> live_bytes{0};
std::atomic<size_t> peak_bytes{0};

void* CountedNew(size_t size) {
  void* block = std::malloc(size + kAllocationHeader);
  if (block == nullptr) throw std::bad_alloc();
  *static_cast<size_t*>(block) = size;
  const size_t now = live_bytes.fetch_add(size) + size;
  size_t peak = peak_bytes.load();
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
  return static_cast<char*>(block) + kAllocationHeader;
}

void CountedDelete(void* p) noexcept {
  if (p == nullptr) return;
  void* block = static_cast<char*>(p) - kAllocationHeader;
  live_bytes.fetch_sub(*static_cast<size_t*>(block));
  std::free(block);
}
}  // namespace

void* operator new(size_t size) { return CountedNew(size); }
void* operator new[](size_t size) { return CountedNew(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  try {
    return CountedNew(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}
void operator delete(void* p) noexcept { CountedDelete(p); }
void operator delete[](void* p) noexcept { CountedDelete(p); }
void operator delete(void* p, size_t) noexcept { CountedDelete(p); }
void operator delete[](void* p, size_t) noexcept { CountedDelete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { CountedDelete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { CountedDelete(p); }
#endif

namespace registry::client {
namespace {

namespace merkle = crypto::merkle;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// The verifier's clock in these tests, and the fake log's: heads are dated just after it.
const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
constexpr uint64_t kNowMicros = 1'800'000'000'000'000;

// The log every fake is unless a test says otherwise: a log truncated or forked keeps its id.
constexpr char kLogId[] = "10c0000000000000000000000000000a";
constexpr char kOtherLogId[] = "20c0000000000000000000000000000b";

std::unique_ptr<crypto::Ed25519Signer> Signer(char seed_byte) {
  auto signer = crypto::Ed25519Signer::FromSeed(crypto::SecretBytes(std::string(32, seed_byte)));
  EXPECT_TRUE(signer.ok()) << signer.status();
  return *std::move(signer);
}

// `proof` (a v1 inclusion or consistency proof, its sizes set) holding `hashes`, as a log serves
// it, or why the hashes could not be had.
template <typename Proof>
absl::StatusOr<Proof> WithHashes(Proof proof, absl::StatusOr<std::vector<std::string>> hashes) {
  if (!hashes.ok()) return hashes.status();
  for (std::string& hash : *hashes) proof.add_hashes(std::move(hash));
  return proof;
}

// The consistency proof first_size -> second_size of the tree held in `store`, as a log serves it.
absl::StatusOr<v1::ConsistencyProof> ConsistencyProofFrom(const merkle::NodeReader& store,
                                                          uint64_t first_size,
                                                          uint64_t second_size) {
  v1::ConsistencyProof proof;
  proof.set_first_size(first_size);
  proof.set_second_size(second_size);
  return WithHashes(std::move(proof), merkle::ConsistencyProof(store, first_size, second_size));
}

// An honest in-memory audit log: a Merkle tree over its events and heads signed by its key.
// Tests then make it lie: served() is what StreamEvents sends, head() what GetSignedTreeHead
// returns, independently of the tree the proofs come from.
class FakeAuditLog final : public AuditLogSource {
 public:
  explicit FakeAuditLog(char key_seed = 'k', absl::string_view event_prefix = "event",
                        absl::string_view log_id = kLogId)
      : signer_(Signer(key_seed)), event_prefix_(event_prefix), log_id_(log_id) {}

  // Appends n events "<prefix>-<index>" and signs a new head.
  void Grow(uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t index = range_.size();
      const std::string event = absl::StrCat(event_prefix_, "-", index);
      range_.Append(merkle::HashLeaf(event), store_.Recorder());
      v1::AuditEntry& entry = served_.emplace_back();
      entry.set_index(index);
      entry.set_event_bytes(event);
    }
    SignHead(*signer_);
  }

  // Appends n audit events dated `first`, `first + step`, ... (real AuditEvent bytes, unlike
  // Grow's) and signs a new head.
  void GrowDated(uint64_t n, absl::Time first, absl::Duration step) {
    for (uint64_t i = 0; i < n; ++i) {
      v1::AuditEvent event;
      event.set_sequence(range_.size());
      event.set_time(FormatInstant(first + step * static_cast<int64_t>(i), /*micros=*/true));
      event.set_actor("spiffe://registry.kjc.dev/court/dev-court");
      event.set_action("/registry.v1.RecordService/GetRecord");
      AppendEvent(event);
    }
    SignHead(*signer_);
  }

  // Deletes the bytes of events [pruned, to) as registryd's audit retention does: appends the
  // event that records it (dated `at`, the retention `days` before it being the cutoff), serves
  // the new prefix and signs a new head. The newest pruned time is event to - 1's own (for
  // Grow's undated events, `newest` must be given). A log holding the key can write any of it.
  void Prune(uint64_t to, absl::Time at, uint32_t days = 1095,
             std::optional<std::string> newest = std::nullopt) {
    if (!newest.has_value()) {
      v1::AuditEvent last;
      EXPECT_TRUE(last.ParseFromString(served_[to - 1].event_bytes()));
      newest = last.time();
    }
    v1::AuditEvent event;
    event.set_sequence(range_.size());
    event.set_time(FormatInstant(at, /*micros=*/true));
    event.set_actor("system:audit-retention");
    event.set_action("audit-retention");
    v1::AuditPruning* pruning = event.mutable_pruning();
    pruning->set_from_index(prefix_.pruned_size());
    pruning->set_to_index(to);
    pruning->set_newest_pruned_time(*newest);
    pruning->set_cutoff(
        FormatInstant(at - absl::Hours(24) * static_cast<int64_t>(days), /*micros=*/true));
    pruning->set_retention_days(days);
    const uint64_t recorded_by = range_.size();
    AppendEvent(event);
    prefix_.set_pruned_size(to);
    prefix_.set_newest_pruned_time(*newest);
    prefix_.set_recorded_by(recorded_by);
    prefix_.clear_left_edge();
    auto edge = merkle::CompactRangeAt(store_, to);
    ASSERT_TRUE(edge.ok()) << edge.status();
    for (std::string& hash : edge->Hashes()) prefix_.add_left_edge(std::move(hash));
    SignHead(*signer_);
  }

  // Signs the current tree with `signer` (another key makes a head from the wrong key), dated
  // `timestamp_micros` (default: kNow plus the tree size in microseconds, so later heads are
  // later).
  void SignHead(const crypto::Ed25519Signer& signer,
                std::optional<uint64_t> timestamp_micros = std::nullopt) {
    head_.set_tree_size(range_.size());
    head_.set_root_hash(range_.Root());
    head_.set_timestamp_micros(timestamp_micros.value_or(kNowMicros + range_.size()));
    head_.set_key_id(signer.key_id());
    head_.set_log_id(log_id_);
    Resign(signer);
  }

  // Signs head() as it is now, whatever a test made it say (a hostile but correctly signed head).
  void Resign(const crypto::Ed25519Signer& signer) {
    auto bytes =
        crypto::TreeHeadSigningBytes(head_.log_id(), head_.tree_size(), head_.timestamp_micros(),
                                     head_.root_hash(), head_.key_id());
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    auto signature = signer.Sign(*bytes);
    ASSERT_TRUE(signature.ok()) << signature.status();
    head_.set_signature(*signature);
  }

  v1::SignedTreeHead& head() { return head_; }
  std::vector<v1::AuditEntry>& served() { return served_; }
  // What GetPrunedPrefix answers; tests edit it to make the log lie.
  v1::PrunedPrefix& prefix() { return prefix_; }
  // Answer GetPrunedPrefix with UNIMPLEMENTED, as a log that cannot tell.
  void set_hides_prefix(bool value) { hides_prefix_ = value; }
  const crypto::Ed25519Signer& signer() const { return *signer_; }
  int key_requests() const { return key_requests_; }

  absl::StatusOr<v1::SignedTreeHead> GetSignedTreeHead() override {
    if (next_head_.has_value()) {
      v1::SignedTreeHead once = std::move(*next_head_);
      next_head_.reset();
      return once;
    }
    return head_;
  }
  // The next GetSignedTreeHead answers `head` (e.g. one signed just before a pruning).
  void ServeOnce(v1::SignedTreeHead head) { next_head_ = std::move(head); }

  absl::StatusOr<v1::ConsistencyProof> GetConsistencyProof(uint64_t first_size,
                                                           uint64_t second_size) override {
    if (forced_proof_.has_value()) {
      // Moved out, not copied: what the verifier does with a huge proof is under test, not what
      // the fake does. One answer per ForceConsistencyProof.
      v1::ConsistencyProof proof = std::move(*forced_proof_);
      forced_proof_.reset();
      proof.set_first_size(first_size);
      proof.set_second_size(second_size);
      return proof;
    }
    return ConsistencyProofFrom(store_, first_size, second_size);
  }

  absl::StatusOr<v1::InclusionProof> GetInclusionProof(uint64_t leaf_index,
                                                       uint64_t tree_size) override {
    v1::InclusionProof proof;
    proof.set_leaf_index(leaf_index);
    proof.set_tree_size(tree_size);
    return WithHashes(std::move(proof), merkle::InclusionProof(store_, leaf_index, tree_size));
  }

  // Sends the served() entries at positions [start, end), as the server does by index; with
  // set_sends_beyond_end(true), also every entry after them, as a misbehaving log might.
  absl::Status StreamEvents(
      uint64_t start, uint64_t end,
      const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) override {
    ++stream_requests_;
    EXPECT_LT(start, end);
    // As registryd: the deleted events are gone, and a stream from below them says so.
    if (start < prefix_.pruned_size()) {
      return absl::OutOfRangeError(absl::StrCat("audit events before index ",
                                                prefix_.pruned_size(), " were deleted"));
    }
    for (uint64_t position = start; position < served_.size(); ++position) {
      if (position >= end && !sends_beyond_end_) break;
      absl::Status status = on_entry(served_[position]);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<v1::PublicKey> GetAuditPublicKey() override {
    ++key_requests_;
    v1::PublicKey key;
    key.set_key_id(signer_->key_id());
    key.set_ed25519(signer_->public_key());
    key.set_pem(signer_->PublicKeyPem());
    return key;
  }

  absl::StatusOr<v1::PrunedPrefix> GetPrunedPrefix() override {
    if (hides_prefix_) return absl::UnimplementedError("GetPrunedPrefix");
    return prefix_;
  }

  int stream_requests() const { return stream_requests_; }
  void set_sends_beyond_end(bool value) { sends_beyond_end_ = value; }
  // Every consistency proof from now on holds these hashes, whatever sizes are asked for.
  void ForceConsistencyProof(std::vector<std::string> hashes) {
    forced_proof_.emplace();
    for (std::string& hash : hashes) forced_proof_->add_hashes(std::move(hash));
  }

 private:
  std::unique_ptr<crypto::Ed25519Signer> signer_;
  std::string event_prefix_;
  std::string log_id_;
  merkle::CompactRange range_;
  merkle::InMemoryNodeStore store_;
  v1::SignedTreeHead head_;
  void AppendEvent(const v1::AuditEvent& event) {
    std::string bytes;
    ASSERT_TRUE(event.SerializeToString(&bytes));
    const uint64_t index = range_.size();
    range_.Append(merkle::HashLeaf(bytes), store_.Recorder());
    v1::AuditEntry& entry = served_.emplace_back();
    entry.set_index(index);
    entry.set_event_bytes(bytes);
  }

  std::vector<v1::AuditEntry> served_;
  v1::PrunedPrefix prefix_;
  bool hides_prefix_ = false;
  std::optional<v1::SignedTreeHead> next_head_;
  int key_requests_ = 0;
  int stream_requests_ = 0;
  bool sends_beyond_end_ = false;
  std::optional<v1::ConsistencyProof> forced_proof_;
};

AuditVerifyOptions Full() {
  AuditVerifyOptions options;
  options.full = true;
  return options;
}

// A full verification of the log served at `server` (HOST:PORT), which the state records.
AuditVerifyOptions FullAt(absl::string_view server) {
  AuditVerifyOptions options = Full();
  options.server = std::string(server);
  return options;
}

absl::StatusOr<AuditVerification> Verify(AuditLogSource& log,
                                         const std::optional<AuditState>& previous,
                                         const AuditVerifyOptions& options = Full()) {
  return VerifyAuditLog(log, previous, options, kNow);
}

void ExpectFailure(const absl::StatusOr<AuditVerification>& result, absl::StatusCode code,
                   const std::string& message) {
  ASSERT_FALSE(result.ok()) << "expected: " << message;
  EXPECT_EQ(result.status().code(), code) << result.status();
  EXPECT_EQ(result.status().message(), message);
}

// As ExpectFailure, for a message of which only `parts` are fixed: each stands in it.
void ExpectFailureSaying(const absl::StatusOr<AuditVerification>& result, absl::StatusCode code,
                         const std::vector<std::string>& parts) {
  ASSERT_FALSE(result.ok()) << "expected: " << absl::StrJoin(parts, " ... ");
  EXPECT_EQ(result.status().code(), code) << result.status();
  for (const std::string& part : parts) {
    EXPECT_THAT(std::string(result.status().message()), HasSubstr(part));
  }
}

// Expects verifying `log` to name event `index` as the first whose bytes the tree does not hold.
void ExpectEditedEventNamed(FakeAuditLog& log, uint64_t index,
                            const AuditVerifyOptions& options = Full()) {
  ExpectFailure(Verify(log, std::nullopt, options), absl::StatusCode::kDataLoss,
                absl::StrCat("event ", index, " does not match the signed tree"));
}

// The state a first, successful run leaves behind (none when it failed).
AuditState VerifiedState(FakeAuditLog& log, const AuditVerifyOptions& options = Full()) {
  auto result = Verify(log, std::nullopt, options);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? result->state : AuditState();
}

// The state after verifying a new (default) log of `events` events.
AuditState StateAfterVerifying(int events, const AuditVerifyOptions& options = Full()) {
  FakeAuditLog log;
  log.Grow(events);
  return VerifiedState(log, options);
}

// Expects `log` verified against `state` with one warning, which says each of `parts`.
void ExpectVerifiedWithAWarning(FakeAuditLog& log, const AuditState& state,
                                const AuditVerifyOptions& options,
                                const std::vector<std::string>& parts) {
  auto result = Verify(log, state, options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_THAT(result->warnings, SizeIs(1));
  for (const std::string& part : parts) EXPECT_THAT(result->warnings[0], HasSubstr(part));
}

TEST(AuditVerifierTest, CleanLogVerifiesAndPinsTheKeyOnFirstUse) {
  FakeAuditLog log;
  log.Grow(13);
  auto result = Verify(log, std::nullopt);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(log.key_requests(), 1);
  EXPECT_EQ(log.stream_requests(), 1);
  ASSERT_THAT(result->notes, SizeIs(1));
  EXPECT_THAT(result->notes[0].text, HasSubstr("on first use"));
  EXPECT_EQ(result->log.verified_head().tree_size(), 13u);
  EXPECT_EQ(result->log.verified_head().root_hash(), log.head().root_hash());
  EXPECT_EQ(result->log.audit_key().key_id(), log.signer().key_id());
  EXPECT_EQ(result->log.audit_key().ed25519(), log.signer().public_key());
  EXPECT_EQ(result->log.verified_at(), "2027-01-15T08:00:00Z");
}

// The console says the key trusted on first use in the page's language: it tells that note by
// its kind and key, not by matching its English text, which registry-cli prints unchanged.
TEST(AuditVerifierTest, TheKeyTrustedOnFirstUseIsANoteOfItsOwnKindNamingTheKey) {
  FakeAuditLog log;
  log.Grow(3);
  auto result = Verify(log, std::nullopt);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_THAT(result->notes, SizeIs(1));
  EXPECT_EQ(result->notes[0].kind, AuditNote::Kind::kKeyTrustedOnFirstUse);
  EXPECT_EQ(result->notes[0].key_id, log.signer().key_id());
  EXPECT_EQ(result->notes[0].text,
            absl::StrCat("no audit key given or pinned: trusting the server's key ",
                         log.signer().key_id(),
                         " on first use; compare it with the key the KJC publishes"));

  // A key given is no key trusted on first use.
  AuditVerifyOptions given = Full();
  given.public_key_pem = log.signer().PublicKeyPem();
  auto with_key = Verify(log, std::nullopt, given);
  ASSERT_TRUE(with_key.ok()) << with_key.status();
  EXPECT_THAT(with_key->notes, IsEmpty());
}

TEST(AuditVerifierTest, PinnedKeyIsUsedWithoutAskingTheServer) {
  FakeAuditLog log;
  log.Grow(5);
  const AuditState state = VerifiedState(log);
  log.Grow(4);
  auto result = Verify(log, state);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(log.key_requests(), 1);  // only the first run asked
  EXPECT_THAT(result->notes, IsEmpty());
  EXPECT_EQ(result->log.verified_head().tree_size(), 9u);
}

TEST(AuditVerifierTest, GivenPublicKeyIsUsedWithoutAskingTheServer) {
  FakeAuditLog log;
  log.Grow(3);
  AuditVerifyOptions options = Full();
  options.public_key_pem = log.signer().PublicKeyPem();
  auto result = Verify(log, std::nullopt, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(log.key_requests(), 0);
  EXPECT_THAT(result->notes, IsEmpty());
  EXPECT_EQ(result->log.audit_key().key_id(), log.signer().key_id());
}

TEST(AuditVerifierTest, EmptyLogVerifies) {
  FakeAuditLog log;
  log.Grow(0);
  auto result = Verify(log, std::nullopt);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->log.verified_head().tree_size(), 0u);
  EXPECT_EQ(log.stream_requests(), 0);
  log.Grow(3);
  auto grown = Verify(log, result->state);
  ASSERT_TRUE(grown.ok()) << grown.status();
}

TEST(AuditVerifierTest, EditedEventIsNamedByItsIndex) {
  for (uint64_t edited : {0u, 1u, 6u, 7u, 8u, 12u}) {
    FakeAuditLog log;
    log.Grow(13);
    log.served()[edited].set_event_bytes("rewritten by an intruder");
    ExpectEditedEventNamed(log, edited);
  }
}

TEST(AuditVerifierTest, EditedSingleEventLogIsCaught) {
  FakeAuditLog log;
  log.Grow(1);
  log.served()[0].set_event_bytes("x");
  ExpectEditedEventNamed(log, 0);
}

TEST(AuditVerifierTest, FirstOfSeveralEditsIsNamed) {
  FakeAuditLog log;
  log.Grow(20);
  log.served()[11].set_event_bytes("x");
  log.served()[4].set_event_bytes("y");
  ExpectEditedEventNamed(log, 4);
}

TEST(AuditVerifierTest, DeletedEventIsCaught) {
  FakeAuditLog log;
  log.Grow(10);
  log.served().erase(log.served().begin() + 3);
  ExpectFailure(Verify(log, std::nullopt), absl::StatusCode::kDataLoss, "event 3 missing");
}

TEST(AuditVerifierTest, DeletedAndRenumberedEventIsCaught) {
  FakeAuditLog log;
  log.Grow(10);
  log.served().erase(log.served().begin() + 3);
  for (size_t i = 0; i < log.served().size(); ++i) log.served()[i].set_index(i);
  ExpectFailure(Verify(log, std::nullopt), absl::StatusCode::kDataLoss, "event 9 missing");
}

TEST(AuditVerifierTest, ReorderedEventsAreCaught) {
  FakeAuditLog log;
  log.Grow(10);
  std::swap(log.served()[2], log.served()[3]);
  ExpectFailure(Verify(log, std::nullopt), absl::StatusCode::kDataLoss, "event 3 out of order");
}

TEST(AuditVerifierTest, ReorderedEventBytesUnderRightIndicesAreCaught) {
  FakeAuditLog log;
  log.Grow(10);
  std::swap(log.served()[5], log.served()[6]);
  log.served()[5].set_index(5);
  log.served()[6].set_index(6);
  ExpectEditedEventNamed(log, 5);
}

TEST(AuditVerifierTest, ExtraEventsAreCaught) {
  FakeAuditLog log;
  log.Grow(4);
  v1::AuditEntry extra = log.served()[1];
  log.served().push_back(extra);
  log.set_sends_beyond_end(true);
  ExpectFailure(Verify(log, std::nullopt), absl::StatusCode::kDataLoss,
                "the log sent more events than the signed tree size 4");
}

// Grows `served` to `served_events` events and verifies it against the state a verification of
// a (default) log of `verified_events` events left: the data loss `message` is expected.
void ExpectLossAfterVerifying(int verified_events, FakeAuditLog& served, int served_events,
                              const AuditVerifyOptions& options, const std::string& message) {
  SCOPED_TRACE(absl::StrCat(served_events, " events served after ", verified_events, " verified"));
  const AuditState state = StateAfterVerifying(verified_events);
  served.Grow(served_events);
  ExpectFailure(Verify(served, state, options), absl::StatusCode::kDataLoss, message);
}

TEST(AuditVerifierTest, TruncationIsCaught) {
  FakeAuditLog shorter;
  ExpectLossAfterVerifying(10, shorter, 7, Full(),
                           "log truncated: size 7 < previously verified 10");
}

TEST(AuditVerifierTest, ForkedHeadOfTheSameSizeIsCaught) {
  FakeAuditLog fork('k', "other");
  ExpectLossAfterVerifying(10, fork, 10, AuditVerifyOptions(), "forked head at size 10");
}

TEST(AuditVerifierTest, LargerForkedHeadIsCaughtByTheConsistencyProof) {
  FakeAuditLog fork('k', "other");
  ExpectLossAfterVerifying(
      6, fork, 11, AuditVerifyOptions(),
      "forked head: head at size 11 is not consistent with verified head at size 6");
}

TEST(AuditVerifierTest, GrowthIsVerifiedWithoutDownloadingEvents) {
  FakeAuditLog log;
  log.Grow(6);
  const AuditState state = VerifiedState(log);
  log.Grow(5);
  log.served()[2].set_event_bytes("not looked at without --full");
  auto result = Verify(log, state, AuditVerifyOptions());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->log.verified_head().tree_size(), 11u);
  EXPECT_EQ(log.stream_requests(), 1);  // only the first, full run streamed
}

TEST(AuditVerifierTest, SameHeadAgainVerifies) {
  FakeAuditLog log;
  log.Grow(6);
  const AuditState state = VerifiedState(log);
  EXPECT_TRUE(Verify(log, state).ok());
}

TEST(AuditVerifierTest, BadSignatureIsCaught) {
  FakeAuditLog log;
  log.Grow(5);
  std::string signature = log.head().signature();
  signature[10] ^= 0x01;
  log.head().set_signature(signature);
  ExpectFailure(Verify(log, std::nullopt, AuditVerifyOptions()), absl::StatusCode::kDataLoss,
                "bad tree head signature at size 5: signature verification failed");
}

TEST(AuditVerifierTest, ChangedRootInASignedHeadIsABadSignature) {
  FakeAuditLog log;
  log.Grow(5);
  log.head().set_root_hash(merkle::HashLeaf("forged root"));
  ExpectFailureSaying(Verify(log, std::nullopt, AuditVerifyOptions()), absl::StatusCode::kDataLoss,
                      {"bad tree head signature"});
}

TEST(AuditVerifierTest, WrongKeyIdIsCaught) {
  FakeAuditLog log;
  log.Grow(5);
  log.head().set_key_id("0000000000000000");
  ExpectFailure(Verify(log, std::nullopt, AuditVerifyOptions()),
                absl::StatusCode::kFailedPrecondition,
                absl::StrCat("the tree head is signed by key 0000000000000000, not by the "
                             "trusted audit key ",
                             log.signer().key_id()));
}

TEST(AuditVerifierTest, HeadSignedByAnotherKeyThanThePinnedOneIsCaught) {
  FakeAuditLog log;
  log.Grow(5);
  const AuditState state = VerifiedState(log);
  log.Grow(1);
  const auto intruder = Signer('z');
  log.SignHead(*intruder);
  // The head states the same log: its key changed, or someone else signs in its name.
  ExpectFailureSaying(Verify(log, state), absl::StatusCode::kFailedPrecondition,
                      {absl::StrCat("signed by key ", intruder->key_id()),
                       absl::StrCat("pinned for log ", kLogId, ": the log's key changed")});
}

TEST(AuditVerifierTest, GivenKeyRefusesHeadsOfAnotherKey) {
  FakeAuditLog log;
  log.Grow(5);
  AuditVerifyOptions options;
  options.public_key_pem = Signer('q')->PublicKeyPem();
  auto result = Verify(log, std::nullopt, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(log.key_requests(), 0);
}

TEST(AuditVerifierTest, DuplicatedEventIsCaught) {
  FakeAuditLog log;
  log.Grow(10);
  log.served()[2] = log.served()[1];
  ExpectFailure(Verify(log, std::nullopt), absl::StatusCode::kDataLoss, "event 1 sent twice");
}

TEST(AuditVerifierTest, EditedEventIsFoundInALogLongerThanOnePassOfTheSearch) {
  // 5000 events: the first pass leaves 64 frontiers 77 events apart, so naming the event takes
  // more passes, each streaming only the stretch between two frontiers.
  for (uint64_t edited : {0u, 1u, 76u, 77u, 78u, 2500u, 4096u, 4998u, 4999u}) {
    FakeAuditLog log;
    log.Grow(5000);
    log.served()[edited].set_event_bytes("rewritten by an intruder");
    ExpectEditedEventNamed(log, edited);
    EXPECT_LE(log.stream_requests(), 3) << edited;
  }
}

// ---------------------------------------------------------------------------------------------
// Timestamps

TEST(AuditVerifierTest, HeadDatedBeforeTheVerifiedHeadIsRefused) {
  FakeAuditLog log;
  log.Grow(5);
  const AuditState state = VerifiedState(log);
  log.Grow(4);
  log.SignHead(log.signer(), state.logs(0).verified_head().timestamp_micros() - 1);
  ExpectFailure(Verify(log, state, AuditVerifyOptions()), absl::StatusCode::kDataLoss,
                "the tree head is dated 2027-01-15T08:00:00.000004Z, before the previously "
                "verified head (2027-01-15T08:00:00.000005Z): a rolled-back or replayed head");
  // The same date as the verified head is fine: time need not have moved between two heads.
  log.SignHead(log.signer(), state.logs(0).verified_head().timestamp_micros());
  EXPECT_TRUE(Verify(log, state, AuditVerifyOptions()).ok());
}

TEST(AuditVerifierTest, ReplayedOlderHeadOfTheSameSizeIsRefused) {
  FakeAuditLog log;
  log.Grow(5);
  const v1::SignedTreeHead old_head = log.head();
  log.SignHead(log.signer(), old_head.timestamp_micros() + 60'000'000);
  const AuditState state = VerifiedState(log);
  log.head() = old_head;  // correctly signed, same tree, but older than what was verified
  ExpectFailureSaying(Verify(log, state, AuditVerifyOptions()), absl::StatusCode::kDataLoss,
                      {"a rolled-back or replayed head"});
}

TEST(AuditVerifierTest, HeadDatedMoreThanTheAllowedSkewAheadIsRefusedAndNotPinned) {
  FakeAuditLog log;
  log.Grow(5);
  const uint64_t latest = kNowMicros + absl::ToInt64Microseconds(kDefaultMaxClockSkew);
  log.SignHead(log.signer(), latest);
  EXPECT_TRUE(Verify(log, std::nullopt).ok()) << "exactly the allowed skew ahead is accepted";
  log.SignHead(log.signer(), latest + 1);
  ExpectFailure(Verify(log, std::nullopt), absl::StatusCode::kFailedPrecondition,
                "the tree head is dated 2027-01-15T08:05:00.000001Z, more than 5m after this "
                "computer's clock (2027-01-15T08:00:00.000000Z): the server's clock or this one "
                "is wrong, or the head was not signed now; it is not pinned (--clock-skew sets "
                "the tolerance)");
  AuditVerifyOptions wider = Full();
  wider.max_clock_skew = absl::Minutes(6);
  EXPECT_TRUE(Verify(log, std::nullopt, wider).ok());
  AuditVerifyOptions none = Full();
  none.max_clock_skew = absl::ZeroDuration();
  log.SignHead(log.signer(), kNowMicros + 1);
  EXPECT_EQ(Verify(log, std::nullopt, none).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(AuditVerifierTest, HeadDatedAtTheEndOfTimeIsRefusedWithItsRawDate) {
  FakeAuditLog log;
  log.Grow(5);
  log.SignHead(log.signer(), std::numeric_limits<uint64_t>::max());
  ExpectFailureSaying(Verify(log, std::nullopt), absl::StatusCode::kFailedPrecondition,
                      {"dated 18446744073709551615 microseconds after 1970, more than 5m"});
}

// ---------------------------------------------------------------------------------------------
// A log whose oldest events audit retention deleted

const absl::Time kFourYearsAgo = kNow - absl::Hours(24 * 365 * 4);

// 100 events, hourly from four years ago; the first `pruned` deleted under a retention of three
// years by a pruning recorded an hour before kNow (event 100); then 5 recent events: 106 in all.
void GrowAndPrune(FakeAuditLog& log, uint64_t pruned = 60) {
  log.GrowDated(100, kFourYearsAgo, absl::Hours(1));
  log.Prune(pruned, kNow - absl::Hours(1));
  log.GrowDated(5, kNow - absl::Minutes(30), absl::Minutes(1));
}

std::string TimeOfHour(absl::Time first, int64_t hour) {
  return FormatInstant(first + absl::Hours(hour), /*micros=*/true);
}

TEST(AuditVerifierTest, PrunedLogVerifiesFromTheLeftEdgeAndSaysWhatWasPruned) {
  FakeAuditLog log;
  GrowAndPrune(log);
  ASSERT_EQ(log.head().tree_size(), 106u);
  auto result = Verify(log, std::nullopt);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->log.pruned_size(), 60u);
  EXPECT_EQ(result->log.newest_pruned_time(), TimeOfHour(kFourYearsAgo, 59));
  EXPECT_EQ(result->retention_days, 1095u);
  EXPECT_EQ(result->retained_verified, 46u);
  // The record of the pruning alone, then the retained events from the left edge: nothing below.
  EXPECT_EQ(log.stream_requests(), 2);
  ASSERT_FALSE(result->log.event_times().empty());
  EXPECT_LE(result->log.event_times_size(), static_cast<int>(kEventTimeSamples));
  EXPECT_EQ(result->log.event_times(0).index(), 60u);
  EXPECT_EQ(result->log.event_times(result->log.event_times_size() - 1).index(), 105u);

  // Without --full: the prefix is checked all the same, the retained events are not fetched.
  auto quick = Verify(log, std::nullopt, AuditVerifyOptions());
  ASSERT_TRUE(quick.ok()) << quick.status();
  EXPECT_EQ(quick->log.pruned_size(), 60u);
  EXPECT_EQ(quick->retained_verified, 0u);
  EXPECT_THAT(quick->log.event_times(), IsEmpty());
}

// What `audit list --verified` filters: every retained event, once, in order, as the log sent
// it; nothing from a run without --full; and from a log that fails, nothing the caller keeps
// (VerifyAuditLog fails, and each index came at most once, even while the bad event is sought).
TEST(AuditVerifierTest, EachRetainedEventIsHandedOnOnceInOrder) {
  FakeAuditLog log;
  GrowAndPrune(log);
  std::vector<std::pair<uint64_t, std::string>> seen;
  AuditVerifyOptions options = Full();
  options.on_event = [&](uint64_t index, absl::string_view bytes) {
    seen.emplace_back(index, std::string(bytes));
  };
  auto result = Verify(log, std::nullopt, options);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(seen.size(), 46u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].first, 60 + i);
    EXPECT_EQ(seen[i].second, log.served()[60 + i].event_bytes());
  }

  seen.clear();
  options.full = false;
  ASSERT_TRUE(Verify(log, std::nullopt, options).ok());
  EXPECT_THAT(seen, IsEmpty());

  FakeAuditLog edited;
  edited.Grow(300);
  edited.served()[170].set_event_bytes("rewritten by an intruder");
  options.full = true;
  ExpectEditedEventNamed(edited, 170, options);
  ASSERT_EQ(seen.size(), 300u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i].first, i);
}

TEST(AuditVerifierTest, PruningMovesForwardBetweenVerifications) {
  FakeAuditLog log;
  GrowAndPrune(log);
  const AuditState state = VerifiedState(log);
  // Old events 60..89 become due too.
  log.Prune(90, kNow - absl::Minutes(10));
  auto quick = Verify(log, state, AuditVerifyOptions());
  ASSERT_TRUE(quick.ok()) << quick.status();
  EXPECT_EQ(quick->log.pruned_size(), 90u);
  // The times this client recorded of events that are still kept stay in the state.
  ASSERT_FALSE(quick->log.event_times().empty());
  for (const EventTime& t : quick->log.event_times()) EXPECT_GE(t.index(), 90u);
  auto full = Verify(log, quick->state);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->retained_verified, 107u - 90u);
}

// The head is asked first; a pruning that commits before the prefix is asked has its record
// beyond that head, and the next head holds it.
TEST(AuditVerifierTest, APruningBetweenTheHeadAndThePrefixIsReadWithTheNextHead) {
  FakeAuditLog log;
  log.GrowDated(100, kFourYearsAgo, absl::Hours(1));
  const v1::SignedTreeHead before = log.head();
  log.Prune(60, kNow - absl::Hours(1));
  log.ServeOnce(before);
  auto result = Verify(log, std::nullopt);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->log.verified_head().tree_size(), 101u);
  EXPECT_EQ(result->log.pruned_size(), 60u);
}

TEST(AuditVerifierTest, EditedRetainedEventOfAPrunedLogIsNamed) {
  for (uint64_t edited : {60u, 61u, 77u, 99u, 101u, 105u}) {
    FakeAuditLog log;
    GrowAndPrune(log);
    log.served()[edited].set_event_bytes("rewritten by an intruder");
    ExpectEditedEventNamed(log, edited);
  }
  // The record of the pruning is checked on its own, with or without --full.
  FakeAuditLog log;
  GrowAndPrune(log);
  log.served()[100].set_event_bytes("rewritten by an intruder");
  for (const AuditVerifyOptions& options : {Full(), AuditVerifyOptions()}) {
    SCOPED_TRACE(options.full ? "full" : "not full");
    ExpectFailureSaying(Verify(log, std::nullopt, options), absl::StatusCode::kDataLoss,
                        {"event 100 does not match the signed tree"});
  }
}

TEST(AuditVerifierTest, TamperedLeftEdgeIsCaught) {
  FakeAuditLog log;
  GrowAndPrune(log);
  ASSERT_EQ(log.prefix().left_edge_size(), 4);  // 60 = 32 + 16 + 8 + 4
  for (int i = 0; i < 4; ++i) {
    for (const AuditVerifyOptions& options : {Full(), AuditVerifyOptions()}) {
      FakeAuditLog tampered;
      GrowAndPrune(tampered);
      std::string hash = tampered.prefix().left_edge(i);
      hash[7] ^= 0x20;
      tampered.prefix().set_left_edge(i, hash);
      ExpectFailure(Verify(tampered, std::nullopt, options), absl::StatusCode::kDataLoss,
                    "the left edge of the pruned prefix (events [0, 60)) does not match the "
                    "signed tree head");
    }
  }
  FakeAuditLog short_edge;
  GrowAndPrune(short_edge);
  short_edge.prefix().mutable_left_edge()->RemoveLast();
  ExpectFailure(Verify(short_edge, std::nullopt), absl::StatusCode::kDataLoss,
                "the log served a malformed left edge: a tree of 60 leaves has a frontier of 4 "
                "hashes, not 3");
  FakeAuditLog huge_edge;
  GrowAndPrune(huge_edge);
  for (int i = 0; i < 100000; ++i) huge_edge.prefix().add_left_edge(std::string(32, 'h'));
  ExpectFailure(Verify(huge_edge, std::nullopt), absl::StatusCode::kDataLoss,
                "the log served a left edge of 100004 hashes; no tree has more than 64");
}

TEST(AuditVerifierTest, PrunedPrefixThatShrinksIsCaught) {
  FakeAuditLog log;
  GrowAndPrune(log);
  const AuditState state = VerifiedState(log);
  ASSERT_EQ(state.logs(state.logs_size() - 1).pruned_size(), 60u);
  log.prefix().set_pruned_size(40);
  ExpectFailure(Verify(log, state, AuditVerifyOptions()), absl::StatusCode::kDataLoss,
                "the log says audit retention deleted its first 40 events, but a previous "
                "verification saw the first 60 deleted: deleted events do not come back, the "
                "pruned prefix never shrinks");
  // A log that no longer says anything about pruning has not un-deleted anything either.
  log.set_hides_prefix(true);
  ExpectFailure(Verify(log, state, AuditVerifyOptions()), absl::StatusCode::kDataLoss,
                "the log says audit retention deleted its first 0 events, but a previous "
                "verification saw the first 60 deleted: deleted events do not come back, the "
                "pruned prefix never shrinks");
}

// A log that does not answer GetPrunedPrefix is taken for one that never pruned: its deleted
// events are then missing, and a full verification fails rather than skip them.
TEST(AuditVerifierTest, DeletedEventsOfALogThatDoesNotSaySoFailTheFullCheck) {
  FakeAuditLog log;
  GrowAndPrune(log);
  log.set_hides_prefix(true);
  auto result = Verify(log, std::nullopt);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kOutOfRange) << result.status();
}

TEST(AuditVerifierTest, APruningClaimMustBeTheOneItsRecordInTheTreeStates) {
  struct Case {
    std::function<void(v1::PrunedPrefix&)> lie;
    std::string message;
  };
  const std::vector<Case> cases = {
      {[](v1::PrunedPrefix& p) { p.set_recorded_by(59); },
       "the log names event 59 as the record of the pruning of events [0, 60), but that record "
       "must be a retained event of the signed tree, in [60, 106)"},
      {[](v1::PrunedPrefix& p) { p.set_recorded_by(106); },
       "the log names event 106 as the record of the pruning of events [0, 60), but that record "
       "must be a retained event of the signed tree, in [60, 106)"},
      {[](v1::PrunedPrefix& p) { p.set_recorded_by(61); },
       "event 61, which the log names as the record of its pruning, is not an audit retention "
       "event"},
      {[](v1::PrunedPrefix& p) {
         p.set_newest_pruned_time(TimeOfHour(kFourYearsAgo, 40));
       },
       absl::StrCat("event 100, which the log names as the record of its pruning, records events "
                    "[0, 60) deleted up to ",
                    TimeOfHour(kFourYearsAgo, 59), ", not the first 60 up to ",
                    TimeOfHour(kFourYearsAgo, 40))},
      {[](v1::PrunedPrefix& p) { p.set_newest_pruned_time("last Tuesday"); },
       "the newest pruned event's time is not an RFC 3339 instant: \"last Tuesday\""},
      {[](v1::PrunedPrefix& p) { p.set_pruned_size(1000); },
       "the log says audit retention deleted 1000 events, more than the 106 of its signed tree "
       "head"},
      {[](v1::PrunedPrefix& p) { p.set_pruned_size(0); },
       "the log says nothing was pruned, yet describes a pruning"},
  };
  for (const Case& c : cases) {
    FakeAuditLog log;
    GrowAndPrune(log);
    c.lie(log.prefix());
    ExpectFailure(Verify(log, std::nullopt), absl::StatusCode::kDataLoss, c.message);
  }
}

// Recent events deleted by a pruning that states a retention of three years: its own record
// says it deleted events newer than its cutoff.
TEST(AuditVerifierTest, APruningRecordThatDoesNotHoldTogetherIsCaught) {
  FakeAuditLog log;
  log.GrowDated(100, kNow - absl::Hours(100), absl::Hours(1));
  log.Prune(60, kNow - absl::Minutes(30));
  ExpectFailureSaying(Verify(log, std::nullopt, AuditVerifyOptions()), absl::StatusCode::kDataLoss,
                      {"event 100, which the log names as the record of its pruning, does not "
                       "hold together: it deleted events up to"});
}

// A server whose clock ran ahead (moved forward, or a false time server) prunes events that are
// not yet due, with a record that holds together by that clock; once the clock is back, the head
// that signs the log is dated before the pruning it signs. No key is needed for that.
TEST(AuditVerifierTest, APruningDatedAfterTheHeadThatSignsItIsCaught) {
  FakeAuditLog log;
  log.GrowDated(100, kNow - absl::Hours(10), absl::Minutes(1));
  log.Prune(60, kNow + absl::Hours(24 * 400), /*days=*/365);
  log.GrowDated(3, kNow + absl::Hours(24 * 400), absl::Minutes(1));
  ExpectFailureSaying(Verify(log, std::nullopt), absl::StatusCode::kDataLoss,
                      {"event 100, which the log names as the record of its pruning, is dated ",
                       "after the tree head that signs it"});
}

// A log holding the signing key deletes recent events and records a self-consistent pruning
// that dates them four years back. The events this client verified and whose times it kept
// give it away; a client that never saw them cannot tell (see audit_verifier.h).
TEST(AuditVerifierTest, EventsThisClientSawCannotBeHiddenBehindAPruningClaim) {
  FakeAuditLog log;
  log.GrowDated(100, kNow - absl::Hours(100), absl::Hours(1));
  const AuditState state = VerifiedState(log);
  ASSERT_FALSE(state.logs(state.logs_size() - 1).event_times().empty());
  log.Prune(80, kNow - absl::Minutes(30), 1095, FormatInstant(kFourYearsAgo, /*micros=*/true));
  for (const AuditVerifyOptions& options : {Full(), AuditVerifyOptions()}) {
    SCOPED_TRACE(options.full ? "full" : "not full");
    ExpectFailureSaying(
        Verify(log, state, options), absl::StatusCode::kDataLoss,
        {absl::StrCat("the log says audit retention deleted its first 80 events, the newest dated ",
                      FormatInstant(kFourYearsAgo, /*micros=*/true),
                      ", but event 0, verified by this client on ",
                      state.logs(state.logs_size() - 1).verified_at(), ", is dated ",
                      TimeOfHour(kNow - absl::Hours(100), 0)),
         "events were deleted that are newer than the log says"});
  }
  // What stays out of reach: without that memory the forged record is as good as a true one.
  auto fresh = Verify(log, std::nullopt);
  EXPECT_TRUE(fresh.ok()) << fresh.status();
}

TEST(AuditVerifierTest, ANewerPruningCannotDateItsNewestEventBeforeTheVerifiedOne) {
  FakeAuditLog log;
  GrowAndPrune(log);
  const AuditState state = VerifiedState(log);
  log.Prune(70, kNow - absl::Minutes(10), 1095, TimeOfHour(kFourYearsAgo, 50));
  ExpectFailure(Verify(log, state, AuditVerifyOptions()), absl::StatusCode::kDataLoss,
                absl::StrCat("the log says the newest of its first 70 events, deleted by "
                             "retention, is dated ",
                             TimeOfHour(kFourYearsAgo, 50), ", before the newest of the first 60 (",
                             TimeOfHour(kFourYearsAgo, 59), ")"));
}

TEST(AuditVerifierTest, EventTimesAreAFewFromTheVerifiedBytes) {
  FakeAuditLog log;
  const absl::Time first = kNow - absl::Hours(2000);
  log.GrowDated(1000, first, absl::Hours(1));
  auto result = Verify(log, std::nullopt);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto& times = result->log.event_times();
  ASSERT_GE(times.size(), 32);
  EXPECT_LE(times.size(), static_cast<int>(kEventTimeSamples));
  EXPECT_EQ(times[0].index(), 0u);
  EXPECT_EQ(times[times.size() - 1].index(), 999u);
  for (int i = 0; i < times.size(); ++i) {
    if (i > 0) {
      EXPECT_GT(times[i].index(), times[i - 1].index());
    }
    EXPECT_EQ(times[i].time(), TimeOfHour(first, static_cast<int64_t>(times[i].index())));
  }
  // Undated bytes (not audit events) give no times.
  FakeAuditLog undated;
  undated.Grow(50);
  auto plain = Verify(undated, std::nullopt);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_THAT(plain->log.event_times(), IsEmpty());
}

// ---------------------------------------------------------------------------------------------
// Another log than the state file's

TEST(AuditVerifierTest, ContinuityErrorsOfTheSameLogUnderAnotherKeySayWhichKeys) {
  // The same log id under a key given with --public-key: the log's key changed, and a
  // truncation or fork of that log is still one.
  FakeAuditLog log;
  log.Grow(10);
  const AuditState state = VerifiedState(log);
  AuditVerifyOptions other_key;
  FakeAuditLog shorter('o', "other");
  shorter.Grow(7);
  shorter.SignHead(shorter.signer(), kNowMicros + 60);
  other_key.public_key_pem = shorter.signer().PublicKeyPem();
  const std::string hint =
      absl::StrCat(" (the verified head was signed by key ", log.signer().key_id(),
                   ", this one by key ", shorter.signer().key_id(), ")");
  ExpectFailure(Verify(shorter, state, other_key), absl::StatusCode::kDataLoss,
                "log truncated: size 7 < previously verified 10" + hint);

  FakeAuditLog longer('o', "other");
  longer.Grow(12);
  ExpectFailure(Verify(longer, state, other_key), absl::StatusCode::kDataLoss,
                "forked head: head at size 12 is not consistent with verified head at size 10" +
                    hint);

  FakeAuditLog fork('k', "other");
  fork.Grow(12);
  ExpectFailure(Verify(fork, state, AuditVerifyOptions()), absl::StatusCode::kDataLoss,
                "forked head: head at size 12 is not consistent with verified head at size 10");
}

TEST(AuditVerifierTest, AnotherLogGetsAStateOfItsOwnNotATruncationError) {
  // A state file left by one dev server, used against another: a shorter log, another key,
  // another log id. Not tampering, and said so; each log keeps its own state.
  FakeAuditLog first;
  first.Grow(377);
  const AuditVerifyOptions at_first = FullAt("127.0.0.1:7443");
  auto verified = Verify(first, std::nullopt, at_first);
  ASSERT_TRUE(verified.ok()) << verified.status();

  FakeAuditLog second('s', "second", kOtherLogId);
  second.Grow(47);
  auto other = Verify(second, verified->state, FullAt("127.0.0.1:7444"));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->log.log_id(), kOtherLogId);
  EXPECT_EQ(other->log.server(), "127.0.0.1:7444");
  EXPECT_EQ(other->log.verified_head().tree_size(), 47u);
  EXPECT_THAT(other->warnings, IsEmpty()) << "another key: another registry, nothing to warn of";
  ASSERT_THAT(other->notes, SizeIs(2));  // the other log, and its key trusted on first use
  EXPECT_THAT(other->notes[0].text, HasSubstr(absl::StrCat("this is audit log ", kOtherLogId,
                                                           " at 127.0.0.1:7444, which this state "
                                                           "file has not verified before")));
  EXPECT_THAT(other->notes[0].text,
              HasSubstr(absl::StrCat("log ", kLogId, " at 127.0.0.1:7443")));
  EXPECT_EQ(other->notes[0].kind, AuditNote::Kind::kOther);
  EXPECT_EQ(other->notes[1].kind, AuditNote::Kind::kKeyTrustedOnFirstUse);
  EXPECT_EQ(other->notes[1].key_id, second.signer().key_id());
  ASSERT_THAT(other->state.logs(), SizeIs(2));
  EXPECT_EQ(other->state.logs(0).log_id(), kLogId);
  EXPECT_EQ(other->state.logs(0).verified_head().tree_size(), 377u);
  EXPECT_EQ(other->state.logs(1).log_id(), kOtherLogId);

  // Back at the first log, its own state still holds it to what was verified: a truncation of
  // it is one, whatever the other log did meanwhile.
  FakeAuditLog truncated;
  truncated.Grow(47);
  ExpectFailure(Verify(truncated, other->state, at_first), absl::StatusCode::kDataLoss,
                "log truncated: size 47 < previously verified 377");
  first.Grow(3);
  auto grown = Verify(first, other->state, at_first);
  ASSERT_TRUE(grown.ok()) << grown.status();
  EXPECT_THAT(grown->notes, IsEmpty());
  EXPECT_EQ(grown->state.logs(1).log_id(), kLogId) << "the log verified last comes last";
  EXPECT_EQ(grown->state.logs(1).verified_head().tree_size(), 380u);
}

TEST(AuditVerifierTest, AnotherLogUnderANewKeyAtTheSameServerIsAWarningUnlessTheKeyIsGiven) {
  // The server verified before now serves another log under another key: a replaced log, which
  // trusting the new key on first use would take for a new installation. Said as a warning
  // unless the auditor gives that key.
  const AuditVerifyOptions at = FullAt("127.0.0.1:7443");
  const AuditState verified = StateAfterVerifying(30, at);
  FakeAuditLog replaced('r', "replaced", kOtherLogId);
  replaced.Grow(5);
  ExpectVerifiedWithAWarning(replaced, verified, at,
                             {absl::StrCat("it now serves another log, ", kOtherLogId),
                              "it was replaced"});

  AuditVerifyOptions given = at;
  given.public_key_pem = replaced.signer().PublicKeyPem();
  auto vouched = Verify(replaced, verified, given);
  ASSERT_TRUE(vouched.ok()) << vouched.status();
  EXPECT_THAT(vouched->warnings, IsEmpty()) << "the auditor gave the new key";
}

TEST(AuditVerifierTest, AnotherLogSignedWithTheSameKeyIsAWarning) {
  // The key that signed a log verified before now signs a log with another id: the registry
  // started a new log (its data folder lost, or replaced). Verified, but a person must look.
  FakeAuditLog first;
  first.Grow(30);
  const AuditState state = VerifiedState(first);
  FakeAuditLog restarted('k', "restarted", kOtherLogId);
  restarted.Grow(5);
  ExpectVerifiedWithAWarning(
      restarted, state, Full(),
      {absl::StrCat("the audit key ", first.signer().key_id(), " that signed log ", kLogId),
       absl::StrCat("now signs another log, ", kOtherLogId)});
  EXPECT_EQ(first.key_requests(), 1);
}

TEST(AuditVerifierTest, StateFileFromBeforeLogIdsKeepsItsLogUnderItsKey) {
  // A state file of an earlier registry-cli: one head and key, no log id. A head signed by that
  // key is taken for that log, so its truncation is still caught; once verified, the file holds
  // the log under its id.
  FakeAuditLog log;
  log.Grow(10);
  const AuditState verified = VerifiedState(log);
  AuditState legacy;
  *legacy.mutable_verified_head() = verified.logs(0).verified_head();
  *legacy.mutable_audit_key() = verified.logs(0).audit_key();
  legacy.set_verified_at(verified.logs(0).verified_at());

  FakeAuditLog shorter;
  shorter.Grow(7);
  ExpectFailure(Verify(shorter, legacy), absl::StatusCode::kDataLoss,
                "log truncated: size 7 < previously verified 10");
  log.Grow(2);
  auto grown = Verify(log, legacy);
  ASSERT_TRUE(grown.ok()) << grown.status();
  EXPECT_THAT(grown->notes, IsEmpty());
  EXPECT_FALSE(grown->state.has_verified_head()) << "the one-log form is not written again";
  ASSERT_THAT(grown->state.logs(), SizeIs(1));
  EXPECT_EQ(grown->state.logs(0).log_id(), kLogId);

  // Another key than the old file's: another log, and the old one is kept.
  FakeAuditLog other('o', "other", kOtherLogId);
  other.Grow(3);
  auto elsewhere = Verify(other, legacy);
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.status();
  ASSERT_THAT(elsewhere->state.logs(), SizeIs(2));
  EXPECT_EQ(elsewhere->state.logs(0).log_id(), "");
  EXPECT_EQ(elsewhere->state.logs(0).verified_head().tree_size(), 10u);
}

TEST(AuditVerifierTest, HeadWithoutALogIdIsRefused) {
  FakeAuditLog log;
  log.Grow(4);
  log.head().set_log_id("");
  ExpectFailure(Verify(log, std::nullopt), absl::StatusCode::kFailedPrecondition,
                "the tree head names no log (no log id of 32 hex characters): the server is "
                "older than this registry-cli, or not a registry");
}

TEST(AuditVerifierTest, TheLogIdIsSigned) {
  // A head moved to another log's name does not verify: the id is in the signed bytes.
  FakeAuditLog log;
  log.Grow(4);
  log.head().set_log_id(kOtherLogId);
  ExpectFailure(Verify(log, std::nullopt, AuditVerifyOptions()), absl::StatusCode::kDataLoss,
                "bad tree head signature at size 4: signature verification failed");
}

// ---------------------------------------------------------------------------------------------
// Bounded memory whatever the log claims

// Runs `body` in a child process that may map at most `budget` bytes more than it inherits
// (RLIMIT_AS), and returns what `body` returned, or how it failed: a verifier that allocates in
// proportion to a size the server chose throws std::bad_alloc (or std::length_error) instead of
// returning. Under AddressSanitizer, which maps terabytes
// of shadow memory, the limit cannot be set and `body` runs unlimited.
std::string RunWithMemoryBudget(size_t budget, const std::function<std::string()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    close(fds[0]);
#if !defined(__SANITIZE_ADDRESS__)
    long pages = 0;
    if (FILE* statm = fopen("/proc/self/statm", "r")) {
      if (fscanf(statm, "%ld", &pages) != 1) pages = 0;
      fclose(statm);
    }
    const rlim_t limit = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) +
                         static_cast<rlim_t>(budget);
    const struct rlimit rl = {limit, limit};
    if (pages == 0 || setrlimit(RLIMIT_AS, &rl) != 0) _exit(3);
#endif
    // An exception must not escape into gtest, which would go on running tests in the child. In
    // registry-cli nothing catches it: it would end the process (std::terminate), so it is
    // reported as the crash it would be.
    std::string report;
    try {
      report = body();
    } catch (const std::exception& e) {
      report = absl::StrCat("crashed: uncaught ", e.what());
    } catch (...) {
      report = "crashed: uncaught exception";
    }
    size_t written = 0;
    while (written < report.size()) {
      const ssize_t n = write(fds[1], report.data() + written, report.size() - written);
      if (n <= 0) _exit(4);
      written += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string report;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof(buffer))) > 0) report.append(buffer, n);
  close(fds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return "waitpid failed";
  if (WIFSIGNALED(status)) return absl::StrCat("child killed by signal ", WTERMSIG(status));
  if (WEXITSTATUS(status) != 0) return absl::StrCat("child exited with ", WEXITSTATUS(status));
  return report;
}

constexpr size_t kBudget = 32 << 20;

// What verifying a log of any size may hold at once: the frontiers of one search pass (65 of at
// most 64 hashes) and one entry and one proof at a time come to tens of KiB; a hash per event
// of a half-million-event log is tens of MiB.
constexpr size_t kHeldBudget = 1 << 20;

// Runs `fn` and returns "" when the bytes it held through operator new never rose more than
// kHeldBudget above what was held when it started, else what it held at most.
std::string HeldWithinBudget(const std::function<void()>& fn) {
#if defined(REGISTRY_COUNTS_ALLOCATIONS)
  const size_t before = live_bytes.load();
  peak_bytes.store(before);
  fn();
  const size_t held = peak_bytes.load() - before;
  if (held > kHeldBudget) return absl::StrCat(", but held ", held, " bytes at once");
#else
  fn();
#endif
  return "";
}

std::string StatusText(const absl::StatusOr<AuditVerification>& result) {
  return result.ok() ? "OK" : result.status().ToString();
}

// A log that signs a head claiming `claimed` events while holding only the few of `log`: the
// signature vouches for what the server says, not for whether it is true.
void ClaimTreeSize(FakeAuditLog& log, uint64_t claimed) {
  log.head().set_tree_size(claimed);
  log.Resign(log.signer());
}

TEST(AuditVerifierTest, AbsurdTreeSizeFailsCleanlyInBoundedMemory) {
  for (uint64_t claimed : {uint64_t{1} << 62, (uint64_t{1} << 63) - 1, uint64_t{1} << 63,
                           std::numeric_limits<uint64_t>::max() - 1,
                           std::numeric_limits<uint64_t>::max()}) {
    SCOPED_TRACE(claimed);
    FakeAuditLog log;
    log.Grow(3);
    ClaimTreeSize(log, claimed);
    EXPECT_EQ(RunWithMemoryBudget(kBudget, [&] { return StatusText(Verify(log, std::nullopt)); }),
              "DATA_LOSS: event 3 missing");
  }
}

TEST(AuditVerifierTest, AbsurdTreeSizeAfterAVerifiedHeadNeedsAConsistencyProofOfSaneLength) {
  FakeAuditLog log;
  log.Grow(3);
  const AuditState state = VerifiedState(log);
  ClaimTreeSize(log, std::numeric_limits<uint64_t>::max());
  // A proof of a million hashes, or of one enormous "hash": refused before it is copied.
  log.ForceConsistencyProof(std::vector<std::string>(1'000'000, std::string(32, 'h')));
  EXPECT_EQ(RunWithMemoryBudget(kBudget,
                                [&] { return StatusText(Verify(log, state, AuditVerifyOptions())); }),
            "DATA_LOSS: the log served a consistency proof 3 -> 18446744073709551615 of 1000000 "
            "hashes; no proof between trees of at most 2^64 - 1 events has more than 65");
  log.ForceConsistencyProof({std::string(32, 'h'), std::string(16 << 20, 'h')});
  EXPECT_EQ(RunWithMemoryBudget(kBudget,
                                [&] { return StatusText(Verify(log, state, AuditVerifyOptions())); }),
            "DATA_LOSS: the log served a consistency proof 3 -> 18446744073709551615 whose "
            "element 1 has 16777216 bytes, not 32");
  // A proof of the largest sane length that does not verify is a fork like any other.
  log.ForceConsistencyProof(std::vector<std::string>(65, std::string(32, 'h')));
  EXPECT_EQ(RunWithMemoryBudget(kBudget,
                                [&] { return StatusText(Verify(log, state, AuditVerifyOptions())); }),
            "DATA_LOSS: forked head: head at size 18446744073709551615 is not consistent with "
            "verified head at size 3");
}

TEST(AuditVerifierTest, ConsistencyProofForOtherSizesThanAskedIsRefused) {
  class WrongSizes final : public AuditLogSource {
   public:
    explicit WrongSizes(FakeAuditLog& log) : log_(log) {}
    absl::StatusOr<v1::SignedTreeHead> GetSignedTreeHead() override {
      return log_.GetSignedTreeHead();
    }
    absl::StatusOr<v1::ConsistencyProof> GetConsistencyProof(uint64_t first,
                                                             uint64_t second) override {
      auto proof = log_.GetConsistencyProof(first, second);
      if (proof.ok()) proof->set_first_size(first + 1);
      return proof;
    }
    absl::StatusOr<v1::InclusionProof> GetInclusionProof(uint64_t index, uint64_t size) override {
      return log_.GetInclusionProof(index, size);
    }
    absl::Status StreamEvents(
        uint64_t start, uint64_t end,
        const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) override {
      return log_.StreamEvents(start, end, on_entry);
    }
    absl::StatusOr<v1::PublicKey> GetAuditPublicKey() override {
      return log_.GetAuditPublicKey();
    }

   private:
    FakeAuditLog& log_;
  };
  FakeAuditLog log;
  log.Grow(4);
  const AuditState state = VerifiedState(log);
  log.Grow(4);
  WrongSizes source(log);
  ExpectFailure(VerifyAuditLog(source, state, AuditVerifyOptions(), kNow),
                absl::StatusCode::kDataLoss,
                "the log answered the request for the consistency proof 4 -> 8 with a proof for "
                "5 -> 8");
}

// A log of n events made on demand ("event-<i>"; event `edited` rewritten), so that the test
// keeps nothing per event while the verifier runs. The head is the honest tree's; with
// keep_tree, consistency proofs come from a store of that tree, filled before the verifier runs.
class GeneratedAuditLog final : public AuditLogSource {
 public:
  GeneratedAuditLog(uint64_t n, std::optional<uint64_t> edited, bool keep_tree)
      : signer_(Signer('g')), n_(n), edited_(edited), keep_tree_(keep_tree) {
    merkle::CompactRange range;
    for (uint64_t i = 0; i < n; ++i) {
      range.Append(merkle::HashLeaf(Event(i)),
                   keep_tree ? store_.Recorder() : merkle::CompactRange::NodeCallback());
    }
    head_.set_tree_size(n);
    head_.set_root_hash(range.Root());
    head_.set_timestamp_micros(kNowMicros);
    head_.set_key_id(signer_->key_id());
    head_.set_log_id(kLogId);
    head_.set_signature(*signer_->Sign(
        *crypto::TreeHeadSigningBytes(kLogId, n, kNowMicros, head_.root_hash(), head_.key_id())));
  }

  static std::string Event(uint64_t i) { return absl::StrCat("event-", i); }

  absl::StatusOr<v1::SignedTreeHead> GetSignedTreeHead() override { return head_; }
  absl::StatusOr<v1::ConsistencyProof> GetConsistencyProof(uint64_t first,
                                                           uint64_t second) override {
    if (!keep_tree_) return absl::FailedPreconditionError("no proofs from this log");
    return ConsistencyProofFrom(store_, first, second);
  }
  absl::StatusOr<v1::InclusionProof> GetInclusionProof(uint64_t, uint64_t) override {
    return absl::UnimplementedError("not used");
  }
  absl::Status StreamEvents(
      uint64_t start, uint64_t end,
      const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) override {
    v1::AuditEntry entry;
    for (uint64_t i = start; i < end && i < n_; ++i) {
      entry.set_index(i);
      entry.set_event_bytes(i == edited_ ? "rewritten by an intruder" : Event(i));
      ++streamed_;
      absl::Status status = on_entry(entry);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }
  absl::StatusOr<v1::PublicKey> GetAuditPublicKey() override {
    v1::PublicKey key;
    key.set_key_id(signer_->key_id());
    key.set_ed25519(signer_->public_key());
    return key;
  }

  uint64_t streamed() const { return streamed_; }

 private:
  std::unique_ptr<crypto::Ed25519Signer> signer_;
  const uint64_t n_;
  const std::optional<uint64_t> edited_;
  const bool keep_tree_;
  merkle::InMemoryNodeStore store_;
  v1::SignedTreeHead head_;
  uint64_t streamed_ = 0;
};

TEST(AuditVerifierTest, LargeLogVerifiesInBoundedMemory) {
  // Half a million events: keeping a hash per event, or the whole tree, takes well over the
  // budget; the frontier takes 19 hashes.
  constexpr uint64_t kEvents = uint64_t{1} << 19;
  GeneratedAuditLog log(kEvents, std::nullopt, /*keep_tree=*/false);
  EXPECT_EQ(RunWithMemoryBudget(kBudget,
                                [&] {
                                  std::string status;
                                  const std::string held = HeldWithinBudget(
                                      [&] { status = StatusText(Verify(log, std::nullopt)); });
                                  return absl::StrCat(status, held, ", streamed ", log.streamed());
                                }),
            absl::StrCat("OK, streamed ", kEvents));
}

TEST(AuditVerifierTest, FirstBadEventOfALargeLogIsFoundInBoundedMemory) {
  constexpr uint64_t kEvents = uint64_t{1} << 18;
  constexpr uint64_t kEdited = 200'003;
  GeneratedAuditLog log(kEvents, kEdited, /*keep_tree=*/true);
  const std::string report = RunWithMemoryBudget(kBudget, [&] {
    std::string status;
    const std::string held =
        HeldWithinBudget([&] { status = StatusText(Verify(log, std::nullopt)); });
    status += held;
    // One full pass, then passes over ever shorter stretches: 1/65 of the log, 1/65 of that...
    if (log.streamed() > kEvents + kEvents / 64) {
      return absl::StrCat(status, ", but streamed ", log.streamed(), " events");
    }
    return status;
  });
  EXPECT_EQ(report,
            absl::StrCat("DATA_LOSS: event ", kEdited, " does not match the signed tree"));
}

class AuditStateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/audit_state_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string dir_;
};

TEST_F(AuditStateFileTest, MissingFileIsNoState) {
  auto state = LoadAuditState(dir_ + "/none/audit-state.json");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_FALSE(state->has_value());
}

TEST_F(AuditStateFileTest, SavesPrivatelyAndLoadsBack) {
  FakeAuditLog log;
  log.Grow(4);
  const AuditState state = VerifiedState(log);
  const std::string path = dir_ + "/new-folder/audit-state.json";
  ASSERT_TRUE(SaveAuditState(path, state).ok());
  struct stat file_info;
  ASSERT_EQ(stat(path.c_str(), &file_info), 0);
  EXPECT_EQ(file_info.st_mode & 0777, 0600u);
  struct stat dir_info;
  ASSERT_EQ(stat((dir_ + "/new-folder").c_str(), &dir_info), 0);
  EXPECT_EQ(dir_info.st_mode & 0077, 0u);
  auto loaded = LoadAuditState(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->SerializeAsString(), state.SerializeAsString());
}

TEST_F(AuditStateFileTest, DamagedFileIsAnError) {
  const std::string path = dir_ + "/audit-state.json";
  ASSERT_TRUE(SaveAuditState(path, AuditState()).ok());
  FILE* file = fopen(path.c_str(), "w");
  ASSERT_NE(file, nullptr);
  fputs("{\"verified_head\": 7}", file);
  fclose(file);
  EXPECT_EQ(LoadAuditState(path).status().code(), absl::StatusCode::kInvalidArgument);
}

// The state file as saved now, which must be there.
AuditState SavedState(const std::string& path) {
  auto saved = LoadAuditState(path);
  EXPECT_TRUE(saved.ok()) << saved.status();
  return saved.ok() && saved->has_value() ? **saved : AuditState();
}

// A first verification of `log` grown by `events` (no state saved before it), saved in `path`.
void VerifyFirstAndSave(FakeAuditLog& log, uint64_t events, const std::string& path,
                        const AuditVerifyOptions& options = Full()) {
  log.Grow(events);
  auto pinned = Verify(log, std::nullopt, options);
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  ASSERT_TRUE(SaveVerifiedState(path, *pinned, log).ok());
}

// A verification that pinned 86 events of `log` in a state file, then a later one of 88 events
// (a long --full run, or the console's) that checked against that saved head and has not saved
// yet.
struct PinnedThenLater {
  FakeAuditLog log;
  AuditState loaded;  // what the later one loaded
  absl::StatusOr<AuditVerification> later;
};

// PinnedThenLater in the state file `path`; a step that fails fails the test.
void PinThenVerifyLater(const std::string& path, PinnedThenLater* run) {
  ASSERT_NO_FATAL_FAILURE(VerifyFirstAndSave(run->log, 86, path, AuditVerifyOptions()));
  run->loaded = SavedState(path);
  run->log.Grow(2);
  run->later = Verify(run->log, run->loaded);
  ASSERT_TRUE(run->later.ok()) << run->later.status();
}

TEST_F(AuditStateFileTest, AnOlderHeadSavedAfterANewerOneLeavesTheNewerHead) {
  // Two verifications share the state file: a long one (--full, or the console's) loads it and
  // verifies the log at 88 events; meanwhile a quick one pins 97; the long one saves last. It
  // had written its 88 over the 97, and a rollback of the log to 92 then passed.
  const std::string path = dir_ + "/audit-state.json";
  PinnedThenLater slow;
  ASSERT_NO_FATAL_FAILURE(PinThenVerifyLater(path, &slow));
  slow.log.Grow(9);
  auto quick = Verify(slow.log, slow.loaded, AuditVerifyOptions());
  ASSERT_TRUE(quick.ok()) << quick.status();
  ASSERT_TRUE(SaveVerifiedState(path, *quick, slow.log).ok());

  const absl::Status saved = SaveVerifiedState(path, *slow.later, slow.log);
  ASSERT_TRUE(saved.ok()) << saved;
  const AuditState now = SavedState(path);
  ASSERT_THAT(now.logs(), SizeIs(1));
  EXPECT_EQ(now.logs(0).verified_head().tree_size(), 97u);
  EXPECT_EQ(now.logs(0).verified_head().root_hash(), quick->log.verified_head().root_hash());
  EXPECT_THAT(now.logs(0).event_times(), SizeIs(slow.later->log.event_times_size()))
      << "the full run's event times are kept with the later head";
  EXPECT_THAT(slow.later->notes,
              Contains(Field(&AuditNote::text,
                             HasSubstr("saved a later head of this log (size 97"))));
  EXPECT_EQ(slow.later->state.SerializeAsString(), now.SerializeAsString());

  FakeAuditLog rolled_back;
  rolled_back.Grow(92);
  ExpectFailure(Verify(rolled_back, now, AuditVerifyOptions()), absl::StatusCode::kDataLoss,
                "log truncated: size 92 < previously verified 97");
}

// The key of a verified log signing another log was warned of once, and that log's state saved:
// the next run (a daily job, a retry, the console's background verify with the same file) found
// a known log and exited 0, saying nothing. The earlier log stays pinned and the warning comes
// back at every run until the new log is accepted by its id.
TEST_F(AuditStateFileTest, AReplacedLogIsWarnedOfAtEveryRunUntilItIsAcceptedByItsId) {
  const std::string path = dir_ + "/audit-state.json";
  FakeAuditLog first;
  ASSERT_NO_FATAL_FAILURE(VerifyFirstAndSave(first, 30, path));
  const AuditState before = SavedState(path);

  FakeAuditLog replaced('k', "replaced", kOtherLogId);  // the same key, another log
  replaced.Grow(5);
  for (int run = 0; run < 3; ++run) {
    auto warned = Verify(replaced, SavedState(path));
    ASSERT_TRUE(warned.ok()) << warned.status();
    ASSERT_THAT(warned->warnings, SizeIs(1)) << "run " << run;
    EXPECT_THAT(warned->warnings[0], HasSubstr("it was replaced"));
    EXPECT_THAT(warned->warnings[0],
                HasSubstr(absl::StrCat("audit verify --accept-new-log ", kOtherLogId)));
    EXPECT_TRUE(warned->awaiting_acceptance);
    ASSERT_TRUE(SaveVerifiedState(path, *warned, replaced).ok());
    EXPECT_EQ(SavedState(path).SerializeAsString(), before.SerializeAsString())
        << "run " << run << ": the earlier log stays pinned, the new one is not saved";
  }

  // The command to run names the state file given (quoted as one shell word), else none.
  AuditVerifyOptions given = Full();
  given.state_path_given = dir_ + "/my audit's/st.json";
  auto named = Verify(replaced, SavedState(path), given);
  ASSERT_TRUE(named.ok()) << named.status();
  ASSERT_THAT(named->warnings, SizeIs(1));
  EXPECT_THAT(named->warnings[0],
              HasSubstr(absl::StrCat("run registry-cli audit verify --state '", dir_,
                                     "/my audit'\\''s/st.json' --accept-new-log ", kOtherLogId)));
  given.state_path_given = "st.json";
  named = Verify(replaced, SavedState(path), given);
  ASSERT_TRUE(named.ok()) << named.status();
  ASSERT_THAT(named->warnings, SizeIs(1));
  EXPECT_THAT(named->warnings[0],
              HasSubstr(absl::StrCat("audit verify --state st.json --accept-new-log ",
                                     kOtherLogId)));

  // Another id than the server's log accepts nothing, and does not repeat what was typed.
  AuditVerifyOptions wrong = Full();
  wrong.accept_new_log = kLogId;
  ExpectFailure(Verify(replaced, SavedState(path), wrong), absl::StatusCode::kInvalidArgument,
                absl::StrCat("--accept-new-log names another log than the server's audit log, ",
                             kOtherLogId, ": nothing was accepted or saved (verify without "
                             "--accept-new-log to see what it warns of)"));

  AuditVerifyOptions accept = Full();
  accept.accept_new_log = kOtherLogId;
  auto accepted = Verify(replaced, SavedState(path), accept);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_THAT(accepted->warnings, IsEmpty());
  EXPECT_FALSE(accepted->awaiting_acceptance);
  EXPECT_THAT(accepted->notes,
              Contains(Field(&AuditNote::text,
                             HasSubstr(absl::StrCat("accepted as a new log with "
                                                    "--accept-new-log ", kOtherLogId)))));
  ASSERT_TRUE(SaveVerifiedState(path, *accepted, replaced).ok());
  const AuditState now = SavedState(path);
  ASSERT_THAT(now.logs(), SizeIs(2));
  EXPECT_EQ(now.logs(0).log_id(), kLogId) << "the earlier log's record is kept";
  EXPECT_EQ(now.logs(0).verified_head().tree_size(), 30u);
  EXPECT_EQ(now.logs(1).log_id(), kOtherLogId);

  replaced.Grow(2);
  auto later = Verify(replaced, now);
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_THAT(later->warnings, IsEmpty()) << "accepted once, for good";
  EXPECT_FALSE(later->first_of_log);
}

// A server verified before that serves another log under another key nobody gave is warned of
// the same way: at every run, until the log is accepted (or its key given).
TEST_F(AuditStateFileTest, AnotherLogUnderANewKeyAtTheSameServerIsWarnedOfUntilAccepted) {
  const std::string path = dir_ + "/audit-state.json";
  const AuditVerifyOptions at = FullAt("127.0.0.1:7443");
  FakeAuditLog first;
  ASSERT_NO_FATAL_FAILURE(VerifyFirstAndSave(first, 30, path, at));
  FakeAuditLog replaced('r', "replaced", kOtherLogId);
  replaced.Grow(5);
  for (int run = 0; run < 2; ++run) {
    auto warned = Verify(replaced, SavedState(path), at);
    ASSERT_TRUE(warned.ok()) << warned.status();
    ASSERT_THAT(warned->warnings, SizeIs(1)) << "run " << run;
    EXPECT_THAT(warned->warnings[0], HasSubstr("it now serves another log"));
    ASSERT_TRUE(SaveVerifiedState(path, *warned, replaced).ok());
    EXPECT_THAT(SavedState(path).logs(), SizeIs(1));
  }
  AuditVerifyOptions accept = at;
  accept.accept_new_log = kOtherLogId;
  auto accepted = Verify(replaced, SavedState(path), accept);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_THAT(accepted->warnings, IsEmpty());
  ASSERT_TRUE(SaveVerifiedState(path, *accepted, replaced).ok());
  EXPECT_THAT(SavedState(path).logs(), SizeIs(2));
}

TEST_F(AuditStateFileTest, AnotherLogSavedMeanwhileIsKept) {
  const std::string path = dir_ + "/audit-state.json";
  FakeAuditLog first;
  ASSERT_NO_FATAL_FAILURE(VerifyFirstAndSave(first, 10, path));
  const AuditState loaded = SavedState(path);
  first.Grow(5);
  auto again = Verify(first, loaded);
  ASSERT_TRUE(again.ok()) << again.status();
  FakeAuditLog second('s', "second", kOtherLogId);
  second.Grow(7);
  auto other = Verify(second, loaded);
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_TRUE(SaveVerifiedState(path, *other, second).ok());

  ASSERT_TRUE(SaveVerifiedState(path, *again, first).ok());
  const AuditState now = SavedState(path);
  ASSERT_THAT(now.logs(), SizeIs(2));
  EXPECT_EQ(now.logs(0).log_id(), kOtherLogId);
  EXPECT_EQ(now.logs(0).verified_head().tree_size(), 7u);
  EXPECT_EQ(now.logs(1).log_id(), kLogId) << "the log verified last comes last";
  EXPECT_EQ(now.logs(1).verified_head().tree_size(), 15u);
}

TEST_F(AuditStateFileTest, AHeadSavedMeanwhileThatThisOneDoesNotExtendIsAForkAndStays) {
  // Each verification checked its head against the head it loaded, not against the other's:
  // two views of a log forked after the loaded head would both pass, unless the save compares
  // them.
  const std::string path = dir_ + "/audit-state.json";
  PinnedThenLater slow;
  ASSERT_NO_FATAL_FAILURE(PinThenVerifyLater(path, &slow));
  // Meanwhile another verification saved a head of size 97 of another view of the log.
  FakeAuditLog fork('k', "other");
  fork.Grow(97);
  AuditState forked = slow.loaded;
  *forked.mutable_logs(0)->mutable_verified_head() = fork.head();
  ASSERT_TRUE(SaveAuditState(path, forked).ok());
  slow.log.Grow(9);

  const absl::Status saved = SaveVerifiedState(path, *slow.later, slow.log);
  EXPECT_EQ(saved.code(), absl::StatusCode::kDataLoss) << saved;
  EXPECT_THAT(std::string(saved.message()),
              HasSubstr("forked head: head at size 97 is not consistent with verified head at "
                        "size 88"));
  EXPECT_EQ(SavedState(path).SerializeAsString(), forked.SerializeAsString())
      << "nothing is written";
}

}  // namespace
}  // namespace registry::client
