// The audit log's Merkle tree: RFC 6962 / RFC 9162 (Certificate Transparency) hashing, proofs and
// their verification.
//
// A log of n entries D[0:n] has the Merkle Tree Hash (MTH)
//   MTH({})        = SHA-256("")
//   MTH({d})       = HashLeaf(d)       = SHA-256(0x00 || d)
//   MTH(D[0:n])    = HashChildren(MTH(D[0:k]), MTH(D[k:n])) = SHA-256(0x01 || left || right),
//                    k the largest power of two smaller than n.
// The server keeps the tree as "perfect" nodes only: node (level, index) is the hash of the 2^level
// leaves [index * 2^level, (index + 1) * 2^level). A CompactRange (the frontier) appends leaves in
// O(log n) time and memory and reports every perfect node it completes, so that storing those nodes
// gives a NodeReader from which any historical root, inclusion proof or consistency proof is
// computed with O(log n) reads. Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 exactly.
//
//   merkle::InMemoryNodeStore store;
//   merkle::CompactRange range;
//   for (const std::string& event : events) {
//     range.Append(merkle::HashLeaf(event), store.Recorder());
//   }
//   std::string root = range.Root();  // sign it: tree_head.h
//   ASSIGN_OR_RETURN(std::vector<std::string> proof,
//                    merkle::InclusionProof(store, /*index=*/3, range.size()));
//   RETURN_IF_ERROR(
//       merkle::VerifyInclusion(merkle::HashLeaf(events[3]), 3, range.size(), proof, root));
//
// Status codes: InvalidArgument for malformed input (wrong hash sizes, index >= size, a proof of
// the wrong length), DataLoss when hashes do not match (tampering, truncation, a fork) or when a
// NodeReader returns a node that is not a 32-byte hash. Errors from a NodeReader pass through.
//
// Thread safety: the free functions are thread-safe (each thread hashes with its own OpenSSL
// context). CompactRange and InMemoryNodeStore are values: const methods may run concurrently,
// anything that mutates needs external synchronisation.
#ifndef REGISTRY_CRYPTO_MERKLE_H_
#define REGISTRY_CRYPTO_MERKLE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/hash.h"

namespace registry::crypto::merkle {

// Every hash in the tree is a raw 32-byte SHA-256 digest.
inline constexpr size_t kHashSize = kSha256Size;

// Trees have at most 2^64 - 1 leaves, so node levels run from 0 (leaves) to 63.
inline constexpr int kMaxLevel = 63;

// Returns SHA-256(0x00 || leaf), the RFC 6962 leaf hash. Cannot fail.
std::string HashLeaf(absl::string_view leaf);

// Returns SHA-256(0x01 || left || right), the RFC 6962 interior node hash. Callers pass 32-byte
// hashes; the function hashes whatever it is given. Cannot fail.
std::string HashChildren(absl::string_view left, absl::string_view right);

// Returns SHA-256(""), the root of the empty tree. Cannot fail.
std::string EmptyRoot();

// Read access to stored perfect nodes.
class NodeReader {
 public:
  virtual ~NodeReader() = default;

  // Returns the hash of the perfect subtree of 2^level leaves covering leaves
  // [index * 2^level, (index + 1) * 2^level); level 0 holds the leaf hashes. Only complete
  // subtrees are ever stored. Fails with NotFound when the node is not stored (yet); other codes
  // are the implementation's own (e.g. Unavailable from storage).
  virtual absl::StatusOr<std::string> Node(int level, uint64_t index) const = 0;
};

// The frontier of a tree of size n: the hashes of the perfect subtrees that make up the tree, one
// per set bit of n, largest (leftmost) first. For n = 6 = 0b110 these are the nodes (2, 0) over
// leaves [0, 4) and (1, 2) over leaves [4, 6).
class CompactRange {
 public:
  // Receives (level, index, hash) for every node an append completes.
  using NodeCallback = std::function<void(int level, uint64_t index, absl::string_view hash)>;

  // The empty tree.
  CompactRange() = default;

  // Returns the number of leaves appended so far.
  uint64_t size() const { return size_; }

  // Appends the leaf whose hash (a HashLeaf output) is leaf_hash. Calls on_node, unless it is
  // empty, first for the leaf itself (level 0, index size()) and then, in increasing level, for
  // every perfect subtree this append completes; storing all of them yields a complete
  // NodeReader for the tree. O(log n) time, no heap allocation once the frontier has grown.
  // leaf_hash must be kHashSize bytes and size() must be below 2^64 - 1: breaking either is a
  // programming error that aborts the process rather than build a log nobody could verify.
  void Append(absl::string_view leaf_hash, const NodeCallback& on_node);

  // Appends the leaf whose bytes are `leaf`: Append(HashLeaf(leaf), on_node) without the heap
  // string (the full verification hashes every event of the log this way).
  void AppendLeaf(absl::string_view leaf, const NodeCallback& on_node);

  // Returns the Merkle Tree Hash of the leaves appended so far: EmptyRoot() for size 0.
  std::string Root() const;

  // Returns the persistent form, byte by byte:
  //   bytes 0..7   size, unsigned 64-bit big-endian
  //   then         popcount(size) hashes of kHashSize bytes each, largest subtree first.
  // A tree of size 0 serialises to 8 zero bytes; the longest form is 8 + 64 * 32 bytes.
  std::string Serialize() const;

  // Returns the range that Serialize() wrote as `bytes`. Fails with DataLoss when the input is
  // shorter than 8 bytes or its length is not 8 + popcount(size) * kHashSize. The hashes
  // themselves cannot be checked here: compare Root() against a signed tree head for that.
  static absl::StatusOr<CompactRange> Parse(absl::string_view bytes);

