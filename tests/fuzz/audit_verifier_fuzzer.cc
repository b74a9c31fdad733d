// Fuzzes the auditor's verifier (client/audit_verifier.h): signed tree heads, consistency and
// inclusion proofs, pruned-prefix claims and the event stream, all served by a hostile log that
// holds the signing key, so that a head it invents carries a valid signature and the checks after
// the signature are reached. The log starts from an honest log of events the input chooses and
// then lies as the input says: other head sizes, roots or times, edited, dropped, repeated or
// renumbered events, altered or absurd proofs, pruning claims, errors.
//
// The oracle is an independent check, not the verifier's own logic: when a full verification
// succeeds, the events the log streamed must be exactly tree_size entries numbered 0, 1, ..., and
// their RFC 6962 root (crypto::merkle::RootFromLeafHashes, the plain recursive definition) must
// be the signed root; and a previous verified head must be the root of the first events of that
// stream. A success that breaks this is a forgery the verifier let through.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "client/audit_verifier.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/secret_bytes.h"
#include "crypto/tree_head.h"
#include "registry/v1/audit.pb.h"
#include "tests/fuzz/fuzz_input.h"

namespace {

namespace merkle = registry::crypto::merkle;
namespace v1 = registry::v1;
using registry::fuzz::FuzzInput;

constexpr char kLogId[] = "0123456789abcdef0123456789abcdef";
const absl::Time kNow = absl::FromUnixSeconds(1796000000);

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "audit_verifier_fuzzer: %s\n", what.c_str());
  std::abort();
}

const registry::crypto::Ed25519Signer& Signer() {
  static const registry::crypto::Ed25519Signer* signer = [] {
    auto s = registry::crypto::Ed25519Signer::FromSeed(
        registry::crypto::SecretBytes(std::string(32, '\x5a')));
    if (!s.ok()) std::abort();
    return s->release();
  }();
  return *signer;
}

v1::SignedTreeHead SignHead(uint64_t size, const std::string& root, uint64_t micros) {
  v1::SignedTreeHead head;
  head.set_tree_size(size);
  head.set_root_hash(root);
  head.set_timestamp_micros(micros);
  head.set_key_id(Signer().key_id());
  head.set_log_id(kLogId);
  auto bytes = registry::crypto::TreeHeadSigningBytes(kLogId, size, micros, root, Signer().key_id());
  if (bytes.ok()) {
    auto sig = Signer().Sign(*bytes);
    if (sig.ok()) head.set_signature(*sig);
  }
  return head;
}

std::string EventBytes(uint64_t index, const std::string& actor) {
  v1::AuditEvent e;
  e.set_sequence(index);
  e.set_time(absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", kNow - absl::Hours(1) + absl::Seconds(index),
                              absl::UTCTimeZone()));
  e.set_actor(actor);
  e.set_action("/registry.v1.AuditService/GetSignedTreeHead");
  std::string out;
  e.SerializeToString(&out);
  return out;
}

// A log that serves `events` honestly unless the input says otherwise.
class HostileLog : public registry::client::AuditLogSource {
 public:
  HostileLog(std::vector<std::string> events, FuzzInput* in, bool lie)
      : events_(std::move(events)), in_(in), lie_(lie) {
    for (const std::string& e : events_) range_.Append(merkle::HashLeaf(e), store_.Recorder());
  }

  const std::vector<v1::AuditEntry>& streamed() const { return streamed_; }
  const v1::SignedTreeHead& last_head() const { return last_head_; }

  absl::StatusOr<v1::SignedTreeHead> GetSignedTreeHead() override {
    uint64_t size = events_.size();
    std::string root = range_.Root();
    uint64_t micros = static_cast<uint64_t>(absl::ToUnixMicros(kNow));
    if (Lie()) {
      switch (in_->Byte() % 6) {
        case 0: size = in_->Uint(UINT64_MAX); break;
        case 1: size = size == 0 ? 0 : in_->Uint(size - 1); break;
        case 2: root = in_->Take(32); break;
        case 3: micros = in_->Uint(UINT64_MAX); break;
        case 4: size += 1 + in_->Byte() % 4; break;
        default: return absl::UnavailableError("hostile log: head");
      }
    }
    last_head_ = SignHead(size, root, micros);
    if (Lie() && in_->Bool()) last_head_.set_log_id(in_->Bytes(40));
    return last_head_;
  }

  absl::StatusOr<v1::ConsistencyProof> GetConsistencyProof(uint64_t first,
                                                           uint64_t second) override {
    v1::ConsistencyProof proof;
    if (second <= events_.size()) {
      auto hashes = merkle::ConsistencyProof(store_, first, second);
      if (hashes.ok()) {
        for (const std::string& h : *hashes) proof.add_hashes(h);
      }
    }
    if (Lie()) {
      const int how = in_->Byte() % 4;
      if (how == 0) return absl::InternalError("hostile log: proof");
      if (how == 1) proof.clear_hashes();
      const int extra = in_->Byte() % 70;
      for (int i = 0; i < extra && how >= 2; ++i) proof.add_hashes(in_->Bytes(33));
    }
    return proof;
  }

