// KeyRotationState: how far an unfinished key rotation has got, in the meta family:
//   "rotation/target" = the KEK version being rotated to (decimal)
//   "rotation/cursor" = the last record id whose data key was re-wrapped
// Every change is staged into a PendingWrite, so that it commits with its audit event.
#ifndef REGISTRY_STORAGE_KEY_ROTATION_STATE_H_
#define REGISTRY_STORAGE_KEY_ROTATION_STATE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/database.h"
#include "storage/record_store.h"

namespace registry::storage {

// Thread-compatible; KeyRotator serializes its use.
class KeyRotationState {
 public:
  struct Progress {
    uint32_t target = 0;
    std::string cursor;  // "" before the first batch
  };

  // `db` is not owned and must outlive this object.
  explicit KeyRotationState(Database* db) : db_(db) {}

  // The unfinished rotation, or nullopt when none is recorded. DataLoss when the target is not a
  // version number.
  absl::StatusOr<std::optional<Progress>> Get() const;

  void StageStart(uint32_t target, PendingWrite* w) const;
  void StageCursor(absl::string_view last_record_id, PendingWrite* w) const;
  void StageDone(PendingWrite* w) const;

 private:
  Database* const db_;
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_KEY_ROTATION_STATE_H_
