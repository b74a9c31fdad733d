#include "crypto/merkle.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

#include "absl/numeric/bits.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "openssl/evp.h"

namespace registry::crypto::merkle {
namespace {

constexpr unsigned char kLeafPrefix = 0x00;
constexpr unsigned char kNodePrefix = 0x01;
constexpr size_t kSizeFieldBytes = 8;

// The hot path. Verifying a whole log hashes every leaf once and every interior node once, so
// per-hash overhead matters as much as SHA-256 itself: the digest is fetched once per process
// (an implicit EVP_sha256() fetch on every init costs about as much as hashing 300 bytes), each
// thread reuses one EVP_MD_CTX, and outputs go to fixed 32-byte buffers, not heap strings.
const EVP_MD* Sha256Digest() {
  // Fetched once and deliberately never freed: it lives as long as the process.
  static const EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
    if (fetched == nullptr) std::abort();
    return fetched;
  }();
  return md;
}

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* ThreadContext() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) std::abort();
  return ctx.get();
}

// Writes SHA-256(prefix || a || b) to out, which may alias a or b: both are consumed before the
// digest is written. Like Sha256() in hash.h, an OpenSSL failure (only out of memory) aborts
// rather than yield a wrong hash in a tamper-evident log.
void HashInto(unsigned char prefix, absl::string_view a, absl::string_view b, unsigned char* out) {
  EVP_MD_CTX* ctx = ThreadContext();
  unsigned int len = 0;
  bool ok = EVP_DigestInit_ex2(ctx, Sha256Digest(), nullptr) == 1;
  if (a.size() + b.size() <= 2 * kHashSize) {
    // An interior node (or anything as short): one update of 65 bytes costs less than three.
    unsigned char input[1 + 2 * kHashSize];
    input[0] = prefix;
    // std::copy, not memcpy: an empty view may have a null data(), which memcpy must not get.
    std::copy(a.begin(), a.end(), input + 1);
    std::copy(b.begin(), b.end(), input + 1 + a.size());
    ok = ok && EVP_DigestUpdate(ctx, input, 1 + a.size() + b.size()) == 1;
  } else {
    ok = ok && EVP_DigestUpdate(ctx, &prefix, 1) == 1 &&
         EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
         EVP_DigestUpdate(ctx, b.data(), b.size()) == 1;
  }
  if (!ok || EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != kHashSize) std::abort();
}

absl::string_view View(const unsigned char* hash) {
  return absl::string_view(reinterpret_cast<const char*>(hash), kHashSize);
}

// The k of RFC 6962: the largest power of two strictly below n. Requires n >= 2.
uint64_t SplitPoint(uint64_t n) { return uint64_t{1} << (63 - absl::countl_zero(n - 1)); }

int LevelOf(uint64_t power_of_two) { return absl::countr_zero(power_of_two); }

absl::StatusOr<std::string> ReadNode(const NodeReader& reader, int level, uint64_t index) {
  ASSIGN_OR_RETURN(std::string hash, reader.Node(level, index));
  if (hash.size() != kHashSize) {
    return absl::DataLossError(absl::StrCat("stored Merkle node (", level, ", ", index, ") has ",
                                            hash.size(), " bytes, not ", kHashSize));
  }
  return hash;
}

// MTH(D[begin:end]) for a subtree that occurs in the RFC 6962 recursion: begin is a multiple of
// the smallest power of two >= end - begin, so the range splits into perfect nodes of strictly
// decreasing size, each aligned to its own size. Reads one node per set bit of end - begin.
absl::StatusOr<std::string> SubtreeHash(const NodeReader& reader, uint64_t begin, uint64_t end) {
  const uint64_t count = end - begin;
  std::vector<std::string> pieces;
  uint64_t position = begin;
  for (int level = kMaxLevel; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((count & width) == 0) continue;
    ASSIGN_OR_RETURN(std::string piece, ReadNode(reader, level, position >> level));
    pieces.push_back(std::move(piece));
    position += width;
  }
  std::string hash = std::move(pieces.back());
  for (size_t i = pieces.size() - 1; i-- > 0;) hash = HashChildren(pieces[i], hash);
  return hash;
}

