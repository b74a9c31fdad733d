// WritesRefused: the write fault injector of a look at a data folder that must write nothing
// (--check_config; the read-only look that decides a start's or --confirm_clock's refusals
// before the folder is opened to write, RefuseBeforeWriting). The database is opened
// read-only there, so RocksDB itself writes nothing; the storage classes write only in a few
// cases when they open (a database that holds nothing yet, a key-encryption key made current
// while registryd was stopped, the count of a write a crash cut off). Every such write is
// refused, and remembered, so that the look can tell a step that only wanted to write (which
// start-up takes) from what it read.
#ifndef REGISTRY_SERVER_WRITES_REFUSED_H_
#define REGISTRY_SERVER_WRITES_REFUSED_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "storage/database.h"

namespace registry::server {

// Thread-safe. Set as storage::StorageSeams::fault_injector of the look's open; must outlive
// the database opened with it.
class WritesRefused : public storage::WriteFaultInjector {
 public:
  // `why`: the message of the FailedPrecondition every write is refused with.
  explicit WritesRefused(std::string why) : why_(std::move(why)) {}

  absl::Status BeforeWrite() override {
    ++count_;
    return absl::FailedPreconditionError(why_);
  }

  // Whether a write was tried (and refused) since the look began.
  bool tried() const { return count_ > 0; }
  // How many writes were tried (and refused) since the look began: a step that tried none
  // failed for what it read.
  uint64_t count() const { return count_; }

 private:
  const std::string why_;
  std::atomic<uint64_t> count_{0};
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_WRITES_REFUSED_H_
