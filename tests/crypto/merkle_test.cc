#include "crypto/merkle.h"

#include <cstdint>
#include <fstream>
#include <functional>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/numeric/bits.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "crypto/hash.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace registry::crypto::merkle {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;

constexpr char kVectorsCopy[] = REGISTRY_TESTDATA_DIR "/rfc6962.json";
// SHA-256 of the vectors as published (RFC 6962 / Certificate Transparency test data): the copy in
// tests/testdata must never drift from them.
constexpr char kVectorsSha256[] =
    "91ac292ef7923bafe8e1a4b12d5cdd9a78f5d44ae2bd097d20f27ca61e6e112a";

// ---------------------------------------------------------------------------------------------
// Helpers

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::string Unhex(const std::string& hex) {
  EXPECT_EQ(hex.size() % 2, 0u) << hex;
  return absl::HexStringToBytes(hex);
}

std::string Hex(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

std::vector<std::string> HexList(const std::vector<std::string>& hashes) {
  std::vector<std::string> out;
  for (const std::string& h : hashes) out.push_back(Hex(h));
  return out;
}

// Calls `check` with every single-bit variant of `bytes`.
void ForEachBitFlip(const std::string& bytes,
                    const std::function<void(const std::string&)>& check) {
  for (size_t i = 0; i < bytes.size() * 8; ++i) {
    std::string flipped = bytes;
    flipped[i / 8] = static_cast<char>(flipped[i / 8] ^ (1 << (i % 8)));
    check(flipped);
  }
}

void ExpectCode(const absl::Status& status, absl::StatusCode code, const std::string& context) {
  EXPECT_EQ(status.code(), code) << context << ": " << status;
  if (code == absl::StatusCode::kDataLoss) {
    EXPECT_TRUE(absl::StrContains(status.message(), "does not match")) << context << ": " << status;
  }
}

uint64_t SplitPoint(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

std::vector<std::string> Slice(const std::vector<std::string>& v, size_t begin, size_t end) {
  return std::vector<std::string>(v.begin() + begin, v.begin() + end);
}

// RFC 6962 §2.1.1 PATH(m, D[n]), written straight from the definition.
std::vector<std::string> ReferencePath(uint64_t m, const std::vector<std::string>& d) {
  const uint64_t n = d.size();
  if (n <= 1) return {};
  const uint64_t k = SplitPoint(n);
  std::vector<std::string> path;
  if (m < k) {
    path = ReferencePath(m, Slice(d, 0, k));
    path.push_back(RootFromLeafHashes(Slice(d, k, n)));
  } else {
    path = ReferencePath(m - k, Slice(d, k, n));
    path.push_back(RootFromLeafHashes(Slice(d, 0, k)));
  }
  return path;
}

// RFC 6962 §2.1.2 SUBPROOF(m, D[n], b), written straight from the definition.
std::vector<std::string> ReferenceSubproof(uint64_t m, const std::vector<std::string>& d, bool b) {
  const uint64_t n = d.size();
  if (m == n) {
    if (b) return {};
    return {RootFromLeafHashes(d)};
  }
  const uint64_t k = SplitPoint(n);
  std::vector<std::string> proof;
  if (m <= k) {
    proof = ReferenceSubproof(m, Slice(d, 0, k), b);
    proof.push_back(RootFromLeafHashes(Slice(d, k, n)));
  } else {
    proof = ReferenceSubproof(m - k, Slice(d, k, n), false);
    proof.push_back(RootFromLeafHashes(Slice(d, 0, k)));
  }
  return proof;
}

// A log built through the public API: a frontier whose nodes land in an InMemoryNodeStore.
struct Log {
  explicit Log(const std::vector<std::string>& leaf_hashes) {
    for (const std::string& leaf_hash : leaf_hashes) range.Append(leaf_hash, store.Recorder());
  }
  InMemoryNodeStore store;
  CompactRange range;
};

std::vector<std::string> RandomLeafHashes(size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> hashes;
  for (size_t i = 0; i < count; ++i) {
    std::string leaf(rng() % 97, '\0');
    for (char& c : leaf) c = static_cast<char>(rng());
    hashes.push_back(HashLeaf(leaf));
  }
  return hashes;
}

// NodeReaders that misbehave.
class FailingReader : public NodeReader {
 public:
  absl::StatusOr<std::string> Node(int, uint64_t) const override {
    return absl::UnavailableError("storage is down");
  }
};

class ShortNodeReader : public NodeReader {
 public:
  absl::StatusOr<std::string> Node(int, uint64_t) const override {
    return std::string(kHashSize - 1, 'x');
  }
};

// ---------------------------------------------------------------------------------------------
// Hash functions

TEST(MerkleHashTest, HashesAreDomainSeparatedSha256) {
  const std::string left(kHashSize, 'L');
  const std::string right(kHashSize, 'R');
  EXPECT_EQ(HashLeaf("abc"), Sha256(std::string("\0abc", 4)));
  EXPECT_EQ(HashChildren(left, right), Sha256("\x01" + left + right));
  EXPECT_NE(HashChildren(left, right), HashChildren(right, left));
  EXPECT_EQ(Hex(EmptyRoot()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // RFC 6962's leaf hash of the empty string, the first leaf of the CT test vectors.
  EXPECT_EQ(Hex(HashLeaf("")), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

// ---------------------------------------------------------------------------------------------
// RFC 6962 vectors (Certificate Transparency's 8-leaf tree)

class Rfc6962VectorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string json = ReadFile(kVectorsCopy);
    ASSERT_FALSE(json.empty()) << "cannot read " << kVectorsCopy;
    const auto status = google::protobuf::util::JsonStringToMessage(json, &vectors_);
    ASSERT_TRUE(status.ok()) << status.ToString();
    for (const Value& leaf : Field("leaves").list_value().values()) {
      leaf_hashes_.push_back(HashLeaf(Unhex(leaf.string_value())));
    }
    ASSERT_EQ(leaf_hashes_.size(), 8u);
    log_ = std::make_unique<Log>(leaf_hashes_);
  }

  const Value& Field(const std::string& name) const {
    static const Value kMissing;
    auto it = vectors_.fields().find(name);
    EXPECT_TRUE(it != vectors_.fields().end()) << "vectors lack \"" << name << "\"";
    return it == vectors_.fields().end() ? kMissing : it->second;
  }

  std::string RootOf(uint64_t size) const {
    const auto& roots = Field("roots").struct_value().fields();
    auto it = roots.find(std::to_string(size));
    EXPECT_TRUE(it != roots.end()) << "no root for size " << size;
    return it == roots.end() ? "" : Unhex(it->second.string_value());
  }

  static uint64_t Number(const Value& entry, const std::string& name) {
    return static_cast<uint64_t>(entry.struct_value().fields().at(name).number_value());
  }

  static std::vector<std::string> Proof(const Value& entry) {
    std::vector<std::string> proof;
    for (const Value& h : entry.struct_value().fields().at("proof").list_value().values()) {
      proof.push_back(Unhex(h.string_value()));
    }
    return proof;
  }

  Struct vectors_;
  std::vector<std::string> leaf_hashes_;
  std::unique_ptr<Log> log_;
};

TEST_F(Rfc6962VectorsTest, CopyIsTheOriginalByteForByte) {
  const std::string copy = ReadFile(kVectorsCopy);
  ASSERT_FALSE(copy.empty()) << "test data missing at " << kVectorsCopy;
  EXPECT_EQ(Hex(crypto::Sha256(copy)), kVectorsSha256);
}

TEST_F(Rfc6962VectorsTest, EmptyTreeRoot) {
  const std::string expected = Unhex(Field("empty_root").string_value());
  EXPECT_EQ(EmptyRoot(), expected);
  EXPECT_EQ(CompactRange().Root(), expected);
  EXPECT_EQ(RootFromLeafHashes({}), expected);
  absl::StatusOr<std::string> root = RootAt(InMemoryNodeStore(), 0);
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(*root, expected);
}

TEST_F(Rfc6962VectorsTest, RootOfEveryPrefix) {
  ASSERT_EQ(Field("roots").struct_value().fields_size(), 8);
  CompactRange range;
  for (uint64_t size = 1; size <= 8; ++size) {
    range.Append(leaf_hashes_[size - 1], nullptr);
    const std::string expected = RootOf(size);
    EXPECT_EQ(Hex(range.Root()), Hex(expected)) << "frontier, size " << size;
    EXPECT_EQ(Hex(RootFromLeafHashes(Slice(leaf_hashes_, 0, size))), Hex(expected))
        << "reference, size " << size;
    absl::StatusOr<std::string> stored = RootAt(log_->store, size);
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_EQ(Hex(*stored), Hex(expected)) << "RootAt, size " << size;
  }
}

TEST_F(Rfc6962VectorsTest, InclusionProofsGenerateAndVerify) {
  const auto& entries = Field("inclusion").list_value().values();
  ASSERT_EQ(entries.size(), 36);  // every (index, size) with index < size <= 8
  for (const Value& entry : entries) {
    const uint64_t index = Number(entry, "index");
    const uint64_t size = Number(entry, "size");
    const std::vector<std::string> expected = Proof(entry);
    const std::string context = "leaf " + std::to_string(index) + " of " + std::to_string(size);
    const std::string root = RootOf(size);
    const std::string& leaf = leaf_hashes_[index];

    absl::StatusOr<std::vector<std::string>> proof = InclusionProof(log_->store, index, size);
    ASSERT_TRUE(proof.ok()) << context << ": " << proof.status();
    EXPECT_EQ(HexList(*proof), HexList(expected)) << context;

    EXPECT_TRUE(VerifyInclusion(leaf, index, size, expected, root).ok()) << context;
    for (size_t i = 0; i < expected.size(); ++i) {
      ForEachBitFlip(expected[i], [&](const std::string& flipped) {
        std::vector<std::string> bad = expected;
        bad[i] = flipped;
        ExpectCode(VerifyInclusion(leaf, index, size, bad, root), absl::StatusCode::kDataLoss,
                   context + ", proof element " + std::to_string(i));
      });
    }
    ForEachBitFlip(leaf, [&](const std::string& flipped) {
      ExpectCode(VerifyInclusion(flipped, index, size, expected, root), absl::StatusCode::kDataLoss,
                 context + ", leaf");
    });
    ForEachBitFlip(root, [&](const std::string& flipped) {
      ExpectCode(VerifyInclusion(leaf, index, size, expected, flipped), absl::StatusCode::kDataLoss,
                 context + ", root");
    });

    std::vector<std::string> longer = expected;
    longer.push_back(root);
    ExpectCode(VerifyInclusion(leaf, index, size, longer, root), absl::StatusCode::kInvalidArgument,
               context + ", extra element");
    if (!expected.empty()) {
      std::vector<std::string> shorter(expected.begin(), expected.end() - 1);
      ExpectCode(VerifyInclusion(leaf, index, size, shorter, root),
                 absl::StatusCode::kInvalidArgument, context + ", missing element");
    }
  }
}

TEST_F(Rfc6962VectorsTest, ConsistencyProofsGenerateAndVerify) {
  const auto& entries = Field("consistency").list_value().values();
  ASSERT_EQ(entries.size(), 36);  // every (first, second) with 1 <= first <= second <= 8
  for (const Value& entry : entries) {
    const uint64_t first = Number(entry, "first");
    const uint64_t second = Number(entry, "second");
    const std::vector<std::string> expected = Proof(entry);
    const std::string context = std::to_string(first) + " -> " + std::to_string(second);
    const std::string first_root = RootOf(first);
    const std::string second_root = RootOf(second);

    absl::StatusOr<std::vector<std::string>> proof = ConsistencyProof(log_->store, first, second);
    ASSERT_TRUE(proof.ok()) << context << ": " << proof.status();
    EXPECT_EQ(HexList(*proof), HexList(expected)) << context;

    EXPECT_TRUE(VerifyConsistency(first, second, first_root, second_root, expected).ok())
        << context;
    for (size_t i = 0; i < expected.size(); ++i) {
      ForEachBitFlip(expected[i], [&](const std::string& flipped) {
        std::vector<std::string> bad = expected;
        bad[i] = flipped;
        ExpectCode(VerifyConsistency(first, second, first_root, second_root, bad),
                   absl::StatusCode::kDataLoss, context + ", proof element " + std::to_string(i));
      });
    }
    ForEachBitFlip(first_root, [&](const std::string& flipped) {
      ExpectCode(VerifyConsistency(first, second, flipped, second_root, expected),
                 absl::StatusCode::kDataLoss, context + ", first root");
    });
    ForEachBitFlip(second_root, [&](const std::string& flipped) {
      ExpectCode(VerifyConsistency(first, second, first_root, flipped, expected),
                 absl::StatusCode::kDataLoss, context + ", second root");
    });

    std::vector<std::string> longer = expected;
    longer.push_back(second_root);
    ExpectCode(VerifyConsistency(first, second, first_root, second_root, longer),
               absl::StatusCode::kInvalidArgument, context + ", extra element");
    if (!expected.empty()) {
      std::vector<std::string> shorter(expected.begin(), expected.end() - 1);
      ExpectCode(VerifyConsistency(first, second, first_root, second_root, shorter),
                 absl::StatusCode::kInvalidArgument, context + ", missing element");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A random tree of 1,100 leaves against the recursive definitions

constexpr size_t kRandomLeaves = 1100;
constexpr uint64_t kSeed = 6962;

class RandomTreeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    leaf_hashes_ = new std::vector<std::string>(RandomLeafHashes(kRandomLeaves, kSeed));
    log_ = new Log(*leaf_hashes_);
    reference_roots_ = new std::vector<std::string>();
    for (size_t size = 0; size <= kRandomLeaves; ++size) {
      reference_roots_->push_back(RootFromLeafHashes(Slice(*leaf_hashes_, 0, size)));
    }
  }
  static void TearDownTestSuite() {
    delete leaf_hashes_;
    delete log_;
    delete reference_roots_;
  }

  // Sizes that exercise every shape: all small ones, powers of two and their neighbours, a
  // stride through the rest, and the whole tree.
  static std::vector<uint64_t> InterestingSizes() {
    std::vector<uint64_t> sizes;
    for (uint64_t s = 1; s <= 70; ++s) sizes.push_back(s);
    for (uint64_t p = 128; p <= 1024; p *= 2) {
      sizes.insert(sizes.end(), {p - 1, p, p + 1});
    }
    for (uint64_t s = 71; s <= kRandomLeaves; s += 53) sizes.push_back(s);
    sizes.push_back(kRandomLeaves);
    return sizes;
  }

  static std::vector<std::string> Leaves(uint64_t size) { return Slice(*leaf_hashes_, 0, size); }

  static std::vector<std::string>* leaf_hashes_;
  static Log* log_;
  static std::vector<std::string>* reference_roots_;  // [size] = MTH of the first size leaves
};

std::vector<std::string>* RandomTreeTest::leaf_hashes_ = nullptr;
Log* RandomTreeTest::log_ = nullptr;
std::vector<std::string>* RandomTreeTest::reference_roots_ = nullptr;

TEST_F(RandomTreeTest, FrontierRootMatchesReferenceAtEverySize) {
  CompactRange range;
  EXPECT_EQ(range.Root(), (*reference_roots_)[0]);
  for (size_t size = 1; size <= kRandomLeaves; ++size) {
    range.Append((*leaf_hashes_)[size - 1], nullptr);
    ASSERT_EQ(range.size(), size);
    ASSERT_EQ(Hex(range.Root()), Hex((*reference_roots_)[size])) << "size " << size;
  }
}

TEST_F(RandomTreeTest, RootAtMatchesReferenceAtEverySize) {
  for (size_t size = 0; size <= kRandomLeaves; ++size) {
    absl::StatusOr<std::string> root = RootAt(log_->store, size);
    ASSERT_TRUE(root.ok()) << "size " << size << ": " << root.status();
    ASSERT_EQ(Hex(*root), Hex((*reference_roots_)[size])) << "size " << size;
  }
}

// The left edge a log serves once its first events are deleted: read from the stored nodes, it is
// the frontier those events built, and appending the later leaves to it gives every later root.
TEST_F(RandomTreeTest, CompactRangeAtIsTheFrontierAndExtendsToEveryLaterRoot) {
  CompactRange appended;
  for (size_t size = 0; size <= kRandomLeaves; ++size) {
    if (size > 0) appended.Append((*leaf_hashes_)[size - 1], nullptr);
    absl::StatusOr<CompactRange> read = CompactRangeAt(log_->store, size);
    ASSERT_TRUE(read.ok()) << "size " << size << ": " << read.status();
    ASSERT_EQ(read->size(), size);
    ASSERT_EQ(read->Serialize(), appended.Serialize()) << "size " << size;
  }
  for (uint64_t pruned : InterestingSizes()) {
    absl::StatusOr<CompactRange> edge = CompactRangeAt(log_->store, pruned);
    ASSERT_TRUE(edge.ok()) << edge.status();
    CompactRange range = *std::move(edge);
    for (uint64_t size = pruned; size < kRandomLeaves && size < pruned + 40; ++size) {
      range.Append((*leaf_hashes_)[size], nullptr);
      ASSERT_EQ(Hex(range.Root()), Hex((*reference_roots_)[size + 1]))
          << "pruned " << pruned << ", size " << size + 1;
    }
  }
  EXPECT_EQ(CompactRangeAt(log_->store, kRandomLeaves + 1).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RandomTreeTest, StoreHoldsExactlyThePerfectNodes) {
  // Level l has floor(n / 2^l) complete nodes, each the MTH of its 2^l leaves; nothing more.
  for (int level = 0; level <= 11; ++level) {
    const uint64_t width = uint64_t{1} << level;
    const uint64_t complete = kRandomLeaves / width;
    for (uint64_t index = 0; index < complete; ++index) {
      absl::StatusOr<std::string> node = log_->store.Node(level, index);
      ASSERT_TRUE(node.ok()) << level << "," << index << ": " << node.status();
      ASSERT_EQ(*node,
                RootFromLeafHashes(Slice(*leaf_hashes_, index * width, (index + 1) * width)));
    }
    EXPECT_EQ(log_->store.Node(level, complete).status().code(), absl::StatusCode::kNotFound)
        << "level " << level;
  }
}

TEST_F(RandomTreeTest, InclusionProofsMatchReferenceAndVerify) {
  std::mt19937_64 rng(kSeed);
  int checked = 0;
  for (uint64_t size : InterestingSizes()) {
    const std::vector<std::string> leaves = Leaves(size);
    const std::string& root = (*reference_roots_)[size];
    std::vector<uint64_t> indices = {0, size - 1, size / 2, rng() % size, rng() % size};
    for (uint64_t index : indices) {
      const std::string context = "leaf " + std::to_string(index) + " of " + std::to_string(size);
      absl::StatusOr<std::vector<std::string>> proof = InclusionProof(log_->store, index, size);
      ASSERT_TRUE(proof.ok()) << context << ": " << proof.status();
      ASSERT_EQ(HexList(*proof), HexList(ReferencePath(index, leaves))) << context;
      ASSERT_TRUE(VerifyInclusion(leaves[index], index, size, *proof, root).ok()) << context;
      ++checked;

      // The proof, leaf or root of a different tree position must not verify. Another index of
      // the same tree either needs a proof of another length (InvalidArgument) or recomputes
      // another root (DataLoss).
      if (size > 1) {
        const uint64_t other = (index + 1 + rng() % (size - 1)) % size;
        absl::StatusOr<std::vector<std::string>> other_proof =
            InclusionProof(log_->store, other, size);
        ASSERT_TRUE(other_proof.ok());
        const absl::StatusCode code = other_proof->size() == proof->size()
                                          ? absl::StatusCode::kDataLoss
                                          : absl::StatusCode::kInvalidArgument;
        ExpectCode(VerifyInclusion(leaves[index], other, size, *proof, root), code,
                   context + " claimed as " + std::to_string(other));
        ExpectCode(VerifyInclusion(leaves[other], index, size, *proof, root),
                   absl::StatusCode::kDataLoss, context + " with leaf " + std::to_string(other));
      }
      if (size < kRandomLeaves) {
        // The same leaf against the next tree's root: that tree's proof has either another
        // length or another root.
        absl::StatusOr<std::vector<std::string>> next_proof =
            InclusionProof(log_->store, index, size + 1);
        ASSERT_TRUE(next_proof.ok());
        const absl::StatusCode code = next_proof->size() == proof->size()
                                          ? absl::StatusCode::kDataLoss
                                          : absl::StatusCode::kInvalidArgument;
        ExpectCode(
            VerifyInclusion(leaves[index], index, size + 1, *proof, (*reference_roots_)[size + 1]),
            code, context + " against size " + std::to_string(size + 1));
      }
      ExpectCode(VerifyInclusion(leaves[index], size, size, *proof, root),
                 absl::StatusCode::kInvalidArgument, context + " index == size");
      if (!proof->empty()) {
        std::vector<std::string> truncated_hash = *proof;
        truncated_hash.back().pop_back();
        ExpectCode(VerifyInclusion(leaves[index], index, size, truncated_hash, root),
                   absl::StatusCode::kInvalidArgument, context + " 31-byte proof element");
      }
    }
  }
  EXPECT_GT(checked, 500);
}

TEST_F(RandomTreeTest, ConsistencyProofsMatchReferenceAndVerify) {
  std::vector<std::pair<uint64_t, uint64_t>> pairs;
  for (uint64_t second = 1; second <= 40; ++second) {
    for (uint64_t first = 1; first <= second; ++first) pairs.emplace_back(first, second);
  }
  std::mt19937_64 rng(kSeed + 1);
  for (uint64_t second : InterestingSizes()) {
    if (second <= 40) continue;
    for (uint64_t first :
         {uint64_t{1}, second / 2, second - 1, second, 1 + rng() % second, 1 + rng() % second}) {
      pairs.emplace_back(first, second);
    }
  }
  for (const auto& [first, second] : pairs) {
    const std::string context = std::to_string(first) + " -> " + std::to_string(second);
    const std::string& first_root = (*reference_roots_)[first];
    const std::string& second_root = (*reference_roots_)[second];
    absl::StatusOr<std::vector<std::string>> proof = ConsistencyProof(log_->store, first, second);
    ASSERT_TRUE(proof.ok()) << context << ": " << proof.status();
    ASSERT_EQ(HexList(*proof), HexList(ReferenceSubproof(first, Leaves(second), true))) << context;
    ASSERT_TRUE(VerifyConsistency(first, second, first_root, second_root, *proof).ok()) << context;

    if (first < second) {
      // A rewritten history: the first tree's root swapped for another tree's.
      ExpectCode(
          VerifyConsistency(first, second, (*reference_roots_)[first - 1], second_root, *proof),
          absl::StatusCode::kDataLoss, context + " with another first root");
      // A fork: another second root.
      ExpectCode(
          VerifyConsistency(first, second, first_root, (*reference_roots_)[second - 1], *proof),
          absl::StatusCode::kDataLoss, context + " with another second root");
      // One proof element altered.
      std::vector<std::string> bad = *proof;
      bad[rng() % bad.size()][rng() % kHashSize] ^= 0x40;
      ExpectCode(VerifyConsistency(first, second, first_root, second_root, bad),
                 absl::StatusCode::kDataLoss, context + " altered element");
    }
    if (second < kRandomLeaves) {
      // The proof presented for the next size: another length or a mismatching root.
      absl::StatusOr<std::vector<std::string>> next =
          ConsistencyProof(log_->store, first, second + 1);
      ASSERT_TRUE(next.ok());
      const absl::StatusCode code = next->size() == proof->size()
                                        ? absl::StatusCode::kDataLoss
                                        : absl::StatusCode::kInvalidArgument;
      ExpectCode(
          VerifyConsistency(first, second + 1, first_root, (*reference_roots_)[second + 1], *proof),
          code,
          context + " presented as " + std::to_string(first) + " -> " + std::to_string(second + 1));
    }
    ExpectCode(VerifyConsistency(second + 1, second, first_root, second_root, *proof),
               absl::StatusCode::kInvalidArgument, context + " first > second");
  }
  EXPECT_GT(pairs.size(), 900u);
}

TEST_F(RandomTreeTest, ConsistencyFromTheEmptyTree) {
  for (uint64_t second : {uint64_t{0}, uint64_t{1}, uint64_t{5}, uint64_t{kRandomLeaves}}) {
    absl::StatusOr<std::vector<std::string>> proof = ConsistencyProof(log_->store, 0, second);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_TRUE(proof->empty());
    EXPECT_TRUE(
        VerifyConsistency(0, second, EmptyRoot(), (*reference_roots_)[second], *proof).ok());
  }
  const std::string& root = (*reference_roots_)[7];
  ExpectCode(VerifyConsistency(0, 7, (*reference_roots_)[1], root, {}), absl::StatusCode::kDataLoss,
             "non-empty first root");
  ExpectCode(VerifyConsistency(0, 7, EmptyRoot(), root, {root}), absl::StatusCode::kInvalidArgument,
             "non-empty proof");
}

TEST_F(RandomTreeTest, EqualSizesNeedEqualRootsAndNoProof) {
  const std::string& root = (*reference_roots_)[300];
  EXPECT_TRUE(VerifyConsistency(300, 300, root, root, {}).ok());
  ExpectCode(VerifyConsistency(300, 300, root, (*reference_roots_)[299], {}),
             absl::StatusCode::kDataLoss, "equal sizes, different roots");
  ExpectCode(VerifyConsistency(300, 300, root, root, {root}), absl::StatusCode::kInvalidArgument,
             "equal sizes, non-empty proof");
}

TEST_F(RandomTreeTest, ProofRequestsOutOfRangeAreInvalidArgument) {
  EXPECT_EQ(InclusionProof(log_->store, 10, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(InclusionProof(log_->store, 0, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ConsistencyProof(log_->store, 11, 10).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Beyond the stored tree the reader has no nodes.
  EXPECT_EQ(RootAt(log_->store, kRandomLeaves + 1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(InclusionProof(log_->store, 0, kRandomLeaves + 1).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(ConsistencyProof(log_->store, 3, kRandomLeaves + 1).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(RandomTreeTest, VerifyRejectsHashesOfWrongSize) {
  const std::vector<std::string> leaves = Leaves(100);
  const std::string& root = (*reference_roots_)[100];
  absl::StatusOr<std::vector<std::string>> proof = InclusionProof(log_->store, 42, 100);
  ASSERT_TRUE(proof.ok());
  const std::string short_hash(kHashSize - 1, 'x');
  const std::string long_hash(kHashSize + 1, 'x');
  for (const std::string& bad : {short_hash, long_hash, std::string()}) {
    ExpectCode(VerifyInclusion(bad, 42, 100, *proof, root), absl::StatusCode::kInvalidArgument,
               "leaf");
    ExpectCode(VerifyInclusion(leaves[42], 42, 100, *proof, bad),
               absl::StatusCode::kInvalidArgument, "root");
    ExpectCode(VerifyConsistency(50, 100, bad, root, {root}), absl::StatusCode::kInvalidArgument,
               "first root");
    ExpectCode(VerifyConsistency(50, 100, root, bad, {root}), absl::StatusCode::kInvalidArgument,
               "second root");
  }
  ExpectCode(VerifyConsistency(50, 100, (*reference_roots_)[50], root, {}),
             absl::StatusCode::kInvalidArgument, "empty consistency proof");
}

TEST_F(RandomTreeTest, TamperedStoreYieldsProofsThatFail) {
  Log tampered(Leaves(64));
  const std::string true_root = (*reference_roots_)[64];
  // Rewrite leaf 5 in storage as an attacker with database access would.
  ASSERT_TRUE(tampered.store.Put(0, 5, HashLeaf("forged event")).ok());
  absl::StatusOr<std::vector<std::string>> proof = InclusionProof(tampered.store, 4, 64);
  ASSERT_TRUE(proof.ok());
  ExpectCode(VerifyInclusion((*leaf_hashes_)[4], 4, 64, *proof, true_root),
             absl::StatusCode::kDataLoss, "proof built from the forged leaf");
  ExpectCode(VerifyInclusion(HashLeaf("forged event"), 5, 64,
                             *InclusionProof(tampered.store, 5, 64), true_root),
             absl::StatusCode::kDataLoss, "forged leaf itself");
}

// ---------------------------------------------------------------------------------------------
// NodeReader failures

TEST(MerkleReaderTest, ReaderErrorsPassThrough) {
  FailingReader reader;
  EXPECT_EQ(RootAt(reader, 5).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(InclusionProof(reader, 1, 5).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ConsistencyProof(reader, 3, 5).status().code(), absl::StatusCode::kUnavailable);
  // Nothing is read when nothing needs proving.
  EXPECT_TRUE(RootAt(reader, 0).ok());
  EXPECT_TRUE(InclusionProof(reader, 0, 1).ok());
  EXPECT_TRUE(ConsistencyProof(reader, 5, 5).ok());
}

TEST(MerkleReaderTest, StoredNodeOfWrongSizeIsDataLoss) {
  ShortNodeReader reader;
  EXPECT_EQ(RootAt(reader, 5).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(InclusionProof(reader, 1, 5).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ConsistencyProof(reader, 3, 5).status().code(), absl::StatusCode::kDataLoss);
}

// ---------------------------------------------------------------------------------------------
// InMemoryNodeStore

TEST(InMemoryNodeStoreTest, PutValidatesAndNodeFindsOnlyStoredNodes) {
  InMemoryNodeStore store;
  const std::string hash(kHashSize, 'h');
  EXPECT_EQ(store.Node(0, 0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store.Put(3, 0, hash).ok());
  absl::StatusOr<std::string> node = store.Node(3, 0);
  ASSERT_TRUE(node.ok());
  EXPECT_EQ(*node, hash);
  EXPECT_EQ(store.Node(3, 1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.Node(2, 0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.Put(3, 2, hash).code(), absl::StatusCode::kInvalidArgument);  // gap
  EXPECT_EQ(store.Put(-1, 0, hash).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Put(kMaxLevel + 1, 0, hash).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Put(0, 0, hash.substr(1)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Node(-1, 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.Node(kMaxLevel + 1, 0).status().code(), absl::StatusCode::kInvalidArgument);
  // Replacing is allowed (tests simulate tampering that way).
  const std::string other(kHashSize, 'o');
  EXPECT_TRUE(store.Put(3, 0, other).ok());
  EXPECT_EQ(*store.Node(3, 0), other);
}

// ---------------------------------------------------------------------------------------------
// CompactRange

TEST(CompactRangeTest, AppendReportsLeafThenEveryCompletedSubtree) {
  const std::vector<std::string> leaves = RandomLeafHashes(8, 1);
  CompactRange range;
  std::vector<std::tuple<int, uint64_t, std::string>> reported;
  auto record = [&](int level, uint64_t index, absl::string_view hash) {
    reported.emplace_back(level, index, std::string(hash));
  };
  for (size_t i = 0; i < 7; ++i) range.Append(leaves[i], record);
  reported.clear();
  range.Append(leaves[7], record);
  ASSERT_EQ(reported.size(), 4u);
  EXPECT_EQ(reported[0], std::make_tuple(0, uint64_t{7}, leaves[7]));
  EXPECT_EQ(reported[1], std::make_tuple(1, uint64_t{3}, RootFromLeafHashes(Slice(leaves, 6, 8))));
  EXPECT_EQ(reported[2], std::make_tuple(2, uint64_t{1}, RootFromLeafHashes(Slice(leaves, 4, 8))));
  EXPECT_EQ(reported[3], std::make_tuple(3, uint64_t{0}, RootFromLeafHashes(leaves)));
}

// AppendLeaf hashes the leaf itself; events on both sides of the 64 bytes that HashInto takes in
// one update must give the tree Append(HashLeaf(...)) gives, node for node.
TEST(CompactRangeTest, AppendLeafBuildsTheTreeOfAppendHashLeaf) {
  std::vector<std::string> events;
  for (size_t size : {0, 1, 31, 32, 63, 64, 65, 96, 128, 129, 300}) {
    events.push_back(std::string(size, static_cast<char>('a' + events.size())));
  }
  CompactRange by_leaf;
  CompactRange by_hash;
  std::vector<std::tuple<int, uint64_t, std::string>> from_leaf;
  std::vector<std::tuple<int, uint64_t, std::string>> from_hash;
  for (const std::string& event : events) {
    by_leaf.AppendLeaf(event, [&](int level, uint64_t index, absl::string_view hash) {
      from_leaf.emplace_back(level, index, std::string(hash));
    });
    by_hash.Append(HashLeaf(event), [&](int level, uint64_t index, absl::string_view hash) {
      from_hash.emplace_back(level, index, std::string(hash));
    });
    EXPECT_EQ(by_leaf.Root(), by_hash.Root()) << "after " << by_leaf.size() << " events";
  }
  EXPECT_EQ(from_leaf, from_hash);
  std::vector<std::string> leaf_hashes;
  for (const std::string& event : events) leaf_hashes.push_back(HashLeaf(event));
  EXPECT_EQ(by_leaf.Root(), RootFromLeafHashes(leaf_hashes));
}

TEST(CompactRangeTest, SerializeLayout) {
  EXPECT_EQ(CompactRange().Serialize(), std::string(8, '\0'));
  const std::vector<std::string> leaves = RandomLeafHashes(3, 2);
  CompactRange range;
  for (const std::string& leaf : leaves) range.Append(leaf, nullptr);
  EXPECT_EQ(range.Serialize(),
            std::string("\0\0\0\0\0\0\0\x03", 8) + HashChildren(leaves[0], leaves[1]) + leaves[2]);
}

TEST(CompactRangeTest, ParseRoundTripAndResume) {
  const std::vector<std::string> leaves = RandomLeafHashes(kRandomLeaves, 3);
  CompactRange range;
  for (size_t size = 0; size <= 1030; ++size) {
    if (size > 0) range.Append(leaves[size - 1], nullptr);
    absl::StatusOr<CompactRange> parsed = CompactRange::Parse(range.Serialize());
    ASSERT_TRUE(parsed.ok()) << "size " << size << ": " << parsed.status();
    ASSERT_EQ(parsed->size(), size);
    ASSERT_EQ(parsed->Root(), range.Root());
    ASSERT_EQ(parsed->Serialize(), range.Serialize());
    if (size % 97 == 0) {
      // A frontier restored at start-up continues exactly where the original would.
      CompactRange resumed = *parsed;
      for (size_t more = size; more < size + 70; ++more) resumed.Append(leaves[more], nullptr);
      ASSERT_EQ(resumed.Root(), RootFromLeafHashes(Slice(leaves, 0, size + 70)));
    }
  }
}

TEST(CompactRangeTest, ParseRejectsMalformedInputAsDataLoss) {
  const std::vector<std::string> leaves = RandomLeafHashes(7, 4);
  CompactRange range;
  for (const std::string& leaf : leaves) range.Append(leaf, nullptr);
  const std::string good = range.Serialize();
  ASSERT_EQ(good.size(), 8u + 3 * kHashSize);
  ASSERT_TRUE(CompactRange::Parse(good).ok());

  EXPECT_EQ(CompactRange::Parse("").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(CompactRange::Parse(good.substr(0, 7)).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(CompactRange::Parse(good.substr(0, good.size() - 1)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(CompactRange::Parse(good + "x").status().code(), absl::StatusCode::kDataLoss);
  std::string resized = good;
  resized[7] = 8;  // popcount 1: one hash expected, three present
  EXPECT_EQ(CompactRange::Parse(resized).status().code(), absl::StatusCode::kDataLoss);
  resized[0] = 1;  // a size with a high bit set: lengths disagree again
  EXPECT_EQ(CompactRange::Parse(resized).status().code(), absl::StatusCode::kDataLoss);
  // A flipped hash bit is structurally valid; it changes the root, which the signed tree head
  // then contradicts.
  std::string flipped = good;
  flipped[20] ^= 1;
  absl::StatusOr<CompactRange> parsed = CompactRange::Parse(flipped);
  ASSERT_TRUE(parsed.ok());
  EXPECT_NE(parsed->Root(), range.Root());
}

TEST(CompactRangeTest, FromHashesRoundTripsHashesAndRefusesAnotherShape) {
  const std::vector<std::string> leaves = RandomLeafHashes(300, 5);
  CompactRange range;
  for (size_t size = 0; size <= leaves.size(); ++size) {
    if (size > 0) range.Append(leaves[size - 1], nullptr);
    const std::vector<std::string> hashes = range.Hashes();
    ASSERT_EQ(hashes.size(), static_cast<size_t>(absl::popcount(size)));
    absl::StatusOr<CompactRange> rebuilt = CompactRange::FromHashes(size, hashes);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    ASSERT_EQ(rebuilt->Serialize(), range.Serialize());
  }
  // 300 = 0b100101100: four hashes, largest first.
  const std::vector<std::string> hashes = range.Hashes();
  ASSERT_EQ(hashes.size(), 4u);
  std::vector<std::string> fewer(hashes.begin(), hashes.end() - 1);
  EXPECT_EQ(CompactRange::FromHashes(300, fewer).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<std::string> more = hashes;
  more.push_back(hashes[0]);
  EXPECT_EQ(CompactRange::FromHashes(300, more).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<std::string> short_hash = hashes;
  short_hash[2].pop_back();
  EXPECT_EQ(CompactRange::FromHashes(300, short_hash).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CompactRange::FromHashes(301, hashes).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CompactRange::FromHashes(0, {}).ok());
}

TEST(CompactRangeTest, ParseAcceptsTheLargestSize) {
  std::string bytes(8, '\xff');
  bytes += std::string(64 * kHashSize, 'h');
  absl::StatusOr<CompactRange> parsed = CompactRange::Parse(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->size(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(parsed->Serialize(), bytes);
  EXPECT_EQ(CompactRange::Parse(bytes.substr(0, bytes.size() - kHashSize)).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace registry::crypto::merkle
