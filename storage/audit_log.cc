#include "storage/audit_log.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/deterministic_bytes.h"
#include "common/public_status.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "crypto/aes_gcm.h"
#include "crypto/blind_index.h"
#include "crypto/hmac.h"

namespace registry::storage {
namespace {

namespace merkle = crypto::merkle;

constexpr char kFrontierKey[] = "audit/frontier";
constexpr char kPrunedKey[] = "audit/pruned";
constexpr char kPrunedFactsPrefix[] = "audit/pruned-facts/";
constexpr char kStateMacKey[] = "audit/state-mac";
constexpr char kStateMacLabel[] = "kjc-registry/audit-state/v1|";
constexpr char kFactMacLabel[] = "kjc-registry/audit-pruned-fact/v1|";
constexpr char kEventAadLabel[] = "kjc-registry/audit-event/v1|";
// At most this many events share one write and fsync.
constexpr size_t kMaxGroup = 512;

std::string NodeKey(int level, uint64_t index) {
  std::string key(1, static_cast<char>(level));
  key += EncodeU64(index);
  return key;
}

std::string EncodePruned(const AuditLog::Pruned& p) {
  return absl::StrCat(EncodeU64(p.size), EncodeU64(p.recorded_by), EncodeU64(p.facts),
                      p.newest_time);
}

absl::StatusOr<AuditLog::Pruned> DecodePruned(absl::string_view bytes) {
  if (bytes.size() < 24) return absl::DataLossError("audit pruned-prefix record is damaged");
  AuditLog::Pruned p;
  p.size = DecodeU64(bytes.substr(0, 8));
  p.recorded_by = DecodeU64(bytes.substr(8, 8));
  p.facts = DecodeU64(bytes.substr(16, 8));
  p.newest_time = std::string(bytes.substr(24));
  if (p.size == 0 || !ParseInstant(p.newest_time).ok()) {
    return absl::DataLossError("audit pruned-prefix record is damaged");
  }
  return p;
}

// The MAC of the log's stored state: the frontier's bytes (length-prefixed) and the pruned
// record's ("" when nothing was pruned).
absl::StatusOr<std::string> StateMac(const crypto::SecretBytes& key, absl::string_view frontier,
                                     absl::string_view pruned) {
  return crypto::HmacSha256(
      key, absl::StrCat(kStateMacLabel, EncodeU64(frontier.size()), frontier, pruned));
}

// The MAC of one kept fact: binds the value to its key (length-prefixed).
absl::StatusOr<std::string> FactMac(const crypto::SecretBytes& key, absl::string_view fact_key,
                                    absl::string_view value) {
  return crypto::HmacSha256(
      key, absl::StrCat(kFactMacLabel, EncodeU64(fact_key.size()), fact_key, value));
}

// What an event's seal binds it to: its index.
std::string EventAad(uint64_t index) { return absl::StrCat(kEventAadLabel, EncodeU64(index)); }

absl::Status EventFailsAuthentication(uint64_t index) {
  return PublicError(absl::DataLossError(absl::StrCat(
      "audit event ", index, " fails authentication: it was changed, moved from another index or "
      "written without the key file")));
}

// The public error for a range that starts in the pruned prefix: it names where the log starts
// now, so that nobody takes a deliberate deletion for a gap or a short answer.
absl::Status PrunedError(const AuditLog::Pruned& p) {
  return PublicError(absl::OutOfRangeError(absl::StrCat(
      "audit events before index ", p.size, " were deleted by audit retention (the newest of "
      "them dated ", p.newest_time, "); the log starts at index ", p.size)));
}

}  // namespace

std::string SerializeEvent(const registry::v1::AuditEvent& event) {
  return DeterministicBytes(event);
}

// The two working keys, derived from the log's key.
struct AuditLog::Keys {
  crypto::SecretBytes state;
  crypto::SecretBytes event_key;
  std::unique_ptr<crypto::AesGcm> events;

  static absl::StatusOr<std::unique_ptr<Keys>> Derive(const crypto::SecretBytes& log_key) {
    if (log_key.size() != 32) return absl::InvalidArgumentError("audit log key: 32 bytes");
    auto keys = std::make_unique<Keys>();
    ASSIGN_OR_RETURN(keys->state, crypto::DeriveKey(log_key, kAuditStateKeyLabel));
    ASSIGN_OR_RETURN(keys->event_key, crypto::DeriveKey(log_key, kAuditEventKeyLabel));
    ASSIGN_OR_RETURN(keys->events, crypto::AesGcm::Create(keys->event_key));
    return keys;
  }

  // For a scan: one context for every event it opens.
  absl::StatusOr<std::unique_ptr<crypto::AesGcmOpener>> NewOpener() const {
    return crypto::AesGcmOpener::Create(event_key);
  }

  // Opens event `index` with a scan's opener, into buffers the scan reuses for every event:
  // *aad holds EventAad of any index (only its last 8 bytes change), *event the plaintext. No
  // allocation once both have grown.
  static absl::Status OpenInto(crypto::AesGcmOpener& opener, uint64_t index,
                               absl::string_view stored, std::string* aad, std::string* event) {
    if (aad->empty()) *aad = EventAad(index);
    const std::string encoded = EncodeU64(index);
    aad->replace(aad->size() - encoded.size(), encoded.size(), encoded);
    if (!opener.OpenInto(stored, *aad, event).ok()) return EventFailsAuthentication(index);
    return absl::OkStatus();
  }

