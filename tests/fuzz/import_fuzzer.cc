// Fuzzes the bulk-import parsers of registry-cli (CSV and JSON lines). Must never crash.
#include <cstdint>

#include "client/record_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  (void)registry::client::ParseImportCsv(text);
  (void)registry::client::ParseImportJsonLines(text);
  return 0;
}
