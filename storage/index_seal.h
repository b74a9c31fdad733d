// IndexSeal: a keyed sum over the keys of every row of the index family, kept in the meta family
// and changed in the same write as the rows, so that an index that lost, gained or swapped rows
// while registryd was not running is found at the next start, before any vetting answer is
// given from it (docs/security.md, "the index seal").
//
// The sum is the number of rows and the XOR of HMAC-SHA256(seal key, "row|" || key) over every
// row's key, under a key derived from the key file's derivation root (kIndexSealKeyPurpose).
// Whoever can read the files sees the keys but not the seal key: a row deleted, added (one copied
// from an old backup) or swapped for another cannot be taken out of, or put into, the sum. The
// stored sum carries its own MAC (over the count and the XOR), so its count cannot be edited on
// its own either.
//
// Exactness: Database::WriteAll applies the seal to every write that changes an index row,
// under one lock held from the existence look-ups to the end of the write. A Put adds its key
// only when the key is not stored (nor put earlier in the same write), a Delete removes it only
// when it is; so a Put of a row already there, or a Delete of a row already gone, leaves the sum
// as it is, whichever code path wrote it. One lock, rather than a merge operator over deltas:
// whether a key exists has to be read before the delta is known, and that read must not race
// another write of the same key; every audited write already goes through the audit log's one
// group writer, so the lock adds no waiting there.
//
// Replay: the sum also carries a generation, one more with every write that changes index rows
// (and every new seal), under the same MAC. A seal row copied from an earlier state of the folder
// and put back with that state's index rows matches them, but its generation is behind: the
// audit watermark beside the key file (storage/audit_watermark.h) records the generation and a
// digest of the sum each time it is written, and a start finds a seal behind it broken before
// any vetting answer (docs/security.md, "the index seal").
//
//   meta "index/seal" = u64be rows || XOR[32] || u64be generation
//                       || HMAC-SHA256(seal key, "seal|" || rows || XOR || generation)
// (a seal written before the generation, without it and with its MAC over rows || XOR only,
// reads as generation 0 and is written in the new form by the next write of index rows.)
#ifndef REGISTRY_STORAGE_INDEX_SEAL_H_
#define REGISTRY_STORAGE_INDEX_SEAL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "crypto/hmac.h"
#include "crypto/secret_bytes.h"

namespace registry::storage {

// The purpose of the seal's key, derived from the key file's derivation root with
// crypto::DeriveKey.
inline constexpr char kIndexSealKeyPurpose[] = "mac/index-seal/v1";
// The meta family's key of the stored sum.
inline constexpr char kIndexSealRow[] = "index/seal";

// A set of row keys, summed.
struct IndexSealSum {
  uint64_t rows = 0;
  std::string hash = std::string(32, '\0');  // XOR of every row's HMAC
  // How many writes changed the index since the folder was first sealed (not part of the rows'
  // sum: the comparison with the rows, operator==, leaves it out).
  uint64_t generation = 0;
  bool operator==(const IndexSealSum& o) const { return rows == o.rows && hash == o.hash; }
  bool operator!=(const IndexSealSum& o) const { return !(*this == o); }
};

// What the audit watermark binds of a stored seal: its generation and a keyed digest of its sum.
struct IndexSealHead {
  uint64_t generation = 0;
  std::string digest;  // 32 bytes
};

// What a comparison of the stored sum with the index rows found.
struct IndexSealCheck {
  // A sum is stored (a folder from before the seal has none: the next start makes it).
  bool sealed = false;
  // The stored sum fails its MAC, or is not one: edited.
  bool damaged = false;
  uint64_t sealed_rows = 0;
  uint64_t found_rows = 0;
  // The rows found are exactly the rows sealed.
  bool matches = false;
  // A problem found other than by counting the rows (the seal behind the audit watermark, a
  // missing seal, index rows the data check names): the seal is broken whatever the rows sum to.
  // Set, it is Problem() and `sealed` is not looked at.
  std::string other;
  // Set with `other` by the data check (index rows it names missing, extra or swapped): a finding
  // the rows compared with the seal may not show again (a seal put back with them), so the
  // registry keeps it across restarts (IndexSeal::KeepBroken, the audit watermark).
  bool keep = false;
  // "" when sealed and matching; otherwise the problem, naming the family and the counts.
  std::string Problem() const;
};

// One change a write makes to the index family, in its order.
struct IndexRowChange {
  bool put = false;  // false: a Delete
  std::string key;
};

// Thread-safe.
class IndexSeal {
 public:
  // What the running registry knows of the seal.
  enum class State {
    kAbsent,     // no sum stored yet (a folder from before the seal): nothing kept
    kUnchecked,  // a sum is stored and kept up to date; not yet compared with the rows
    kSound,      // compared, and the rows are exactly those sealed
    kBroken,     // compared, and they are not (or the stored sum is damaged)
  };

