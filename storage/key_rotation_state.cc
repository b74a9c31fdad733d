#include "storage/key_rotation_state.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/time_format.h"

namespace registry::storage {
namespace {

constexpr char kTargetKey[] = "rotation/target";
constexpr char kCursorKey[] = "rotation/cursor";
constexpr char kCameInPrefix[] = "rotation/came-in/";

}  // namespace

absl::StatusOr<std::optional<KeyRotationState::Progress>> KeyRotationState::Get() const {
  ASSIGN_OR_RETURN(std::optional<std::string> target, db_->Get(Cf::kMeta, kTargetKey));
  if (!target.has_value()) return std::optional<Progress>();
  Progress p;
  if (!absl::SimpleAtoi(*target, &p.target)) {
    return absl::DataLossError("key rotation target is damaged");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> cursor, db_->Get(Cf::kMeta, kCursorKey));
  p.cursor = cursor.value_or("");
  return std::optional<Progress>(std::move(p));
}

void KeyRotationState::StageStart(uint32_t target, PendingWrite* w) const {
  w->batch()->Put(Cf::kMeta, kTargetKey, absl::StrCat(target));
  w->batch()->Delete(Cf::kMeta, kCursorKey);
}

void KeyRotationState::StageCursor(absl::string_view last_record_id, PendingWrite* w) const {
  w->batch()->Put(Cf::kMeta, kCursorKey,
                  last_record_id);
}

void KeyRotationState::StageDone(PendingWrite* w) const {
  w->batch()->Delete(Cf::kMeta, kTargetKey);
  w->batch()->Delete(Cf::kMeta, kCursorKey);
}

void KeyRotationState::StageCameIn(uint32_t version, absl::Time at, PendingWrite* w) const {
  w->batch()->Put(Cf::kMeta, absl::StrCat(kCameInPrefix, version),
                  FormatInstant(at, /*micros=*/true));
}

absl::StatusOr<std::optional<absl::Time>> KeyRotationState::CameIn(uint32_t version) const {
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   db_->Get(Cf::kMeta, absl::StrCat(kCameInPrefix, version)));
  if (!stored.has_value()) return std::optional<absl::Time>();
  absl::StatusOr<absl::Time> at = ParseInstant(*stored);
  if (!at.ok()) {
    return absl::DataLossError(
        absl::StrCat("the time KEK version ", version, " came in is damaged"));
  }
  return std::optional<absl::Time>(*at);
}

}  // namespace registry::storage
