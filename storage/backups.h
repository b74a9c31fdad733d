// Backups: RocksDB BackupEngine backups of the database into one folder, with retention.
//
// A backup holds exactly what the data directory holds: ciphertext, blind tokens, the audit log,
// and the database's erasure-ledger marker. No key material, and not the erasure ledger (both
// live next to the key file). Table files are shared between backups, so each new one costs
// what changed.
//
// Retention: after each new backup, those beyond keep_count newest and those older than keep_days
// are deleted, and files no remaining backup uses are removed (BackupEngine::GarbageCollect).
// The newest backup is never deleted. This is what bounds how long a backup made before an
// erasure can exist (see docs/security.md).
//
// Dates: the time of a backup is the first line of its file in <dir>/meta, which nothing
// authenticates; one line edited to a later date kept that backup from ever being pruned by age,
// put the first scheduled backup off for as long, and made a backup look newer than the data
// keys it needs. A backup's date as listed is therefore never later than now, nor than the date
// of any backup with a higher id (the engine gives each new backup a higher id than every backup
// there, so one with a higher id was made after it). A date edited to an earlier one is taken as
// it stands: that can only get the backup pruned sooner.
//
// Restore: a backup is restored into a staging folder beside the data directory (Stage), checked
// there by the caller, and only then put in place of the data directory (Staged::SwapIn), so that
// a backup that cannot be used leaves the data directory as it was.
//
//   ASSIGN_OR_RETURN(auto backups, Backups::Open("/var/lib/registryd/backups"));
//   ASSIGN_OR_RETURN(Backups::Info made, backups->Create(db));
//   RETURN_IF_ERROR(backups->Delete(backups->Expired(14, absl::Hours(24 * 35), now)));
#ifndef REGISTRY_STORAGE_BACKUPS_H_
#define REGISTRY_STORAGE_BACKUPS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/secret_bytes.h"
#include "storage/database.h"

namespace rocksdb {
class BackupEngine;
class BackupEngineReadOnly;
class BackupEngineReadOnlyBase;
class Env;
}  // namespace rocksdb

namespace registry::storage {

// Derivation label of the key that authenticates backups (Backups::Authenticate).
inline constexpr char kBackupAuthKeyPurpose[] = "mac/backup/v1";

// Not thread-safe: callers serialize.
class Backups {
 public:
  struct Info {
    uint32_t id = 0;
    // When it was made, as far as the folder can be believed: the recorded date, clamped to now
    // and to the date of the next newer backup (see Dates above). What retention, the backup
    // schedule and every report go by.
    absl::Time created_at;
    uint64_t size_bytes = 0;
    // The date recorded in its meta file, as it stands; later than created_at only when that
    // could not be true (the folder was edited, or the clock was set back since).
    absl::Time stored_created_at;

    // Whether the recorded date was later than it can be, for callers to warn of.
    bool date_not_believed() const { return stored_created_at > created_at; }

    // Erasures: how far the database had applied the erasure ledger when the backup was made
    // (its marker, storage/erasure_ledger.h, read just before the copy: the backup holds at
    // least that), recorded in the backup's meta file. The erasure ledger beside the key file
    // must hold every one of them: a start, --check_config and a restore refuse a ledger that
    // does not (the key folder and the data folder put back from a copy older than the backup).
    // Nothing authenticates the line itself, but the MAC in it is the ledger's own: a line edited
    // to claim erasures the ledger does not hold is refused as a ledger that lost them, and one
    // edited down or removed weakens the check to what deleting the backup would. Not there for
    // a backup made before backups recorded it, or when its line cannot be read.
    struct Erasures {
      uint64_t applied = 0;
      std::string last_mac;  // 32 raw bytes; empty when none was applied
    };
    std::optional<Erasures> erasures;
  };

  // A backup whose record of its files (<dir>/meta/<id>) is there but cannot be read: a line
  // edited, cut short, or describing a shared file otherwise than another backup's record of it
  // (then the one the file does not bear out; both when it bears out neither). RocksDB's engine
  // leaves such a backup out of every list (and a restore of the newest took the one before it,
  // saying nothing); here it is named wherever backups are listed, verified or restored, and can
  // be neither verified nor restored.
  struct Damaged {
    uint32_t id = 0;
    // The meta file's path, then RocksDB's reason (or, for a contradicting record, the file, the
    // other backups and what to do): what in it is wrong (file names and checksums,
    // nothing of the data).
    std::string reason;
  };

  // Opens (creating) the backup folder. Unavailable on I/O errors. When two backups' records
  // describe a shared file differently (one was edited: RocksDB's engine asserts on it), both
  // are set aside as damaged (ListDamaged names the file, the other backups and what to do) and
  // the folder is opened read only: the others are listed, verified and restored, but Create and
  // Delete refuse (FailedPrecondition, public), since the engine's garbage collection would
  // delete the files only the set-aside backups use, one of which may be sound.
  static absl::StatusOr<std::unique_ptr<Backups>> Open(const std::string& dir);

