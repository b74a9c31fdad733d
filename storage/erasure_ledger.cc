#include "storage/erasure_ledger.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "crypto/blind_index.h"
#include "crypto/hmac.h"
#include "storage/ids.h"

namespace registry::storage {
namespace {

constexpr char kMacLabel[] = "kjc-registry/erasure-ledger/v1|";
constexpr char kAppliedKey[] = "erasure/applied";
constexpr size_t kMacSize = 32;
// The uniqueness-token field of an entry whose record had none.
constexpr char kNoDedup[] = "-";

bool IsLowerHex(absl::string_view s, size_t size) {
  if (s.size() != size) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::Status Io(absl::string_view what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat("erasure ledger ", path, ": ", what, ": ", std::strerror(errno)));
}

// What an entry that cannot be read is (`where`: the file and the entry), and the way out: the
// operator meets it at start, at --check_config and at a restore, and the ledger is the one file
// whose older copy would quietly bring erased convictions back.
std::string Damaged(absl::string_view where, absl::string_view what) {
  return absl::StrCat(
      where, " ", what, ": the erasure ledger records every erasure, so that no data put back "
      "brings an erased conviction back; it is append-only, written only by registryd, and must "
      "not be edited. Put back the current erasure ledger from where the key file is kept (a "
      "backup of that folder): its newest copy, for an older one would bring back the records "
      "erased since");
}

absl::Status SyncDirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  return synced ? absl::OkStatus() : Io("sync folder", path);
}

// The database's marker: (entries applied, mac of the last one), or (0, "") when none.
absl::StatusOr<std::pair<uint64_t, std::string>> AppliedMarker(const Database& db) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, db.Get(Cf::kMeta, kAppliedKey));
  if (!raw.has_value()) return std::make_pair(uint64_t{0}, std::string());
  if (raw->size() != 8 + kMacSize) return absl::DataLossError("erasure marker is damaged");
  return std::make_pair(DecodeU64(*raw), raw->substr(8));
}

}  // namespace

absl::Status ErasureLedger::AppliedBy(const Database& db, uint64_t* entries,
                                      std::string* last_mac) {
  ASSIGN_OR_RETURN(auto marker, AppliedMarker(db));
  *entries = marker.first;
  *last_mac = std::move(marker.second);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ErasureLedger::Mac(absl::string_view previous_mac,
                                               absl::string_view body) const {
  return crypto::HmacSha256(
      mac_key_, absl::StrCat(kMacLabel, absl::BytesToHexString(previous_mac), "|", body));
}

void ErasureLedger::Load(const std::vector<Entry>& entries) {
  absl::MutexLock lock(&mu_);
  size_ = entries.size();
  if (!entries.empty()) last_mac_ = entries.back().mac;
  for (const Entry& e : entries) erased_.insert(e.record_id);
}

absl::StatusOr<std::unique_ptr<ErasureLedger>> ErasureLedger::Open(
    const std::string& path, const crypto::SecretBytes& mac_key, Database* db, bool may_create) {
  std::unique_ptr<ErasureLedger> ledger(new ErasureLedger(path, mac_key, db));
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Io("stat", path);
    // A database that has applied erasures is refused before anything is made: an empty file
    // left by the refused start would be taken for the ledger at the next.
    RETURN_IF_ERROR(ledger->AppliedOf({}, /*missing=*/true).status());
    if (!may_create) {
      // Data that has applied none may still be older than erasures the lost ledger held (a
      // backup made before them): only a new installation begins a new ledger.
      return absl::FailedPreconditionError(absl::StrCat(
          "the erasure ledger ", path, " is missing, but this installation is not new (its "
          "audit log, audit watermark or backups show it held data): a new, empty ledger would "
          "let data put back bring back every record erased before. Put the current erasure "
          "ledger back there from where the key file is kept (erasure_ledger_file defaults to "
          "the key file's folder unless it is set), or set erasure_ledger_file to where it is; "
          "nothing was created"));
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Io("create", path);
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced) return Io("sync", path);
    RETURN_IF_ERROR(SyncDirectoryOf(path));
  }
  ASSIGN_OR_RETURN(std::vector<Entry> entries, ledger->ReadAll(/*repair=*/true));
  ledger->Load(entries);
  // Refuse a database whose erasures the ledger does not hold, before anything is served.
  RETURN_IF_ERROR(ledger->Unapplied().status());
  return ledger;
}

