// Fuzzes the key file loader (server/key_file.h), as registryd reads it at start-up: the input is
// written as the key file (mode 0600) and loaded. Must never crash. A file that loads must give a
// usable keyring: a data key wrapped under it unwraps again, under the current version.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/key_file.h"

namespace {

const std::string& Path() {
  static const std::string* path = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string dir = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp",
                                   "/key-file-fuzzer-XXXXXX");
    if (mkdtemp(dir.data()) == nullptr) std::abort();
    static std::string* made = new std::string(dir);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(*made, ignored);
    });
    return new std::string(dir + "/keys.json");
  }();
  return *path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = open(Path().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) std::abort();
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) std::abort();
  close(fd);
  auto keys = registry::server::LoadKeyFile(Path());
  if (!keys.ok()) return 0;
  const registry::crypto::SecretBytes dek(std::string(32, '\x42'));
  const std::string record_id = "0123456789abcdef0123456789abcdef";
  auto wrapped = keys->keyring->WrapDek(dek, record_id);
  if (!wrapped.ok()) std::abort();
  auto version = registry::crypto::Keyring::WrappedVersion(*wrapped);
  if (!version.ok() || *version != keys->keyring->current_version()) std::abort();
  auto unwrapped = keys->keyring->UnwrapDek(*wrapped, record_id);
  if (!unwrapped.ok()) std::abort();
  return 0;
}
