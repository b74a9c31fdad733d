// Files built into registry-console (client/console/embed.cmake): the stylesheet and script its
// pages load and the message catalogs of its languages. Serving them from the binary keeps the
// console one file that needs nothing at run time, and keeps every asset a page loads under the
// console's own origin (the Content-Security-Policy allows no other).
#ifndef REGISTRY_CLIENT_CONSOLE_EMBEDDED_H_
#define REGISTRY_CLIENT_CONSOLE_EMBEDDED_H_

#include <cstddef>
#include <optional>

#include "absl/strings/string_view.h"

namespace registry::console {

struct EmbeddedFile {
  // Relative to client/console/: "assets/console.css", "messages/sq.txt".
  const char* name;
  const char* data;
  size_t size;
};

extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;

// The contents of the embedded file `name`, or nullopt.
std::optional<absl::string_view> EmbeddedFileContents(absl::string_view name);

}  // namespace registry::console

#endif  // REGISTRY_CLIENT_CONSOLE_EMBEDDED_H_