absl::StatusOr<std::unique_ptr<ErasureLedger>> ErasureLedger::OpenReadOnly(
    const std::string& path, const crypto::SecretBytes& mac_key, const Database* db) {
  std::unique_ptr<ErasureLedger> ledger(
      new ErasureLedger(path, mac_key, db, /*read_only=*/true));
  struct stat st;
  const bool missing = ::stat(path.c_str(), &st) != 0;
  if (missing && errno != ENOENT) return Io("stat", path);
  // As Open refuses it, without the empty file Open would make.
  if (missing) RETURN_IF_ERROR(ledger->AppliedOf({}, /*missing=*/true).status());
  ASSIGN_OR_RETURN(std::vector<Entry> entries, ledger->ReadAll(/*repair=*/false));
  ledger->Load(entries);
  RETURN_IF_ERROR(ledger->Unapplied().status());
  return ledger;
}

absl::Status ErasureLedger::Check(const std::string& path, const crypto::SecretBytes& mac_key,
                                  const Database* db) {
  const ErasureLedger ledger(path, mac_key, db);
  std::vector<Entry> entries;
  struct stat st;
  const bool missing = ::stat(path.c_str(), &st) != 0;
  if (!missing) {
    ASSIGN_OR_RETURN(entries, ledger.ReadAll(/*repair=*/false));
  } else if (errno != ENOENT) {
    return Io("stat", path);
  }
  if (db == nullptr) return absl::OkStatus();
  return ledger.AppliedOf(entries, missing).status();
}

absl::Status ErasureLedger::CheckNoDatabase(const std::string& path,
                                            const crypto::SecretBytes& mac_key,
                                            absl::string_view data_dir,
                                            absl::string_view holds) {
  const ErasureLedger ledger(path, mac_key, nullptr);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Io("stat", path);
    return absl::OkStatus();  // a first start
  }
  ASSIGN_OR_RETURN(const std::vector<Entry> entries, ledger.ReadAll(/*repair=*/false));
  if (entries.empty()) return absl::OkStatus();
  // Authenticated entries: this registry erased records, so it held data. A new, empty database
  // made here would answer CLEAR for everyone its lost data named.
  return absl::FailedPreconditionError(absl::StrCat(
      "data_dir: ", data_dir, " ", holds, ", but the erasure ledger ", path, " holds ",
      entries.size(), " erasures of this registry, so it held data: check data_dir in the config "
      "(a mistyped or moved folder); nothing was created there. If the data directory was lost, "
      "restore it with --restore_backup; start-up refuses to begin a new, empty registry in its "
      "place (to start an empty registry on purpose, move the erasure ledger and the audit "
      "watermark aside as well)"));
}

