// AuditLog: the append-only, tamper-evident log of every call, and the registry's only writer.
//
// Every change to the database goes through Append: the caller's mutations and the call's audit
// event are committed in ONE synced write batch, so a record change never exists without
// its event, and an event is durable before the caller replies. Concurrent appenders are grouped:
// the first waiting caller becomes the leader, takes every queued entry, assigns consecutive
// sequence numbers, extends the Merkle tree and writes the whole group with one fsync (group
// commit). A failed write fails every entry of its group with UNAVAILABLE and leaves the in-memory
// tree untouched.
//
//   ASSIGN_OR_RETURN(PendingWrite changes, records->PrepareCreate(...));  // e.g. a new record
//   ASSIGN_OR_RETURN(uint64_t seq, log->Append(std::move(event), &changes));
//
// Storage layout:
//   audit  key u64be sequence             -> the event's deterministic protobuf bytes, sealed:
//                                            AES-256-GCM under the event key, a random nonce,
//                                            associated data kEventAadLabel || u64be sequence
//                                            (crypto/aes_gcm.h: nonce || ciphertext || tag)
//   merkle key u8 level || u64be index    -> SHA-256 of the perfect subtree of 2^level leaves
//                                            starting at leaf index * 2^level (RFC 6962 hashing)
//   meta   key "audit/frontier"           -> crypto::merkle::CompactRange::Serialize() of the tree
//   meta   key "audit/pruned"             -> u64be pruned size P || u64be index of the event that
//                                            recorded the pruning || u64be number of kept facts
//                                            || time of event P - 1 (RFC 3339)
//   meta   key "audit/pruned-facts/" + k  -> what a caller kept of pruned events (Prune's `keep`)
//                                            || HMAC-SHA256(state key, k, value)
//   meta   key "audit/state-mac"          -> HMAC-SHA256(state key, frontier, pruned record)
// Start-up reads the frontier, checks its MAC, and checks the last leaf against the stored hash:
// O(log n), not O(n). The leaves are the hashes of the events' plaintext bytes, which is what
// auditors receive and hash. The hashes are public (anyone can recompute a tree), the keys are
// not: the log's key is derived from the key file (kAuditLogKeyPurpose), and from it the state
// key and the event key (kAuditStateKeyLabel, kAuditEventKeyLabel). Whoever can read the data
// folder or a backup but lacks the key file learns nothing from the events (who called, what,
// about which record, with which outcome), only their number, sizes and positions. Whoever can
// write it cannot append, drop or edit events and fix the tree up to match; an event edited or
// moved to another index fails authentication when it is read (DataLoss naming it). They can
// only put back a whole earlier state (a rollback), which auditors' saved heads catch.
// Random 96-bit nonces keep the event key safe for 2^32 events (SP 800-38D 8.3), three orders
// of magnitude above what a registry of this size writes in its lifetime (docs/security.md).
//
// Retention (Prune): the bytes of the oldest events, always a contiguous prefix [0, P), are
// deleted, and only those dated before the retention limit. Every `merkle` node stays, so the
// root of every size, every inclusion proof (of pruned events too, given their leaf hash) and
// every consistency proof are as before; the left edge of the tree at P (FrontierAt(P)) is what
// a verifier starts from instead of the deleted events. The deletion, the new boundary and an
// event that records both (AuditEvent.pruning) commit in one synced batch, so the log never
// shows a pruned prefix that its own tree does not record. Below P, Scan and ReadEvent fail with
// OUT_OF_RANGE naming the boundary: a pruned event is gone on purpose, never a gap (which stays
// DATA_LOSS) and never skipped silently.
#ifndef REGISTRY_STORAGE_AUDIT_LOG_H_
#define REGISTRY_STORAGE_AUDIT_LOG_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "crypto/merkle.h"
#include "crypto/secret_bytes.h"
#include "registry/v1/audit.pb.h"
#include "storage/database.h"
#include "storage/pending_write.h"

