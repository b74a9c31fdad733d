#include "storage/audit_watermark.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/durable_file.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "crypto/hmac.h"
#include "storage/erasure_ledger.h"

namespace registry::storage {
namespace {

constexpr char kMacLabel[] = "kjc-registry/audit-watermark/v1|";
constexpr size_t kHashSize = 32;
// The ledger MAC field of a mark written when the ledger held no entry.
constexpr char kNoLedgerEntry[] = "-";
// The last field before the MAC of a mark that keeps the index broken.
constexpr char kIndexBroken[] = "index-broken";

absl::Status Io(absl::string_view what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat("audit watermark ", path, ": ", what, ": ", std::strerror(errno)));
}

// A damaged mark says what the file is and the way out, for the operator who meets it at start,
// at --check_config and at --adopt_watermark (which refuses it too: a mark it cannot read may
// have been ahead of the log, and replacing it unseen would accept a rollback). Moving the file
// aside is the operator's own act, and the adoption that follows is an audit event.
absl::Status Damaged(const std::string& path, absl::string_view what) {
  return absl::DataLossError(absl::StrCat(
      "audit watermark ", path, ": ", what, ". This file records how far the audit log had "
      "grown, so that a data directory put back from an earlier copy is refused; only registryd "
      "writes it, and it must not be edited. Put back its copy from where the key file is kept "
      "(a backup of that folder). If no good copy is left and this data directory is known to be "
      "the current one, move ", path, " aside (keep it for the investigation) and run registryd "
      "--adopt_watermark, which takes the log as it is and records that in the audit log"));
}

// The bytes of `hex`, which must be `size` bytes of lowercase hex.
std::optional<std::string> FromHex(absl::string_view hex, size_t size) {
  if (hex.size() != 2 * size) return std::nullopt;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  return absl::HexStringToBytes(hex);
}

// The time of event `index` of `log`; none when it cannot be read or holds no time (the data
// check names such an event).
std::optional<absl::Time> EventTime(const AuditLog& log, uint64_t index) {
  absl::StatusOr<std::string> bytes = log.ReadEvent(index);
  registry::v1::AuditEvent event;
  if (!bytes.ok() || !event.ParseFromString(*bytes)) return std::nullopt;
  absl::StatusOr<absl::Time> at = ParseInstant(event.time());
  if (!at.ok()) return std::nullopt;
  return *at;
}

// The date of the newest event of `log` at or past `from`, but for the event a start writes for
// writes a crash cut off (storage/audit_log.h), when it is the newest: the start's own, dated
// by the start. None when there is no other, or it cannot be read.
std::optional<absl::Time> NewestEventPast(const AuditLog& log, uint64_t from) {
  const uint64_t size = log.CurrentHead().size;
  if (size <= from) return std::nullopt;
  absl::StatusOr<std::string> bytes = log.ReadEvent(size - 1);
  registry::v1::AuditEvent last;
  if (bytes.ok() && last.ParseFromString(*bytes) && last.actor() == "system:storage" &&
      last.action() == "recover-cut-off-write") {
    if (size - 1 <= from) return std::nullopt;
    return EventTime(log, size - 2);
  }
  const absl::Time newest = log.NewestEventTime();
  if (newest != absl::InfinitePast()) return newest;
  return EventTime(log, size - 1);
}

}  // namespace

absl::StatusOr<std::string> AuditWatermark::Mac(absl::string_view body) const {
  return crypto::HmacSha256(key_, absl::StrCat(kMacLabel, body));
}

