#include "server/key_rotator.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/key_file.h"

namespace registry::server {
namespace {

constexpr char kTargetKey[] = "rotation/target";
constexpr char kCursorKey[] = "rotation/cursor";

}  // namespace

absl::StatusOr<KeyRotator::Result> KeyRotator::RunLocked() {
  Result result;
  ASSIGN_OR_RETURN(std::optional<std::string> target, db_->Get(storage::Cf::kMeta, kTargetKey));
  result.current_kek_version = keys_->Get()->current_version();
  if (!target.has_value()) return result;
  uint32_t version = 0;
  if (!absl::SimpleAtoi(*target, &version) || version != result.current_kek_version) {
    return absl::FailedPreconditionError(
        absl::StrCat("an interrupted rotation targets KEK version ", *target,
                     " but the key file's current version is ", result.current_kek_version));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> cursor, db_->Get(storage::Cf::kMeta, kCursorKey));
  std::string after = cursor.value_or("");
  int batches = 0;
  while (true) {
    if (fail_after_batches_ > 0 && batches == fail_after_batches_) {
      return absl::UnavailableError("rotation interrupted (test)");
    }
    ASSIGN_OR_RETURN(std::string last, records_->RewrapBatch(after, batch_size_,
                                                             &result.rewrapped));
    ++batches;
    if (last.empty()) break;
    rocksdb::WriteBatch progress;
    progress.Put(db_->cf(storage::Cf::kMeta), kCursorKey, last);
    RETURN_IF_ERROR(db_->Write(&progress));
    after = last;
  }
  rocksdb::WriteBatch done;
  done.Delete(db_->cf(storage::Cf::kMeta), kTargetKey);
  done.Delete(db_->cf(storage::Cf::kMeta), kCursorKey);
  RETURN_IF_ERROR(db_->Write(&done));
  return result;
}

absl::StatusOr<KeyRotator::Result> KeyRotator::Resume() {
  absl::MutexLock lock(&mu_);
  return RunLocked();
}

absl::StatusOr<KeyRotator::Result> KeyRotator::Rotate() {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(Result resumed, RunLocked());
  ASSIGN_OR_RETURN(registry::v1::KeyFile file, ReadKeyFile(key_file_));
  ASSIGN_OR_RETURN(uint32_t version, AddKek(&file, clock_->Now()));
  ASSIGN_OR_RETURN(KeyMaterial material, KeyMaterialFrom(file));
  RETURN_IF_ERROR(WriteKeyFile(key_file_, file, /*overwrite=*/true));
  keys_->Set(std::shared_ptr<const crypto::Keyring>(std::move(material.keyring)));
  rocksdb::WriteBatch start;
  start.Put(db_->cf(storage::Cf::kMeta), kTargetKey, absl::StrCat(version));
  start.Delete(db_->cf(storage::Cf::kMeta), kCursorKey);
  RETURN_IF_ERROR(db_->Write(&start));
  ASSIGN_OR_RETURN(Result result, RunLocked());
  result.rewrapped += resumed.rewrapped;
  return result;
}

}  // namespace registry::server