  // The damaged backups of `dir`, read without writing anything there (for the offline modes and
  // --check_config). None when `dir` or its meta folder does not exist; Unavailable when it
  // cannot be read.
  static absl::StatusOr<std::vector<Damaged>> DamagedIn(const std::string& dir);

  // The backups of `dir`, as List lists them, read without writing anything there (for a
  // start's look before it writes, and --check_config). None when `dir` or its meta folder does
  // not exist; Unavailable when it cannot be read.
  static absl::StatusOr<std::vector<Info>> ListIn(const std::string& dir);

  // The backup a restore of `id` (0: the newest) from `dir` restores, read without writing
  // anything there: `id` itself, or the highest id of all, damaged ones included. NotFound when
  // there is no such backup (or none at all); DataLoss when the backup is damaged; and for 0,
  // FailedPrecondition when the newest backup is damaged: a restore "of the newest" must not
  // quietly restore an older one, so the message names the damaged backup and how to restore an
  // older one by its id.
  static absl::StatusOr<uint32_t> ChooseForRestore(const std::string& dir, uint32_t id);
  ~Backups();

  // Flushes the database and backs it up, recording how far it had applied the erasure
  // ledger (Info::erasures). Unavailable on failure. With `auth_key` (the key of
  // kBackupAuthKeyPurpose), then writes its record that registryd made it (Authenticate); a
  // record that cannot be written takes the backup back. Without it (the unit tests of
  // storage/), the backup has no record, and registryd neither restores nor verifies it.
  absl::StatusOr<Info> Create(Database* db, const crypto::SecretBytes* auth_key = nullptr);

  // Every backup, oldest first, each created_at no later than now nor than the next one's.
  // Damaged backups are not among them (ListDamaged).
  std::vector<Info> List();

  // The damaged backups (see Damaged), by id.
  std::vector<Damaged> ListDamaged();

  // The backups retention deletes: those beyond the `keep_count` newest and those created
  // (as List dates them) before now - keep_age, never the newest one. Oldest first.
  std::vector<uint32_t> Expired(uint32_t keep_count, absl::Duration keep_age, absl::Time now);

  // Deletes these backups, then the files no remaining backup uses.
  absl::Status Delete(const std::vector<uint32_t>& ids);

  // Checks backup `id` against the file sizes and checksums recorded when it was made. NotFound
  // when there is no such backup; DataLoss (RocksDB's message: which file) when a file is
  // missing, of another size or another checksum, or when the backup is damaged (its record of
  // its files cannot be read).
  absl::Status Verify(uint32_t id);

  // A backup restored into a folder of its own beside the data directory, where it can be
  // checked before it replaces anything: a restore that fails (no such backup, a damaged file,
  // a copy the key file does not open) must leave the data directory as it was, since that is
  // then the only good copy. The folder is "<data_dir>.restore-staging-XXXXXX", in the folder
  // that holds data_dir, so that putting it in place is a rename within one file system. It is
  // deleted when the object goes, unless SwapIn put it in place. While the object lives it holds
  // an exclusive lock (flock) on the folder that holds data_dir, so that a second restore, or a
  // registryd start (which recovers an interrupted restore), does not work on the same names.
  class Staged {
   public:
    ~Staged();
    Staged(const Staged&) = delete;
    Staged& operator=(const Staged&) = delete;

    // The restored copy's folder, to open and check.
    const std::string& path() const { return path_; }
    // The backup restored (the newest's id when 0 was asked for).
    uint32_t backup_id() const { return backup_id_; }

    // Puts the restored copy in place of data_dir: what data_dir held (unless it was absent or
    // empty) is renamed to "<data_dir>.before-restore-<unix seconds>" (named in `*moved_aside`,
    // "" when there was nothing; not deleted: a restore follows damage, and the damaged files are
    // evidence), then the copy is renamed to data_dir, and the folder holding both is synced.
    // A data_dir that is an earlier restore's unfinished copy (UnfinishedRestoreIn) is kept so
    // too, never deleted: its token does not prove that nothing wrote into it since.
    // Before the first rename a record of the two names is written durably beside them
    // ("<data_dir>.restore-swap"), and deleted after the second: a crash in between leaves
    // data_dir absent and that record, from which RecoverInterruptedRestore (the next registryd
    // start, or the next restore) puts the old folder back. FailedPrecondition while a process
    // holds the database in data_dir open; Unavailable when a rename fails (data_dir is then put
    // back as it was, and the message says so).
    // Tests only: `after_first_rename`, when set, runs once data_dir has been moved aside;
    // returning false stops there as a crash would, with nothing more done or undone (Aborted).
    absl::Status SwapIn(std::string* moved_aside,
                        const std::function<bool()>& after_first_rename = nullptr);

