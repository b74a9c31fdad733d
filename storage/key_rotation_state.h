// KeyRotationState: how far an unfinished key rotation has got, in the meta family:
//   "rotation/target" = the KEK version being rotated to (decimal)
//   "rotation/cursor" = the last record id whose data key was re-wrapped
//   "rotation/came-in/" + version (decimal) = when a rotation made that KEK version (RFC 3339
//                                            with microseconds); kept for good
// Every change is staged into a PendingWrite, so that it commits with its audit event.
#ifndef REGISTRY_STORAGE_KEY_ROTATION_STATE_H_
#define REGISTRY_STORAGE_KEY_ROTATION_STATE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
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

  // Records that a rotation makes KEK `version` now: `at` is a clock reading taken before the
  // key itself existed, so no data key anywhere (in this database, in any backup or copy of it)
  // can have been wrapped under it before `at`. StageDone leaves it.
  void StageCameIn(uint32_t version, absl::Time at, PendingWrite* w) const;
  // What StageCameIn recorded for `version`, or nullopt when nothing was: the first version
  // (made with the key file), one a key file was given by hand, every version rotated in before
  // this was recorded, and one whose rotation is in another copy of the data (restored from a
  // backup older than it). Callers then know no time before which the version was unused.
  // DataLoss when the record is not a time.
  absl::StatusOr<std::optional<absl::Time>> CameIn(uint32_t version) const;

 private:
  Database* const db_;
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_KEY_ROTATION_STATE_H_
