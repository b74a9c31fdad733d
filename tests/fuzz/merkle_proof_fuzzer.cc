// Fuzzes the verification of inclusion and consistency proofs (crypto/merkle.h), as an auditor's
// client runs it on what a log sends. The oracle is exact: a proof verifies only when it is the
// honest proof, since any other proof that verified against the same root would be a SHA-256
// collision; and arbitrary sizes, indexes, roots and proofs (sizes up to 2^64 - 1, proofs of any
// length, elements of any size) are refused with InvalidArgument or DataLoss, never a crash.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "crypto/merkle.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

namespace merkle = registry::crypto::merkle;
using registry::fuzz::FuzzInput;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "merkle_proof_fuzzer: %s\n", what);
  std::abort();
}

void ExpectRefusalCode(const absl::Status& s) {
  if (!s.ok() && s.code() != absl::StatusCode::kInvalidArgument &&
      s.code() != absl::StatusCode::kDataLoss) {
    Fail("unexpected status code");
  }
}

// The proof with one change the input chooses: a flipped byte, an element dropped, added,
// replaced or truncated.
std::vector<std::string> Mutate(std::vector<std::string> proof, FuzzInput& in) {
  const int how = in.Byte() % 5;
  const size_t at = proof.empty() ? 0 : in.Uint(proof.size() - 1);
  switch (how) {
    case 0:
      if (!proof.empty()) {
        std::string& h = proof[at];
        h[in.Uint(h.size() - 1)] ^= static_cast<char>(1 + in.Byte() % 255);
      }
      break;
    case 1:
      if (!proof.empty()) proof.erase(proof.begin() + static_cast<long>(at));
      break;
    case 2:
      proof.insert(proof.begin() + static_cast<long>(proof.empty() ? 0 : at),
                   in.Take(merkle::kHashSize));
      break;
    case 3:
      if (!proof.empty()) proof[at] = in.Take(merkle::kHashSize);
      break;
    default:
      if (!proof.empty()) proof[at].resize(in.Uint(proof[at].size()));
      break;
  }
  return proof;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const int mode = in.Byte() % 3;
  if (mode == 2) {
    // Anything at all: the verifiers must refuse it cleanly.
    const uint64_t a = in.Uint(UINT64_MAX), b = in.Uint(UINT64_MAX);
    const std::string root1 = in.Bytes(40), root2 = in.Bytes(40);
    std::vector<std::string> proof;
    const size_t n = in.Byte() % 80;
    for (size_t i = 0; i < n && !in.empty(); ++i) proof.push_back(in.Bytes(40));
    ExpectRefusalCode(merkle::VerifyInclusion(root1, a, b, proof, root2));
    ExpectRefusalCode(merkle::VerifyConsistency(a, b, root1, root2, proof));
    return 0;
  }

  // An honest tree of 1..200 leaves.
  const uint64_t leaves = 1 + in.Byte() % 200;
  merkle::InMemoryNodeStore store;
  merkle::CompactRange range;
  std::vector<std::string> leaf_hashes;
  for (uint64_t i = 0; i < leaves; ++i) {
    leaf_hashes.push_back(merkle::HashLeaf(std::to_string(i) + in.Bytes(3)));
    range.Append(leaf_hashes.back(), store.Recorder());
  }
  const std::string root = range.Root();
  if (root != merkle::RootFromLeafHashes(leaf_hashes)) Fail("root differs from the definition");

  if (mode == 0) {
    const uint64_t index = in.Uint(leaves - 1);
    auto proof = merkle::InclusionProof(store, index, leaves);
    if (!proof.ok()) Fail("no inclusion proof for an honest tree");
    if (!merkle::VerifyInclusion(leaf_hashes[index], index, leaves, *proof, root).ok()) {
      Fail("honest inclusion proof refused");
    }
    const std::vector<std::string> forged = Mutate(*proof, in);
    const absl::Status s = merkle::VerifyInclusion(leaf_hashes[index], index, leaves, forged, root);
    ExpectRefusalCode(s);
    if (s.ok() && forged != *proof) Fail("a forged inclusion proof verified");
    // The same proof for another leaf or position must not verify.
    const uint64_t other = in.Uint(leaves - 1);
    if (other != index && leaf_hashes[other] != leaf_hashes[index] &&
        merkle::VerifyInclusion(leaf_hashes[other], index, leaves, *proof, root).ok()) {
      Fail("inclusion proof verified another leaf");
    }
    return 0;
  }

  const uint64_t first = in.Uint(leaves);
  auto first_root = merkle::RootAt(store, first);
  auto proof = merkle::ConsistencyProof(store, first, leaves);
  if (!first_root.ok() || !proof.ok()) Fail("no consistency proof for an honest tree");
  if (!merkle::VerifyConsistency(first, leaves, *first_root, root, *proof).ok()) {
    Fail("honest consistency proof refused");
  }
  const std::vector<std::string> forged = Mutate(*proof, in);
  const absl::Status s = merkle::VerifyConsistency(first, leaves, *first_root, root, forged);
  ExpectRefusalCode(s);
  if (s.ok() && forged != *proof) Fail("a forged consistency proof verified");
  // Another first root (a forked or rewritten history) must not verify.
  std::string fork = *first_root;
  fork[in.Uint(fork.size() - 1)] ^= static_cast<char>(1 + in.Byte() % 255);
  if (merkle::VerifyConsistency(first, leaves, fork, root, *proof).ok()) {
    Fail("consistency proof verified a forked history");
  }
  return 0;
}