namespace registry::storage {

// The HKDF purpose of the log's key (crypto::DeriveKey from the key file's root). The log derives
// its two working keys from it with these purposes: one authenticates the stored tree state and
// pruned prefix (HMAC-SHA256), the other seals the events (AES-256-GCM).
inline constexpr char kAuditLogKeyPurpose[] = "audit-log/v1";
inline constexpr char kAuditStateKeyLabel[] = "mac/audit-state/v1";
inline constexpr char kAuditEventKeyLabel[] = "encryption/audit-events/aes-256-gcm/v1";

// The byte form of an event as it enters the log: common/deterministic_bytes.h.
// Our AuditEvent has no map fields, so this is fields in number order.
std::string SerializeEvent(const registry::v1::AuditEvent& event);

// DataLoss for event `index` of the log found missing or failing authentication at a start
// (`detail`: the store's reason, which names indexes only, no personal data): it names the event,
// calls it the incident it is and says what to do. One text for AuditLog::Open's last event and
// the start's walk over the events since the last data check, as start-up and --check_config say.
absl::Status AuditDamagedAt(uint64_t index, absl::string_view detail);

class AuditLog {
 public:
  struct Head {
    uint64_t size = 0;
    std::string root;  // 32 bytes
  };

  // What retention deleted: the bytes of events [0, size). Never decreases.
  struct Pruned {
    uint64_t size = 0;
    // The time of event size - 1, the newest deleted, as the event said; empty when size is 0.
    std::string newest_time;
    // The index of the event that recorded the pruning which set `size` (>= size when size > 0).
    uint64_t recorded_by = 0;
    // How many rows Prune's callers kept (PrunedFacts), all prunings together: authenticated
    // with the rest, so that a deleted row is noticed (ScanPrunedFacts).
    uint64_t facts = 0;
  };

  // One Prune call: events [from, to) deleted (none when from == to; then no event was
  // written), the newest dated newest_time, recorded by event `sequence`.
  struct PruneResult {
    uint64_t from = 0;
    uint64_t to = 0;
    std::string newest_time;
    uint64_t sequence = 0;
  };

  // Where Prune's caller keeps what it still needs of the events it deletes (e.g. the data check:
  // which records they created). Rows live in the meta family under "audit/pruned-facts/", are
  // written in the pruning's batch, and are read back with ScanPrunedFacts.
  class PrunedFacts {
   public:
    void Put(absl::string_view key, absl::string_view value);
    void Delete(absl::string_view key);

   private:
    friend class AuditLog;
    PrunedFacts(const Database* db, Batch* batch, const crypto::SecretBytes* key)
        : db_(db), batch_(batch), key_(key) {}
    // Records that `key` is present (or not) after this pruning.
    void Touch(absl::string_view key, bool present);
    const Database* db_;
    Batch* batch_;
    const crypto::SecretBytes* key_;
    absl::Status status_;
    // The rows this pruning writes or deletes: stored before it, present after it.
    std::map<std::string, std::pair<bool, bool>> touched_;
  };

  // Opens the log stored in db (not owned). `log_key` (32 bytes, derived from the key file
  // with kAuditLogKeyPurpose) seals the events and authenticates the stored tree state and
  // pruned prefix. DataLoss when that state fails authentication (edited, or written without the
  // key), or when the last event fails authentication or does not match the tree. A last event
  // missing or failing authentication is said as AuditDamagedAt says any other damaged event.
  //
  // `damaged_last_event_allowed`: for `registryd --verify_data` only, on a database opened read
  // only. A last event that is missing or fails authentication (or does not match its leaf) is
  // then not a refusal: the log opens without trusting that event, so that the data check names
  // it as it names any other damaged event and goes on to its summary; an event stored beyond
  // the tree is not a refusal either (the data check names it). Such a log writes nothing:
  // every Append is refused, and a cut-off write count is left unrecorded.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(Database* db, const Clock* clock,
                                                        const crypto::SecretBytes& log_key,
                                                        bool damaged_last_event_allowed = false);

  // What the holder of the key file can do in any case (registryd signs whatever state it
  // authenticated), with no log open on the database: for tools and tests that rebuild a log as a
  // key holder would. registryd never calls them. Without the key nobody can.
  //
  // Writes the MAC of the tree state and pruned record as they are stored in `db`.
  static absl::Status SealStoredState(Database* db, const crypto::SecretBytes& log_key);
  // The stored form of the event bytes `event` at `index`, as Append writes it.
  static absl::StatusOr<std::string> SealEvent(const crypto::SecretBytes& log_key, uint64_t index,
                                               absl::string_view event);
  // The event bytes of the stored form `stored` at `index`. DataLoss when it fails
  // authentication (edited, moved from another index, or sealed under another key).
  static absl::StatusOr<std::string> OpenEvent(const crypto::SecretBytes& log_key, uint64_t index,
                                               absl::string_view stored);

  // Called after each group commit that was written, with how many events it held (metrics).
  // Set before the log is shared between threads; empty by default.
  void SetGroupObserver(std::function<void(size_t events)> observer) {
    group_observer_ = std::move(observer);
  }

