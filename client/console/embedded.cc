#include "client/console/embedded.h"

namespace registry::console {

std::optional<absl::string_view> EmbeddedFileContents(absl::string_view name) {
  for (size_t i = 0; i < kEmbeddedFileCount; ++i) {
    if (name == kEmbeddedFiles[i].name) {
      return absl::string_view(kEmbeddedFiles[i].data, kEmbeddedFiles[i].size);
    }
  }
  return std::nullopt;
}

}  // namespace registry::console
