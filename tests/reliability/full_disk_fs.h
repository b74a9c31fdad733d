// FullDiskFileSystem: RocksDB's files on the real file system, on a disk whose free space the
// test sets. Appends that do not fit fail with IOStatus::NoSpace after writing the part that fits
// (as write(2) on a full ext4 does: a short write, then ENOSPC), new files cannot be created or
// preallocated without space, deleting a file gives its bytes back, and GetFreeSpace reports what
// is left. So RocksDB sees the errors of a real full disk, through its own error handling (its
// background error, the write stall, Resume), with no privileges and on any machine; a loop
// device or a small tmpfs would need a mount.
//
//   auto fs = std::make_shared<FullDiskFileSystem>();
//   std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
//   options.storage_env = env.get();
//   fs->SetFree(0);            // the disk is full
//   fs->SetFree(1ull << 30);   // space is back
#ifndef REGISTRY_TESTS_RELIABILITY_FULL_DISK_FS_H_
#define REGISTRY_TESTS_RELIABILITY_FULL_DISK_FS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "rocksdb/file_system.h"

namespace registry::testing {

class FullDiskFileSystem : public rocksdb::FileSystemWrapper {
 public:
  // Plenty of space until SetFree says otherwise.
  FullDiskFileSystem();

  static const char* kClassName() { return "RegistryFullDiskFileSystem"; }
  const char* Name() const override { return kClassName(); }

  // The bytes that may still be written.
  void SetFree(uint64_t bytes) { free_.store(static_cast<int64_t>(bytes)); }
  uint64_t free() const;
  // A disk that fills between the registry's look at the free space and its write (another
  // process took the space), so that the write itself meets the full disk: the next look
  // (GetFreeSpace) reports plenty, and from then on `room` bytes are left. Until that look the
  // space is as it was, so that a background job that meets the full disk first (and looks at the
  // free space itself, as RocksDB does after a failed write) cannot take the look meant for the
  // registry.
  void FillAfterNextLook(uint64_t room) { fill_after_look_.store(static_cast<int64_t>(room)); }
  // How many operations failed for want of space.
  uint64_t refusals() const { return refusals_.load(); }

  // The next sync (fsync, fdatasync) of a write-ahead log (NNNNNN.log) fails with `error`, as a
  // disk that fails does (EIO), or a thinly provisioned or network one that learns only then
  // that it has no room (ENOSPC); what was appended stays in the file. Once.
  void FailNextLogSync(rocksdb::IOStatus error);
  // The next append to a write-ahead log fails with `error`, writing nothing. Once.
  void FailNextLogAppend(rocksdb::IOStatus error);
  // The fault for the next sync or append of a write-ahead log: OK when none is set, else it,
  // cleared.
  rocksdb::IOStatus TakeLogFault(bool sync);

  // Takes `n` bytes of the free space: false (and nothing taken) when they do not fit; then
  // *fits is how many do.
  bool Take(uint64_t n, uint64_t* fits);
  void Refused() { refusals_.fetch_add(1); }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& fname, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus GetFreeSpace(const std::string& path, const rocksdb::IOOptions& options,
                                 uint64_t* diskfree, rocksdb::IODebugContext* dbg) override;

 private:
  std::atomic<int64_t> free_;
  std::atomic<uint64_t> refusals_{0};
  std::atomic<int64_t> fill_after_look_{-1};  // -1: none
  std::mutex fault_mu_;
  rocksdb::IOStatus sync_fault_;    // guarded by fault_mu_
  rocksdb::IOStatus append_fault_;  // guarded by fault_mu_
};

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_RELIABILITY_FULL_DISK_FS_H_
