// AuditWatermark: how far the audit log had grown, kept outside the data directory (beside the
// key file and the erasure ledger), so that a data directory put back from an earlier copy, or
// one that lost its newest writes while registryd was stopped (a write-ahead log deleted, or cut
// at a write's end), is refused at start instead of served as if nothing were missing.
//
// Such a directory is consistent in itself: every record, index row and event authenticates,
// and nothing inside it says that writes are missing. The audit log only grows (retention
// deletes event bytes, never tree nodes), so its size and root are a high-water mark of the
// whole database: every change is committed with its audit event.
//
// The file holds one line, replaced whole (a temporary file, fsync, rename, fsync of the folder):
//
//   <tree size> <root, hex> <written at, unix micros> <mac, hex>\n
//
// where mac = HMAC-SHA256(key, "kjc-registry/audit-watermark/v1|" || the line up to the mac),
// the key derived from the key file's root ("mac/audit-watermark/v1"). A database whose log is
// shorter than the mark, or whose root at the mark's size is another, is DATA_LOSS.
//
// registryd writes the mark after its start-up checks, every few seconds while the log grows
// (RegistryServer's watermark thread), and when it stops; a restore from a backup (which goes
// back on purpose) writes the restored log's head. So what a put-back copy can hide is at most
// the writes of the last interval before the copy was swapped in while registryd ran; a
// folder swapped while registryd was stopped hides nothing. A missing file is taken for a first
// start only while the database's log is empty: a data directory that holds events and no mark
// is refused, as an earlier copy put back with the mark removed would be (an operator who lost
// the file takes the log as it is with registryd --adopt_watermark, an audited step).
//
//   ASSIGN_OR_RETURN(auto mark, AuditWatermark::Open(path, key));
//   RETURN_IF_ERROR(mark->Check(*audit));     // at start
//   RETURN_IF_ERROR(mark->Advance(*audit));   // later, as the log grows
#ifndef REGISTRY_STORAGE_AUDIT_WATERMARK_H_
#define REGISTRY_STORAGE_AUDIT_WATERMARK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "crypto/secret_bytes.h"
#include "storage/audit_log.h"

namespace registry::storage {

// Derivation label of the mark's key.
inline constexpr char kAuditWatermarkKeyPurpose[] = "mac/audit-watermark/v1";

// Thread-safe.
class AuditWatermark {
 public:
  struct Mark {
    uint64_t size = 0;
    std::string root;  // 32 bytes
    absl::Time written_at;
  };

  // Reads the mark at `path` (none when the file does not exist). DataLoss when the file is
  // malformed or fails its MAC; Unavailable when it cannot be read. `clock` (not owned) dates the
  // marks written.
  static absl::StatusOr<std::unique_ptr<AuditWatermark>> Open(std::string path,
                                                             const crypto::SecretBytes& key,
                                                             const Clock* clock);

  std::optional<Mark> mark() const;

  // OK when `log` holds at least the mark's events and its root at that size is the mark's, or
  // there is no mark and `log` is empty; DataLoss naming both sizes and the mark's date when
  // `log` is behind the mark or another; FailedPrecondition when there is no mark for a log that
  // holds events.
  absl::Status Check(const AuditLog& log) const;

  // For a data directory `data_dir` that holds no database (start-up would make a new one): OK
  // when there is no mark or it counts no event; otherwise FailedPrecondition saying that the
  // folder named is not the one the log was in (a mistyped data_dir, a folder lost or moved),
  // so that nothing is created there and no empty registry starts in its place.
  absl::Status CheckNoDatabase(absl::string_view data_dir) const;

  // Writes `log`'s current head as the mark when it has grown past it. FailedPrecondition when
  // the log is behind the mark (it never moves back here); Unavailable for I/O errors.
  absl::Status Advance(const AuditLog& log);

  // Writes `log`'s current head as the mark even when it is behind: a restore from a backup,
  // which goes back on purpose. Returns the mark it replaced (none when there was none).
  absl::StatusOr<std::optional<Mark>> Reset(const AuditLog& log);

 private:
  AuditWatermark(std::string path, const crypto::SecretBytes& key, const Clock* clock)
      : path_(std::move(path)), key_(key), clock_(clock) {}
  absl::StatusOr<std::string> Mac(absl::string_view body) const;
  absl::Status Write(const Mark& mark) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const crypto::SecretBytes key_;
  const Clock* clock_;
  mutable absl::Mutex mu_;
  std::optional<Mark> mark_ ABSL_GUARDED_BY(mu_);
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_AUDIT_WATERMARK_H_
