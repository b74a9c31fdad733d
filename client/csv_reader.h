// An RFC 4180 CSV reader that remembers on which line of the file each record starts, so that
// import errors can name the line a clerk sees in an editor.
//
//   name,note            -> record at line 1: {"name", "note"}
//   "Kërqeli, A.",two    -> record at line 2: {"Kërqeli, A.", "two"}
//   x,"say ""hi"""       -> record at line 3: {"x", "say \"hi\""}
//
// Fields are separated by commas and records by LF, CRLF or a lone CR (the line end of Excel for
// Mac's "CSV (Macintosh)"). A quoted field may hold commas and doubled quotes, but not a line
// break: unlike RFC 4180, a record is one line, since no value of the registry may hold a line
// break, and a quote whose partner is missing would otherwise take in the next row unseen.
// Blank lines are skipped; a UTF-8 byte order mark at the start is ignored. Errors are kept per record and reading goes on with the next line, so that one run lists
// every broken record of a file.
#ifndef REGISTRY_CLIENT_CSV_READER_H_
#define REGISTRY_CLIENT_CSV_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace registry::client {

struct CsvRecord {
  // 1-based line on which the record starts.
  uint64_t line = 0;
  std::vector<std::string> fields;
  // Empty when the record is well formed; else what is wrong (fields are then incomplete).
  std::string error;
};

// Splits `text` into records. Never fails as a whole: a malformed record carries its error.
std::vector<CsvRecord> ReadCsv(absl::string_view text);

}  // namespace registry::client

#endif  // REGISTRY_CLIENT_CSV_READER_H_
