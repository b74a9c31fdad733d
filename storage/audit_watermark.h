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
//   <tree size> <root, hex> <written at, unix micros> <ledger entries> <ledger mac, hex or ->
//   <mac, hex>\n    (one line)
//
// where mac = HMAC-SHA256(key, "kjc-registry/audit-watermark/v1|" || the line up to the mac),
// the key derived from the key file's root ("mac/audit-watermark/v1"). A database whose log is
// shorter than the mark, or whose root at the mark's size is another, is DATA_LOSS.
//
// The mark also binds the erasure ledger (storage/erasure_ledger.h), which lies beside it: how
// many entries the ledger held when the mark was written and the MAC of the last of them ("-"
// for none). The ledger only grows and its entries are chained, so a ledger that holds fewer
// entries, or another entry at that place, is an older copy, an emptied one or another file:
// with it, a restore (or a start over an older data folder) would bring back every record erased
// since. CheckLedger refuses it at start, at a restore and at --check_config, whether or not the
// data folder opens. (Marks written before the ledger was bound have four fields and bind none.)
//
// The mark binds the index seal (storage/index_seal.h) the same way, as two more fields after
// the ledger's: the seal's generation and a keyed digest of its sum ("- -" in the ledger's
// fields when none is bound). A seal row put back from an earlier copy of the folder, with that
// copy's index rows, matches them, but its generation is behind the mark's, or at the mark's
// generation its digest is another: CheckIndexSeal names it, and the start refuses every vetting
// check. A seal ahead of the mark is taken: writes made after the mark's last writing (a crash
// before the next one) move it on. (Marks written before the seal was bound bind none; the next
// writing binds it.)
//
// registryd writes the mark after its start-up checks, every few seconds while the log grows
// (RegistryServer's watermark thread), and when it stops (whatever the mark held: a file put back
// while it ran is written over); a restore from a backup (which goes
// back on purpose) writes the restored log's head. So what a put-back copy can hide is at most
// the writes of the last interval before the copy was swapped in while registryd ran; a
// folder swapped while registryd was stopped hides nothing.
//
// A mark behind the log is what a crash leaves (events written after the mark's last writing),
// and it is also what an earlier copy of the mark file, put back, looks like: with it, a seal
// row and index rows put back from the same time would pass, and a finding the mark kept would
// be gone. The two are told apart by time. The mark is written again every watermark interval
// while the log grows, and dated anew at least every half of CrashSlack while it does not (the
// watermark thread), and at start before the start writes anything of its own, each time no
// earlier than the newest event; every offline step that writes an event moves it on. So an
// honest crash leaves no event dated more than about one interval after the mark's date. Check
// allows CrashSlack (four intervals, and at least a minute: a slow disk, a stalled thread, a
// clock stepped by a second or two) and refuses a mark whose log holds an event dated later than
// that: it was put back from an earlier time. (The event a start writes for writes a crash cut
// off is its own, and not dated against the mark.) Within the slack, a mark put back with the
// seal row and index rows of its time would pass: registryd checks every record the events past
// the mark wrote before any vetting check is answered (server/data_check.h,
// CheckRecordsWritten). A missing file is taken for a first
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
#include "storage/index_seal.h"

namespace registry::storage {

// Derivation label of the mark's key.
inline constexpr char kAuditWatermarkKeyPurpose[] = "mac/audit-watermark/v1";

// How often registryd writes the mark while the log grows, unless told otherwise
// (RegistryServerOptions::watermark_interval); the offline modes and --check_config hold a mark
// to it.
inline constexpr absl::Duration kWatermarkInterval = absl::Seconds(5);

// Thread-safe.
class AuditWatermark {
 public:
  // How far the erasure ledger had grown when a mark was written.
  struct LedgerHead {
    uint64_t entries = 0;
    std::string last_mac;  // the MAC of entry `entries` - 1, 32 bytes; empty for no entry
  };

  struct Mark {
    uint64_t size = 0;
    std::string root;  // 32 bytes
    absl::Time written_at;
    // None for a mark written before the ledger was bound.
    std::optional<LedgerHead> ledger;
    // None for a mark written before the index seal was bound.
    std::optional<IndexSealHead> index_seal;
    // The index was found broken while registryd ran (a data check named index rows missing,
    // extra or swapped, a record's head or versions missing, extra or rolled back, or any other
    // problem that could change a vetting answer; or the seal did not match the rows): kept
    // here, beside the key file, so that a restart does not lift the refusal of vetting checks.
    // Only a new seal over a sound data check (registryd --reseal_index) or a restore that
    // passes its checks clears it.
    bool index_broken = false;
  };

  // Reads the mark at `path` (none when the file does not exist). DataLoss when the file is
  // malformed or fails its MAC; Unavailable when it cannot be read. `clock` (not owned) dates the
  // marks written.
  static absl::StatusOr<std::unique_ptr<AuditWatermark>> Open(std::string path,
                                                             const crypto::SecretBytes& key,
                                                             const Clock* clock);

  std::optional<Mark> mark() const;

  // How much later than the mark's date an event of an honest crash may be dated, for marks
  // written every `interval`: four intervals, and at least a minute.
  static absl::Duration CrashSlack(absl::Duration interval);

