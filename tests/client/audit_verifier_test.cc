#include "client/audit_verifier.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/secret_bytes.h"
#include "crypto/tree_head.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry::client {
namespace {

namespace merkle = crypto::merkle;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::unique_ptr<crypto::Ed25519Signer> Signer(char seed_byte) {
  auto signer = crypto::Ed25519Signer::FromSeed(crypto::SecretBytes(std::string(32, seed_byte)));
  EXPECT_TRUE(signer.ok()) << signer.status();
  return *std::move(signer);
}

// An honest in-memory audit log: a Merkle tree over its events and heads signed by its key.
// Tests then make it lie: served() is what StreamEvents sends, head() what GetSignedTreeHead
// returns, independently of the tree the proofs come from.
class FakeAuditLog final : public AuditLogSource {
 public:
  explicit FakeAuditLog(char key_seed = 'k', absl::string_view event_prefix = "event")
      : signer_(Signer(key_seed)), event_prefix_(event_prefix) {}

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

  // Signs the current tree with `signer` (another key makes a head from the wrong key).
  void SignHead(const crypto::Ed25519Signer& signer) {
    head_.set_tree_size(range_.size());
    head_.set_root_hash(range_.Root());
    head_.set_timestamp_micros(1'800'000'000'000'000 + range_.size());
    head_.set_key_id(signer.key_id());
    auto bytes = crypto::TreeHeadSigningBytes(head_.tree_size(), head_.timestamp_micros(),
                                              head_.root_hash(), head_.key_id());
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    auto signature = signer.Sign(*bytes);
    ASSERT_TRUE(signature.ok()) << signature.status();
    head_.set_signature(*signature);
  }

  v1::SignedTreeHead& head() { return head_; }
  std::vector<v1::AuditEntry>& served() { return served_; }
  const crypto::Ed25519Signer& signer() const { return *signer_; }
  int key_requests() const { return key_requests_; }

  absl::StatusOr<v1::SignedTreeHead> GetSignedTreeHead() override { return head_; }

  absl::StatusOr<v1::ConsistencyProof> GetConsistencyProof(uint64_t first_size,
                                                           uint64_t second_size) override {
    auto hashes = merkle::ConsistencyProof(store_, first_size, second_size);
    if (!hashes.ok()) return hashes.status();
    v1::ConsistencyProof proof;
    proof.set_first_size(first_size);
    proof.set_second_size(second_size);
    for (std::string& hash : *hashes) proof.add_hashes(std::move(hash));
    return proof;
  }

  absl::StatusOr<v1::InclusionProof> GetInclusionProof(uint64_t leaf_index,
                                                       uint64_t tree_size) override {
    auto hashes = merkle::InclusionProof(store_, leaf_index, tree_size);
    if (!hashes.ok()) return hashes.status();
    v1::InclusionProof proof;
    proof.set_leaf_index(leaf_index);
    proof.set_tree_size(tree_size);
    for (std::string& hash : *hashes) proof.add_hashes(std::move(hash));
    return proof;
  }

  absl::Status StreamEvents(
      uint64_t start, uint64_t end,
      const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) override {
    ++stream_requests_;
    EXPECT_LT(start, end);
    for (const v1::AuditEntry& entry : served_) {
      absl::Status status = on_entry(entry);
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

  int stream_requests() const { return stream_requests_; }

 private:
  std::unique_ptr<crypto::Ed25519Signer> signer_;
  std::string event_prefix_;
  merkle::CompactRange range_;
  merkle::InMemoryNodeStore store_;
  v1::SignedTreeHead head_;
  std::vector<v1::AuditEntry> served_;
  int key_requests_ = 0;
  int stream_requests_ = 0;
};

AuditVerifyOptions Full() {
  AuditVerifyOptions options;
  options.full = true;
  return options;
}

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

absl::StatusOr<AuditVerification> Verify(FakeAuditLog& log,
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

// The state a first, successful run leaves behind.
AuditState VerifiedState(FakeAuditLog& log) {
  auto result = Verify(log, std::nullopt);
  EXPECT_TRUE(result.ok()) << result.status();
  return result->state;
}

TEST(AuditVerifierTest, CleanLogVerifiesAndPinsTheKeyOnFirstUse) {
  FakeAuditLog log;
  log.Grow(13);
  auto result = Verify(log, std::nullopt);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(log.key_requests(), 1);
  EXPECT_EQ(log.stream_requests(), 1);
  ASSERT_THAT(result->notes, SizeIs(1));
  EXPECT_THAT(result->notes[0], HasSubstr("on first use"));
  EXPECT_EQ(result->state.verified_head().tree_size(), 13u);
  EXPECT_EQ(result->state.verified_head().root_hash(), log.head().root_hash());
  EXPECT_EQ(result->state.audit_key().key_id(), log.signer().key_id());
  EXPECT_EQ(result->state.audit_key().ed25519(), log.signer().public_key());
  EXPECT_EQ(result->state.verified_at(), "2027-01-15T08:00:00Z");
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
  EXPECT_EQ(result->state.verified_head().tree_size(), 9u);
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
  EXPECT_EQ(result->state.audit_key().key_id(), log.signer().key_id());
}

TEST(AuditVerifierTest, EmptyLogVerifies) {
  FakeAuditLog log;
  log.Grow(0);
  auto result = Verify(log, std::nullopt);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->state.verified_head().tree_size(), 0u);
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
    ExpectFailure(Verify(log, std::nullopt), absl::StatusCode::kDataLoss,
                  absl::StrCat("event ", edited, " does not match the signed tree"));
  }
}

TEST(AuditVerifierTest, EditedSingleEventLogIsCaught) {
  FakeAuditLog log;
  log.Grow(1);
  log.served()[0].set_event_bytes("x");
  ExpectFailure(Verify(log, std::nullopt), absl::StatusCode::kDataLoss,
                "event 0 does not match the signed tree");
}

TEST(AuditVerifierTest, FirstOfSeveralEditsIsNamed) {
  FakeAuditLog log;
  log.Grow(20);
  log.served()[11].set_event_bytes("x");
  log.served()[4].set_event_bytes("y");
  ExpectFailure(Verify(log, std::nullopt), absl::StatusCode::kDataLoss,
                "event 4 does not match the signed tree");
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
  ExpectFailure(Verify(log, std::nullopt), absl::StatusCode::kDataLoss,
                "event 5 does not match the signed tree");
}

TEST(AuditVerifierTest, ExtraEventsAreCaught) {
  FakeAuditLog log;
  log.Grow(4);
  v1::AuditEntry extra = log.served()[1];
  log.served().push_back(extra);
  ExpectFailure(Verify(log, std::nullopt), absl::StatusCode::kDataLoss,
                "the log sent more events than the signed tree size 4");
}

TEST(AuditVerifierTest, TruncationIsCaught) {
  FakeAuditLog log;
  log.Grow(10);
  const AuditState state = VerifiedState(log);
  FakeAuditLog shorter;
  shorter.Grow(7);
  ExpectFailure(Verify(shorter, state), absl::StatusCode::kDataLoss,
                "log truncated: size 7 < previously verified 10");
}

TEST(AuditVerifierTest, ForkedHeadOfTheSameSizeIsCaught) {
  FakeAuditLog log;
  log.Grow(10);
  const AuditState state = VerifiedState(log);
  FakeAuditLog fork('k', "other");
  fork.Grow(10);
  ExpectFailure(Verify(fork, state, AuditVerifyOptions()), absl::StatusCode::kDataLoss,
                "forked head at size 10");
}

TEST(AuditVerifierTest, LargerForkedHeadIsCaughtByTheConsistencyProof) {
  FakeAuditLog log;
  log.Grow(6);
  const AuditState state = VerifiedState(log);
  FakeAuditLog fork('k', "other");
  fork.Grow(11);
  ExpectFailure(Verify(fork, state, AuditVerifyOptions()), absl::StatusCode::kDataLoss,
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
  EXPECT_EQ(result->state.verified_head().tree_size(), 11u);
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
  auto result = Verify(log, std::nullopt, AuditVerifyOptions());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("bad tree head signature"));
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
  auto result = Verify(log, state);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr(absl::StrCat("signed by key ", intruder->key_id())));
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

}  // namespace
}  // namespace registry::client