    // Whether this copy is a backup registryd made (see Authentication below): the backup's
    // record, checked against the files of this copy as Stage found them right after the
    // engine copied them (before anything opened the copy), and against the backup's meta file
    // and metadata. Not against the files in the backup folder, which may have changed since
    // the copy was made. The errors of CheckAuthentic; when the record does not fit the copy
    // but fits the folder as it is now, DataLoss saying that the backup's files changed in the
    // backup folder during the restore. Checked before SwapIn.
    absl::Status CheckAuthentic(const crypto::SecretBytes& key) const;

   private:
    friend class Backups;
    Staged(std::string data_dir, std::string path, uint32_t backup_id, int lock_fd);

    const std::string data_dir_;
    const std::string path_;
    const uint32_t backup_id_;
    const int lock_fd_;
    // What Stage restored, for CheckAuthentic: the backup folder, the backup's metadata as the
    // engine restored it, and each restored file as "<name in the backup> <size> <SHA-256>",
    // hashed in the copy right after the engine wrote it.
    std::string backup_dir_;
    std::string app_metadata_;
    std::vector<std::string> files_;
    // Set once the folder is no longer this object's to delete (in place, or left as a crash
    // would leave it).
    bool released_ = false;
  };

  // Restores backup `id` (0: the newest) of `backup_dir` into a new staging folder beside
  // `data_dir`, which it does not touch. First puts back what an interrupted restore left
  // (RecoverInterruptedRestore). FailedPrecondition while a process holds the database in
  // data_dir open (a running registryd), while another restore of it runs, and when
  // `backup_dir` is data_dir or inside it (a restore moves data_dir aside whole: the backups
  // would go with it); the backup chosen as ChooseForRestore chooses it, with its errors (a
  // damaged backup, or a damaged newest one for 0, is refused); RocksDB's error otherwise
  // (DataLoss for a file whose checksum differs from the one recorded when the backup was made),
  // naming the backup. Each restored file is then hashed in the copy, before anything opens it,
  // for Staged::CheckAuthentic (Unavailable when one cannot be read). The staging folder is gone
  // again on any error.
  static absl::StatusOr<std::unique_ptr<Staged>> Stage(const std::string& backup_dir,
                                                        const std::string& data_dir, uint32_t id);

  // Stage, then SwapIn: restores backup `id` (0: the newest) into `data_dir` without checking
  // what it restored (backup verification checks it afterwards, in a scratch folder).
  static absl::Status Restore(const std::string& backup_dir, const std::string& data_dir,
                              uint32_t id, std::string* moved_aside = nullptr);

  // Puts right what a restore of `data_dir` interrupted by a crash or a kill left beside it:
  //  - between SwapIn's two renames (data_dir absent, its old folder moved aside): the old folder
  //    goes back to data_dir, as it was;
  //  - after the second rename but before the record of the swap was deleted: the restored copy
  //    (which nothing has read or changed yet) is deleted and the old folder goes back;
  //  - a staging folder (a restore stopped before its swap), or an unfinished copy
  //    ("<data_dir>.unfinished-restore-*": one this recovery took out of data_dir before
  //    anything read it) whose deletion a kill cut short,
  //    whether or not it still holds its token: deleted, since it is an unpruned copy of a
  //    backup, or a piece of one, that the erasure ledger was never applied to (one that cannot
  //    be deleted is only named in the result: data_dir is as it was).
  // Returns what it did, for the operator ("" when there was nothing to do). FailedPrecondition,
  // changing nothing, while another restore of data_dir runs, or when the names found do not
  // tell what happened (data_dir there again while its old folder is aside and the copy not yet
  // in place; or neither data_dir nor its old folder there): the message names the folders to
  // look at. Unavailable when putting data_dir back fails. registryd runs it before every mode
  // that opens data_dir, so that none of them makes a new, empty database in its place.
  static absl::StatusOr<std::string> RecoverInterruptedRestore(const std::string& data_dir);

  // Marks the restore of data_dir finished (its erasures applied, its audit event written, the
  // watermark moved): the copy's token is deleted. Until then the copy is the restore's, not the
  // registry's data: the record of an interrupted swap may delete it (nothing read it yet), and
  // nothing but a restore run again may open it (RefuseUnfinishedRestore); that restore keeps
  // it aside as "<data_dir>.before-restore-*".
  static absl::Status FinishRestore(const std::string& data_dir);

