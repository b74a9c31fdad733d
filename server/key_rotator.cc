#include "server/key_rotator.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "registry/v1/admin.pb.h"
#include "registry/v1/audit.pb.h"
#include "server/key_file.h"
#include "server/method_table.h"

namespace registry::server {
namespace {

constexpr char kActor[] = "system:key-rotation";

}  // namespace

absl::Status KeyRotator::Commit(storage::PendingWrite* w, std::string what, std::string detail) {
  registry::v1::AuditEvent event;
  event.set_actor(kActor);
  event.set_action(ActionOf(registry::v1::RotateKeysRequest::descriptor()));
  event.set_reference(std::move(what));
  if (!detail.empty()) event.set_detail(std::move(detail));
  return audit_->Append(std::move(event), w).status();
}

absl::StatusOr<KeyRotator::Result> KeyRotator::RunLocked() {
  Result result;
  ASSIGN_OR_RETURN(std::optional<storage::KeyRotationState::Progress> progress, state_.Get());
  result.current_kek_version = keys_->Get()->current_version();
  if (!progress.has_value()) return result;
  const uint32_t version = result.current_kek_version;
  std::string after = progress->cursor;
  if (progress->target != version) {
    // The key file moved on since the rotation was recorded (a backup restored from the middle
    // of a rotation, with the key file of a later one), or its new KEK was never written (a
    // rotation that stopped before the key file): data keys before the cursor are under the
    // recorded target, those after it under older KEKs. Re-wrapping every one under the current
    // KEK finishes both.
    storage::PendingWrite w;
    state_.StageStart(version, &w);
    RETURN_IF_ERROR(Commit(&w, absl::StrCat("kek-v", progress->target,
                                            " interrupted; the key file is at kek-v", version,
                                            ": every data key is re-wrapped under it")));
    after.clear();
  }
  int batches = 0;
  while (true) {
    if (fail_after_batches_ > 0 && batches == fail_after_batches_) {
      return absl::UnavailableError("rotation interrupted (test)");
    }
    storage::PendingWrite w;
    uint64_t rewrapped = 0;
    ASSIGN_OR_RETURN(std::string last,
                     records_->StageRewrapBatch(after, batch_size_, &rewrapped, &w));
    ++batches;
    if (last.empty()) {
      // Every head is re-written, but the files and the write-ahead log still hold each one as
      // it was, its data key under the old KEK: whoever held that KEK alone would open every
      // record in the data folder, and in each backup made after the rotation (which shares the
      // files). Only once those bytes are gone is the rotation finished: `registryd
      // --retire_kek` counts the backups made before then as needing the old KEK.
      RETURN_IF_ERROR(records_->RemoveOverwrittenBytes());
      state_.StageDone(&w);
      RETURN_IF_ERROR(Commit(&w, absl::StrCat("kek-v", version, " finished")));
      break;
    }
    state_.StageCursor(last, &w);
    RETURN_IF_ERROR(Commit(&w, absl::StrCat("kek-v", version, " batch ", batches, ": ",
                                            rewrapped, " re-wrapped")));
    result.rewrapped += rewrapped;
    after = last;
  }
  return result;
}

absl::StatusOr<KeyRotator::Result> KeyRotator::Resume() {
  absl::MutexLock lock(&mu_);
  return RunLocked();
}

absl::StatusOr<KeyRotator::Result> KeyRotator::Rotate(absl::string_view requested_by) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(Result resumed, RunLocked());
  ASSIGN_OR_RETURN(registry::v1::KeyFile file, ReadKeyFile(key_file_));
  // Read before the key exists: `registryd --retire_kek` holds that no data key was wrapped
  // under it earlier (KeyRotationState::CameIn).
  const absl::Time made_at = clock_->Now();
  ASSIGN_OR_RETURN(uint32_t version, AddKek(&file, made_at));
  ASSIGN_OR_RETURN(KeyMaterial material, KeyMaterialFrom(file));
  // The event first: a key file changed without it would leave a KEK no audit event names, and
  // the officer, told the call failed, would keep no copy of it. A rotation recorded whose key
  // file was then not written is closed at once (or, after a crash, by RunLocked).
  storage::PendingWrite start;
  state_.StageStart(version, &start);
  state_.StageCameIn(version, made_at, &start);
  RETURN_IF_ERROR(Commit(&start, absl::StrCat("kek-v", version, " started"),
                         absl::StrCat("asked by ", requested_by)));
  if (absl::Status written = WriteKeyFile(key_file_, file, /*overwrite=*/true); !written.ok()) {
    storage::PendingWrite abandon;
    state_.StageDone(&abandon);
    const absl::Status closed =
        Commit(&abandon, absl::StrCat("kek-v", version, " abandoned: the key file was not written"));
    if (!closed.ok()) return closed;
    return written;
  }
  keys_->Set(std::shared_ptr<const crypto::Keyring>(std::move(material.keyring)));
  ASSIGN_OR_RETURN(Result result, RunLocked());
  result.rewrapped += resumed.rewrapped;
  return result;
}

}  // namespace registry::server