  // Assigns the event its sequence number and time, and commits it with `mutations` (may be
  // null) in one synced batch. Returns the sequence number. Unavailable when the write fails;
  // then nothing of the batch is stored. Internal, writing nothing, when `mutations` still waits
  // for RecordStore::StageDates.
  absl::StatusOr<uint64_t> Append(registry::v1::AuditEvent event, PendingWrite* mutations);

  ~AuditLog();

  // Whether a record change may be written now (Database::RoomForChange): Unavailable when the
  // disk is down to the space kept for audit events. An event alone is never refused for it.
  absl::Status RoomForChange() const { return db_->RoomForChange(); }

  Head CurrentHead() const;
  // The clock the log dates its events by.
  const Clock* clock() const { return clock_; }
  // The newest event's time; absl::InfinitePast() for an empty log.
  absl::Time NewestEventTime() const;

  Pruned CurrentPruned() const;

  // OK when `start` is not below the pruned boundary; else the OutOfRange public error a scan
  // from there would return, naming the boundary.
  absl::Status RequireRetained(uint64_t start) const;

  // The bytes of event `index` (opened: what its tree leaf hashes). NotFound past the end;
  // OutOfRange below the pruned prefix; DataLoss when missing inside the retained log or when it
  // fails authentication.
  absl::StatusOr<std::string> ReadEvent(uint64_t index) const;

  // Calls fn(index, bytes) for events in [start, end) in order until fn returns false; `bytes`
  // are the opened event, valid during the call. DataLoss when an event inside the log is missing,
  // fails authentication or cannot be read from damaged files, naming that event (the calls
  // before it have been made: damage to other events' files stops no read); OutOfRange
  // (a public error naming the boundary) when start is below the pruned prefix and the range is
  // not empty. `cache`: BlockCache::kBypass for a scan of the whole log (database.h).
  absl::Status Scan(uint64_t start, uint64_t end,
                    const std::function<bool(uint64_t, absl::string_view)>& fn,
                    BlockCache cache = BlockCache::kFill) const;
  // The stored tree against what it is made of, for the data check: each stored leaf of a
  // retained event is that event's leaf hash, and each stored inner node is the hash of its two
  // stored children. Proofs and the frontier are read from these nodes, so one damaged node
  // would make every later consistency proof fail at the auditor as a "fork"; here it is named.
  // Calls `problem` for each finding (the first 1000 at most); an error only when the nodes
  // cannot be read (an event that cannot be read is passed over: the data check names it). Reads
  // every node once (about two per event) and the retained events.
  absl::Status CheckStoredTree(const std::function<void(std::string)>& problem) const;

  // The same from the first retained event, read together with the events (a pruning between
  // the two cannot make the scan start below the boundary it then meets).
  absl::Status ScanRetained(uint64_t end,
                            const std::function<bool(uint64_t, absl::string_view)>& fn,
                            BlockCache cache = BlockCache::kFill) const;

  // What a scan that goes on past damage is told of an event inside the log it could not read
  // (missing, failing authentication, or in damaged files): its index and the DataLoss a scan
  // would have stopped with, which names the event only.
  using DamagedFn = std::function<void(uint64_t index, const absl::Status& error)>;
  // ScanRetained, but a damaged event does not stop it: `damaged` is told of it and the scan goes
  // on with the next, so that the data check names every damaged event, not only the first.
  // Other errors (a pruning that moved the boundary meanwhile: OutOfRange) still stop it.
  absl::Status ScanRetainedPastDamage(uint64_t end,
                                      const std::function<bool(uint64_t, absl::string_view)>& fn,
                                      const DamagedFn& damaged,
                                      BlockCache cache = BlockCache::kFill) const;
  // The tree's stored leaf of event `index` (not the event's own hash): what the data check
  // hashes towards the root in place of an event it could not read. NotFound when not stored.
  absl::StatusOr<std::string> StoredLeaf(uint64_t index) const;

  // Deletes the bytes of the oldest events dated before (clock now - retention_days days), at
  // most max_events of them, from the current boundary on, and appends `event` (the caller's
  // actor and action; AuditEvent.pruning is filled in here) in the same synced batch, which also
  // holds the new boundary and whatever `keep` staged for each deleted event (called in index
  // order). Then flushes and compacts the deleted range out of the files. Returns what was
  // deleted; when nothing is due, writes nothing. Each event is checked against its tree leaf
  // before its time is believed: DataLoss (and nothing deleted) for an event that is missing,
  // does not decode or does not match the tree, so retention never destroys the evidence of
  // tampering. One call at a time (later calls wait). InvalidArgument for retention_days or
  // max_events of 0; Unavailable when the batch cannot be written (nothing changed then). When
  // the flush or compaction after the commit fails, the pruning stands (its event is written)
  // and that error is returned; the next pruning compacts the whole pruned prefix again.
  using KeepFn = std::function<void(const registry::v1::AuditEvent& event, PrunedFacts* facts)>;
  absl::StatusOr<PruneResult> Prune(uint32_t retention_days, uint64_t max_events,
                                    registry::v1::AuditEvent event, const KeepFn& keep);