  // A restore whose copy is in place of data_dir but which never finished (killed after its
  // swap, before FinishRestore): the copy's erasures may not have been applied, nor the restore
  // audited or the watermark moved.
  struct UnfinishedRestore {
    uint32_t backup_id = 0;  // 0: not known (a token written before the id was kept with it)
    // What data_dir held before that restore's swap ("" when it was absent or empty).
    std::string before;
  };
  // The unfinished restore data_dir holds, if it holds one.
  static std::optional<UnfinishedRestore> UnfinishedRestoreIn(const std::string& data_dir);
  // FailedPrecondition while data_dir holds an unfinished restore, saying so and the two ways
  // out: run the same restore again, or put back the folder it moved aside. Every registryd mode
  // but a restore (a start, --adopt_watermark, ...) is refused by it: serving or adopting the
  // copy would make it the registry's data, which a later restore could no longer tell apart
  // from an untouched copy. OK otherwise.
  static absl::Status RefuseUnfinishedRestore(const std::string& data_dir);

  // The folders earlier restores moved data_dir aside to ("<data_dir>.before-restore-*"), oldest
  // name first. Each holds the data as it was before its restore, sealed as the live data is, and
  // records erased since are still in it: the erasure ledger is never applied to it. registryd
  // warns of each at every start, until the operator deletes it (docs/operations.md).
  static std::vector<std::string> KeptBeforeRestore(const std::string& data_dir);

  // What keeps backups from being made in an existing backup folder `dir`: the folder and the
  // engine's own folders in it (meta, private, shared, shared_checksum, those that exist), each
  // a folder this user can list and write (a file is made and removed in each).
  // FailedPrecondition naming the folder and the system's reason; OK when nothing does, and for
  // a folder that does not exist yet (it is made when the first backup is).
  static absl::Status ExistingFolderProblem(const std::string& dir);

  // Authentication. Others than registryd may be able to write the backup folder (its owner's
  // other programs, whoever runs the storage it is on), and RocksDB's engine takes as a backup
  // whatever its meta folder records: a backup made by hand (RocksDB's ldb tool, rows of one
  // backup put together with those of another) is listed, verified and restored as one registryd
  // made. So, when registryd makes a backup, it writes "<dir>/auth/<id>": HMAC-SHA256, under a
  // key derived from the key file's root (kBackupAuthKeyPurpose), over the backup's id, the
  // metadata recorded with it (its erasures line), its meta file byte for byte (its date,
  // sequence number and list of files with their checksums) and the name, size and SHA-256 of
  // each of its files ("v2 <hex>"; a record of the first version, the hex alone, made before the
  // meta file was covered, still fits its backup without it). Without the key file no record can
  // be made, and one record does not fit another backup or other files. A restore and a
  // verification refuse a backup without a record that fits it, among them every backup made
  // before backups were authenticated.
  //
  // The record is held to the restored copy (Staged::CheckAuthentic), never to the folder
  // alone: the engine copies the files, then Stage hashes the copy, so what is restored, and
  // what a verification checks, is exactly what the record vouches for, whatever is written into
  // the backup folder meanwhile (a checked folder whose files were swapped back after the copy
  // had another backup restored under the chosen one's name). Checking the copy rather than
  // first copying the backup into a private folder and checking that costs one more read of the
  // backup, not a second copy of it on disk.
  //
  // Writes backup `id`'s record, from the files as the folder holds them now (just made).
  // NotFound when there is no such backup; Unavailable when a file cannot be read or the record
  // cannot be written.
  static absl::Status Authenticate(const std::string& dir, uint32_t id,
                                   const crypto::SecretBytes& key);
  // OK when backup `id`'s record is there and fits the backup as the folder holds it now (for a
  // look at the folder; a restore and a verification hold the record to their copy instead).
  // FailedPrecondition when there is no record (made before backups were authenticated, by hand,
  // or its record deleted); DataLoss when it does not fit (the backup's files, metadata or
  // record changed since it was made, or made with another key file); NotFound when there is no
  // such backup. The messages name the backup, the record's path and what to do; nothing of the
  // data.
  static absl::Status CheckAuthentic(const std::string& dir, uint32_t id,
                                     const crypto::SecretBytes& key);

 private:
  Backups(std::unique_ptr<rocksdb::BackupEngine> engine, std::string dir);

  // engine_, or read_only_ when there is none.
  const rocksdb::BackupEngineReadOnlyBase& reader() const;

  // Null while two backups' records contradict (see Open): then read_only_, over a view of the
  // folder without their records (view_env_, which outlives it), reads the rest.
  std::unique_ptr<rocksdb::BackupEngine> engine_;
  std::unique_ptr<rocksdb::Env> view_env_;
  std::unique_ptr<rocksdb::BackupEngineReadOnly> read_only_;
  // The backups whose records were set aside, as damaged.
  std::vector<Damaged> set_aside_;
  const std::string dir_;
};

}  // namespace registry::storage

#endif  // REGISTRY_STORAGE_BACKUPS_H_
