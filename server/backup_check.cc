#include "server/backup_check.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/public_status.h"
#include "common/status_macros.h"
#include "crypto/merkle.h"
#include "crypto/secret_bytes.h"
#include "server/config.h"
#include "server/data_check.h"
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

void CompareWithLive(const storage::AuditLog& restored, const storage::AuditLog& live,
                     v1::VerifyBackupResponse* r) {
  const storage::AuditLog::Head mine = restored.CurrentHead();
  const storage::AuditLog::Head theirs = live.CurrentHead();
  r->set_live_audit_events(theirs.size);
  if (mine.size > theirs.size) {
    Problem(r, absl::StrCat("audit log: the backup has ", mine.size,
                            " events, more than the live log's ", theirs.size));
    return;
  }
  absl::StatusOr<std::string> root = live.RootAt(mine.size);
  if (!root.ok()) {
    Problem(r, absl::StrCat("audit log: live root at ", mine.size,
                            " unreadable: ", root.status().message()));
    return;
  }
  if (*root != mine.root) {
    Problem(r, absl::StrCat("audit log: the backup's tree of ", mine.size,
                            " events differs from the live log's (a fork, not a prefix)"));
    return;
  }
  r->set_consistent_with_live_log(true);
}

}  // namespace

absl::StatusOr<v1::VerifyBackupResponse> CheckBackup(const v1::ServerConfig& config,
                                                     uint32_t backup_id,
                                                     const storage::AuditLog& live,
                                                     const storage::Database& live_db) {
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
  absl::Status restored = storage::Backups::Restore(config.backup_dir(), copy.data_dir(),
                                                    backup_id);
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
    // The backup engine's checksums were taken when the files were copied: a block that was
    // already damaged then passes them. Every block of the restored copy is read here.
    absl::Status blocks = st->db->VerifyTableChecksums();
    if (!blocks.ok()) {
      Problem(&r, absl::StrCat("a table file of the restored copy is damaged: ", blocks.message()));
    }
    r.set_audit_events(st->audit->CurrentHead().size);
    VerifyAuditLog(*st->audit, &r);
    CompareWithLive(*st->audit, live, &r);
    absl::StatusOr<int> applied = st->eraser->CatchUp();
    if (!applied.ok()) {
      if (OutOfRoom(applied.status())) return NoRoomToCheck(backup_bytes);
      Problem(&r, absl::StrCat("erasure ledger: ", applied.status().message()));
      return r;
    }
    r.set_erasures_reapplied(*applied);
    absl::StatusOr<storage::DataCheckReport> report =
        CheckData(*st->records, *st->checks, *st->audit, *st->ledger);
    if (!report.ok()) {
      Problem(&r, absl::StrCat("data check: ", report.status().message()));
      return r;
    }
    r.set_records(report->records);
    r.set_versions(report->versions);
    r.set_index_rows(report->index_rows);
    for (std::string& p : report->problems) Problem(&r, std::move(p));
    // Counted but not listed by the data check.
    r.set_problem_count(r.problem_count() + report->problem_count - report->problems.size());
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
