// KeyringHolder: the keyring in force, swappable at run time when keys are rotated.
//
// Readers take a shared_ptr snapshot for the duration of one operation, so a rotation never
// changes keys under a half-done write.
#ifndef REGISTRY_STORAGE_KEYRING_HOLDER_H_
#define REGISTRY_STORAGE_KEYRING_HOLDER_H_

#include <memory>

#include "absl/synchronization/mutex.h"
#include "crypto/keyring.h"

namespace registry::storage {

// Thread-safe.
class KeyringHolder {
 public:
  explicit KeyringHolder(std::shared_ptr<const crypto::Keyring> keyring)
      : keyring_(std::move(keyring)) {}

  std::shared_ptr<const crypto::Keyring> Get() const {
    absl::MutexLock lock(&mu_);
    return keyring_;
  }
  void Set(std::shared_ptr<const crypto::Keyring> keyring) {
    absl::MutexLock lock(&mu_);
    keyring_ = std::move(keyring);
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const crypto::Keyring> keyring_ ABSL_GUARDED_BY(mu_);
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_KEYRING_HOLDER_H_