  absl::StatusOr<v1::InclusionProof> GetInclusionProof(uint64_t index, uint64_t size) override {
    v1::InclusionProof proof;
    if (index < size && size <= events_.size()) {
      auto hashes = merkle::InclusionProof(store_, index, size);
      if (hashes.ok()) {
        for (const std::string& h : *hashes) proof.add_hashes(h);
      }
    }
    if (Lie()) {
      const int extra = in_->Byte() % 70;
      for (int i = 0; i < extra; ++i) proof.add_hashes(in_->Bytes(33));
    }
    return proof;
  }

  absl::Status StreamEvents(
      uint64_t start, uint64_t end,
      const std::function<absl::Status(const v1::AuditEntry&)>& on_entry) override {
    // Never more than the events held plus a few: the stream is the one loop the log controls.
    const uint64_t limit = events_.size() + 8;
    for (uint64_t i = start; i < end && i < limit; ++i) {
      v1::AuditEntry entry;
      entry.set_index(i);
      if (i < events_.size()) entry.set_event_bytes(events_[i]);
      if (Lie()) {
        switch (in_->Byte() % 6) {
          case 0: entry.set_index(in_->Uint(UINT64_MAX)); break;
          case 1: entry.set_event_bytes(in_->Bytes(64)); break;
          case 2: continue;  // dropped
          case 3: if (i > start) --i; break;  // the next one repeats this one
          case 4: return absl::OkStatus();  // the stream ends early
          default: break;
        }
      }
      streamed_.push_back(entry);
      absl::Status s = on_entry(entry);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<v1::PublicKey> GetAuditPublicKey() override {
    v1::PublicKey key;
    key.set_key_id(Signer().key_id());
    key.set_ed25519(Signer().public_key());
    key.set_pem(Signer().PublicKeyPem());
    return key;
  }

  absl::StatusOr<v1::PrunedPrefix> GetPrunedPrefix() override {
    v1::PrunedPrefix prefix;
    if (Lie() && in_->Byte() % 4 == 0) {
      // A claim that the first events were deleted, with a left edge and a recording event the
      // input chooses.
      prefix.set_pruned_size(in_->Uint(events_.size()));
      prefix.set_newest_pruned_time(in_->Bytes(30));
      prefix.set_recorded_by(in_->Uint(events_.size() + 2));
      const int n = in_->Byte() % 8;
      for (int i = 0; i < n; ++i) prefix.add_left_edge(in_->Take(32));
    }
    return prefix;
  }

 private:
  bool Lie() { return lie_ && in_->Byte() % 4 == 0; }

  std::vector<std::string> events_;
  FuzzInput* in_;
  bool lie_;
  merkle::InMemoryNodeStore store_;
  merkle::CompactRange range_;
  std::vector<v1::AuditEntry> streamed_;
  v1::SignedTreeHead last_head_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const uint64_t total = in.Byte() % 48;
  std::vector<std::string> events;
  for (uint64_t i = 0; i < total; ++i) events.push_back(EventBytes(i, in.Bytes(6)));

  registry::client::AuditVerifyOptions options;
  options.public_key_pem = Signer().PublicKeyPem();
  options.full = in.Bool();

  // Sometimes a state from an honest verification of a prefix of the log first.
  std::optional<registry::client::AuditState> previous;
  uint64_t previous_size = 0;
  if (in.Bool() && total > 0) {
    previous_size = in.Uint(total);
    HostileLog honest(std::vector<std::string>(events.begin(), events.begin() + previous_size),
                      &in, /*lie=*/false);
    auto first = registry::client::VerifyAuditLog(honest, std::nullopt, options, kNow);
    if (!first.ok()) Fail(absl::StrCat("an honest log failed: ", first.status().ToString()));
    previous = first->state;
  }

  HostileLog log(events, &in, /*lie=*/true);
  auto result = registry::client::VerifyAuditLog(log, previous, options, kNow);
  if (!result.ok() || !options.full) return 0;

  // Independent check of what a successful full verification claims.
  const v1::SignedTreeHead& head = result->log.verified_head();
  const uint64_t pruned = result->log.pruned_size();
  std::vector<std::string> leaves;
  uint64_t expect = pruned;
  for (const v1::AuditEntry& e : log.streamed()) {
    if (e.index() != expect++) Fail("verified a stream whose entries are misnumbered");
    leaves.push_back(merkle::HashLeaf(e.event_bytes()));
  }
  if (expect != head.tree_size()) Fail("verified a stream of another length than the head");
  // No event of this log records a pruning (none is a system:audit-retention event), so a
  // pruning claim can never be accepted.
  if (pruned != 0) Fail("accepted a pruning that no event of the log records");
  if (merkle::RootFromLeafHashes(leaves) != head.root_hash()) {
    Fail("verified events whose root is not the signed root");
  }
  if (previous.has_value()) {
    if (head.tree_size() < previous_size) Fail("verified a log shorter than the previous head");
    const std::vector<std::string> prefix(leaves.begin(),
                                          leaves.begin() + static_cast<long>(previous_size));
    if (merkle::RootFromLeafHashes(prefix) != previous->logs(0).verified_head().root_hash()) {
      Fail("verified a log that does not extend the previous head");
    }
  }
  return 0;
}