  // OK when `log` holds at least the mark's events and its root at that size is the mark's, and
  // no event past the mark is dated more than CrashSlack(interval) after the mark's date, or
  // there is no mark and `log` is empty; DataLoss naming both sizes and the mark's date when
  // `log` is behind the mark or another, and naming the mark's date and size and the newest
  // event's date when the mark is older than a crash explains (put back from an earlier time);
  // with `db` (the log's database), DataLoss too when the mark counts fewer erasure ledger
  // entries than `db` has applied and `log` holds no event past the mark (every erasure commits
  // one). FailedPrecondition when there is no mark for a log that holds events.
  absl::Status Check(const AuditLog& log, absl::Duration interval = kWatermarkInterval,
                     const Database* db = nullptr) const;

  // For a data directory `data_dir` that holds no registry data (start-up would take it for a
  // new one): OK when there is no mark or it counts no event; otherwise FailedPrecondition
  // saying that the folder named is not the one the log was in (a mistyped data_dir, a folder
  // lost, moved or emptied), so that nothing is created or written there and no empty registry
  // starts in its place. `holds` words what the folder holds ("holds no database", "holds a
  // database with no row", ...).
  absl::Status CheckNoDatabase(absl::string_view data_dir,
                               absl::string_view holds = "holds no database") const;

  // OK when the mark binds no ledger head, or the erasure ledger at `ledger_path` (verified
  // against `ledger_key`) holds at least the entries the mark counted, the last of them with the
  // MAC it recorded. FailedPrecondition, naming both files, what each holds and what to do (put
  // the current ledger back), when the file is missing, holds fewer entries or others; the
  // ledger's own DataLoss when an entry fails authentication. Writes nothing.
  absl::Status CheckLedger(const std::string& ledger_path,
                           const crypto::SecretBytes& ledger_key) const;

  // "" when the mark binds no index seal, or `stored` (the head of the seal the data folder
  // holds; none when it holds none) is at or past the one bound; otherwise the problem, for the
  // seal's verdict: the seal is missing, behind the mark (put back from an earlier copy) or
  // another at the mark's generation. Names no row and no person.
  std::string IndexSealProblem(const std::optional<IndexSealHead>& stored) const;

  // "" unless the mark keeps the index broken (Mark::index_broken); then the problem, for the
  // seal's verdict at start. Names no row and no person.
  std::string IndexBrokenProblem() const;

  // Keeps (true) or clears (false) the index's broken state in the mark, written at once.
  // FailedPrecondition when there is no mark yet; Unavailable for I/O errors.
  absl::Status SetIndexBroken(bool broken);

  // Writes `log`'s current head as the mark when it has grown past it, `ledger` has grown past
  // the ledger head the mark binds, or `index_seal` is at a later generation than the one it
  // binds. `ledger` or `index_seal` none: the mark's is kept. Neither moves back here (the
  // ledger only grows; a seal behind the mark is one put back). `index_broken` true: the index
  // was found broken, and the mark keeps it so (never cleared here). `force`: written even when
  // nothing moved (a clean stop: a file put back while registryd ran is written over).
  // FailedPrecondition when the log is behind the mark (it never moves back here); Unavailable
  // for I/O errors.
  absl::Status Advance(const AuditLog& log, std::optional<LedgerHead> ledger = std::nullopt,
                       std::optional<IndexSealHead> index_seal = std::nullopt,
                       bool index_broken = false, bool force = false);

  // Writes `log`'s current head as the mark even when it is behind: a restore from a backup,
  // which goes back on purpose (the ledger does not: `ledger` as for Advance; `index_seal`,
  // given, is bound as it is: the restored folder's). The index's broken state is kept unless
  // `clear_index_broken` (a restore whose copy passed the data check of its index), and set when
  // `index_broken` (the audit log says so: --adopt_watermark). Returns the mark it replaced (none
  // when there was none).
  absl::StatusOr<std::optional<Mark>> Reset(const AuditLog& log,
                                            std::optional<LedgerHead> ledger = std::nullopt,
                                            std::optional<IndexSealHead> index_seal =
                                                std::nullopt,
                                            bool clear_index_broken = false,
                                            bool index_broken = false);

  // Writes the mark again at `log`'s head, dated now, binding what it binds, unless it is at the
  // head already and was dated less than `older_than` ago; nothing when there is no mark. At
  // start, once Check has held the log to it (so that what the start writes is dated after it),
  // and from the watermark thread while the log does not grow (so that an event after a quiet
  // time is dated within CrashSlack of it). FailedPrecondition when the log is behind the mark;
  // Unavailable for I/O errors.
  absl::Status Renew(const AuditLog& log, absl::Duration older_than = absl::ZeroDuration());

 private:
  AuditWatermark(std::string path, const crypto::SecretBytes& key, const Clock* clock)
      : path_(std::move(path)), key_(key), clock_(clock) {}
  absl::StatusOr<std::string> Mac(absl::string_view body) const;
  absl::Status Write(const Mark& mark) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The date a mark of `log` is written with: now, by this mark's clock or the log's, whichever
  // is later, and never before the log's newest event.
  absl::Time DateFor(const AuditLog& log) const;
  // The ledger head a new mark binds: `given`, unless the current mark binds a longer one.
  std::optional<LedgerHead> LedgerToBind(std::optional<LedgerHead> given) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const crypto::SecretBytes key_;
  const Clock* clock_;
  mutable absl::Mutex mu_;
  std::optional<Mark> mark_ ABSL_GUARDED_BY(mu_);
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_AUDIT_WATERMARK_H_