absl::StatusOr<std::unique_ptr<AuditWatermark>> AuditWatermark::Open(
    std::string path, const crypto::SecretBytes& key, const Clock* clock) {
  std::unique_ptr<AuditWatermark> w(new AuditWatermark(std::move(path), key, clock));
  const int fd = ::open(w->path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return w;
    return Io("open", w->path_);
  }
  std::string content;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && content.size() < 4096) {
    content.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (n < 0) return Io("read", w->path_);
  if (content.empty() || content.back() != '\n') return Damaged(w->path_, "not one whole line");
  content.pop_back();
  const std::vector<absl::string_view> f = absl::StrSplit(content, ' ');
  Mark mark;
  int64_t micros = 0;
  std::optional<std::string> root, mac;
  // Four fields (a mark written before the ledger was bound), six (before the index seal was)
  // or eight; nine when it keeps the index broken (the seal's fields "- -" when none is bound).
  if ((f.size() != 4 && f.size() != 6 && f.size() != 8 && f.size() != 9) ||
      !absl::SimpleAtoi(f[0], &mark.size) || !absl::SimpleAtoi(f[2], &micros) ||
      !(root = FromHex(f[1], kHashSize)) || !(mac = FromHex(f.back(), crypto::kHmacSha256Size))) {
    return Damaged(w->path_, "malformed");
  }
  if (f.size() == 9) {
    if (f[7] != kIndexBroken) return Damaged(w->path_, "malformed");
    mark.index_broken = true;
  }
  const bool no_seal = f.size() == 9 && f[5] == kNoLedgerEntry && f[6] == kNoLedgerEntry;
  if (f.size() >= 8 && !no_seal) {
    IndexSealHead seal;
    std::optional<std::string> digest;
    if (!absl::SimpleAtoi(f[5], &seal.generation) || !(digest = FromHex(f[6], kHashSize))) {
      return Damaged(w->path_, "malformed");
    }
    seal.digest = std::move(*digest);
    mark.index_seal = std::move(seal);
  }
  const bool no_ledger = f.size() >= 8 && f[3] == kNoLedgerEntry && f[4] == kNoLedgerEntry;
  if (f.size() >= 6 && !no_ledger) {
    LedgerHead ledger;
    std::optional<std::string> last_mac;
    if (!absl::SimpleAtoi(f[3], &ledger.entries) ||
        (ledger.entries == 0 ? f[4] != kNoLedgerEntry
                             : !(last_mac = FromHex(f[4], crypto::kHmacSha256Size)))) {
      return Damaged(w->path_, "malformed");
    }
    if (last_mac.has_value()) ledger.last_mac = std::move(*last_mac);
    mark.ledger = std::move(ledger);
  }
  const size_t body_end = content.rfind(' ');
  ASSIGN_OR_RETURN(const std::string want, w->Mac(absl::string_view(content).substr(0, body_end)));
  if (!crypto::ConstantTimeEquals(want, *mac)) {
    return Damaged(w->path_, "fails authentication (edited, or from another installation)");
  }
  mark.root = std::move(*root);
  mark.written_at = absl::FromUnixMicros(micros);
  absl::MutexLock lock(&w->mu_);
  w->mark_ = std::move(mark);
  return w;
}

std::optional<AuditWatermark::Mark> AuditWatermark::mark() const {
  absl::MutexLock lock(&mu_);
  return mark_;
}

absl::Status AuditWatermark::Check(const AuditLog& log, absl::Duration interval,
                                   const Database* db) const {
  const std::optional<Mark> mark = this->mark();
  const AuditLog::Head head = log.CurrentHead();
  if (!mark.has_value()) {
    // A new database (no event yet) starts without a mark. One that holds events may be an
    // earlier copy put back with the mark removed: served, it would answer CLEAR for people
    // whose records it lacks. (A log with no event is held, besides, to the erasure ledger and
    // the backups before it is taken for a new one: server/check_config.h
    // RefuseAnEmptyFolderWithAPast.)
    if (head.size == 0) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "the audit watermark ", path_, " is missing, but the data directory's audit log holds ",
        head.size, " events: an earlier copy of the data directory, put back with the "
        "watermark removed, would be served as current. Put the watermark file back from where "
        "the key file is kept; if it is lost and this data directory is the current one, "
        "registryd --adopt_watermark takes the log as it is (recorded in the audit log)"));
  }
  if (head.size < mark->size) {
    return absl::DataLossError(absl::StrCat(
        "the audit log holds ", head.size, " events, fewer than the ", mark->size,
        " it held at ", FormatInstant(mark->written_at),
        " (audit watermark ", path_, "): the data directory was put back from an earlier copy, "
        "or lost its newest writes; to go back to a backup on purpose, use --restore_backup; to "
        "keep this directory as it is, losing what it lacks, registryd --adopt_watermark (recorded "
        "in the audit log)"));
  }
  ASSIGN_OR_RETURN(const std::string root, log.RootAt(mark->size));
  if (root != mark->root) {
    return absl::DataLossError(absl::StrCat(
        "the audit log's first ", mark->size, " events are not those it held at ",
        FormatInstant(mark->written_at), " (audit watermark ", path_,
        "): the data directory was replaced"));
  }
  const std::string way_out = absl::StrCat(
      ": the watermark file was put back from an earlier time (with it, rows put back in the "
      "data folder from that time would pass). Put the current watermark back from where the key "
      "file is kept; if it is lost, check the data folder (registryd --verify_data) and take the "
      "log as it is with registryd --adopt_watermark (recorded in the audit log)");
  if (head.size > mark->size) {
    const std::optional<absl::Time> newest = NewestEventPast(log, mark->size);
    const absl::Duration slack = CrashSlack(interval);
    if (newest.has_value() && *newest - mark->written_at > slack) {
      return absl::DataLossError(absl::StrCat(
          "the audit watermark ", path_, " was written at ", FormatInstant(mark->written_at),
          " when the audit log held ", mark->size, " events, but the log holds ", head.size,
          " events, the newest dated ", FormatInstant(*newest), ": later than a crash leaves (",
          absl::FormatDuration(slack), "; the mark is written every ",
          absl::FormatDuration(interval), " while the log grows)", way_out));
    }
  } else if (db != nullptr && mark->ledger.has_value()) {
    // A damaged marker is the ledger check's to name, in its words.
    uint64_t applied = 0;
    std::string last_mac;
    if (ErasureLedger::AppliedBy(*db, &applied, &last_mac).ok() &&
        applied > mark->ledger->entries) {
      return absl::DataLossError(absl::StrCat(
          "the audit watermark ", path_, " (written at ", FormatInstant(mark->written_at),
          ") counts ", mark->ledger->entries, " erasure ledger entries, but the data folder has "
          "applied ", applied, ", with no audit event past the mark", way_out));
    }
  }
  return absl::OkStatus();
}

