// ProbeTableFiles: learns, in a child process, whether RocksDB can open every table file of a
// data directory without ending the process.
//
// RocksDB checks each block of a table file against its checksum before it reads the block, with
// one exception: the properties block, which it parses first and checks afterwards (so that files
// ingested with a rewritten sequence number still open). Debian's RocksDB is built with its
// assertions on, and some damaged properties blocks (a flipped bit in the word that says how the
// block is indexed) fail an assertion while they are parsed: the process aborts instead of
// getting a Corruption status. A flipped byte in a stolen-and-returned data directory could then
// make registryd abort at every start, with no word of which file is damaged.
//
// So before registryd opens a data directory, a child process opens each table file the way
// RocksDB will (footer, meta-index, properties, index and filter) and reports which file it was
// reading when it died. The child reads only; the parent never parses a table file.
//
//   RETURN_IF_ERROR(storage::ProbeTableFiles(config.data_dir()));  // before any thread starts
//   ASSIGN_OR_RETURN(auto db, storage::Database::Open(options));
#ifndef REGISTRY_STORAGE_TABLE_PROBE_H_
#define REGISTRY_STORAGE_TABLE_PROBE_H_

#include <functional>
#include <string>

#include "absl/status/status.h"

namespace registry::storage {

struct TableProbeOptions {
  // Tests only: runs in the child before each file is opened (e.g. to make the child abort).
  std::function<void(const std::string& path)> before_open;
};

// Opens every "*.sst" file directly in `dir` in a forked child. DataLoss naming the file when the
// child died of a signal while opening it (the file is damaged: restore from a backup); OK when
// every file opened or returned an error (Database::Open reports those itself), and when `dir`
// does not exist. Internal when the child cannot be started. Forks: call it before the process
// starts threads.
absl::Status ProbeTableFiles(const std::string& dir, const TableProbeOptions& options = {});

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_TABLE_PROBE_H_
