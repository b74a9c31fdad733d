// Reloadable<T>: a value read from files, replaced when the files change, read by any thread. The
// policy (the policy file) and the revocation state (the client CA bundle and the CRL folder)
// are held in one; their watchers (PollingThread) reload it when Changed().
#ifndef REGISTRY_SERVER_RELOADABLE_H_
#define REGISTRY_SERVER_RELOADABLE_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace registry::server {

// Thread-safe.
template <typename T>
class Reloadable {
 public:
  // `stamp` returns a string that changes when the files change (see FileStamp); `read` reads
  // them. Neither is called before the first Reload.
  Reloadable(std::function<std::string()> stamp,
             std::function<absl::StatusOr<std::shared_ptr<const T>>()> read)
      : stamp_of_files_(std::move(stamp)), read_(std::move(read)) {}

  // The value last read; null before a Reload succeeded.
  std::shared_ptr<const T> Current() const {
    absl::MutexLock lock(&mu_);
    return current_;
  }

  // Re-reads the files. On failure the value in force stays and the error is returned; the
  // files are not read again by a watcher until they change again. Reloads run one at a time,
  // each reading and applying before the next reads: a slow watcher's poll that read the files
  // before a SIGHUP's reload never applies its older reading over the newer one.
  absl::Status Reload() {
    absl::MutexLock one_at_a_time(&reload_mu_);
    const std::string stamp = stamp_of_files_();
    absl::StatusOr<std::shared_ptr<const T>> read = read_();
    absl::MutexLock lock(&mu_);
    stamp_ = stamp;
    if (!read.ok()) return read.status();
    current_ = *std::move(read);
    return absl::OkStatus();
  }

  // Has the next Changed() say true whatever the files' stamp: for a read that failed for a
  // reason of the moment, not of the files (a policy whose audit event could not be written), so
  // that the watcher tries it again rather than waiting for the files to change.
  void ReadAgain() {
    absl::MutexLock lock(&mu_);
    stamp_.clear();
  }

  // Whether the files changed since the last Reload read them.
  bool Changed() const {
    const std::string stamp = stamp_of_files_();
    absl::MutexLock lock(&mu_);
    return stamp != stamp_;
  }

 private:
  const std::function<std::string()> stamp_of_files_;
  const std::function<absl::StatusOr<std::shared_ptr<const T>>()> read_;
  // Held for a whole Reload, read and apply; never while mu_ is waited for by Current alone.
  absl::Mutex reload_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  std::shared_ptr<const T> current_ ABSL_GUARDED_BY(mu_);
  // The files' stamp when last read.
  std::string stamp_ ABSL_GUARDED_BY(mu_);
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_RELOADABLE_H_