absl::Status CheckHashSize(absl::string_view hash, absl::string_view what) {
  if (hash.size() != kHashSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " has ", hash.size(), " bytes, not ", kHashSize));
  }
  return absl::OkStatus();
}

absl::Status CheckProofElements(const std::vector<std::string>& proof) {
  for (size_t i = 0; i < proof.size(); ++i) {
    RETURN_IF_ERROR(CheckHashSize(proof[i], absl::StrCat("proof element ", i)));
  }
  return absl::OkStatus();
}

// Right-shifts fn and sn together until fn is odd or zero (RFC 9162 step "right-shift both fn
// and sn equally until either LSB(fn) is set or fn is 0").
void ShiftUntilOddOrZero(uint64_t& fn, uint64_t& sn) {
  while (fn != 0 && (fn & 1) == 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

std::string ReferenceRoot(const std::vector<std::string>& leaf_hashes, size_t begin, size_t end) {
  if (end - begin == 1) return leaf_hashes[begin];
  const size_t split = begin + SplitPoint(end - begin);
  return HashChildren(ReferenceRoot(leaf_hashes, begin, split),
                      ReferenceRoot(leaf_hashes, split, end));
}

}  // namespace

std::string HashLeaf(absl::string_view leaf) {
  std::string out(kHashSize, '\0');
  HashInto(kLeafPrefix, leaf, absl::string_view(), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string HashChildren(absl::string_view left, absl::string_view right) {
  std::string out(kHashSize, '\0');
  HashInto(kNodePrefix, left, right, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string EmptyRoot() { return Sha256(absl::string_view()); }

// ---------------------------------------------------------------------------------------------
// CompactRange

void CompactRange::AppendLeaf(absl::string_view leaf, const NodeCallback& on_node) {
  Hash leaf_hash;
  HashInto(kLeafPrefix, leaf, absl::string_view(), leaf_hash.data());
  Append(View(leaf_hash.data()), on_node);
}

void CompactRange::Append(absl::string_view leaf_hash, const NodeCallback& on_node) {
  if (leaf_hash.size() != kHashSize || size_ == std::numeric_limits<uint64_t>::max()) {
    std::abort();
  }
  Hash current;
  std::memcpy(current.data(), leaf_hash.data(), kHashSize);
  uint64_t index = size_;
  if (on_node) on_node(0, index, leaf_hash);
  // Each trailing one bit of the old size is a perfect subtree as large as the node just built,
  // directly to its left: merge the two into their parent and carry on, like binary addition.
  int level = 0;
  for (uint64_t rest = size_; (rest & 1) != 0; rest >>= 1) {
    HashInto(kNodePrefix, View(hashes_.back().data()), View(current.data()), current.data());
    hashes_.pop_back();
    ++level;
    index >>= 1;
    if (on_node) on_node(level, index, View(current.data()));
  }
  hashes_.push_back(current);
  ++size_;
}

std::string CompactRange::Root() const {
  if (hashes_.empty()) return EmptyRoot();
  Hash root = hashes_.back();
  for (size_t i = hashes_.size() - 1; i-- > 0;) {
    HashInto(kNodePrefix, View(hashes_[i].data()), View(root.data()), root.data());
  }
  return std::string(View(root.data()));
}

std::string CompactRange::Serialize() const {
  std::string out;
  out.reserve(kSizeFieldBytes + hashes_.size() * kHashSize);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((size_ >> shift) & 0xff));
  }
  for (const Hash& hash : hashes_) {
    out.append(reinterpret_cast<const char*>(hash.data()), hash.size());
  }
  return out;
}

absl::StatusOr<CompactRange> CompactRange::Parse(absl::string_view bytes) {
  if (bytes.size() < kSizeFieldBytes) {
    return absl::DataLossError(
        absl::StrCat("compact range has ", bytes.size(), " bytes, fewer than its size field"));
  }
  uint64_t size = 0;
  for (size_t i = 0; i < kSizeFieldBytes; ++i) {
    size = (size << 8) | static_cast<unsigned char>(bytes[i]);
  }
  const size_t count = absl::popcount(size);
  const size_t expected = kSizeFieldBytes + count * kHashSize;
  if (bytes.size() != expected) {
    return absl::DataLossError(absl::StrCat("compact range of size ", size, " has ", bytes.size(),
                                            " bytes, expected ", expected));
  }
  CompactRange range;
  range.size_ = size;
  range.hashes_.resize(count);
  for (size_t i = 0; i < count; ++i) {
    std::memcpy(range.hashes_[i].data(), bytes.data() + kSizeFieldBytes + i * kHashSize, kHashSize);
  }
  return range;
}

absl::StatusOr<CompactRange> CompactRange::FromHashes(uint64_t size,
                                                      const std::vector<std::string>& hashes) {
  const size_t count = absl::popcount(size);
  if (hashes.size() != count) {
    return absl::InvalidArgumentError(absl::StrCat("a tree of ", size, " leaves has a frontier of ",
                                                   count, " hashes, not ", hashes.size()));
  }
  CompactRange range;
  range.size_ = size;
  range.hashes_.resize(count);
  for (size_t i = 0; i < count; ++i) {
    RETURN_IF_ERROR(CheckHashSize(hashes[i], absl::StrCat("frontier hash ", i)));
    std::memcpy(range.hashes_[i].data(), hashes[i].data(), kHashSize);
  }
  return range;
}

std::vector<std::string> CompactRange::Hashes() const {
  std::vector<std::string> out;
  out.reserve(hashes_.size());
  for (const Hash& hash : hashes_) out.emplace_back(View(hash.data()));
  return out;
}

// ---------------------------------------------------------------------------------------------
// InMemoryNodeStore

absl::Status InMemoryNodeStore::Put(int level, uint64_t index, absl::string_view hash) {
  if (level < 0 || level > kMaxLevel) {
    return absl::InvalidArgumentError(absl::StrCat("Merkle node level ", level, " out of range"));
  }
  RETURN_IF_ERROR(CheckHashSize(hash, "Merkle node"));
  if (levels_.size() <= static_cast<size_t>(level)) levels_.resize(level + 1);
  std::string& nodes = levels_[level];
  const uint64_t stored = nodes.size() / kHashSize;
  if (index > stored) {
    return absl::InvalidArgumentError(absl::StrCat("Merkle node (", level, ", ", index,
                                                   ") would leave a gap after ", stored,
                                                   " stored nodes"));
  }
  if (index == stored) {
    nodes.append(hash.data(), hash.size());
  } else {
    nodes.replace(index * kHashSize, kHashSize, hash.data(), hash.size());
  }
  return absl::OkStatus();
}

CompactRange::NodeCallback InMemoryNodeStore::Recorder() {
  return [this](int level, uint64_t index, absl::string_view hash) {
    // Append reports well-formed nodes in index order per level, which Put always accepts.
    Put(level, index, hash).IgnoreError();
  };
}

absl::StatusOr<std::string> InMemoryNodeStore::Node(int level, uint64_t index) const {
  if (level < 0 || level > kMaxLevel) {
    return absl::InvalidArgumentError(absl::StrCat("Merkle node level ", level, " out of range"));
  }
  if (static_cast<size_t>(level) >= levels_.size() || index >= levels_[level].size() / kHashSize) {
    return absl::NotFoundError(absl::StrCat("Merkle node (", level, ", ", index, ") not stored"));
  }
  return levels_[level].substr(index * kHashSize, kHashSize);
}

// ---------------------------------------------------------------------------------------------
// Roots and proofs from stored nodes

absl::StatusOr<CompactRange> CompactRangeAt(const NodeReader& reader, uint64_t size) {
  // The frontier's subtrees are the perfect nodes of the set bits of size, left to right: each
  // starts where the previous one ends, aligned to its own width.
  std::vector<std::string> hashes;
  uint64_t position = 0;
  for (int level = kMaxLevel; level >= 0; --level) {
    const uint64_t width = uint64_t{1} << level;
    if ((size & width) == 0) continue;
    ASSIGN_OR_RETURN(std::string hash, ReadNode(reader, level, position >> level));
    hashes.push_back(std::move(hash));
    position += width;
  }
  return CompactRange::FromHashes(size, hashes);
}

absl::StatusOr<std::string> RootAt(const NodeReader& reader, uint64_t size) {
  if (size == 0) return EmptyRoot();
  return SubtreeHash(reader, 0, size);
}

absl::StatusOr<std::vector<std::string>> InclusionProof(const NodeReader& reader, uint64_t index,
                                                        uint64_t size) {
  if (index >= size) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf index ", index, " is not below tree size ", size));
  }
  // Walk PATH(index, D[lo:hi]) from the root down, collecting the sibling at each split; the
  // proof lists them leaf first. Only a right sibling can be incomplete, and after the walk
  // turns left once every later range is perfect, so this reads O(log size) nodes.
  std::vector<std::string> proof;
  uint64_t lo = 0;
  uint64_t hi = size;
  while (hi - lo > 1) {
    const uint64_t k = SplitPoint(hi - lo);
    if (index < lo + k) {
      ASSIGN_OR_RETURN(std::string sibling, SubtreeHash(reader, lo + k, hi));
      proof.push_back(std::move(sibling));
      hi = lo + k;
    } else {
      const int level = LevelOf(k);
      ASSIGN_OR_RETURN(std::string sibling, ReadNode(reader, level, lo >> level));
      proof.push_back(std::move(sibling));
      lo += k;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

absl::StatusOr<std::vector<std::string>> ConsistencyProof(const NodeReader& reader,
                                                          uint64_t first_size,
                                                          uint64_t second_size) {
  if (first_size > second_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("first tree size ", first_size, " exceeds second tree size ", second_size));
  }
  std::vector<std::string> proof;
  if (first_size == 0 || first_size == second_size) return proof;
  // SUBPROOF(first_size, D[lo:hi], b) from the root down. `whole` is RFC 6962's b: it stays true
  // while the walk only goes left, in which case D[0:first_size] is the caller's own root and is
  // left out of the proof.
  uint64_t lo = 0;
  uint64_t hi = second_size;
  bool whole = true;
  while (first_size != hi) {
    const uint64_t k = SplitPoint(hi - lo);
    if (first_size <= lo + k) {
      ASSIGN_OR_RETURN(std::string right, SubtreeHash(reader, lo + k, hi));
      proof.push_back(std::move(right));
      hi = lo + k;
    } else {
      const int level = LevelOf(k);
      ASSIGN_OR_RETURN(std::string left, ReadNode(reader, level, lo >> level));
      proof.push_back(std::move(left));
      lo += k;
      whole = false;
    }
  }
  if (!whole) {
    ASSIGN_OR_RETURN(std::string subtree, SubtreeHash(reader, lo, hi));
    proof.push_back(std::move(subtree));
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

// ---------------------------------------------------------------------------------------------
// Verification (RFC 9162 §2.1.3.2 and §2.1.4.2; fn/sn/fr/sr named as there)

absl::Status VerifyInclusion(absl::string_view leaf_hash, uint64_t index, uint64_t size,
                             const std::vector<std::string>& proof, absl::string_view root) {
  RETURN_IF_ERROR(CheckHashSize(leaf_hash, "leaf hash"));
  RETURN_IF_ERROR(CheckHashSize(root, "root hash"));
  RETURN_IF_ERROR(CheckProofElements(proof));
  if (index >= size) {
    return absl::InvalidArgumentError(
        absl::StrCat("leaf index ", index, " is not below tree size ", size));
  }
  uint64_t fn = index;
  uint64_t sn = size - 1;
  unsigned char r[kHashSize];
  std::memcpy(r, leaf_hash.data(), kHashSize);
  for (const std::string& p : proof) {
    if (sn == 0) {
      return absl::InvalidArgumentError(absl::StrCat("inclusion proof has ", proof.size(),
                                                     " elements, too many for leaf ", index, " of ",
                                                     size));
    }
    if ((fn & 1) != 0 || fn == sn) {
      HashInto(kNodePrefix, p, View(r), r);
      ShiftUntilOddOrZero(fn, sn);
    } else {
      HashInto(kNodePrefix, View(r), p, r);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "inclusion proof has ", proof.size(), " elements, too few for leaf ", index, " of ", size));
  }
  if (View(r) != root) {
    return absl::DataLossError("inclusion proof does not match the root hash");
  }
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t first_size, uint64_t second_size,
                               absl::string_view first_root, absl::string_view second_root,
                               const std::vector<std::string>& proof) {
  RETURN_IF_ERROR(CheckHashSize(first_root, "first root hash"));
  RETURN_IF_ERROR(CheckHashSize(second_root, "second root hash"));
  RETURN_IF_ERROR(CheckProofElements(proof));
  if (first_size > second_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("first tree size ", first_size, " exceeds second tree size ", second_size));
  }
  if (first_size == 0 || first_size == second_size) {
    if (!proof.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("consistency proof from size ", first_size,
                                                     " to ", second_size, " must be empty"));
    }
    if (first_size == 0 && first_root != EmptyRoot()) {
      return absl::DataLossError("first root hash does not match the empty tree");
    }
    if (first_size == second_size && first_root != second_root) {
      return absl::DataLossError(
          "first root hash does not match the second for trees of equal size");
    }
    return absl::OkStatus();
  }
  if (proof.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("consistency proof from size ", first_size, " to ", second_size, " is empty"));
  }
  // When first_size is a power of two its root is a node of the second tree and the proof
  // leaves it out; the verifier puts its own copy in front.
  std::vector<absl::string_view> path;
  path.reserve(proof.size() + 1);
  if ((first_size & (first_size - 1)) == 0) path.push_back(first_root);
  for (const std::string& element : proof) path.push_back(element);

  uint64_t fn = first_size - 1;
  uint64_t sn = second_size - 1;
  while ((fn & 1) != 0) {
    fn >>= 1;
    sn >>= 1;
  }
  unsigned char fr[kHashSize];
  unsigned char sr[kHashSize];
  std::memcpy(fr, path[0].data(), kHashSize);
  std::memcpy(sr, path[0].data(), kHashSize);
  for (size_t i = 1; i < path.size(); ++i) {
    const absl::string_view c = path[i];
    if (sn == 0) {
      return absl::InvalidArgumentError(absl::StrCat("consistency proof has ", proof.size(),
                                                     " elements, too many for sizes ", first_size,
                                                     " to ", second_size));
    }
    if ((fn & 1) != 0 || fn == sn) {
      HashInto(kNodePrefix, c, View(fr), fr);
      HashInto(kNodePrefix, c, View(sr), sr);
      ShiftUntilOddOrZero(fn, sn);
    } else {
      HashInto(kNodePrefix, View(sr), c, sr);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    return absl::InvalidArgumentError(absl::StrCat("consistency proof has ", proof.size(),
                                                   " elements, too few for sizes ", first_size,
                                                   " to ", second_size));
  }
  if (View(fr) != first_root) {
    return absl::DataLossError("consistency proof does not match the first root hash");
  }
  if (View(sr) != second_root) {
    return absl::DataLossError("consistency proof does not match the second root hash");
  }
  return absl::OkStatus();
}

std::string RootFromLeafHashes(const std::vector<std::string>& leaf_hashes) {
  if (leaf_hashes.empty()) return EmptyRoot();
  return ReferenceRoot(leaf_hashes, 0, leaf_hashes.size());
}

}  // namespace registry::crypto::merkle