  // `key`: 32 bytes, crypto::DeriveKey(root, kIndexSealKeyPurpose).
  static absl::StatusOr<std::unique_ptr<IndexSeal>> Create(const crypto::SecretBytes& key);

  // Adds `row_key` to `sum`, or takes it out (the same XOR; the count goes up or down).
  absl::Status Add(absl::string_view row_key, IndexSealSum* sum) const;
  absl::Status Remove(absl::string_view row_key, IndexSealSum* sum) const;
  // The stored form of `sum`, and back. Decode: DataLoss when the value is not one or its MAC
  // does not match (the row was edited or made by someone without the key file).
  absl::StatusOr<std::string> Encode(const IndexSealSum& sum) const;
  absl::StatusOr<IndexSealSum> Decode(absl::string_view value) const;
  // The head of `sum` the audit watermark binds.
  absl::StatusOr<IndexSealHead> Head(const IndexSealSum& sum) const;

  // The sum after `changes` (in order) are applied to the rows summed by `before`, one
  // generation on. `exists` says whether a key is stored before the write.
  absl::StatusOr<IndexSealSum> After(
      const IndexSealSum& before, const std::vector<IndexRowChange>& changes,
      const std::function<absl::StatusOr<bool>(absl::string_view key)>& exists) const;

  // The kept sum (Database): set at open from the stored row, then after every write that
  // changed it. Not kept when absent or damaged.
  void Load(std::optional<IndexSealSum> stored, bool damaged);
  // The sum kept, or nullopt when none is (absent, or damaged: writes then leave the row as it
  // is).
  std::optional<IndexSealSum> Kept() const;
  void Keep(const IndexSealSum& sum);

  // The verdict of a comparison (Database::CheckIndexSeal): kSound or kBroken, with the problem.
  // A comparison that finds the rows exact after one that did not leaves the seal broken: only a
  // new seal (Database::ResealIndex) or a restore puts it right.
  void SetVerdict(const IndexSealCheck& check);
  State state() const;
  // Whether a verdict set with IndexSealCheck::keep broke the seal: to be kept across restarts.
  bool KeepBroken() const;
  // The head of the kept sum, for the audit watermark to bind: none when no sum is kept or the
  // seal is broken (the watermark then keeps the head it bound, so that a seal put back is found
  // again at the next start, however many writes follow).
  std::optional<IndexSealHead> HeadToBind() const;
  // Waits, until `deadline`, for the comparison after a start: OK when the rows are sound (or no
  // seal is kept: a folder the start has not sealed yet, and the unit tests of storage/);
  // DataLoss, the same words for every caller, when they are not; Unavailable, the same words
  // for every caller, when the comparison is still running at `deadline`.
  absl::Status AwaitSound(absl::Time deadline) const;

 private:
  explicit IndexSeal(std::unique_ptr<crypto::HmacSha256Key> mac) : mac_(std::move(mac)) {}
  absl::Status Toggle(absl::string_view row_key, IndexSealSum* sum) const;
  bool Decided() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return state_ != State::kUnchecked; }

  const std::unique_ptr<crypto::HmacSha256Key> mac_;
  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kAbsent;
  std::optional<IndexSealSum> kept_ ABSL_GUARDED_BY(mu_);
  std::string problem_ ABSL_GUARDED_BY(mu_);
  bool keep_broken_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_INDEX_SEAL_H_
