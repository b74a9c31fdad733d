#include "client/audit_verifier.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "client/files.h"
#include "client/json_io.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/tree_head.h"

namespace registry::client {
namespace {

namespace merkle = crypto::merkle;

std::vector<std::string> ProofHashes(const google::protobuf::RepeatedPtrField<std::string>& h) {
  return std::vector<std::string>(h.begin(), h.end());
}

// A PublicKey message for a raw key.
v1::PublicKey MakeKey(const std::string& raw, absl::string_view pem) {
  v1::PublicKey key;
  key.set_key_id(crypto::Ed25519KeyId(raw));
  key.set_ed25519(raw);
  key.set_pem(std::string(pem));
  return key;
}

// Decides which audit key to trust, by the order in the header.
absl::StatusOr<v1::PublicKey> TrustedKey(AuditLogSource& source,
                                         const std::optional<AuditState>& previous,
                                         const AuditVerifyOptions& options,
                                         std::vector<std::string>* notes) {
  const bool pinned = previous.has_value() && previous->has_audit_key();
  if (options.public_key_pem.has_value()) {
    ASSIGN_OR_RETURN(const std::string raw,
                     crypto::Ed25519PublicKeyFromPem(*options.public_key_pem));
    v1::PublicKey key = MakeKey(raw, *options.public_key_pem);
    if (pinned && previous->audit_key().key_id() != key.key_id()) {
      notes->push_back(absl::StrCat("the key given with --public-key (", key.key_id(),
                                    ") replaces the pinned audit key ",
                                    previous->audit_key().key_id()));
    }
    return key;
  }
  if (pinned) {
    const v1::PublicKey& key = previous->audit_key();
    if (key.ed25519().size() != crypto::kEd25519PublicKeySize ||
        crypto::Ed25519KeyId(key.ed25519()) != key.key_id()) {
      return absl::InvalidArgumentError(
          "the state file's pinned audit key is damaged: pass --public-key");
    }
    return key;
  }
  ASSIGN_OR_RETURN(v1::PublicKey served, source.GetAuditPublicKey());
  std::string raw = served.ed25519();
  if (raw.empty() && !served.pem().empty()) {
    ASSIGN_OR_RETURN(raw, crypto::Ed25519PublicKeyFromPem(served.pem()));
  }
  if (raw.size() != crypto::kEd25519PublicKeySize) {
    return absl::DataLossError("the server's audit public key is not a 32-byte Ed25519 key");
  }
  v1::PublicKey key = MakeKey(raw, served.pem());
  if (!served.key_id().empty() && served.key_id() != key.key_id()) {
    return absl::DataLossError(absl::StrCat("the server's audit key id ", served.key_id(),
                                            " does not belong to its key (", key.key_id(), ")"));
  }
  notes->push_back(absl::StrCat("no audit key given or pinned: trusting the server's key ",
                                key.key_id(),
                                " on first use; compare it with the key the KJC publishes"));
  return key;
}

absl::Status VerifyHeadSignature(const v1::SignedTreeHead& head, const v1::PublicKey& key) {
  if (head.key_id() != key.key_id()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the tree head is signed by key ", head.key_id(),
                     ", not by the trusted audit key ", key.key_id()));
  }
  if (head.root_hash().size() != merkle::kHashSize) {
    return absl::DataLossError("the tree head's root hash is not 32 bytes");
  }
  ASSIGN_OR_RETURN(const std::string message,
                   crypto::TreeHeadSigningBytes(head.tree_size(), head.timestamp_micros(),
                                                head.root_hash(), head.key_id()));
  const absl::Status verified = crypto::Ed25519Verify(key.ed25519(), message, head.signature());
  if (!verified.ok()) {
    return absl::DataLossError(
        absl::StrCat("bad tree head signature at size ", head.tree_size(), ": ",
                     verified.message()));
  }
  return absl::OkStatus();
}

absl::Status VerifyExtendsPrevious(AuditLogSource& source, const v1::SignedTreeHead& old_head,
                                   const v1::SignedTreeHead& head) {
  const uint64_t m = old_head.tree_size();
  const uint64_t n = head.tree_size();
  if (n < m) {
    return absl::DataLossError(
        absl::StrCat("log truncated: size ", n, " < previously verified ", m));
  }
  if (n == m) {
    if (head.root_hash() != old_head.root_hash()) {
      return absl::DataLossError(absl::StrCat("forked head at size ", n));
    }
    return absl::OkStatus();
  }
  std::vector<std::string> proof;
  if (m > 0) {
    ASSIGN_OR_RETURN(const v1::ConsistencyProof served, source.GetConsistencyProof(m, n));
    proof = ProofHashes(served.hashes());
  }
  const absl::Status consistent =
      merkle::VerifyConsistency(m, n, old_head.root_hash(), head.root_hash(), proof);
  if (!consistent.ok()) {
    return absl::DataLossError(absl::StrCat("forked head: head at size ", n,
                                            " is not consistent with verified head at size ", m));
  }
  return absl::OkStatus();
}

