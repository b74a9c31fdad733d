// Converts RocksDB statuses to absl statuses, once, at the storage boundary.
#ifndef REGISTRY_STORAGE_ROCKSDB_STATUS_H_
#define REGISTRY_STORAGE_ROCKSDB_STATUS_H_

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace registry::storage {

// Maps a RocksDB status to the most specific absl code: NotFound -> kNotFound,
// Corruption -> kDataLoss, IOError/Busy/TimedOut/TryAgain -> kUnavailable,
// InvalidArgument -> kInvalidArgument, anything else -> kInternal. The message keeps RocksDB's
// text for the server log; the server never sends it to a client.
absl::Status FromRocksDb(const rocksdb::Status& s);

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_ROCKSDB_STATUS_H_
