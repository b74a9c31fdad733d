// A main() for the fuzz targets in ordinary builds: feeds each target a fixed-seed stream of
// random and structured inputs so that CI exercises them without libFuzzer. With
// -DREGISTRY_FUZZ=ON the targets link libFuzzer's own main instead.
//
//   record_request_fuzzer 5000     # 5000 inputs
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 2000;
  std::mt19937_64 rng(20261128);
  std::string input;
  for (long i = 0; i < iterations; ++i) {
    const size_t len = rng() % (i % 10 == 0 ? 8192 : 256);
    input.resize(len);
    const int style = static_cast<int>(i % 3);
    for (size_t j = 0; j < len; ++j) {
      const uint64_t r = rng();
      switch (style) {
        case 0:  // arbitrary bytes
          input[j] = static_cast<char>(r);
          break;
        case 1:  // printable text, JSON- and CSV-ish
          input[j] = "{}[]\":,;\n\r 0123456789abcdefXYZ-/.ëçšžčćđПетровић"[r % 52];
          break;
        default:  // protobuf-ish: small varints and tags
          input[j] = static_cast<char>(r % 4 == 0 ? (r >> 8) % 0x80 : (r >> 8) % 0x20);
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  return 0;
}
