// PendingWrite: changes staged by storage classes, ready to commit with their audit event.
//
// Every storage class that changes the database stages into a PendingWrite (RecordStore's
// Prepare*, CheckStore::Stage, ErasureLedger::StageApplied, KeyRotationState::Stage*, ...), and
// the one writer, AuditLog::Append, commits it together with the call's event in one synced
// batch. Callers above storage/ pass it along; they never see the batch inside.
//
//   ASSIGN_OR_RETURN(storage::PendingWrite w, records->PrepareCreate(person, conviction, meta));
//   RETURN_IF_ERROR(checks->Stage(token, now, check, &w));
//   ASSIGN_OR_RETURN(uint64_t seq, audit->Append(std::move(event), &w));
#ifndef REGISTRY_STORAGE_PENDING_WRITE_H_
#define REGISTRY_STORAGE_PENDING_WRITE_H_

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "registry/v1/records.pb.h"
#include "storage/database.h"
#include "storage/stored.pb.h"

namespace registry::storage {

// Changes ready to commit, and the locks that keep them valid until then. Move-only.
class PendingWrite {
 public:
  PendingWrite() = default;
  PendingWrite(PendingWrite&&) = default;
  PendingWrite& operator=(PendingWrite&&) = default;
  ~PendingWrite();

  // The staged changes: for storage classes, which stage into it, and for AuditLog, which
  // commits it.
  Batch* batch() { return &batch_; }
  const Batch& staged() const { return batch_; }
  // Ids and hex tokens the write touches, for its audit event.
  const std::vector<std::string>& record_ids() const { return record_ids_; }
  const std::vector<std::string>& tokens() const { return tokens_; }
  // The record's metadata after the write (for the reply).
  const registry::v1::RecordMetadata& metadata() const { return metadata_; }
  // True while records staged by RecordStore::StageCreate wait for RecordStore::StageDates: the
  // dates in force of their persons are not staged yet, and AuditLog::Append refuses to commit.
  bool dates_pending() const { return !undated_persons_.empty(); }

 private:
  friend class RecordStore;
  Batch batch_;
  std::vector<absl::Mutex*> locks_;  // held; released in the destructor
  std::vector<std::string> staged_unique_;  // uniqueness tokens staged in this batch
  std::map<std::string, StoredHead> staged_heads_;  // heads written in this batch, by id
  std::map<std::string, std::set<std::string>> staged_by_person_;  // token -> staged ids
  std::set<std::string> removed_;                   // records erased in this batch
  std::set<std::string> undated_persons_;  // tokens whose dates in force StageDates must stage
  std::vector<std::string> record_ids_;
  std::vector<std::string> tokens_;
  registry::v1::RecordMetadata metadata_;
};

// A long change (an upgrade of the stored form) committed in writes of at most `rows` rows,
// each handed to `commit`, which must write it, with its audit event, before it returns.
using BatchCommitFn = std::function<absl::Status(PendingWrite write, size_t rows)>;
class BatchedCommit {
 public:
  BatchedCommit(size_t rows, const BatchCommitFn& commit) : rows_(rows), commit_(commit) {}

  PendingWrite* write() { return &write_; }

  // One more row staged into write(): a full batch is committed.
  absl::Status RowStaged() {
    if (++in_batch_ < rows_) return absl::OkStatus();
    return CommitBatch();
  }

  // Commits the last, partial batch; returns how many rows were committed in all.
  absl::StatusOr<size_t> Finish() {
    if (in_batch_ > 0) RETURN_IF_ERROR(CommitBatch());
    return committed_;
  }

 private:
  absl::Status CommitBatch() {
    RETURN_IF_ERROR(commit_(std::move(write_), in_batch_));
    committed_ += in_batch_;
    write_ = PendingWrite();
    in_batch_ = 0;
    return absl::OkStatus();
  }

  const size_t rows_;
  const BatchCommitFn& commit_;
  PendingWrite write_;
  size_t in_batch_ = 0;
  size_t committed_ = 0;
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_PENDING_WRITE_H_
