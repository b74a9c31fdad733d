// KeyFolderLock: the lock that tells that a registryd uses the files kept beside its key file,
// the erasure ledger and the audit watermark, which a second installation's config may name too
// (another data_dir, the same key folder).
//
// Every registryd that may write them (a start, and every offline mode but the read-only ones)
// holds an exclusive flock on "<file>.lock" beside each of them for as long as it runs: a
// restore under such a config, started while the registry runs, would otherwise put the live
// registry's watermark back to the restored copy's log, and the live registry would no longer
// start. Within one process the lock is shared: a restore that holds it opens the storage, which
// takes it again, without refusing itself.
//
//   ASSIGN_OR_RETURN(std::shared_ptr<const KeyFolderLock> lock,
//                    KeyFolderLock::Take({config.erasure_ledger_file(),
//                                         config.audit_watermark_file()}));
#ifndef REGISTRY_STORAGE_KEY_FOLDER_LOCK_H_
#define REGISTRY_STORAGE_KEY_FOLDER_LOCK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace registry::storage {

class KeyFolderLock {
 public:
  // Takes the lock of each of `files`, in order. FailedPrecondition, naming the lock file and
  // saying to stop that registryd first, when another process holds one; Unavailable when a lock
  // file cannot be opened or made (mode 0600). A file whose folder does not exist has no lock to
  // take (nothing of it can be there yet). The locks are let go when the last holder in this
  // process drops the result.
  static absl::StatusOr<std::shared_ptr<const KeyFolderLock>> Take(
      const std::vector<std::string>& files);

  // "<file>.lock".
  static std::string LockPathOf(const std::string& file);

  struct Held;

 private:
  explicit KeyFolderLock(std::vector<std::shared_ptr<Held>> held) : held_(std::move(held)) {}

  std::vector<std::shared_ptr<Held>> held_;
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_KEY_FOLDER_LOCK_H_