absl::Duration AuditWatermark::CrashSlack(absl::Duration interval) {
  return std::max(4 * interval, absl::Minutes(1));
}

absl::Status AuditWatermark::CheckNoDatabase(absl::string_view data_dir,
                                             absl::string_view holds) const {
  const std::optional<Mark> mark = this->mark();
  if (!mark.has_value() || mark->size == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "data_dir: ", data_dir, " ", holds, ", but the audit watermark ", path_,
      " says its audit log held ", mark->size, " events at ", FormatInstant(mark->written_at),
      ": check data_dir in the config (a mistyped or moved folder); nothing was created there. "
      "If the data directory was lost, restore it with --restore_backup; start-up refuses to "
      "begin a new, empty registry in its place (to start an empty registry on purpose, remove "
      "the watermark as well)"));
}

absl::Status AuditWatermark::CheckLedger(const std::string& ledger_path,
                                         const crypto::SecretBytes& ledger_key) const {
  const std::optional<Mark> mark = this->mark();
  if (!mark.has_value() || !mark->ledger.has_value()) return absl::OkStatus();
  return ErasureLedger::HoldsHead(
      ledger_path, ledger_key, mark->ledger->entries, mark->ledger->last_mac,
      absl::StrCat("the audit watermark ", path_, " (written at ",
                   FormatInstant(mark->written_at), ")"));
}

std::string AuditWatermark::IndexSealProblem(const std::optional<IndexSealHead>& stored) const {
  const std::optional<Mark> mark = this->mark();
  if (!mark.has_value() || !mark->index_seal.has_value()) return "";
  const IndexSealHead& bound = *mark->index_seal;
  const std::string since =
      absl::StrCat(" (audit watermark ", path_, ", written at ", FormatInstant(mark->written_at),
                   ", generation ", bound.generation, ")");
  if (!stored.has_value()) {
    return absl::StrCat("index seal: the index family's seal is missing, but the folder was "
                        "sealed", since, ": the seal was deleted in the data folder");
  }
  if (stored->generation < bound.generation) {
    return absl::StrCat("index seal: the stored seal is at generation ", stored->generation,
                        ", behind the one bound", since, ": an earlier seal was put back in "
                        "the data folder, with the index rows of its time");
  }
  if (stored->generation == bound.generation &&
      !crypto::ConstantTimeEquals(stored->digest, bound.digest)) {
    return absl::StrCat("index seal: the stored seal is not the one bound at its generation",
                        since, ": another seal was put in the data folder");
  }
  return "";
}

std::optional<AuditWatermark::LedgerHead> AuditWatermark::LedgerToBind(
    std::optional<LedgerHead> given) const {
  const std::optional<LedgerHead> bound =
      mark_.has_value() ? mark_->ledger : std::optional<LedgerHead>();
  if (!given.has_value()) return bound;
  if (bound.has_value() && bound->entries > given->entries) return bound;
  return given;
}

absl::Status AuditWatermark::Write(const Mark& mark) {
  std::string body = absl::StrCat(mark.size, " ", absl::BytesToHexString(mark.root), " ",
                                  absl::ToUnixMicros(mark.written_at));
  if (mark.ledger.has_value()) {
    absl::StrAppend(&body, " ", mark.ledger->entries, " ",
                    mark.ledger->entries == 0 ? std::string(kNoLedgerEntry)
                                              : absl::BytesToHexString(mark.ledger->last_mac));
  } else if (mark.index_seal.has_value() || mark.index_broken) {
    absl::StrAppend(&body, " ", kNoLedgerEntry, " ", kNoLedgerEntry);
  }
  if (mark.index_seal.has_value()) {
    absl::StrAppend(&body, " ", mark.index_seal->generation, " ",
                    absl::BytesToHexString(mark.index_seal->digest));
  } else if (mark.index_broken) {
    absl::StrAppend(&body, " ", kNoLedgerEntry, " ", kNoLedgerEntry);
  }
  if (mark.index_broken) absl::StrAppend(&body, " ", kIndexBroken);
  ASSIGN_OR_RETURN(const std::string mac, Mac(body));
  const std::string line = absl::StrCat(body, " ", absl::BytesToHexString(mac), "\n");
  if (absl::Status written = ReplaceFileDurably(path_, line); !written.ok()) {
    return absl::UnavailableError(absl::StrCat("audit watermark: ", written.message()));
  }
  mark_ = mark;
  return absl::OkStatus();
}

