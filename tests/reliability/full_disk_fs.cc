#include "tests/reliability/full_disk_fs.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <utility>

namespace registry::testing {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

constexpr int64_t kPlenty = int64_t{1} << 40;

// A file on the full disk: every byte appended or preallocated comes out of the disk's free
// space.
class FullDiskFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FullDiskFile(std::unique_ptr<rocksdb::FSWritableFile> file, FullDiskFileSystem* disk,
               const std::string& fname)
      : FSWritableFileOwnerWrapper(std::move(file)),
        disk_(disk),
        log_(fname.size() > 4 && fname.compare(fname.size() - 4, 4, ".log") == 0) {}

  IOStatus Append(const Slice& data, const IOOptions& options, IODebugContext* dbg) override {
    if (log_) {
      IOStatus fault = disk_->TakeLogFault(/*sync=*/false);
      if (!fault.ok()) return fault;
    }
    uint64_t fits = 0;
    if (disk_->Take(data.size(), &fits)) return target()->Append(data, options, dbg);
    // A short write, then the error: the file ends inside what was being appended.
    if (fits > 0 && disk_->Take(fits, &fits)) {
      target()->Append(Slice(data.data(), fits), options, dbg).PermitUncheckedError();
    }
    disk_->Refused();
    return IOStatus::NoSpace("no space left on device (FullDiskFileSystem)");
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& /*info*/, IODebugContext* dbg) override {
    return Append(data, options, dbg);
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            IODebugContext* dbg) override {
    uint64_t fits = 0;
    if (!disk_->Take(data.size(), &fits)) {
      disk_->Refused();
      return IOStatus::NoSpace("no space left on device (FullDiskFileSystem)");
    }
    return target()->PositionedAppend(data, offset, options, dbg);
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            const rocksdb::DataVerificationInfo& /*info*/,
                            IODebugContext* dbg) override {
    return PositionedAppend(data, offset, options, dbg);
  }
  // Preallocation reserves blocks: on a full disk fallocate fails. (The space it would take is
  // not counted: the appends that fill it are.)
  IOStatus Allocate(uint64_t offset, uint64_t len, const IOOptions& options,
                    IODebugContext* dbg) override {
    if (disk_->free() == 0) {
      disk_->Refused();
      return IOStatus::NoSpace("no space left on device (FullDiskFileSystem)");
    }
    return target()->Allocate(offset, len, options, dbg);
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    IOStatus fault = log_ ? disk_->TakeLogFault(/*sync=*/true) : IOStatus::OK();
    return fault.ok() ? target()->Sync(options, dbg) : fault;
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    IOStatus fault = log_ ? disk_->TakeLogFault(/*sync=*/true) : IOStatus::OK();
    return fault.ok() ? target()->Fsync(options, dbg) : fault;
  }

 private:
  FullDiskFileSystem* disk_;
  const bool log_;  // a write-ahead log
};

}  // namespace

FullDiskFileSystem::FullDiskFileSystem()
    : FileSystemWrapper(rocksdb::FileSystem::Default()), free_(kPlenty) {}

uint64_t FullDiskFileSystem::free() const {
  return static_cast<uint64_t>(std::max<int64_t>(0, free_.load()));
}

bool FullDiskFileSystem::Take(uint64_t n, uint64_t* fits) {
  int64_t have = free_.load();
  while (true) {
    if (have < static_cast<int64_t>(n)) {
      *fits = static_cast<uint64_t>(std::max<int64_t>(0, have));
      return false;
    }
    if (free_.compare_exchange_weak(have, have - static_cast<int64_t>(n))) return true;
  }
}

void FullDiskFileSystem::FailNextLogSync(IOStatus error) {
  std::lock_guard<std::mutex> lock(fault_mu_);
  sync_fault_ = std::move(error);
}

void FullDiskFileSystem::FailNextLogAppend(IOStatus error) {
  std::lock_guard<std::mutex> lock(fault_mu_);
  append_fault_ = std::move(error);
}

IOStatus FullDiskFileSystem::TakeLogFault(bool sync) {
  std::lock_guard<std::mutex> lock(fault_mu_);
  IOStatus& fault = sync ? sync_fault_ : append_fault_;
  IOStatus taken = fault;
  fault = IOStatus::OK();
  return taken;
}

IOStatus FullDiskFileSystem::NewWritableFile(const std::string& fname,
                                             const rocksdb::FileOptions& options,
                                             std::unique_ptr<rocksdb::FSWritableFile>* result,
                                             IODebugContext* dbg) {
  // A new file needs at least a block for itself and its directory entry.
  if (free() == 0) {
    Refused();
    return IOStatus::NoSpace("no space left on device (FullDiskFileSystem)");
  }
  std::unique_ptr<rocksdb::FSWritableFile> file;
  IOStatus s = target()->NewWritableFile(fname, options, &file, dbg);
  if (s.ok()) *result = std::make_unique<FullDiskFile>(std::move(file), this, fname);
  return s;
}

IOStatus FullDiskFileSystem::ReopenWritableFile(const std::string& fname,
                                                const rocksdb::FileOptions& options,
                                                std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  IOStatus s = target()->ReopenWritableFile(fname, options, &file, dbg);
  if (s.ok()) *result = std::make_unique<FullDiskFile>(std::move(file), this, fname);
  return s;
}

IOStatus FullDiskFileSystem::ReuseWritableFile(const std::string& fname,
                                               const std::string& old_fname,
                                               const rocksdb::FileOptions& options,
                                               std::unique_ptr<rocksdb::FSWritableFile>* result,
                                               IODebugContext* dbg) {
  std::unique_ptr<rocksdb::FSWritableFile> file;
  IOStatus s = target()->ReuseWritableFile(fname, old_fname, options, &file, dbg);
  if (s.ok()) *result = std::make_unique<FullDiskFile>(std::move(file), this, fname);
  return s;
}

IOStatus FullDiskFileSystem::DeleteFile(const std::string& fname, const IOOptions& options,
                                        IODebugContext* dbg) {
  uint64_t size = 0;
  const bool sized = target()->GetFileSize(fname, options, &size, dbg).ok();
  IOStatus s = target()->DeleteFile(fname, options, dbg);
  if (s.ok() && sized) free_.fetch_add(static_cast<int64_t>(size));
  return s;
}

IOStatus FullDiskFileSystem::GetFreeSpace(const std::string& /*path*/,
                                          const IOOptions& /*options*/, uint64_t* diskfree,
                                          IODebugContext* /*dbg*/) {
  const int64_t fill = fill_after_look_.exchange(-1);
  if (fill < 0) {
    *diskfree = free();
  } else {
    *diskfree = kPlenty;
    free_.store(fill);
  }
  return IOStatus::OK();
}

}  // namespace registry::testing
