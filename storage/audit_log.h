// AuditLog: the append-only, tamper-evident log of every call, and the registry's only writer.
//
// Every change to the database goes through Append: the caller's mutations and the call's audit
// event are committed in ONE synced rocksdb::WriteBatch, so a record change never exists without
// its event, and an event is durable before the caller replies. Concurrent appenders are grouped:
// the first waiting caller becomes the leader, takes every queued entry, assigns consecutive
// sequence numbers, extends the Merkle tree and writes the whole group with one fsync (group
// commit). A failed write fails every entry of its group with UNAVAILABLE and leaves the in-memory
// tree untouched.
//
//   rocksdb::WriteBatch changes;              // e.g. a new record
//   ...
//   ASSIGN_OR_RETURN(uint64_t seq, log->Append(std::move(event), &changes));
//
// Storage layout:
//   audit  key u64be sequence             -> the event's deterministic protobuf bytes (the leaf)
//   merkle key u8 level || u64be index    -> SHA-256 of the perfect subtree of 2^level leaves
//                                            starting at leaf index * 2^level (RFC 6962 hashing)
//   meta   key "audit/frontier"           -> crypto::merkle::CompactRange::Serialize() of the tree
// Start-up reads the frontier and checks the last leaf against the stored hash: O(log n), not
// O(n).
#ifndef REGISTRY_STORAGE_AUDIT_LOG_H_
#define REGISTRY_STORAGE_AUDIT_LOG_H_

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "crypto/merkle.h"
#include "registry/v1/audit.pb.h"
#include "storage/database.h"

namespace registry::storage {

// The deterministic byte form of an event: protobuf serialization with deterministic ordering.
// Our AuditEvent has no map fields, so this is fields in number order.
std::string SerializeEvent(const registry::v1::AuditEvent& event);

class AuditLog {
 public:
  struct Head {
    uint64_t size = 0;
    std::string root;  // 32 bytes
  };

  // Opens the log stored in db (not owned). DataLoss when the stored tree state does not match
  // the stored events.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(Database* db, const Clock* clock);

  // Assigns the event its sequence number and time, and commits it with `mutations` (may be
  // null) in one synced batch. Returns the sequence number. Unavailable when the write fails;
  // then nothing of the batch is stored.
  absl::StatusOr<uint64_t> Append(registry::v1::AuditEvent event,
                                  rocksdb::WriteBatch* mutations);

  ~AuditLog();

  Head CurrentHead() const;

  // The stored bytes of event `index`. NotFound past the end; DataLoss when missing inside it.
  absl::StatusOr<std::string> ReadEvent(uint64_t index) const;

  // Calls fn(index, bytes) for events in [start, end) in order until fn returns false. DataLoss
  // when an event inside the log is missing (the calls before it have been made).
  absl::Status Scan(uint64_t start, uint64_t end,
                    const std::function<bool(uint64_t, absl::string_view)>& fn) const;

  // RFC 9162 proofs and roots for tree sizes up to the current size. InvalidArgument for
  // out-of-range sizes.
  absl::StatusOr<std::vector<std::string>> InclusionProof(uint64_t index, uint64_t size) const;
  absl::StatusOr<std::vector<std::string>> ConsistencyProof(uint64_t first_size,
                                                            uint64_t second_size) const;
  absl::StatusOr<std::string> RootAt(uint64_t size) const;

 private:
  struct Writer;
  class StoredNodes;

  AuditLog(Database* db, const Clock* clock, crypto::merkle::CompactRange frontier);

  // Builds and writes one group; called by the leader without mu_ held.
  absl::Status WriteGroup(const std::vector<Writer*>& group,
                          crypto::merkle::CompactRange* frontier, absl::Time* last_time);

  Database* const db_;
  const Clock* const clock_;
  std::unique_ptr<StoredNodes> nodes_;

  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<Writer*> queue_ ABSL_GUARDED_BY(mu_);
  bool leader_active_ ABSL_GUARDED_BY(mu_) = false;
  crypto::merkle::CompactRange frontier_ ABSL_GUARDED_BY(mu_);
  absl::Time last_time_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_AUDIT_LOG_H_