  static absl::StatusOr<std::string> Open(crypto::AesGcmOpener& opener, uint64_t index,
                                          absl::string_view stored) {
    std::string aad;
    std::string event;
    RETURN_IF_ERROR(OpenInto(opener, index, stored, &aad, &event));
    return event;
  }

  absl::StatusOr<std::string> Seal(uint64_t index, absl::string_view event) const {
    return events->Encrypt(event, EventAad(index));
  }

  absl::StatusOr<std::string> Open(uint64_t index, absl::string_view stored) const {
    absl::StatusOr<std::string> event = events->Decrypt(stored, EventAad(index));
    if (!event.ok()) return EventFailsAuthentication(index);
    return event;
  }
};

absl::StatusOr<std::string> AuditLog::SealEvent(const crypto::SecretBytes& log_key,
                                                uint64_t index, absl::string_view event) {
  ASSIGN_OR_RETURN(std::unique_ptr<Keys> keys, Keys::Derive(log_key));
  return keys->Seal(index, event);
}

absl::StatusOr<std::string> AuditLog::OpenEvent(const crypto::SecretBytes& log_key,
                                                uint64_t index, absl::string_view stored) {
  ASSIGN_OR_RETURN(std::unique_ptr<Keys> keys, Keys::Derive(log_key));
  return keys->Open(index, stored);
}

// What a pruning writer adds to its group: the boundary it sets, and the clock reading its
// cutoff came from (its event is dated no earlier, so that cutoff + retention <= event time holds
// even when the clock steps back between the plan and the write).
struct AuditLog::PrunePlan {
  uint64_t to = 0;
  std::string newest_time;
  absl::Time clock_reading;
  uint64_t facts = 0;  // the kept rows after this pruning
};

struct AuditLog::Writer {
  registry::v1::AuditEvent event;
  const Batch* mutations = nullptr;
  const PrunePlan* prune = nullptr;
  absl::Status status;
  uint64_t sequence = 0;
  // Set before `ready` is notified: this writer leads the next group (else its group was
  // written, and `status` and `sequence` say how).
  bool lead = false;
  // Notified once: when the writer's group is written, or when it is handed the lead. Waiting on
  // its own notification, a woken writer does not queue for mu_ behind the others.
  absl::Notification ready;
};

void AuditLog::PrunedFacts::Put(absl::string_view key, absl::string_view value) {
  absl::StatusOr<std::string> mac = FactMac(*key_, key, value);
  if (!mac.ok()) {
    status_.Update(mac.status());
    return;
  }
  batch_->Put(Cf::kMeta, absl::StrCat(kPrunedFactsPrefix, key), absl::StrCat(value, *mac));
  Touch(key, /*present=*/true);
}

void AuditLog::PrunedFacts::Delete(absl::string_view key) {
  batch_->Delete(Cf::kMeta, absl::StrCat(kPrunedFactsPrefix, key));
  Touch(key, /*present=*/false);
}

void AuditLog::PrunedFacts::Touch(absl::string_view key, bool present) {
  auto [it, inserted] = touched_.try_emplace(std::string(key), false, present);
  if (inserted) {
    absl::StatusOr<std::optional<std::string>> stored =
        db_->Get(Cf::kMeta, absl::StrCat(kPrunedFactsPrefix, key));
    if (!stored.ok()) {
      status_.Update(stored.status());
      return;
    }
    it->second.first = stored->has_value();
  }
  it->second.second = present;
}

class AuditLog::StoredNodes : public merkle::NodeReader {
 public:
  explicit StoredNodes(Database* db) : db_(db) {}
  absl::StatusOr<std::string> Node(int level, uint64_t index) const override {
    ASSIGN_OR_RETURN(std::optional<std::string> v, db_->Get(Cf::kMerkle, NodeKey(level, index)));
    if (!v.has_value() || v->size() != 32) {
      return absl::DataLossError("audit tree node missing");
    }
    return *std::move(v);
  }

