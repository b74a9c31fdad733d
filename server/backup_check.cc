#include "server/backup_check.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/public_status.h"
#include "common/status_macros.h"
#include "crypto/blind_index.h"
#include "crypto/merkle.h"
#include "crypto/secret_bytes.h"
#include "registry/v1/audit.pb.h"
#include "server/config.h"
#include "server/data_check.h"
#include "server/key_file.h"
#include "server/registry_server.h"
#include "storage/backups.h"

namespace registry::server {
namespace {

namespace v1 = registry::v1;
namespace fs = std::filesystem;

void Problem(v1::VerifyBackupResponse* r, std::string text) {
  r->set_problem_count(r->problem_count() + 1);
  if (r->problems_size() < static_cast<int>(storage::DataCheckReport::kMaxListed)) {
    r->add_problems(std::move(text));
  }
}

// A check's scratch folder in the backup folder: this prefix and 12 hex digits.
constexpr char kScratchPrefix[] = "verify-";

// Deletes the scratch folder when the check is over, however it ends.
class Scratch {
 public:
  explicit Scratch(std::string path) : path_(std::move(path)) {}
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Whether `s` says that the scratch folder's disk ran out of room: the check could not be made,
// which says nothing of the backup.
bool OutOfRoom(const absl::Status& s) {
  return absl::IsResourceExhausted(s) || absl::StrContains(s.message(), "No space left on device");
}

// The error of a check that ran out of room for its restored copy (never a report: its counts
// would be those of a copy that was never there, and the backup would read as failed).
absl::Status NoRoomToCheck(uint64_t backup_bytes) {
  return PublicError(absl::ResourceExhaustedError(absl::StrCat(
      "backup not verified: the backup folder's disk ran out of space while the backup was "
      "restored into a scratch folder to check it; free space first (the restored copy needs "
      "about ", (backup_bytes >> 20) + 1, " MiB). Nothing was found wrong with the backup")));
}

absl::Status CopyLedger(const std::string& from, const std::string& to) {
  std::error_code ec;
  if (!fs::exists(from, ec)) return absl::OkStatus();  // no erasure yet: an empty ledger
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(from));
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  out << bytes;
  out.close();
  if (!out) return absl::UnavailableError("cannot copy the erasure ledger into the scratch folder");
  ::chmod(to.c_str(), 0600);
  return absl::OkStatus();
}

// The key that authenticates backups (storage/backups.h), derived from the key file's root.
absl::StatusOr<crypto::SecretBytes> KeyOfBackupRecords(const v1::ServerConfig& config) {
  ASSIGN_OR_RETURN(const KeyMaterial keys, LoadKeyFile(config.key_file()));
  return crypto::DeriveKey(keys.derivation_root, storage::kBackupAuthKeyPurpose);
}

// Hashes the retained events onto the stored left edge and compares with the stored root.
void VerifyAuditLog(const storage::AuditLog& log, v1::VerifyBackupResponse* r) {
  const storage::AuditLog::Head head = log.CurrentHead();
  const storage::AuditLog::Pruned pruned = log.CurrentPruned();
  absl::StatusOr<crypto::merkle::CompactRange> range = log.FrontierAt(pruned.size);
  if (!range.ok()) {
    Problem(r, absl::StrCat("audit log: left edge at ", pruned.size,
                            " unreadable: ", range.status().message()));
    return;
  }
  uint64_t expected = pruned.size;
  bool in_order = true;
  absl::Status scanned = log.Scan(pruned.size, head.size, [&](uint64_t i, absl::string_view bytes) {
    if (i != expected) {
      in_order = false;
      return false;
    }
    range->Append(crypto::merkle::HashLeaf(bytes), {});
    ++expected;
    return true;
  }, storage::BlockCache::kBypass);
  if (!scanned.ok()) {
    Problem(r, absl::StrCat("audit log: ", scanned.message()));
    return;
  }
  if (!in_order || expected != head.size) {
    Problem(r, absl::StrCat("audit log: event ", expected, " missing"));
    return;
  }
  if (range->Root() != head.root) {
    Problem(r, absl::StrCat("audit log: events ", pruned.size, "..", head.size,
                            " do not hash to the stored root"));
    return;
  }
  r->set_audit_log_verified(true);
}

// Where the backup's log `restored` (of `size` events, not a prefix of `live`) parts from the
// live log, when the live log's next event there is a restore's (registryd --restore_backup
// writes one at the restored log's size): the backup is of the branch that restore gave up.
// None otherwise, or when a root cannot be read.
std::optional<uint64_t> RestoredAt(const storage::AuditLog& restored,
                                   const storage::AuditLog& live, uint64_t size) {
  // The trees agree at `lo` (both empty at 0) and differ at `hi`: agreeing at one size, they
  // agree at every smaller one.
  uint64_t lo = 0, hi = size;
  while (hi - lo > 1) {
    const uint64_t mid = lo + (hi - lo) / 2;
    absl::StatusOr<std::string> mine = restored.RootAt(mid);
    absl::StatusOr<std::string> theirs = live.RootAt(mid);
    if (!mine.ok() || !theirs.ok()) return std::nullopt;
    (*mine == *theirs ? lo : hi) = mid;
  }
  if (lo >= live.CurrentHead().size) return std::nullopt;
  absl::StatusOr<std::string> bytes = live.ReadEvent(lo);
  if (!bytes.ok()) return std::nullopt;
  v1::AuditEvent event;
  if (!event.ParseFromString(*bytes)) return std::nullopt;
  // As registryd --restore_backup writes it (server/registry_server.cc).
  if (event.actor() != "system:restore" || event.action() != "restore-backup") {
    return std::nullopt;
  }
  return lo;
}

void CompareWithLive(const storage::AuditLog& restored, const storage::AuditLog& live,
                     v1::VerifyBackupResponse* r) {
  const storage::AuditLog::Head mine = restored.CurrentHead();
  const storage::AuditLog::Head theirs = live.CurrentHead();
  r->set_live_audit_events(theirs.size);
  if (mine.size > theirs.size) {
    Problem(r, absl::StrCat("audit log: the backup has ", mine.size,
                            mine.size == 1 ? " event" : " events", ", more than the live log's ",
                            theirs.size));
    return;
  }
  absl::StatusOr<std::string> root = live.RootAt(mine.size);
  if (!root.ok()) {
    Problem(r, absl::StrCat("audit log: live root at ", mine.size,
                            " unreadable: ", root.status().message()));
    return;
  }
  if (*root != mine.root) {
    if (std::optional<uint64_t> at = RestoredAt(restored, live, mine.size); at.has_value()) {
      Problem(r, absl::StrCat(
          "audit log: the backup's tree of ", mine.size, mine.size == 1 ? " event" : " events",
          " parts from the live log's after its first ", *at, ", where the live log records a "
          "restore of an earlier backup (`registryd --restore_backup`, its event ", *at,
          "): the backup's last ", mine.size - *at,
          mine.size - *at == 1 ? " event is" : " events are",
          " of the branch that restore gave up. Expected for every backup made before that "
          "restore and newer than the backup it restored; restoring it would give up everything "
          "written since the restore"));
      return;
    }
    Problem(r, absl::StrCat("audit log: the backup's tree of ", mine.size,
                            mine.size == 1 ? " event" : " events",
                            " differs from the live log's (a fork, not a prefix)"));
    return;
  }
  r->set_consistent_with_live_log(true);
}

}  // namespace

absl::Status CheckRestoredBackup(const StorageStack& st, const storage::AuditLog* live,
                                 bool catch_up, v1::VerifyBackupResponse* r) {
  // The backup engine's checksums were taken when the files were copied: a block that was
  // already damaged then passes them. Every block of the restored copy is read here.
  absl::Status blocks = st.db->VerifyTableChecksums();
  if (!blocks.ok()) {
    Problem(r, absl::StrCat("a table file of the restored copy is damaged: ", blocks.message()));
  }
  r->set_audit_events(st.audit->CurrentHead().size);
  VerifyAuditLog(*st.audit, r);
  if (live != nullptr) CompareWithLive(*st.audit, *live, r);
  if (catch_up) {
    absl::StatusOr<int> applied = st.eraser->CatchUp();
    if (!applied.ok()) {
      if (OutOfRoom(applied.status())) return applied.status();
      Problem(r, absl::StrCat("erasure ledger: ", applied.status().message()));
      return absl::OkStatus();
    }
    r->set_erasures_reapplied(*applied);
  }
  // Records, versions and index rows against the audit log's events and the ledger (a record
  // rolled back to an earlier version than its log saw written, a record without its rows).
  absl::StatusOr<storage::DataCheckReport> report =
      CheckData(*st.records, *st.checks, *st.audit, *st.ledger);
  if (!report.ok()) {
    if (OutOfRoom(report.status())) return report.status();
    Problem(r, absl::StrCat("data check: ", report.status().message()));
    return absl::OkStatus();
  }
  r->set_records(report->records);
  r->set_versions(report->versions);
  r->set_index_rows(report->index_rows);
  for (std::string& p : report->problems) {
    // Without the catch-up, the erasures the copy lacks are the restore's to apply (as it does
    // once the copy is swapped in), not findings.
    if (!catch_up && absl::StartsWith(p, "erasure ledger entry ")) continue;
    Problem(r, std::move(p));
  }
  // Counted but not listed by the data check.
  r->set_problem_count(r->problem_count() + report->problem_count - report->problems.size());
  // The index seal against the rows: a seal put back with rows from another backup matches
  // them, but one left from the rows of another does not.
  absl::StatusOr<storage::IndexSealCheck> seal =
      st.db->CheckIndexSeal(nullptr, /*record_verdict=*/false);
  if (!seal.ok()) {
    Problem(r, absl::StrCat("index seal: ", seal.status().message()));
  } else if (const std::string problem = seal->Problem(); !problem.empty()) {
    Problem(r, problem);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::VerifyBackupResponse> CheckBackup(const v1::ServerConfig& config,
                                                     uint32_t backup_id,
                                                     const storage::AuditLog& live,
                                                     const storage::Database& live_db,
                                                     const std::function<void()>& after_staging) {
  v1::VerifyBackupResponse r;
  uint64_t backup_bytes = 0;
  {
    ASSIGN_OR_RETURN(auto backups, storage::Backups::Open(config.backup_dir()));
    const std::vector<storage::Backups::Info> all = backups->List();
    if (backup_id == 0) {
      // The newest of all, a damaged one too (Verify reports it): the engine lists none, and
      // the check of "the newest" checked the one before it.
      for (const storage::Backups::Info& info : all) backup_id = std::max(backup_id, info.id);
      for (const storage::Backups::Damaged& damaged : backups->ListDamaged()) {
        backup_id = std::max(backup_id, damaged.id);
      }
      if (backup_id == 0) return absl::NotFoundError("there is no backup");
    }
    r.set_backup_id(backup_id);
    absl::Status intact = backups->Verify(backup_id);
    if (absl::IsNotFound(intact)) return intact;
    if (!intact.ok()) {
      Problem(&r, std::string(intact.message()));
      return r;  // a damaged backup is not restored
    }
    r.set_files_intact(true);
    for (const storage::Backups::Info& info : all) {
      if (info.id == backup_id) backup_bytes = info.size_bytes;
    }
  }

  RETURN_IF_ERROR(RemoveLeftoverScratch(config.backup_dir()).status());
  // As a backup is refused without room for it: a restore that meets a full disk would say
  // nothing of the backup, and would take the space kept for audit events when the backups share
  // the data directory's disk.
  RETURN_IF_ERROR(live_db.RoomToRestoreIn(config.backup_dir(), backup_bytes));
  ASSIGN_OR_RETURN(std::string suffix, crypto::RandomBytes(6));
  Scratch scratch(
      absl::StrCat(config.backup_dir(), "/", kScratchPrefix, absl::BytesToHexString(suffix)));
  if (::mkdir(scratch.path().c_str(), 0700) != 0) {
    // The officer's to put right (a folder the service may not write, a full disk): said as it
    // is, with the system's reason, not as the registry being unable to record the call.
    // The folder is named (a path from the config, nothing of the data) with what to see to,
    // as a backup names it (storage/backups.cc BackupFolderError).
    const int error = errno;
    return absl::FailedPreconditionError(absl::StrCat(
        "backup not verified: cannot create a scratch folder in the backup folder ",
        config.backup_dir(), " to restore the backup into: ", std::strerror(error),
        "; see to the folder's owner and mode, its mount, its disk's free space, so that "
        "registryd can write there. Nothing was found wrong with the backup"));
  }
  v1::ServerConfig copy = config;
  copy.set_data_dir(scratch.path() + "/data");
  copy.set_erasure_ledger_file(scratch.path() + "/erasures.ledger");
  // The live log is ahead of any backup: the copy is compared with it below, not with its mark.
  copy.set_audit_watermark_file(scratch.path() + "/audit.watermark");
  absl::Status restored;
  {
    // As Backups::Restore, with the record of authentication held to the copy in between,
    // before anything opens it.
    absl::StatusOr<std::unique_ptr<storage::Backups::Staged>> staged =
        storage::Backups::Stage(config.backup_dir(), copy.data_dir(), backup_id);
    restored = staged.status();
    if (staged.ok()) {
      if (after_staging != nullptr) after_staging();
      // Whether registryd made it: a backup made by hand in the backup folder (from the files
      // of this registry's own backups, with no record put back in a row) may pass every other
      // check; this one refuses it whatever its rows.
      absl::StatusOr<crypto::SecretBytes> auth_key = KeyOfBackupRecords(config);
      const absl::Status authentic =
          auth_key.ok() ? (*staged)->CheckAuthentic(*auth_key) : auth_key.status();
      if (!authentic.ok()) Problem(&r, std::string(authentic.message()));
      restored = (*staged)->SwapIn(nullptr);
    }
  }
  if (!restored.ok()) {
    // The files were just read whole against their checksums (Verify): a restore that fails
    // writing the scratch folder is a check that could not be made, not a finding.
    if (OutOfRoom(restored)) return NoRoomToCheck(backup_bytes);
    if (absl::IsUnavailable(restored) && absl::StrContains(restored.message(), scratch.path())) {
      return absl::FailedPreconditionError(absl::StrCat(
          "backup not verified: restoring it into a scratch folder in the backup folder failed "
          "writing there (", restored.message(), "); look at the backup folder's disk. Nothing "
          "was found wrong with the backup"));
    }
    Problem(&r, absl::StrCat("restore failed: ", restored.message()));
    return r;
  }
  RETURN_IF_ERROR(CopyLedger(config.erasure_ledger_file(), copy.erasure_ledger_file()));
  {
    absl::StatusOr<StorageStack> st = OpenStorage(copy, SystemClock::Get());
    if (!st.ok()) {
      if (OutOfRoom(st.status())) return NoRoomToCheck(backup_bytes);
      Problem(&r, absl::StrCat("the restored copy does not open: ", st.status().message()));
      return r;
    }
    // The checks a restore runs on its staged copy too.
    if (absl::Status checked = CheckRestoredBackup(*st, &live, /*catch_up=*/true, &r);
        !checked.ok()) {
      if (OutOfRoom(checked)) return NoRoomToCheck(backup_bytes);
      return checked;
    }
  }
  r.set_ok(r.files_intact() && r.audit_log_verified() && r.consistent_with_live_log() &&
           r.problem_count() == 0);
  return r;
}

bool VerificationCouldNotRun(absl::StatusCode code) {
  return code == absl::StatusCode::kResourceExhausted ||
         code == absl::StatusCode::kFailedPrecondition || code == absl::StatusCode::kUnavailable;
}

absl::StatusOr<int> RemoveLeftoverScratch(const std::string& backup_dir) {
  std::error_code ec;
  if (!fs::exists(backup_dir, ec)) return 0;
  int removed = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(backup_dir, ec)) {
    if (!entry.is_directory(ec) ||
        !absl::StartsWith(entry.path().filename().string(), kScratchPrefix)) {
      continue;
    }
    fs::remove_all(entry.path(), ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot delete a backup check's leftover folder ", entry.path().string()));
    }
    ++removed;
  }
  if (ec) return absl::UnavailableError("cannot list the backup folder");
  return removed;
}

}  // namespace registry::server