// Downloads every event of the head's tree and checks them against its root.
absl::Status VerifyAllEvents(AuditLogSource& source, const v1::SignedTreeHead& head) {
  const uint64_t n = head.tree_size();
  std::vector<uint64_t> indices;
  std::vector<std::string> leaf_hashes;
  if (n > 0) {
    RETURN_IF_ERROR(source.StreamEvents(0, n, [&](const v1::AuditEntry& entry) {
      if (indices.size() >= n) {
        return absl::DataLossError(
            absl::StrCat("the log sent more events than the signed tree size ", n));
      }
      indices.push_back(entry.index());
      leaf_hashes.push_back(merkle::HashLeaf(entry.event_bytes()));
      return absl::OkStatus();
    }));
  }

  std::vector<bool> seen(n, false);
  for (uint64_t index : indices) {
    if (index >= n) {
      return absl::DataLossError(
          absl::StrCat("event ", index, " is beyond the signed tree size ", n));
    }
    seen[index] = true;
  }
  for (uint64_t i = 0; i < n; ++i) {
    if (!seen[i]) return absl::DataLossError(absl::StrCat("event ", i, " missing"));
  }
  for (uint64_t position = 0; position < indices.size(); ++position) {
    if (indices[position] != position) {
      return absl::DataLossError(absl::StrCat("event ", indices[position], " out of order"));
    }
  }

  merkle::InMemoryNodeStore store;
  merkle::CompactRange range;
  for (const std::string& leaf_hash : leaf_hashes) range.Append(leaf_hash, store.Recorder());
  if (range.Root() == head.root_hash()) return absl::OkStatus();

  // The smallest prefix size k whose root is not consistent with the signed head; k = n always
  // is, as its root differs from the signed one.
  auto prefix_is_bad = [&](uint64_t k) -> absl::StatusOr<bool> {
    ASSIGN_OR_RETURN(const std::string prefix_root, merkle::RootAt(store, k));
    if (k == n) return prefix_root != head.root_hash();
    ASSIGN_OR_RETURN(const v1::ConsistencyProof proof, source.GetConsistencyProof(k, n));
    const absl::Status consistent = merkle::VerifyConsistency(
        k, n, prefix_root, head.root_hash(), ProofHashes(proof.hashes()));
    if (consistent.ok()) return false;
    if (consistent.code() == absl::StatusCode::kDataLoss) return true;
    return absl::DataLossError(absl::StrCat("the log served a malformed consistency proof ", k,
                                            " -> ", n, ": ", consistent.message()));
  };
  uint64_t low = 1;
  uint64_t high = n;
  while (low < high) {
    const uint64_t middle = low + (high - low) / 2;
    ASSIGN_OR_RETURN(const bool bad, prefix_is_bad(middle));
    if (bad) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return absl::DataLossError(
      absl::StrCat("event ", low - 1, " does not match the signed tree"));
}

}  // namespace

absl::StatusOr<AuditVerification> VerifyAuditLog(AuditLogSource& source,
                                                 const std::optional<AuditState>& previous,
                                                 const AuditVerifyOptions& options,
                                                 absl::Time now) {
  AuditVerification result;
  ASSIGN_OR_RETURN(const v1::SignedTreeHead head, source.GetSignedTreeHead());
  ASSIGN_OR_RETURN(v1::PublicKey key, TrustedKey(source, previous, options, &result.notes));
  RETURN_IF_ERROR(VerifyHeadSignature(head, key));
  if (previous.has_value() && previous->has_verified_head()) {
    RETURN_IF_ERROR(VerifyExtendsPrevious(source, previous->verified_head(), head));
  }
  if (options.full) RETURN_IF_ERROR(VerifyAllEvents(source, head));

  *result.state.mutable_verified_head() = head;
  *result.state.mutable_audit_key() = std::move(key);
  result.state.set_verified_at(FormatInstant(now));
  return result;
}

absl::StatusOr<std::string> DefaultAuditStatePath() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    return absl::FailedPreconditionError("HOME is not set: give --state FILE");
  }
  return absl::StrCat(home, "/.registry-cli/audit-state.json");
}

absl::StatusOr<std::optional<AuditState>> LoadAuditState(absl::string_view path) {
  absl::StatusOr<std::string> text = ReadFileToString(path, "audit state");
  if (absl::IsNotFound(text.status())) return std::nullopt;
  if (!text.ok()) return text.status();
  AuditState state;
  RETURN_IF_ERROR(ParseJson(*text, absl::StrCat("audit state ", path), &state));
  return state;
}

absl::Status SaveAuditState(absl::string_view path, const AuditState& state) {
  ASSIGN_OR_RETURN(const std::string json, ToJsonLine(state));
  const size_t slash = path.rfind('/');
  if (slash != absl::string_view::npos && slash > 0) {
    RETURN_IF_ERROR(MakeDirectories(path.substr(0, slash), 0700));
  }
  return WriteFileAtomically(path, absl::StrCat(json, "\n"), 0600);
}

}  // namespace registry::client
