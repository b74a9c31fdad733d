// FuzzInput: reads a fuzzer's bytes as a sequence of small choices and strings, the same way under
// libFuzzer and under the deterministic driver (fuzz_driver.cc). Reading past the end yields zeros
// and empty strings, so every input, however short, is a complete case.
#ifndef REGISTRY_TESTS_FUZZ_FUZZ_INPUT_H_
#define REGISTRY_TESTS_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace registry::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  size_t remaining() const { return pos_ < size_ ? size_ - pos_ : 0; }

  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  bool Bool() { return (Byte() & 1) != 0; }

  // A number in [0, max], from as many bytes as max needs.
  uint64_t Uint(uint64_t max) {
    uint64_t v = 0;
    for (uint64_t m = max; m != 0; m >>= 8) v = (v << 8) | Byte();
    return max == UINT64_MAX ? v : v % (max + 1);
  }

  // A string of 0..max_len bytes: one length byte (scaled to max_len), then the bytes.
  std::string Bytes(size_t max_len) {
    size_t len = Byte();
    if (max_len > 255) len = len * max_len / 255;
    if (len > max_len) len = max_len;
    return Take(len);
  }

  // Exactly n bytes (fewer when the input ends).
  std::string Take(size_t n) {
    if (n > remaining()) n = remaining();
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }

  std::string Rest() { return Take(remaining()); }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace registry::fuzz

#endif  // REGISTRY_TESTS_FUZZ_FUZZ_INPUT_H_