absl::Status ErasureLedger::HoldsHead(const std::string& path,
                                      const crypto::SecretBytes& mac_key, uint64_t entries,
                                      absl::string_view last_mac, absl::string_view recorded_by) {
  if (entries == 0) return absl::OkStatus();
  const ErasureLedger ledger(path, mac_key, nullptr, /*read_only=*/true);
  struct stat st;
  const bool missing = ::stat(path.c_str(), &st) != 0;
  if (missing && errno != ENOENT) return Io("stat", path);
  std::vector<Entry> held;
  if (!missing) {
    ASSIGN_OR_RETURN(held, ledger.ReadAll(/*repair=*/false));
  }
  const std::string what =
      missing ? std::string("is missing")
              : absl::StrCat("holds ", held.size(), held.size() == 1 ? " erasure" : " erasures");
  const char* const erasures = entries == 1 ? " erasure" : " erasures";
  const std::string advice = absl::StrCat(
      ": with it, a restore or a start would bring back records erased since; put "
      "back the current erasure ledger at ", path, " from where the key file is kept (a backup "
      "of that folder): its newest copy, holding at least ", entries, erasures, "; registryd "
      "neither starts nor restores a backup without it, and nothing was changed");
  if (held.size() < entries) {
    return absl::FailedPreconditionError(
        absl::StrCat("the erasure ledger ", path, " ", what, ", but ", recorded_by,
                     " recorded that it held ", entries, erasures,
                     ": it was truncated, replaced or lost (an older copy, or emptied)",
                     advice));
  }
  if (!crypto::ConstantTimeEquals(held[entries - 1].mac, last_mac)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the erasure ledger ", path, " is not the one ", recorded_by,
                     " recorded: its first ", entries, erasures,
                     " are others: it was truncated, replaced or lost (another ledger in its "
                     "place)", advice));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ErasureLedger::Entry>> ErasureLedger::ReadAll(bool repair) const {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && read_only_) return std::vector<Entry>();
  if (fd < 0) return Io("open", path_);
  std::string content;
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) content.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (n < 0) return Io("read", path_);

  const size_t complete = content.rfind('\n') == std::string::npos ? 0 : content.rfind('\n') + 1;
  if (complete < content.size() && repair) {
    // A torn append: the erasure it began never committed (the commit follows the fsync).
    const int wfd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    const bool cut = wfd >= 0 && ::ftruncate(wfd, static_cast<off_t>(complete)) == 0 &&
                     ::fsync(wfd) == 0;
    if (wfd >= 0) ::close(wfd);
    if (!cut) return Io("cut a torn last line", path_);
  }
  content.resize(complete);

  std::vector<Entry> entries;
  std::string previous_mac;
  for (absl::string_view line : absl::StrSplit(content, '\n', absl::SkipEmpty())) {
    const std::string where = absl::StrCat("erasure ledger ", path_, ": entry ", entries.size());
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    Entry e;
    int64_t micros = 0;
    // Five fields (written before the uniqueness token was recorded) or six.
    const bool with_dedup = f.size() == 6;
    const absl::string_view mac_hex = f.back();
    std::vector<absl::string_view> dedup;
    if (with_dedup && f[4] != kNoDedup) dedup = absl::StrSplit(f[4], ',');
    const bool dedup_ok = std::all_of(dedup.begin(), dedup.end(), [](absl::string_view hex) {
      return IsLowerHex(hex, 2 * crypto::kBlindIndexTokenSize);
    });
    if ((f.size() != 5 && !with_dedup) || !absl::SimpleAtoi(f[0], &e.index) ||
        e.index != entries.size() || !IsRegistryId(f[1]) ||
        !IsLowerHex(f[2], 2 * crypto::kBlindIndexTokenSize) || !absl::SimpleAtoi(f[3], &micros) ||
        !dedup_ok || !IsLowerHex(mac_hex, 2 * kMacSize)) {
      return absl::DataLossError(Damaged(where, "is malformed"));
    }
    e.record_id = std::string(f[1]);
    e.token = absl::HexStringToBytes(f[2]);
    e.erased_at = absl::FromUnixMicros(micros);
    for (const absl::string_view hex : dedup) e.dedup_tokens.push_back(absl::HexStringToBytes(hex));
    e.mac = absl::HexStringToBytes(mac_hex);
    const absl::string_view body = line.substr(0, line.size() - mac_hex.size() - 1);
    ASSIGN_OR_RETURN(std::string expected, Mac(previous_mac, body));
    if (!crypto::ConstantTimeEquals(expected, e.mac)) {
      return absl::DataLossError(Damaged(where, "fails authentication"));
    }
    previous_mac = e.mac;
    entries.push_back(std::move(e));
  }
  return entries;
}

absl::StatusOr<ErasureLedger::Progress> ErasureLedger::ReadProgress() const {
  Progress progress;
  ASSIGN_OR_RETURN(progress.entries, ReadAll(/*repair=*/false));
  ASSIGN_OR_RETURN(progress.applied, AppliedOf(progress.entries));
  return progress;
}

absl::StatusOr<uint64_t> ErasureLedger::AppliedOf(const std::vector<Entry>& entries,
                                                   bool missing) const {
  ASSIGN_OR_RETURN(auto marker, AppliedMarker(*db_));
  const auto [applied, mac] = marker;
  if (missing && applied > 0) {
    // Not "truncated, replaced or lost": the file is simply not where it is looked for, most
    // often because the key file moved and the ledger's path follows it.
    return absl::FailedPreconditionError(absl::StrCat(
        "the erasure ledger ", path_, " is missing, but this database has applied ", applied,
        " erasures from it (erasure_ledger_file defaults to the key file's folder unless it is "
        "set, so a moved key file moves it too): put the ledger back there from where the key "
        "file is kept, or set erasure_ledger_file to where it is; registryd does not start "
        "without it, since a lost ledger would let an erased conviction back"));
  }
  if (applied > entries.size() ||
      (applied > 0 && !crypto::ConstantTimeEquals(entries[applied - 1].mac, mac))) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the erasure ledger ", path_, " does not hold the ", applied,
        " erasures this database has applied: it was truncated, replaced or lost"));
  }
  return applied;
}