std::string AuditWatermark::IndexBrokenProblem() const {
  const std::optional<Mark> mark = this->mark();
  if (!mark.has_value() || !mark->index_broken) return "";
  return absl::StrCat("index seal: the index was found broken while registryd ran (index rows "
                      "missing, extra or swapped), as the audit watermark ", path_,
                      " keeps it (written at ", FormatInstant(mark->written_at), "): registryd "
                      "--reseal_index over a sound data check, or a restore, puts it right");
}

absl::Status AuditWatermark::SetIndexBroken(bool broken) {
  absl::MutexLock lock(&mu_);
  if (!mark_.has_value()) {
    return absl::FailedPreconditionError("audit watermark: there is no mark to keep it in");
  }
  if (mark_->index_broken == broken) return absl::OkStatus();
  Mark mark = *mark_;
  mark.index_broken = broken;
  mark.written_at = std::max(clock_->Now(), mark_->written_at);
  return Write(mark);
}

absl::Time AuditWatermark::DateFor(const AuditLog& log) const {
  absl::Time at = std::max(clock_->Now(), log.NewestEventTime());
  if (log.clock() != nullptr) at = std::max(at, log.clock()->Now());
  return at;
}

absl::Status AuditWatermark::Renew(const AuditLog& log, absl::Duration older_than) {
  const AuditLog::Head head = log.CurrentHead();
  absl::MutexLock lock(&mu_);
  if (!mark_.has_value()) return absl::OkStatus();
  if (head.size < mark_->size) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the audit log holds ", head.size, " events, behind its watermark of ", mark_->size));
  }
  const absl::Time now = DateFor(log);
  if (head.size == mark_->size && now - mark_->written_at < older_than) return absl::OkStatus();
  Mark mark = *mark_;
  mark.size = head.size;
  mark.root = head.root;
  mark.written_at = std::max(now, mark_->written_at);
  return Write(mark);
}

absl::Status AuditWatermark::Advance(const AuditLog& log, std::optional<LedgerHead> ledger,
                                     std::optional<IndexSealHead> index_seal,
                                     bool index_broken, bool force) {
  const AuditLog::Head head = log.CurrentHead();
  absl::MutexLock lock(&mu_);
  const std::optional<LedgerHead> bind = LedgerToBind(std::move(ledger));
  // The seal's head only moves forward: one behind (put back) leaves the bound head as it is.
  std::optional<IndexSealHead> seal =
      mark_.has_value() ? mark_->index_seal : std::optional<IndexSealHead>();
  bool seal_moved = false;
  if (index_seal.has_value() &&
      (!seal.has_value() || index_seal->generation > seal->generation)) {
    seal = std::move(index_seal);
    seal_moved = true;
  }
  if (mark_.has_value()) {
    if (head.size < mark_->size) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the audit log holds ", head.size, " events, behind its watermark of ", mark_->size));
    }
    const bool ledger_grew =
        bind.has_value() && (!mark_->ledger.has_value() || bind->entries > mark_->ledger->entries);
    index_broken = index_broken || mark_->index_broken;
    if (!force && head.size == mark_->size && !ledger_grew && !seal_moved &&
        index_broken == mark_->index_broken) {
      return absl::OkStatus();
    }
  }
  return Write(Mark{head.size, head.root, DateFor(log), bind, std::move(seal), index_broken});
}

absl::StatusOr<std::optional<AuditWatermark::Mark>> AuditWatermark::Reset(
    const AuditLog& log, std::optional<LedgerHead> ledger,
    std::optional<IndexSealHead> index_seal, bool clear_index_broken, bool index_broken) {
  const AuditLog::Head head = log.CurrentHead();
  absl::MutexLock lock(&mu_);
  std::optional<Mark> before = mark_;
  if (!index_seal.has_value() && mark_.has_value()) index_seal = mark_->index_seal;
  index_broken =
      index_broken || (!clear_index_broken && mark_.has_value() && mark_->index_broken);
  RETURN_IF_ERROR(Write(Mark{head.size, head.root, DateFor(log),
                             LedgerToBind(std::move(ledger)), std::move(index_seal),
                             index_broken}));
  return before;
}

}  // namespace registry::storage
