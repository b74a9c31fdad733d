// KeyRotator: adds a key-encryption key version and re-wraps every record's data key under it,
// in batches, without decrypting any record. Resumable: progress lives in the database
// (storage::KeyRotationState: the KEK version being rotated to and the last record id done), and
// an interrupted rotation is finished by Resume() at start-up or by the next Rotate().
//
// Every change it makes commits with its own audit event (actor "system:key-rotation", action
// RotateKeys): the start, each batch with the cursor it advances to, and the end.
//
// Order of effects, so that a crash at any point is safe:
//   1. the target recorded, with its "started" event (nothing else changes when the audit log
//      cannot be written);
//   2. key file rewritten with the new KEK as current (atomic rename); old KEKs stay in it; when
//      it cannot be written, the rotation is closed as "abandoned";
//   3. keyring in memory swapped: new records use the new KEK;
//   4. batches re-wrap and advance the cursor;
//   5. the target and cursor deleted when every data key is under the new KEK.
// A recorded target that is not the key file's current KEK (a crash between 1 and 2, or a backup
// restored from the middle of a rotation beside the key file of a later one) is finished by
// re-wrapping every data key under the current KEK.
// Until (4), the old KEK must stay in the key file; afterwards `registryd --retire_kek N` may
// remove it (it refuses while any data key still uses N).
#ifndef REGISTRY_SERVER_KEY_ROTATOR_H_
#define REGISTRY_SERVER_KEY_ROTATOR_H_

#include <string>

#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/key_rotation_state.h"
#include "storage/keyring_holder.h"
#include "storage/record_store.h"

namespace registry::server {

class KeyRotator {
 public:
  struct Result {
    uint32_t current_kek_version = 0;
    uint64_t rewrapped = 0;
  };

  // None owned.
  KeyRotator(std::string key_file, storage::Database* db, storage::RecordStore* records,
             storage::KeyringHolder* keys, storage::AuditLog* audit, const Clock* clock)
      : key_file_(std::move(key_file)),
        state_(db),
        records_(records),
        keys_(keys),
        audit_(audit),
        clock_(clock) {}

  // Finishes an interrupted rotation if any, then adds a KEK and re-wraps everything.
  // `requested_by` (the caller's actor) is named in the event that records the new KEK: a
  // rotation a crash cut short is finished at the next start, and the caller's own event, written
  // when the call ends, is then never written.
  absl::StatusOr<Result> Rotate(absl::string_view requested_by);

  // Finishes an interrupted rotation, if one is recorded. Start-up calls it.
  absl::StatusOr<Result> Resume();

  // Test seam: fail (as a crash would) after this many batches. 0 = never.
  void FailAfterBatchesForTesting(int n) { fail_after_batches_ = n; }
  // Records per batch. Default 500.
  void SetBatchSizeForTesting(size_t n) { batch_size_ = n; }

 private:
  absl::StatusOr<Result> RunLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Commits `w` with a system event whose reference is `what` and detail `detail`.
  absl::Status Commit(storage::PendingWrite* w, std::string what, std::string detail = "");

  const std::string key_file_;
  const storage::KeyRotationState state_;
  storage::RecordStore* const records_;
  storage::KeyringHolder* const keys_;
  storage::AuditLog* const audit_;
  const Clock* const clock_;
  absl::Mutex mu_;
  int fail_after_batches_ = 0;
  size_t batch_size_ = 500;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_KEY_ROTATOR_H_
