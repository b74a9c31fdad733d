// ErasureLedger: the list of every record ever erased, kept outside the data directory (next to
// the key file), so that a database restored from a backup made before an erasure has the
// erasure applied again before it serves anything. Expunged means expunged, backups included.
//
// The file is append-only text, one entry per line:
//
//   <index> <record id> <personal-number token, hex> <erased-at unix micros> <uniqueness tokens,
//   hex, comma-separated> <mac, hex>\n
//
// (entries written before the uniqueness token was recorded have no such field, and entries of
// records that had no uniqueness token have "-" in its place). A uniqueness token is the keyed
// token of the conviction's court, case number and personal number; the field holds the one of
// each version whose token differed, the current version's first (entries written before
// earlier versions were counted hold one). With them the erased-conviction rows that keep the
// conviction from being entered again can be checked and, when missing from the database, put
// back (Eraser::CatchUp, the data check).
//
// where mac = HMAC-SHA256(key, "kjc-registry/erasure-ledger/v1|" || previous entry's mac in hex
// ("" for the first) || "|" || the line up to the mac). The chain makes an edited, reordered or
// removed entry fail; the key is derived from the key file's root ("mac/erasure-ledger/v1"), so a
// ledger from another installation fails too. It holds ids and blind tokens only: nothing a
// record said.
//
// The database remembers how far it has applied the ledger: meta key "erasure/applied" =
// u64be entry count || the mac of the last entry applied. Every erasure commits that marker in
// its own batch. At open, a database that has applied more entries than the ledger holds, or a
// different chain, is refused: the ledger was truncated, replaced or lost. Entries past the
// marker (after a restore, or after a crash between the ledger append and the commit) are what
// Unapplied() returns.
//
// The marker lives in the data directory, so it says only what the database claims: whoever can
// write the folder can put back a backup made before an erasure together with a copy of the
// current marker, and the marker then claims an erasure the restored files never had. The ledger
// (authenticated, outside the folder) is the truth: start-up, restore, backup verification and
// the data check walk every entry (ReadProgress), not only those past the marker, and look each
// record up (Eraser::CatchUp, CheckData).
//
// Order of an erasure, so a crash at any point is safe: (1) Append (write + fsync), (2) commit
// the record's removal with the marker and the audit event. A crash after (1) leaves an entry the
// database has not applied; the next start applies it.
//
//   ASSIGN_OR_RETURN(auto ledger, ErasureLedger::Open(path, mac_key, db));
//   RETURN_IF_ERROR(ledger->Append(record_id, token, dedup_tokens, now, &pending).status());
//   ... commit pending with the audit event ...
#ifndef REGISTRY_STORAGE_ERASURE_LEDGER_H_
#define REGISTRY_STORAGE_ERASURE_LEDGER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "crypto/secret_bytes.h"
#include "storage/database.h"
#include "storage/record_store.h"

namespace registry::storage {

// The purpose the ledger's MAC key is derived under from the key file's root.
inline constexpr char kErasureLedgerKeyPurpose[] = "mac/erasure-ledger/v1";

// Thread-safe.
class ErasureLedger {
 public:
  struct Entry {
    uint64_t index = 0;      // 0-based position in the ledger
    std::string record_id;   // 32 hex characters
    std::string token;       // the person's personal-number token, 32 raw bytes
    // The conviction's uniqueness tokens, 32 raw bytes each, the current version's first; none
    // for a record that had none, or an entry written before the ledger recorded them.
    std::vector<std::string> dedup_tokens;
    absl::Time erased_at;
    std::string mac;         // 32 raw bytes
  };

  // Opens the ledger at `path`, creating it (mode 0600) when absent, and verifies every entry
  // against `mac_key` (32 bytes). A last line without its newline (a crash while appending,
  // before the erasure committed) is cut off. DataLoss when an entry is malformed or fails its
  // MAC; FailedPrecondition when `db` has applied entries the ledger does not hold; Unavailable
  // for I/O errors. `db` is not owned and must outlive the ledger.
  // A missing file is made only for a database that has applied no erasure: for one that has,
  // the same FailedPrecondition is returned and nothing is created (an empty ledger left behind
  // by a refused start would stand in for the lost one at the next). `may_create` false (the
  // installation is known not to be new: its audit log holds events, its audit watermark counts
  // some, or it has backups): a missing file is FailedPrecondition in any case, saying to put
  // the ledger back, and nothing is made; a new, empty ledger would let a restore or a start
  // bring back every record erased before.
  static absl::StatusOr<std::unique_ptr<ErasureLedger>> Open(const std::string& path,
                                                             const crypto::SecretBytes& mac_key,
                                                             Database* db, bool may_create = true);

  // Open for a look that writes nothing (`registryd --verify_data`): nothing is created, cut or
  // written. A missing file holds no entry (a database that has applied erasures is refused as
  // Open refuses it); a torn last line is left in the file and not read, as Open would cut it.
  // The same DataLoss, FailedPrecondition and Unavailable as Open. Append is refused
  // (FailedPrecondition) and writes nothing.
  static absl::StatusOr<std::unique_ptr<ErasureLedger>> OpenReadOnly(
      const std::string& path, const crypto::SecretBytes& mac_key, const Database* db);

  // What Open would refuse, found without writing: the ledger at `path` is read (a missing file
  // holds no entry, a torn last line is left as it is, since Open would cut it) and verified
  // against `mac_key`, and the marker of `db` compared with it. `db` null: a database yet to be
  // made, which has applied nothing. The same DataLoss, FailedPrecondition and Unavailable as
  // Open. For `registryd --check_config`.
  static absl::Status Check(const std::string& path, const crypto::SecretBytes& mac_key,
                            const Database* db);