  // Calls fn(key, value) for every row Prune's callers kept (PrunedFacts), in key order. DataLoss
  // for a row that fails authentication (edited, moved to another key, or forged), and when the
  // rows are fewer or more than the authenticated count (Pruned::facts): a row was deleted.
  absl::Status ScanPrunedFacts(
      const std::function<void(absl::string_view key, absl::string_view value)>& fn) const;

  // The frontier of the tree of the first `size` events, from the stored nodes (also for sizes
  // inside the pruned prefix: its hashes stay). InvalidArgument beyond the current size.
  absl::StatusOr<crypto::merkle::CompactRange> FrontierAt(uint64_t size) const;

  // RFC 9162 proofs and roots for tree sizes up to the current size. InvalidArgument for
  // out-of-range sizes.
  absl::StatusOr<std::vector<std::string>> InclusionProof(uint64_t index, uint64_t size) const;
  absl::StatusOr<std::vector<std::string>> ConsistencyProof(uint64_t first_size,
                                                            uint64_t second_size) const;
  absl::StatusOr<std::string> RootAt(uint64_t size) const;

 private:
  struct Writer;
  struct PrunePlan;
  class StoredNodes;

  struct Keys;

  AuditLog(Database* db, const Clock* clock, std::unique_ptr<Keys> keys,
           crypto::merkle::CompactRange frontier, Pruned pruned);

  // Queues w and returns once its group is written (or failed).
  void Commit(Writer* w);

  // Builds and writes one group, then publishes the head it leaves (*frontier, moved, and
  // *last_time) under mu_; called by the leader without mu_ held.
  absl::Status WriteGroup(const std::vector<Writer*>& group,
                          crypto::merkle::CompactRange* frontier, absl::Time* last_time);

  // Scan (retained false) or ScanRetained (true; start is then ignored). With `damaged`, a
  // damaged event is told to it and skipped instead of stopping the scan.
  absl::Status ScanFrom(bool retained, uint64_t start, uint64_t end,
                        const std::function<bool(uint64_t, absl::string_view)>& fn,
                        BlockCache cache, const DamagedFn* damaged = nullptr) const;

  // The rest of a scan whose iterator met damage: event by event from `start` with point reads,
  // which skip the files whose key range does not hold the event (see ScanFrom).
  absl::Status ScanByPointReads(uint64_t start, uint64_t end,
                                const std::function<bool(uint64_t, absl::string_view)>& fn,
                                BlockCache cache, const DamagedFn* damaged) const;

  // Opens the iterator of a scan and settles its start against the pruned boundary (retained:
  // start there; else refuse a start below it), both under retention_mu_ so that they agree.
  absl::StatusOr<std::unique_ptr<Iterator>> OpenScan(bool retained, uint64_t* start, uint64_t end,
                                                     BlockCache cache) const;

  Database* const db_;
  const Clock* const clock_;
  const std::unique_ptr<const Keys> keys_;
  std::unique_ptr<StoredNodes> nodes_;

  mutable absl::Mutex mu_;
  std::function<void(size_t)> group_observer_;
  std::deque<Writer*> queue_ ABSL_GUARDED_BY(mu_);
  bool leader_active_ ABSL_GUARDED_BY(mu_) = false;
  crypto::merkle::CompactRange frontier_ ABSL_GUARDED_BY(mu_);
  absl::Time last_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Opened for a read-only look (Open's damaged_last_event_allowed): Append refuses.
  bool look_only_ = false;

  // The boundary and the events below it change together: a group that prunes holds this
  // exclusively across its write and the update of pruned_, and readers hold it shared while
  // they read pruned_ and open their iterator. Taken before mu_, never while holding it.
  mutable absl::Mutex retention_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  Pruned pruned_ ABSL_GUARDED_BY(retention_mu_);
  // One Prune at a time: it plans from the boundary it read.
  absl::Mutex prune_job_mu_;
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_AUDIT_LOG_H_