  // Returns the range of `size` leaves whose frontier is `hashes` (as Hashes() lists them), e.g.
  // the left edge of a log whose first `size` events were deleted: appending the later leaves to
  // it gives the roots of the later trees. Fails with InvalidArgument when there are not exactly
  // popcount(size) hashes or one is not kHashSize bytes. Like Parse, it cannot check the hashes
  // themselves: a root built on them must be compared with a signed tree head.
  static absl::StatusOr<CompactRange> FromHashes(uint64_t size,
                                                 const std::vector<std::string>& hashes);

  // Returns the frontier: one hash per set bit of size(), largest (leftmost) subtree first.
  std::vector<std::string> Hashes() const;

 private:
  using Hash = std::array<unsigned char, kHashSize>;

  uint64_t size_ = 0;
  std::vector<Hash> hashes_;  // One per set bit of size_, largest subtree first.
};

// A NodeReader that keeps every node in memory: for tests and for a client that rebuilds the
// whole tree from the events it downloaded. Needs about 2 * kHashSize bytes per leaf.
class InMemoryNodeStore : public NodeReader {
 public:
  InMemoryNodeStore() = default;

  // Stores hash as node (level, index), replacing any node already there (tests use this to
  // simulate tampering). Fails with InvalidArgument when level is outside [0, kMaxLevel], hash is
  // not kHashSize bytes, or index would leave a gap after the last node stored at that level.
  absl::Status Put(int level, uint64_t index, absl::string_view hash);

  // Returns a callback for CompactRange::Append that stores every node reported. Nodes from
  // Append are always well-formed and in order, so Put cannot fail for them. The callback
  // refers to this store, which must outlive it.
  CompactRange::NodeCallback Recorder();

  // Returns the stored node. Fails with InvalidArgument for a level outside [0, kMaxLevel] and
  // NotFound for a node never stored.
  absl::StatusOr<std::string> Node(int level, uint64_t index) const override;

 private:
  // levels_[l] holds the nodes of level l back to back, kHashSize bytes each, by index.
  std::vector<std::string> levels_;
};

// Returns the frontier of the tree of the first `size` leaves (what a CompactRange holds after
// `size` appends) from stored perfect nodes, reading popcount(size) of them. Fails with the
// reader's error (NotFound when the tree is smaller than size) or DataLoss when a stored node is
// not kHashSize bytes.
absl::StatusOr<CompactRange> CompactRangeAt(const NodeReader& reader, uint64_t size);

// Returns MTH(D[0:size]) computed from stored perfect nodes only, reading popcount(size) of them:
// EmptyRoot() for size 0. Fails with the reader's error (NotFound when the tree is smaller than
// size) or DataLoss when a stored node is not kHashSize bytes.
absl::StatusOr<std::string> RootAt(const NodeReader& reader, uint64_t size);

// Returns the RFC 9162 §2.1.3.1 inclusion proof (RFC 6962 PATH) of leaf `index` in the tree of
// `size` leaves, sibling of the leaf first, using O(log size) node reads. Fails with
// InvalidArgument when index >= size, and with the reader's error or DataLoss as RootAt does.
absl::StatusOr<std::vector<std::string>> InclusionProof(const NodeReader& reader, uint64_t index,
                                                        uint64_t size);

// Returns the RFC 9162 §2.1.4.1 consistency proof (RFC 6962 PROOF) that the tree of first_size
// leaves is a prefix of the tree of second_size leaves, using O(log second_size) node reads.
// The proof is empty when first_size == second_size and, by our choice, also when
// first_size == 0: every tree extends the empty tree, so nothing needs proving (VerifyConsistency
// then checks that the first root is EmptyRoot()). Fails with InvalidArgument when
// first_size > second_size, and with the reader's error or DataLoss as RootAt does.
absl::StatusOr<std::vector<std::string>> ConsistencyProof(const NodeReader& reader,
                                                          uint64_t first_size,
                                                          uint64_t second_size);

// Checks, by RFC 9162 §2.1.3.2, that `proof` shows the leaf whose hash is leaf_hash at position
// `index` of the tree of `size` leaves whose root is `root`. Returns OK when it does; DataLoss
// when the recomputed root does not match `root`; InvalidArgument when index >= size, when
// leaf_hash, root or a proof element is not kHashSize bytes, or when the proof has the wrong
// number of elements for (index, size).
absl::Status VerifyInclusion(absl::string_view leaf_hash, uint64_t index, uint64_t size,
                             const std::vector<std::string>& proof, absl::string_view root);

// Checks, by RFC 9162 §2.1.4.2, that the tree of second_size leaves with root second_root extends
// the tree of first_size leaves with root first_root. Returns OK when it does; DataLoss when a
// root does not match (the log was rewritten, truncated or forked); InvalidArgument when
// first_size > second_size, when a root or a proof element is not kHashSize bytes, or when the
// proof has the wrong number of elements. Equal sizes need an empty proof and equal roots;
// first_size == 0 needs an empty proof and first_root == EmptyRoot().
absl::Status VerifyConsistency(uint64_t first_size, uint64_t second_size,
                               absl::string_view first_root, absl::string_view second_root,
                               const std::vector<std::string>& proof);

// Returns MTH of the given leaf hashes by the plain recursive definition (EmptyRoot() for none).
// O(n) time and memory: a reference for tests, not for the log. Cannot fail.
std::string RootFromLeafHashes(const std::vector<std::string>& leaf_hashes);

}  // namespace registry::crypto::merkle

#endif  // REGISTRY_CRYPTO_MERKLE_H_