 private:
  Database* db_;
};

AuditLog::AuditLog(Database* db, const Clock* clock, std::unique_ptr<Keys> keys,
                   merkle::CompactRange frontier, Pruned pruned)
    : db_(db),
      clock_(clock),
      keys_(std::move(keys)),
      nodes_(std::make_unique<StoredNodes>(db)),
      frontier_(std::move(frontier)),
      pruned_(std::move(pruned)) {}

AuditLog::~AuditLog() = default;

absl::Status AuditDamagedAt(uint64_t index, absl::string_view detail) {
  return absl::DataLossError(absl::StrCat(
      "the audit log is damaged at event ", index, " (", detail,
      "): registryd does not start on it. This is an incident (docs/operations.md, "
      "\"`audit verify` fails\"): preserve the disks and call the KJC security officer; "
      "registryd --verify_data reports every problem of the stored data, and the registry "
      "is brought back by restoring the last backup that verifies sound"));
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(Database* db, const Clock* clock,
                                                         const crypto::SecretBytes& log_key,
                                                         bool damaged_last_event_allowed) {
  ASSIGN_OR_RETURN(std::unique_ptr<Keys> keys, Keys::Derive(log_key));
  ASSIGN_OR_RETURN(std::optional<std::string> state, db->Get(Cf::kMeta, kFrontierKey));
  ASSIGN_OR_RETURN(std::optional<std::string> pruned_state, db->Get(Cf::kMeta, kPrunedKey));
  ASSIGN_OR_RETURN(std::optional<std::string> mac, db->Get(Cf::kMeta, kStateMacKey));
  // Before anything stored is believed: only a log never written has no MAC.
  if (state.has_value() || pruned_state.has_value() || mac.has_value()) {
    ASSIGN_OR_RETURN(std::string expected,
                     StateMac(keys->state, state.value_or(""), pruned_state.value_or("")));
    if (!mac.has_value() || !crypto::ConstantTimeEquals(*mac, expected)) {
      return absl::DataLossError(
          "audit log state fails authentication: its tree state or pruned prefix was changed "
          "without the key file");
    }
  }
  merkle::CompactRange frontier;
  if (state.has_value()) {
    ASSIGN_OR_RETURN(frontier, merkle::CompactRange::Parse(*state));
  }
  Pruned pruned;
  if (pruned_state.has_value()) {
    ASSIGN_OR_RETURN(pruned, DecodePruned(*pruned_state));
    // The event that recorded the pruning comes after the events it deleted and is kept.
    if (pruned.recorded_by < pruned.size || pruned.recorded_by >= frontier.size()) {
      return absl::DataLossError("audit pruned prefix does not fit the tree");
    }
  }
  std::unique_ptr<AuditLog> log(
      new AuditLog(db, clock, std::move(keys), std::move(frontier), std::move(pruned)));
  log->look_only_ = damaged_last_event_allowed;
  const uint64_t size = log->frontier_.size();
  // Cheap integrity checks, independent of the log's length: the last event exists and hashes
  // to the stored leaf, and nothing lies beyond it.
  ASSIGN_OR_RETURN(std::optional<std::string> beyond, db->Get(Cf::kAudit, EncodeU64(size)));
  // The read-only look goes on past it (nothing is appended over it): the data check names it
  // (CheckStoredTree), with every other problem, and goes on to its summary.
  if (beyond.has_value() && !damaged_last_event_allowed) {
    return absl::DataLossError("audit log has events beyond its tree");
  }
  if (size > 0) {
    ASSIGN_OR_RETURN(std::optional<std::string> stored,
                     db->Get(Cf::kAudit, EncodeU64(size - 1)));
    // Said as any other damaged event since the last data check is (the start's walk): the
    // last one is as much an incident, and the bare text gave no event and nothing to do.
    absl::Status damaged;
    absl::StatusOr<std::string> last = absl::DataLossError("missing");
    if (!stored.has_value()) {
      damaged =
          AuditDamagedAt(size - 1, absl::StrCat("its last event, ", size - 1, ", is missing"));
    } else if (last = log->keys_->Open(size - 1, *stored); !last.ok()) {
      damaged = AuditDamagedAt(size - 1, absl::StrCat("its last event, ", size - 1,
                                                      ", fails authentication: changed, moved "
                                                      "or written without the key file"));
    } else {
      ASSIGN_OR_RETURN(std::string leaf, log->nodes_->Node(0, size - 1));
      if (merkle::HashLeaf(*last) != leaf) {
        damaged = absl::DataLossError("audit log's last event does not match its tree");
      }
    }
    // The read-only look goes on without the event (nothing is appended after it): the data
    // check's walk names it, as it names any other damaged event, with every other problem.
    if (!damaged.ok() && !damaged_last_event_allowed) return damaged;
    registry::v1::AuditEvent parsed;
    if (damaged.ok() && parsed.ParseFromString(*last)) {
      auto t = ParseInstant(parsed.time());
      if (t.ok()) log->last_time_ = *t;
    }
  }
  // A look writes nothing: a count left in the folder is for the next start to record.
  if (damaged_last_event_allowed) return log;
  // Writes that a crash cut off and the database dropped at open (Database::Open): the log says
  // so before anything else is written, and the count goes with the event.
  ASSIGN_OR_RETURN(const uint64_t cut_off, db->CutOffWrites());
  if (cut_off > 0) {
    registry::v1::AuditEvent event;
    event.set_actor("system:storage");
    event.set_action("recover-cut-off-write");
    // Only a drop this open made is the registry's own statement; a count it found in the data
    // folder is said to be one (written by an earlier start that died before this event, or by
    // someone with the data folder).
    event.set_reference(
        db->DroppedAtOpen()
            ? absl::StrCat("dropped ", cut_off, " unacknowledged ",
                           cut_off == 1 ? "write" : "writes", " cut off by a crash")
            : absl::StrCat("found an unchecked count of ", cut_off, " cut-off ",
                           cut_off == 1 ? "write" : "writes", " in the data folder"));
    PendingWrite clear;
    Database::ClearCutOffWrites(clear.batch());
    RETURN_IF_ERROR(log->Append(std::move(event), &clear).status());
  }
  return log;
}

absl::Status AuditLog::SealStoredState(Database* db, const crypto::SecretBytes& log_key) {
  ASSIGN_OR_RETURN(std::unique_ptr<Keys> keys, Keys::Derive(log_key));
  ASSIGN_OR_RETURN(std::optional<std::string> state, db->Get(Cf::kMeta, kFrontierKey));
  ASSIGN_OR_RETURN(std::optional<std::string> pruned, db->Get(Cf::kMeta, kPrunedKey));
  ASSIGN_OR_RETURN(std::string mac,
                   StateMac(keys->state, state.value_or(""), pruned.value_or("")));
  Batch batch;
  batch.Put(Cf::kMeta, kStateMacKey, mac);
  return db->Write(batch);
}

absl::StatusOr<uint64_t> AuditLog::Append(registry::v1::AuditEvent event,
                                          PendingWrite* mutations) {
  if (look_only_) {
    // Opened without trusting its last event: nothing may be chained after it.
    return absl::FailedPreconditionError("the audit log is open for a read-only look");
  }
  if (mutations != nullptr && mutations->dates_pending()) {
    // A caller bug, caught before anything is written: committing would store records whose
    // persons' dates in force were never computed.
    return absl::InternalError("a staged import was committed before RecordStore::StageDates");
  }
  Writer w;
  w.event = std::move(event);
  w.mutations = mutations == nullptr ? nullptr : &mutations->staged();
  Commit(&w);
  if (!w.status.ok()) return w.status;
  return w.sequence;
}

void AuditLog::Commit(Writer* writer) {
  Writer& w = *writer;
  mu_.Lock();
  queue_.push_back(&w);
  const bool lead_now = !leader_active_;
  leader_active_ = true;
  mu_.Unlock();
  if (!lead_now) {
    // A leader is writing; it, or a later one, writes this writer's event or hands it the lead.
    w.ready.WaitForNotification();
    if (!w.lead) return;
  }
  // This writer leads the next group: leader_active_ stays set from here until a leader finds
  // the queue empty, so that exactly one group is written at a time, in queue order.
  mu_.Lock();
  std::vector<Writer*> group;
  while (!queue_.empty() && group.size() < kMaxGroup) {
    group.push_back(queue_.front());
    queue_.pop_front();
  }
  merkle::CompactRange frontier = frontier_;
  absl::Time last_time = last_time_;
  mu_.Unlock();

  const absl::Status status = WriteGroup(group, &frontier, &last_time);

  mu_.Lock();  // WriteGroup published the new head when it wrote the group
  Writer* next = nullptr;
  if (queue_.empty()) {
    leader_active_ = false;
  } else {
    next = queue_.front();
  }
  mu_.Unlock();
  // Wake exactly the writers that have something to do: the group's, whose calls can now reply,
  // and the next in line, which leads the next group. A writer may return (and its Writer end)
  // as soon as it is notified, so nothing of it is touched after.
  for (Writer* g : group) {
    if (g == &w) continue;
    g->status = status;
    g->ready.Notify();
  }
  w.status = status;
  if (next != nullptr) {
    next->lead = true;
    next->ready.Notify();
  }
  if (status.ok() && group_observer_) group_observer_(group.size());
}

absl::Status AuditLog::WriteGroup(const std::vector<Writer*>& group,
                                  merkle::CompactRange* frontier, absl::Time* last_time) {
  // The callers' changes, then the group's events, tree nodes and tree state: one atomic write.
  std::vector<const Batch*> batches;
  batches.reserve(group.size() + 1);
  Batch batch;
  std::optional<Pruned> pruned;
  for (Writer* w : group) {
    if (w->mutations != nullptr) batches.push_back(w->mutations);
    absl::Time now = clock_->Now();
    if (now < *last_time) now = *last_time;  // event times never go backwards
    if (w->prune != nullptr && now < w->prune->clock_reading) now = w->prune->clock_reading;
    *last_time = now;
    w->sequence = frontier->size();
    w->event.set_sequence(w->sequence);
    w->event.set_time(FormatInstant(now, /*micros=*/true));
    const std::string bytes = SerializeEvent(w->event);
    ASSIGN_OR_RETURN(std::string sealed, keys_->Seal(w->sequence, bytes));
    batch.Put(Cf::kAudit, EncodeU64(w->sequence), sealed);
    frontier->Append(merkle::HashLeaf(bytes), [&](int level, uint64_t index,
                                                 absl::string_view hash) {
      batch.Put(Cf::kMerkle, NodeKey(level, index),
                hash);
    });
    if (w->prune != nullptr) {
      // The boundary names its own event, which is why it is written here and not by Prune.
      pruned = Pruned{w->prune->to, w->prune->newest_time, w->sequence, w->prune->facts};
      batch.Put(Cf::kMeta, kPrunedKey, EncodePruned(*pruned));
    }
  }
  // The state and its MAC, over the pruned record as this group leaves it (only a group writes
  // pruned_, one group at a time, so it cannot change under this read).
  std::string pruned_bytes;
  if (pruned.has_value()) {
    pruned_bytes = EncodePruned(*pruned);
  } else {
    absl::ReaderMutexLock lock(&retention_mu_);
    if (pruned_.size > 0) pruned_bytes = EncodePruned(pruned_);
  }
  const std::string state = frontier->Serialize();
  ASSIGN_OR_RETURN(std::string mac, StateMac(keys_->state, state, pruned_bytes));
  batch.Put(Cf::kMeta, kFrontierKey, state);
  batch.Put(Cf::kMeta, kStateMacKey, mac);
  batches.push_back(&batch);
  const auto publish_head = [&] {
    absl::MutexLock head_lock(&mu_);
    frontier_ = std::move(*frontier);
    last_time_ = *last_time;
  };
  if (!pruned.has_value()) {
    RETURN_IF_ERROR(db_->WriteAll(batches));
    publish_head();
    return absl::OkStatus();
  }
  absl::WriterMutexLock lock(&retention_mu_);
  RETURN_IF_ERROR(db_->WriteAll(batches));
  pruned_ = *std::move(pruned);
  // The boundary names its own event (recorded_by): the head that holds it is published under
  // the same lock, so that no reader sees the boundary without the event.
  publish_head();
  return absl::OkStatus();
}

absl::Time AuditLog::NewestEventTime() const {
  absl::MutexLock lock(&mu_);
  return last_time_;
}

AuditLog::Head AuditLog::CurrentHead() const {
  absl::MutexLock lock(&mu_);
  return Head{frontier_.size(), frontier_.Root()};
}

AuditLog::Pruned AuditLog::CurrentPruned() const {
  absl::ReaderMutexLock lock(&retention_mu_);
  return pruned_;
}

absl::Status AuditLog::RequireRetained(uint64_t start) const {
  absl::ReaderMutexLock lock(&retention_mu_);
  if (start < pruned_.size) return PrunedError(pruned_);
  return absl::OkStatus();
}

absl::StatusOr<std::string> AuditLog::ReadEvent(uint64_t index) const {
  if (index >= CurrentHead().size) return absl::NotFoundError("no such audit event");
  absl::ReaderMutexLock lock(&retention_mu_);
  if (index < pruned_.size) return PrunedError(pruned_);
  ASSIGN_OR_RETURN(std::optional<std::string> v, db_->Get(Cf::kAudit, EncodeU64(index)));
  if (!v.has_value()) return absl::DataLossError("audit event missing");
  return keys_->Open(index, *v);
}

absl::StatusOr<std::unique_ptr<Iterator>> AuditLog::OpenScan(bool retained, uint64_t* start,
                                                             uint64_t end,
                                                             BlockCache cache) const {
  // The iterator reads a snapshot taken when it is made; under the shared lock no pruning can
  // commit between reading the boundary and that snapshot, so the two agree.
  absl::ReaderMutexLock lock(&retention_mu_);
  if (retained) {
    *start = pruned_.size;
  } else if (*start < pruned_.size && *start < end) {
    return PrunedError(pruned_);
  }
  return db_->NewIterator(Cf::kAudit, cache);
}

absl::Status AuditLog::Scan(uint64_t start, uint64_t end,
                            const std::function<bool(uint64_t, absl::string_view)>& fn,
                            BlockCache cache) const {
  return ScanFrom(/*retained=*/false, start, end, fn, cache);
}

absl::Status AuditLog::ScanRetained(
    uint64_t end, const std::function<bool(uint64_t, absl::string_view)>& fn,
    BlockCache cache) const {
  return ScanFrom(/*retained=*/true, 0, end, fn, cache);
}

absl::Status AuditLog::ScanRetainedPastDamage(
    uint64_t end, const std::function<bool(uint64_t, absl::string_view)>& fn,
    const DamagedFn& damaged, BlockCache cache) const {
  return ScanFrom(/*retained=*/true, 0, end, fn, cache, &damaged);
}

absl::StatusOr<std::string> AuditLog::StoredLeaf(uint64_t index) const {
  ASSIGN_OR_RETURN(std::optional<std::string> leaf, db_->Get(Cf::kMerkle, NodeKey(0, index)));
  if (!leaf.has_value()) return absl::NotFoundError("audit tree leaf missing");
  return *std::move(leaf);
}

namespace {

absl::Status EventMissing(uint64_t index) {
  return PublicError(absl::DataLossError(absl::StrCat("audit event ", index, " is missing")));
}

// The error a damaged event stops a scan with; OK once `damaged` (when given) is told of it and
// the scan goes on.
absl::Status Damaged(const AuditLog::DamagedFn* damaged, uint64_t index, absl::Status error) {
  if (damaged == nullptr) return error;
  (*damaged)(index, error);
  return absl::OkStatus();
}

}  // namespace

absl::Status AuditLog::ScanFrom(bool retained, uint64_t start, uint64_t end,
                                const std::function<bool(uint64_t, absl::string_view)>& fn,
                                BlockCache cache, const DamagedFn* damaged) const {
  ASSIGN_OR_RETURN(std::unique_ptr<Iterator> it, OpenScan(retained, &start, end, cache));
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::AesGcmOpener> opener, keys_->NewOpener());
  const std::string first = EncodeU64(start);
  // Events are numbered without gaps: a missing one is damage, never something to skip.
  uint64_t expected = start;
  std::string aad;
  std::string event;
  for (it->Seek(first); it->Valid() && expected < end; it->Next()) {
    if (it->key().size() != 8) return absl::DataLossError("malformed audit key");
    const uint64_t index = DecodeU64(absl::string_view(it->key().data(), 8));
    // Beyond `end`: the events up to it are missing.
    for (; expected < std::min(index, end); ++expected) {
      RETURN_IF_ERROR(Damaged(damaged, expected, EventMissing(expected)));
    }
    if (index >= end) break;
    ++expected;
    if (absl::Status opened = Keys::OpenInto(*opener, index, it->value(), &aad, &event);
        !opened.ok()) {
      RETURN_IF_ERROR(Damaged(damaged, index, std::move(opened)));
      continue;
    }
    if (!fn(index, event)) {
      return absl::OkStatus();
    }
  }
  if (absl::Status read = it->status(); !read.ok()) {
    if (!absl::IsDataLoss(read)) return read;
    // A checksum of the database's files failed, but not necessarily where event `expected` is
    // stored: the iterator merges every file of the family, and a seek reads a block of each
    // level-0 file whatever keys it holds, so one damaged block of newer events would stop every
    // scan from any start. Point reads open only the files whose key range holds their key:
    // they serve the intact events and name the first event that cannot be read.
    return ScanByPointReads(expected, end, fn, cache, damaged);
  }
  for (const uint64_t stop = std::min(end, CurrentHead().size); expected < stop; ++expected) {
    RETURN_IF_ERROR(Damaged(damaged, expected, EventMissing(expected)));
  }
  return absl::OkStatus();
}

absl::Status AuditLog::ScanByPointReads(
    uint64_t start, uint64_t end, const std::function<bool(uint64_t, absl::string_view)>& fn,
    BlockCache cache, const DamagedFn* damaged) const {
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::AesGcmOpener> opener, keys_->NewOpener());
  std::string aad;
  std::string event;
  // Reads the current state, not the iterator's snapshot: events are never rewritten, only
  // appended and pruned, so the difference is a pruning that committed meanwhile (OutOfRange
  // naming the new boundary, as ReadEvent says) and events appended since (not read: `end`
  // bounds the scan, and so does the head at the scan's start).
  const uint64_t stop = std::min(end, CurrentHead().size);
  for (uint64_t index = start; index < stop; ++index) {
    absl::StatusOr<std::optional<std::string>> stored;
    {
      absl::ReaderMutexLock lock(&retention_mu_);
      if (index < pruned_.size) return PrunedError(pruned_);
      stored = db_->Get(Cf::kAudit, EncodeU64(index), cache);
    }
    if (!stored.ok()) {
      if (!absl::IsDataLoss(stored.status())) return stored.status();
      // The auditor is told which event is lost and that it is damage to files, not an edited
      // event.
      RETURN_IF_ERROR(Damaged(
          damaged, index,
          PublicError(absl::DataLossError(absl::StrCat(
              "audit event ", index,
              " cannot be read: a checksum of the database's files failed (damaged storage); "
              "registryd --verify_data names the file")))));
      continue;
    }
    if (!stored->has_value()) {
      RETURN_IF_ERROR(Damaged(damaged, index, EventMissing(index)));
      continue;
    }
    if (absl::Status opened = Keys::OpenInto(*opener, index, **stored, &aad, &event);
        !opened.ok()) {
      RETURN_IF_ERROR(Damaged(damaged, index, std::move(opened)));
      continue;
    }
    if (!fn(index, event)) return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status AuditLog::CheckStoredTree(const std::function<void(std::string)>& problem) const {
  int found = 0;
  const auto report = [&](std::string text) {
    if (found++ < 1000) problem(std::move(text));
  };
  // Leaves: in step with the retained events (both keyed by index in big-endian order).
  std::unique_ptr<Iterator> leaves = db_->NewIterator(Cf::kMerkle, BlockCache::kBypass);
  bool first = true;
  // An event that cannot be read is the data check's to name (it reads the events too); its
  // leaf is passed over.
  const DamagedFn passed_over = [&](uint64_t index, const absl::Status&) {
    leaves->Seek(NodeKey(0, index + 1));
    first = false;
  };
  RETURN_IF_ERROR(ScanRetainedPastDamage(
      CurrentHead().size,
      [&](uint64_t index, absl::string_view bytes) {
        const std::string key = NodeKey(0, index);
        if (first) leaves->Seek(key);
        first = false;
        if (!leaves->Valid() || leaves->key() != key) {
          report(absl::StrCat("audit tree: the leaf of event ", index, " is missing"));
          leaves->Seek(NodeKey(0, index + 1));
          return true;
        }
        if (leaves->value() != merkle::HashLeaf(bytes)) {
          report(absl::StrCat("audit tree: the leaf of event ", index,
                              " is not the event's hash"));
        }
        leaves->Next();
        return true;
      },
      passed_over, BlockCache::kBypass));
  RETURN_IF_ERROR(leaves->status());
  // Rows outside the retained range: events in the pruned prefix (put back after retention
  // deleted them) or beyond the tree, and leaves beyond the tree. The next appends would
  // overwrite some of them unseen.
  const uint64_t pruned_to = CurrentPruned().size;
  const uint64_t size = CurrentHead().size;
  std::unique_ptr<Iterator> events = db_->NewIterator(Cf::kAudit, BlockCache::kBypass);
  events->SeekToFirst();
  if (events->Valid() && events->key() < EncodeU64(pruned_to)) {
    report(absl::StrCat("audit log: an event is stored before index ", pruned_to,
                        ", where retention deleted the events"));
  }
  events->Seek(EncodeU64(size));
  if (events->Valid()) {
    report(absl::StrCat("audit log: an event is stored beyond the tree's ", size, " events"));
  }
  RETURN_IF_ERROR(events->status());
  leaves->Seek(NodeKey(0, size));
  if (leaves->Valid() && leaves->key().size() == 9 && leaves->key()[0] == 0) {
    report(absl::StrCat("audit tree: a leaf is stored at ", DecodeU64(leaves->key().substr(1)),
                        ", beyond the tree's ", size, " events"));
  }
  RETURN_IF_ERROR(leaves->status());
  // Inner nodes: each level against the one below it.
  for (int level = 1; level < 64; ++level) {
    std::unique_ptr<Iterator> nodes = db_->NewIterator(Cf::kMerkle, BlockCache::kBypass);
    bool any = false;
    for (nodes->Seek(NodeKey(level, 0));
         nodes->Valid() && nodes->key().size() == 9 && nodes->key()[0] == static_cast<char>(level);
         nodes->Next()) {
      any = true;
      const uint64_t index = DecodeU64(nodes->key().substr(1));
      ASSIGN_OR_RETURN(std::optional<std::string> left,
                       db_->Get(Cf::kMerkle, NodeKey(level - 1, 2 * index)));
      ASSIGN_OR_RETURN(std::optional<std::string> right,
                       db_->Get(Cf::kMerkle, NodeKey(level - 1, 2 * index + 1)));
      if (!left.has_value() || !right.has_value()) {
        report(absl::StrCat("audit tree: node ", index, " of level ", level,
                            " is missing a child"));
      } else if (nodes->value() != merkle::HashChildren(*left, *right)) {
        report(absl::StrCat("audit tree: node ", index, " of level ", level,
                            " is not the hash of its children"));
      }
    }
    RETURN_IF_ERROR(nodes->status());
    if (!any) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<AuditLog::PruneResult> AuditLog::Prune(uint32_t retention_days,
                                                      uint64_t max_events,
                                                      registry::v1::AuditEvent event,
                                                      const KeepFn& keep) {
  if (retention_days == 0 || max_events == 0) {
    return absl::InvalidArgumentError("audit pruning needs a retention and a batch size above 0");
  }
  absl::MutexLock job(&prune_job_mu_);
  const absl::Time clock_reading = clock_->Now();
  const absl::Time cutoff = clock_reading - absl::Hours(24) * static_cast<int64_t>(retention_days);
  const uint64_t from = CurrentPruned().size;
  const uint64_t size = CurrentHead().size;

  PruneResult result;
  result.from = from;
  result.to = from;
  Batch mutations;
  PrunedFacts facts(db_, &mutations, &keys_->state);
  // Events and their leaves side by side: both families are keyed by index in big-endian order
  // (leaves as level 0), so two iterators walk them in step. Only what the tree commits to is
  // believed, so an event edited to look old cannot get itself (or its predecessors) deleted,
  // and a damaged event stops the pruning instead of disappearing with the evidence.
  std::unique_ptr<Iterator> events = db_->NewIterator(Cf::kAudit);
  std::unique_ptr<Iterator> leaves = db_->NewIterator(Cf::kMerkle);
  ASSIGN_OR_RETURN(std::unique_ptr<crypto::AesGcmOpener> opener, keys_->NewOpener());
  events->Seek(EncodeU64(from));
  leaves->Seek(NodeKey(0, from));
  for (uint64_t index = from; index < size && index - from < max_events; ++index) {
    const std::string key = EncodeU64(index);
    if (!events->Valid() || events->key() != key) {
      return absl::DataLossError(
          absl::StrCat("audit event ", index, " is missing; audit retention stopped before it"));
    }
    absl::StatusOr<std::string> bytes = Keys::Open(*opener, index, events->value());
    if (!bytes.ok()) {
      return absl::DataLossError(absl::StrCat(
          "audit event ", index, " fails authentication; audit retention stopped before it"));
    }
    const std::string leaf_key = NodeKey(0, index);
    if (!leaves->Valid() || leaves->key() != leaf_key ||
        merkle::HashLeaf(*bytes) != leaves->value()) {
      return absl::DataLossError(absl::StrCat(
          "audit event ", index, " does not match its tree leaf; audit retention stopped "
          "before it"));
    }
    registry::v1::AuditEvent stored;
    if (!stored.ParseFromString(*bytes)) {
      return absl::DataLossError(
          absl::StrCat("audit event ", index, " does not decode; audit retention stopped"));
    }
    absl::StatusOr<absl::Time> time = ParseInstant(stored.time());
    if (!time.ok()) {
      return absl::DataLossError(
          absl::StrCat("audit event ", index, " has no valid time; audit retention stopped"));
    }
    // Event times never go backwards (WriteGroup), so the first event that is not due ends the
    // prefix: everything after it is at least as new.
    if (*time >= cutoff) break;
    if (keep) keep(stored, &facts);
    result.to = index + 1;
    result.newest_time = stored.time();
    events->Next();
    leaves->Next();
  }
  RETURN_IF_ERROR(events->status());
  RETURN_IF_ERROR(leaves->status());
  RETURN_IF_ERROR(facts.status_);
  if (result.to == from) return result;

  mutations.DeleteRange(Cf::kAudit, EncodeU64(from), EncodeU64(result.to));
  registry::v1::AuditPruning* pruning = event.mutable_pruning();
  pruning->set_from_index(from);
  pruning->set_to_index(result.to);
  pruning->set_newest_pruned_time(result.newest_time);
  pruning->set_cutoff(FormatInstant(cutoff, /*micros=*/true));
  pruning->set_retention_days(retention_days);
  uint64_t kept = CurrentPruned().facts;
  for (const auto& [key, before_after] : facts.touched_) {
    if (before_after.first && !before_after.second) --kept;
    if (!before_after.first && before_after.second) ++kept;
  }
  const PrunePlan plan{result.to, result.newest_time, clock_reading, kept};
  Writer w;
  w.event = std::move(event);
  w.mutations = &mutations;
  w.prune = &plan;
  Commit(&w);
  RETURN_IF_ERROR(w.status);
  result.sequence = w.sequence;

  // The rows are deleted; now their bytes leave the files. Every family is flushed first: a
  // write-ahead log file stays until all the data in it is flushed. The range starts at 0, so a
  // compaction that failed after an earlier pruning is made good by this one.
  RETURN_IF_ERROR(db_->Flush());
  RETURN_IF_ERROR(db_->CompactRange(Cf::kAudit, "", EncodeU64(result.to)));
  return result;
}

absl::Status AuditLog::ScanPrunedFacts(
    const std::function<void(absl::string_view key, absl::string_view value)>& fn) const {
  // The count and the rows at the same point: a pruning commits under the exclusive lock.
  uint64_t expected = 0;
  std::unique_ptr<Iterator> it;
  {
    absl::ReaderMutexLock lock(&retention_mu_);
    expected = pruned_.facts;
    it = db_->NewIterator(Cf::kMeta);
  }
  uint64_t found = 0;
  const absl::string_view prefix(kPrunedFactsPrefix);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const absl::string_view key = it->key();
    if (!absl::StartsWith(key, prefix)) break;
    const absl::string_view stored = it->value();
    const absl::string_view fact_key = key.substr(prefix.size());
    if (stored.size() < crypto::kHmacSha256Size) {
      return absl::DataLossError("audit retention's kept fact fails authentication");
    }
    const absl::string_view value = stored.substr(0, stored.size() - crypto::kHmacSha256Size);
    ASSIGN_OR_RETURN(std::string mac, FactMac(keys_->state, fact_key, value));
    if (!crypto::ConstantTimeEquals(mac, stored.substr(value.size()))) {
      return absl::DataLossError("audit retention's kept fact fails authentication");
    }
    ++found;
    fn(fact_key, value);
  }
  RETURN_IF_ERROR(it->status());
  if (found != expected) {
    return PublicError(absl::DataLossError(
        absl::StrCat("audit retention kept ", expected, " facts and ", found,
                     " are stored: kept facts were deleted or put back")));
  }
  return absl::OkStatus();
}

absl::StatusOr<merkle::CompactRange> AuditLog::FrontierAt(uint64_t size) const {
  if (size > CurrentHead().size) return absl::InvalidArgumentError("tree_size out of range");
  return merkle::CompactRangeAt(*nodes_, size);
}

absl::StatusOr<std::vector<std::string>> AuditLog::InclusionProof(uint64_t index,
                                                                  uint64_t size) const {
  if (size > CurrentHead().size || index >= size) {
    return absl::InvalidArgumentError("leaf_index/tree_size out of range");
  }
  return merkle::InclusionProof(*nodes_, index, size);
}

absl::StatusOr<std::vector<std::string>> AuditLog::ConsistencyProof(uint64_t first_size,
                                                                    uint64_t second_size) const {
  if (second_size > CurrentHead().size || first_size == 0 || first_size > second_size) {
    return absl::InvalidArgumentError("first_size/second_size out of range");
  }
  return merkle::ConsistencyProof(*nodes_, first_size, second_size);
}

absl::StatusOr<std::string> AuditLog::RootAt(uint64_t size) const {
  if (size > CurrentHead().size) return absl::InvalidArgumentError("tree_size out of range");
  return merkle::RootAt(*nodes_, size);
}

}  // namespace registry::storage
