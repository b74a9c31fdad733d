// An allocator that overwrites memory with OPENSSL_cleanse before giving it back.
//
// A container using it leaves no copy of its bytes in freed memory, whatever path frees the
// buffer: destruction, reallocation on growth, or assignment over an existing value.
//
//   std::vector<uint8_t, CleansingAllocator<uint8_t>> key(32);
//   // ... fill key; the buffer is zeroised when key is destroyed.
#ifndef REGISTRY_CRYPTO_INTERNAL_CLEANSING_ALLOCATOR_H_
#define REGISTRY_CRYPTO_INTERNAL_CLEANSING_ALLOCATOR_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "openssl/crypto.h"

namespace registry::crypto::internal {

template <typename T>
struct CleansingAllocator {
  using value_type = T;
  // Stateless: any instance may free memory from any other, so containers may swap buffers.
  using is_always_equal = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;

  CleansingAllocator() noexcept = default;
  template <typename U>
  CleansingAllocator(const CleansingAllocator<U>&) noexcept {}  // NOLINT: allocator rebind.

  T* allocate(size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, size_t n) noexcept {
    OPENSSL_cleanse(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }

  template <typename U>
  bool operator==(const CleansingAllocator<U>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const CleansingAllocator<U>&) const noexcept {
    return false;
  }
};

// A byte buffer for temporaries that hold key material.
using CleansingBytes = std::vector<uint8_t, CleansingAllocator<uint8_t>>;

}  // namespace registry::crypto::internal

#endif  // REGISTRY_CRYPTO_INTERNAL_CLEANSING_ALLOCATOR_H_
