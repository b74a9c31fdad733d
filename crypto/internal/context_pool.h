// ContextPool: OpenSSL contexts set up once with one key, lent out one operation at a time.
//
// Setting up an OpenSSL 3 context (fetching the algorithm from the provider store under its lock,
// expanding an AES key, hashing an HMAC key into its pads) costs more than a short operation on
// it: a MAC of a hundred bytes, the opening of a few hundred. An object that many threads use
// with one key (AesGcm, HmacSha256Key) keeps its prepared contexts here. A context is taken for
// one operation and given back after it succeeded; one whose operation failed is freed instead,
// as its state is not known. At most kMaxIdle idle contexts are kept; when none is idle a new
// one is prepared. Freeing a context wipes its key material (OpenSSL's free functions clear
// what they free).
//
//   ContextPool<EVP_MAC_CTX, EVP_MAC_CTX_free> pool([this] { return NewKeyedContext(); });
//   ContextPool<...>::Ptr ctx = pool.Take();
//   if (ctx == nullptr) return OpenSslError(...);
//   if (!Compute(ctx.get())) return OpenSslError(...);  // ctx freed
//   pool.Give(std::move(ctx));
#ifndef REGISTRY_CRYPTO_INTERNAL_CONTEXT_POOL_H_
#define REGISTRY_CRYPTO_INTERNAL_CONTEXT_POOL_H_

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "crypto/internal/openssl_util.h"

namespace registry::crypto::internal {

template <typename T, void (*Free)(T*)>
class ContextPool {
 public:
  using Ptr = OpenSslPtr<T, Free>;
  // More than the threads that use one key at once in registryd (gRPC's workers).
  static constexpr size_t kMaxIdle = 64;

  // `prepare` returns a new context set up with the key, or null when OpenSSL fails.
  explicit ContextPool(std::function<Ptr()> prepare) : prepare_(std::move(prepare)) {}
  ContextPool(const ContextPool&) = delete;
  ContextPool& operator=(const ContextPool&) = delete;

  // An idle context, or a newly prepared one; null when preparing fails.
  Ptr Take() const {
    {
      absl::MutexLock lock(&mu_);
      if (!idle_.empty()) {
        Ptr ctx = std::move(idle_.back());
        idle_.pop_back();
        return ctx;
      }
    }
    return prepare_();
  }

  // Returns a context whose operation succeeded; beyond kMaxIdle it is freed.
  void Give(Ptr ctx) const {
    absl::MutexLock lock(&mu_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(ctx));
  }

  size_t idle_for_testing() const {
    absl::MutexLock lock(&mu_);
    return idle_.size();
  }

 private:
  const std::function<Ptr()> prepare_;
  mutable absl::Mutex mu_;
  mutable std::vector<Ptr> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace registry::crypto::internal

#endif  // REGISTRY_CRYPTO_INTERNAL_CONTEXT_POOL_H_