  // A data folder that holds no database, where start-up would begin a new, empty registry:
  // FailedPrecondition (naming `data_dir`, the ledger and how many erasures it holds) when the
  // ledger at `path` holds any entry that verifies against `mac_key`, since the registry it
  // belongs to had data (a mistyped or moved data_dir, or a lost data directory to restore);
  // OK when the file is missing or empty (a first start). Check's DataLoss and Unavailable when
  // the ledger cannot be read or verified. Writes nothing. `holds` words what the folder holds
  // when it is a database with no registry data in it ("holds a database with no row", ...).
  static absl::Status CheckNoDatabase(const std::string& path, const crypto::SecretBytes& mac_key,
                                      absl::string_view data_dir,
                                      absl::string_view holds = "holds no database");

  // OK when the ledger at `path` (verified against `mac_key`) holds at least `entries` entries,
  // the one at `entries` - 1 with `last_mac`: the ledger `recorded_by` (words naming what
  // recorded that head, e.g. the audit watermark) saw, or a later one. FailedPrecondition naming
  // `path`, what it holds, `recorded_by` and what to do when it is missing, holds fewer entries
  // (an older copy, or emptied) or another entry there (replaced); Check's DataLoss and
  // Unavailable when it cannot be read or verified. Writes nothing.
  static absl::Status HoldsHead(const std::string& path, const crypto::SecretBytes& mac_key,
                                uint64_t entries, absl::string_view last_mac,
                                absl::string_view recorded_by);

  // How many entries `db`'s marker says it has applied, and the MAC of the last of them (empty
  // when none): what a backup of it records (storage/backups.h, Erasures). DataLoss when the
  // marker is damaged.
  static absl::Status AppliedBy(const Database& db, uint64_t* entries, std::string* last_mac);

  // Appends an entry for `record_id` (whose person has `token`, and whose conviction had the
  // uniqueness tokens `dedup_tokens`, 32 bytes each, possibly none) durably, then stages into `w`
  // the database's marker "applied through this entry". Unavailable when the file cannot be
  // written and synced (then nothing is staged).
  absl::StatusOr<Entry> Append(absl::string_view record_id, absl::string_view token,
                               const std::vector<std::string>& dedup_tokens,
                               absl::Time erased_at, PendingWrite* w);

  // Every entry, oldest first, and how many of them the database's marker says it has applied
  // (re-reads the file and the marker). The same FailedPrecondition as Open when the marker
  // claims entries the ledger does not hold.
  struct Progress {
    std::vector<Entry> entries;
    uint64_t applied = 0;  // entries[0, applied) are applied, by the marker's word
  };
  absl::StatusOr<Progress> ReadProgress() const;

  // The entries the database has not applied yet, oldest first (re-reads the file).
  absl::StatusOr<std::vector<Entry>> Unapplied() const;

  // Whether the database has applied every entry (one read of its marker).
  absl::StatusOr<bool> AllApplied() const;

  // Stages the marker "applied through `entry`" into `w`.
  void StageApplied(const Entry& entry, PendingWrite* w) const;

  // Entries in the ledger.
  uint64_t size() const;

  // Entries in the ledger and the MAC of the last one (empty when none), read together: what the
  // audit watermark binds (storage/audit_watermark.h).
  void Head(uint64_t* entries, std::string* last_mac) const;

  // Whether an entry of the ledger (verified when it was read at the open, or appended since)
  // erased `record_id`. No file read: the ids are held in memory (tens of bytes per erasure).
  // For the lookups that meet an index row of a record without a head (RecordStore
  // SkipLeftoversOfErased): the row of an erased record put back from a backup made before the
  // erasure is a leftover, not a head deleted from the data folder.
  bool Erased(absl::string_view record_id) const;

 private:
  ErasureLedger(std::string path, crypto::SecretBytes mac_key, const Database* db,
                bool read_only = false)
      : path_(std::move(path)), mac_key_(std::move(mac_key)), db_(db), read_only_(read_only) {}

  // Reads and verifies the whole file; with `repair`, cuts a torn last line off. Read only, a
  // file that is not there holds no entry.
  absl::StatusOr<std::vector<Entry>> ReadAll(bool repair) const;
  absl::StatusOr<std::string> Mac(absl::string_view previous_mac, absl::string_view body) const;
  // Takes `entries`, read from the file, as the ledger's: its size, its last MAC, its record ids.
  void Load(const std::vector<Entry>& entries);
  // How many of `entries` the database's marker says it has applied; FailedPrecondition when it
  // claims entries they do not hold. `missing`: the file is not there at all (entries is empty),
  // which is said as such: the usual cause is a key file moved without the ledger beside it.
  absl::StatusOr<uint64_t> AppliedOf(const std::vector<Entry>& entries,
                                     bool missing = false) const;

  const std::string path_;
  const crypto::SecretBytes mac_key_;
  const Database* const db_;
  // OpenReadOnly's: nothing is created, cut or appended.
  const bool read_only_;
  mutable absl::Mutex mu_;
  uint64_t size_ ABSL_GUARDED_BY(mu_) = 0;
  // The record ids of the entries (Erased).
  std::set<std::string, std::less<>> erased_ ABSL_GUARDED_BY(mu_);
  std::string last_mac_ ABSL_GUARDED_BY(mu_);
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_ERASURE_LEDGER_H_