absl::StatusOr<std::vector<ErasureLedger::Entry>> ErasureLedger::Unapplied() const {
  ASSIGN_OR_RETURN(Progress progress, ReadProgress());
  progress.entries.erase(progress.entries.begin(),
                         progress.entries.begin() + static_cast<std::ptrdiff_t>(progress.applied));
  return std::move(progress.entries);
}

absl::StatusOr<ErasureLedger::Entry> ErasureLedger::Append(absl::string_view record_id,
                                                           absl::string_view token,
                                                           const std::vector<std::string>& dedup_tokens,
                                                           absl::Time erased_at,
                                                           PendingWrite* w) {
  const bool dedup_ok =
      std::all_of(dedup_tokens.begin(), dedup_tokens.end(), [](const std::string& t) {
        return t.size() == crypto::kBlindIndexTokenSize;
      });
  if (!IsRegistryId(record_id) || token.size() != crypto::kBlindIndexTokenSize || !dedup_ok) {
    return absl::InternalError("erasure ledger: malformed entry");
  }
  if (read_only_) {
    return absl::FailedPreconditionError(
        absl::StrCat("erasure ledger ", path_, ": opened read-only, nothing is appended"));
  }
  absl::MutexLock lock(&mu_);
  Entry e;
  e.index = size_;
  e.record_id = std::string(record_id);
  e.token = std::string(token);
  e.erased_at = erased_at;
  e.dedup_tokens = dedup_tokens;
  const std::string dedup_field =
      dedup_tokens.empty()
          ? std::string(kNoDedup)
          : absl::StrJoin(dedup_tokens, ",", [](std::string* out, const std::string& t) {
              out->append(absl::BytesToHexString(t));
            });
  const std::string body =
      absl::StrCat(e.index, " ", record_id, " ", absl::BytesToHexString(token), " ",
                   absl::ToUnixMicros(erased_at), " ", dedup_field);
  ASSIGN_OR_RETURN(e.mac, Mac(last_mac_, body));
  const std::string line = absl::StrCat(body, " ", absl::BytesToHexString(e.mac), "\n");

  const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return Io("open", path_);
  const off_t before = ::lseek(fd, 0, SEEK_END);
  size_t written = 0;
  while (written < line.size()) {
    const ssize_t n = ::write(fd, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  const bool ok = before >= 0 && written == line.size() && ::fsync(fd) == 0;
  if (!ok) {
    // Take back whatever reached the file, so the next entry does not land on a torn line (and
    // if this fails too, the next open cuts it: no commit stands behind it).
    const absl::Status failed = Io("append", path_);
    if (before >= 0 && ::ftruncate(fd, before) == 0) ::fsync(fd);
    ::close(fd);
    return failed;
  }
  ::close(fd);
  ++size_;
  last_mac_ = e.mac;
  erased_.insert(e.record_id);
  StageApplied(e, w);
  return e;
}

void ErasureLedger::StageApplied(const Entry& entry, PendingWrite* w) const {
  w->batch()->Put(Cf::kMeta, kAppliedKey,
                  absl::StrCat(EncodeU64(entry.index + 1), entry.mac));
}

absl::StatusOr<bool> ErasureLedger::AllApplied() const {
  ASSIGN_OR_RETURN(auto marker, AppliedMarker(*db_));
  return marker.first == size();
}

uint64_t ErasureLedger::size() const {
  absl::MutexLock lock(&mu_);
  return size_;
}

void ErasureLedger::Head(uint64_t* entries, std::string* last_mac) const {
  absl::MutexLock lock(&mu_);
  *entries = size_;
  *last_mac = size_ == 0 ? std::string() : last_mac_;
}

bool ErasureLedger::Erased(absl::string_view record_id) const {
  absl::MutexLock lock(&mu_);
  return erased_.find(record_id) != erased_.end();
}

}  // namespace registry::storage
