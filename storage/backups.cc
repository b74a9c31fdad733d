#include "storage/backups.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/strings/escaping.h"
#include "common/durable_file.h"
#include "common/paths.h"
#include "common/public_status.h"
#include "crypto/hmac.h"
#include "crypto/secret_bytes.h"
#include "common/status_macros.h"
#include "openssl/evp.h"
#include "rocksdb/env.h"
#include "rocksdb/file_checksum.h"
#include "rocksdb/file_system.h"
#include "rocksdb/utilities/backup_engine.h"
#include "storage/database.h"
#include "storage/erasure_ledger.h"
#include "storage/rocksdb_status.h"

namespace registry::storage {
namespace {

// The CRC32C of a file as a backup's record gives it (RocksDB's checksum of a backed-up file),
// or nullopt when it cannot be read.
std::optional<uint32_t> Crc32cOf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  rocksdb::FileChecksumGenContext context;
  std::unique_ptr<rocksdb::FileChecksumGenerator> gen =
      rocksdb::GetFileChecksumGenCrc32cFactory()->CreateFileChecksumGenerator(context);
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0) gen->Update(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return std::nullopt;
  gen->Finalize();
  const std::string raw = gen->GetChecksum();  // four bytes, big-endian
  if (raw.size() != 4) return std::nullopt;
  uint32_t value = 0;
  for (const char c : raw) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

// The checksum in a record's description of a file ("crc32 <decimal>"), or nullopt.
std::optional<uint32_t> RecordedCrc(absl::string_view described) {
  const size_t at = described.find("crc32 ");
  if (at == absl::string_view::npos) return std::nullopt;
  absl::string_view digits = described.substr(at + 6);
  digits = digits.substr(0, digits.find(' '));
  uint32_t value = 0;
  if (!absl::SimpleAtoi(digits, &value)) return std::nullopt;
  return value;
}

// Before RocksDB's engine reads the folder: the backups whose records (meta/N) describe one shared
// table file differently from another backup's record of it. The engine asserts on that
// (Debian's librocksdb keeps its assertions), and registryd aborted at every start,
// --check_config and restore after one digit of one meta file was changed. Which of the records
// was edited cannot be told from the records alone, so such backups are set aside: the engine
// is given a view of the folder without their records (HidingFileSystem), and they are said as
// damaged, each naming the file, the other backups and what to do. Where the file's own checksum
// is one of the records' (what the engine would check it against), only the backups whose record
// differs from it are set aside. Ids, paths and file names only: nothing of the data.
std::vector<Backups::Damaged> ContradictingRecords(const std::string& dir) {
  std::error_code ec;
  const std::filesystem::path meta = std::filesystem::path(dir) / "meta";
  if (!std::filesystem::is_directory(meta, ec)) return {};
  // A shared file's name -> each description of it (what follows the name) -> the backups that
  // give it.
  std::map<std::string, std::map<std::string, std::set<uint32_t>>> seen;
  for (const auto& entry : std::filesystem::directory_iterator(meta, ec)) {
    const std::string name = entry.path().filename().string();
    uint32_t id = 0;
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return absl::ascii_isdigit(static_cast<unsigned char>(c));
        }) || !absl::SimpleAtoi(name, &id)) {
      continue;  // the engine's temporary files; they are not read as backups
    }
    std::ifstream in(entry.path());
    std::string line;
    std::vector<std::pair<std::string, std::string>> shared;
    bool readable = true;
    while (std::getline(in, line)) {
      const size_t space = line.find(' ');
      if (space == std::string::npos) continue;
      // A checksum the engine cannot read makes it set the whole backup aside as damaged before
      // it adds any of its files: such a record takes no part.
      const size_t crc = line.find(" crc32 ");
      uint32_t value = 0;
      if (crc != std::string::npos && !absl::SimpleAtoi(line.substr(crc + 7), &value)) {
        readable = false;
        break;
      }
      // Private files belong to one backup.
      if (absl::StartsWith(line, "shared")) {
        shared.emplace_back(line.substr(0, space), line.substr(space + 1));
      }
    }
    if (!readable) continue;
    for (const auto& [file, described] : shared) seen[file][described].insert(id);
  }
  // Each backup set aside -> the first file (by name) its record contradicts another's about,
  // the backups that describe that file otherwise, and whether the file itself bears them out.
  struct Aside {
    std::string file;
    std::set<uint32_t> others;
    bool file_agrees_with_others = false;
  };
  std::map<uint32_t, Aside> aside;
  for (const auto& [file, descriptions] : seen) {
    if (descriptions.size() < 2) continue;
    // The file tells which record is right: those whose checksum it does not have are set
    // aside. When it has none of them (or cannot be read), every one is.
    const std::optional<uint32_t> actual = Crc32cOf((std::filesystem::path(dir) / file).string());
    // Only one description can be right: two that agree on the checksum but differ otherwise
    // would still contradict each other before the engine.
    int matching = 0;
    for (const auto& [described, ids] : descriptions) {
      if (actual.has_value() && RecordedCrc(described) == actual) ++matching;
    }
    const bool some_right = matching == 1;
    for (const auto& [described, ids] : descriptions) {
      if (some_right && RecordedCrc(described) == actual) continue;
      for (const uint32_t id : ids) {
        if (aside.count(id) > 0) continue;
        Aside why{file, {}, some_right};
        for (const auto& [other_described, other_ids] : descriptions) {
          if (other_described != described) why.others.insert(other_ids.begin(), other_ids.end());
        }
        aside.emplace(id, std::move(why));
      }
    }
  }
  std::vector<Backups::Damaged> damaged;
  for (const auto& [id, why] : aside) {
    const std::string record = (meta / absl::StrCat(id)).string();
    const bool one = why.others.size() == 1;
    damaged.push_back(
        {id, absl::StrCat(
                 record, ": it describes the shared file ", why.file, " differently from backup",
                 one ? " " : "s ", absl::StrJoin(why.others, ", "),
                 " (a record of a backup, meta/N, was edited); ",
                 why.file_agrees_with_others
                     ? absl::StrCat("the file bears out the other record: move ", record,
                                    " out of ", meta.string())
                     : absl::StrCat("the file bears out neither: move the one that is wrong out "
                                    "of ", meta.string()),
                 " (keep it for the investigation), then make a new backup and check the rest "
                 "with registry-cli admin verify-backup; until then no backup can be made or "
                 "pruned")});
  }
  return damaged;
}

// The backup folder as RocksDB's engine is to see it: without the records of the backups
// ContradictingRecords set aside, which it would assert on.
class HidingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  HidingFileSystem(const std::string& dir, const std::vector<Backups::Damaged>& hidden)
      : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()),
        meta_(Normal(absl::StrCat(dir, "/meta"))) {
    for (const Backups::Damaged& d : hidden) hidden_.insert(absl::StrCat(d.id));
  }
  const char* Name() const override { return "HidingFileSystem"; }

  rocksdb::IOStatus GetChildren(const std::string& dir, const rocksdb::IOOptions& options,
                                std::vector<std::string>* result,
                                rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->GetChildren(dir, options, result, dbg);
    if (s.ok() && Normal(dir) == meta_) {
      result->erase(std::remove_if(result->begin(), result->end(),
                                   [&](const std::string& n) { return hidden_.count(n) > 0; }),
                    result->end());
    }
    return s;
  }
  rocksdb::IOStatus GetChildrenFileAttributes(const std::string& dir,
                                              const rocksdb::IOOptions& options,
                                              std::vector<rocksdb::FileAttributes>* result,
                                              rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->GetChildrenFileAttributes(dir, options, result, dbg);
    if (s.ok() && Normal(dir) == meta_) {
      result->erase(std::remove_if(result->begin(), result->end(),
                                   [&](const rocksdb::FileAttributes& a) {
                                     return hidden_.count(a.name) > 0;
                                   }),
                    result->end());
    }
    return s;
  }

 private:
  static std::string Normal(const std::string& path) {
    std::string normal = std::filesystem::path(path).lexically_normal().string();
    while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
    return normal;
  }

  const std::string meta_;
  std::set<std::string> hidden_;
};

// A read-only engine over the folder (writing nothing there: no folder made, no leftover
// deleted), without the records ContradictingRecords sets aside, which come with it. The
// environment that hides them is kept for as long as the engine (declared before it).
struct Reader {
  std::unique_ptr<rocksdb::Env> env;
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine;
  std::vector<Backups::Damaged> set_aside;
};

absl::StatusOr<Reader> OpenReader(const std::string& dir) {
  Reader reader;
  reader.set_aside = ContradictingRecords(dir);
  rocksdb::Env* env = rocksdb::Env::Default();
  if (!reader.set_aside.empty()) {
    reader.env = rocksdb::NewCompositeEnv(
        std::make_shared<HidingFileSystem>(dir, reader.set_aside));
    env = reader.env.get();
  }
  rocksdb::BackupEngineOptions options(dir, env);
  options.share_table_files = true;
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::IOStatus s = rocksdb::BackupEngineReadOnly::Open(options, env, &raw);
  if (!s.ok()) return FromRocksDb(s);
  reader.engine.reset(raw);
  return reader;
}

// The engine that makes and deletes backups. Only for a folder whose records agree: it is never
// given a view without some of them, since its garbage collection would delete the files only
// the hidden backups use (one of which may be sound), and a new backup beside them could be
// given a file whose record then contradicts theirs. Callers check ContradictingRecords first.
absl::StatusOr<std::unique_ptr<rocksdb::BackupEngine>> OpenEngine(const std::string& dir) {
  rocksdb::BackupEngineOptions options(dir);
  options.sync = true;
  options.share_table_files = true;
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus s = rocksdb::BackupEngine::Open(options, rocksdb::Env::Default(), &raw);
  if (!s.ok()) return FromRocksDb(s);
  return std::unique_ptr<rocksdb::BackupEngine>(raw);
}

// Why no backup can be made or deleted while records contradict (see OpenEngine): public, since
// it holds ids, paths and file names only, and the security officer is the one to be told.
absl::Status ContradictionRefusal(const std::string& dir,
                                  const std::vector<Backups::Damaged>& set_aside) {
  std::vector<uint32_t> ids;
  for (const Backups::Damaged& d : set_aside) ids.push_back(d.id);
  return PublicError(absl::FailedPreconditionError(absl::StrCat(
      "no backup can be made or pruned in ", dir, " while backups ", absl::StrJoin(ids, ", "),
      " describe a shared file differently (", set_aside.front().reason,
      "); registry-cli admin backups lists them as DAMAGED")));
}

// Whether `dir` holds the engine's record of any backup: a read-only engine refuses a folder
// without it.
bool HasMetaFolder(const std::string& dir) {
  std::error_code ec;
  return std::filesystem::is_directory(absl::StrCat(dir, "/meta"), ec);
}

// The backups whose meta file the engine could not read, by id, with its reason.
// With them, those whose records were set aside (ContradictingRecords), in order of id.
std::vector<Backups::Damaged> DamagedOf(const rocksdb::BackupEngineReadOnlyBase& engine,
                                        const std::string& dir,
                                        const std::vector<Backups::Damaged>& set_aside) {
  std::vector<rocksdb::BackupID> ids;
  engine.GetCorruptedBackups(&ids);
  std::sort(ids.begin(), ids.end());
  std::vector<Backups::Damaged> damaged;
  for (const rocksdb::BackupID id : ids) {
    // The engine answers a damaged backup with the error that made it one, reading nothing.
    const rocksdb::IOStatus why = engine.VerifyBackup(id, /*verify_with_checksum=*/false);
    const std::string meta = absl::StrCat(dir, "/meta/", id);
    std::string reason = why.ok() ? std::string("cannot be read") : why.ToString();
    // RocksDB names the meta file in most of its reasons; where it does not, it is named first.
    if (!absl::StrContains(reason, meta)) reason = absl::StrCat(meta, ": ", reason);
    damaged.push_back({id, std::move(reason)});
  }
  damaged.insert(damaged.end(), set_aside.begin(), set_aside.end());
  std::sort(damaged.begin(), damaged.end(),
            [](const Backups::Damaged& a, const Backups::Damaged& b) { return a.id < b.id; });
  return damaged;
}

std::string DamagedMessage(const Backups::Damaged& damaged) {
  return absl::StrCat("backup ", damaged.id,
                      " is damaged: its record of its files cannot be read (", damaged.reason, ")");
}

// See Backups::ChooseForRestore.
absl::StatusOr<uint32_t> ChooseOn(const rocksdb::BackupEngineReadOnlyBase& engine,
                                  const std::string& dir,
                                  const std::vector<Backups::Damaged>& set_aside, uint32_t id) {
  std::vector<rocksdb::BackupInfo> infos;
  engine.GetBackupInfo(&infos);
  const std::vector<Backups::Damaged> damaged = DamagedOf(engine, dir, set_aside);
  uint32_t newest_sound = 0;
  bool sound = false;
  for (const rocksdb::BackupInfo& info : infos) {
    newest_sound = std::max(newest_sound, info.backup_id);
    sound = sound || info.backup_id == id;
  }
  const auto another = [&](absl::string_view which) {
    return newest_sound == 0
               ? absl::StrCat("no backup in ", dir, " can be restored")
               : absl::StrCat("to restore ", which, " one, name it: the newest that is not "
                              "damaged is backup ", newest_sound, " (registryd --restore_backup ",
                              newest_sound, ")");
  };
  const bool newest_asked = id == 0;
  if (newest_asked) {
    id = newest_sound;
    for (const Backups::Damaged& d : damaged) id = std::max(id, d.id);
    if (id == 0) return absl::NotFoundError(absl::StrCat("there is no backup in ", dir));
  }
  for (const Backups::Damaged& d : damaged) {
    if (d.id != id) continue;
    if (newest_asked) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the newest backup in ", dir, ", ", DamagedMessage(d), ": nothing was restored (a "
          "restore of the newest backup does not restore an older one in its place); ",
          another("an older")));
    }
    return absl::DataLossError(
        absl::StrCat(DamagedMessage(d), ": it cannot be restored; ", another("another")));
  }
  if (id != newest_sound && !sound) {
    return absl::NotFoundError(absl::StrCat("no backup ", id, " in ", dir));
  }
  return id;
}

// The line a backup's meta file keeps of how far its database had applied the erasure ledger
// (Info::Erasures): "erasures-applied/v1 <entries> <mac of the last, hex; - when none>".
constexpr char kErasuresLabel[] = "erasures-applied/v1";

std::string ErasuresLine(uint64_t applied, const std::string& last_mac) {
  return absl::StrCat(kErasuresLabel, " ", applied, " ",
                      last_mac.empty() ? std::string("-") : absl::BytesToHexString(last_mac));
}

// Not there when the line is absent (a backup made before it was recorded) or cannot be read.
std::optional<Backups::Info::Erasures> ErasuresOf(const std::string& line) {
  const std::vector<std::string> parts = absl::StrSplit(line, ' ');
  Backups::Info::Erasures erasures;
  if (parts.size() != 3 || parts[0] != kErasuresLabel ||
      !absl::SimpleAtoi(parts[1], &erasures.applied)) {
    return std::nullopt;
  }
  if (parts[2] == "-") return erasures.applied == 0 ? std::optional(erasures) : std::nullopt;
  if (erasures.applied == 0 || parts[2].size() != 64) return std::nullopt;
  for (const char c : parts[2]) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return std::nullopt;
  }
  erasures.last_mac = absl::HexStringToBytes(parts[2]);
  return erasures;
}

// As recorded: List clamps created_at.
Backups::Info InfoOf(const rocksdb::BackupInfo& info) {
  const absl::Time recorded = absl::FromUnixSeconds(info.timestamp);
  Backups::Info out;
  out.id = info.backup_id;
  out.created_at = recorded;
  out.size_bytes = info.size;
  out.stored_created_at = recorded;
  out.erasures = ErasuresOf(info.app_metadata);
  return out;
}

// List's order and dates (see Dates in backups.h) of what the engine lists.
std::vector<Backups::Info> ListOf(const rocksdb::BackupEngineReadOnlyBase& engine) {
  std::vector<rocksdb::BackupInfo> infos;
  engine.GetBackupInfo(&infos);
  std::vector<Backups::Info> out;
  for (const auto& info : infos) out.push_back(InfoOf(info));
  std::sort(out.begin(), out.end(),
            [](const Backups::Info& a, const Backups::Info& b) { return a.id < b.id; });
  // The recorded dates are not authenticated (see Dates in backups.h): newest first, each is
  // held to now and to the date of the backup made after it, so that a date edited into the
  // future neither exempts a backup from pruning by age nor puts off the next scheduled one.
  absl::Time latest_possible = absl::Now();
  for (auto it = out.rbegin(); it != out.rend(); ++it) {
    it->created_at = std::min(it->stored_created_at, latest_possible);
    latest_possible = it->created_at;
  }
  return out;
}

absl::Status BackupFolderError(const std::string& dir, absl::string_view what,
                               absl::string_view reason) {
  return PublicError(absl::FailedPreconditionError(absl::StrCat(
      "the backup folder ", dir, " ", what, ": ", reason,
      "; no backup can be made until registryd can write there (see to the folder's owner and "
      "mode, its mount, its disk's free space)")));
}

// Why the backup engine failed, when the backup folder is the reason: it is not a folder, or it
// (or one of the engine's folders in it) cannot be created, listed or written. That is the
// operator's to put right, not a failed disk, so it is said as it is, to the security officer
// too: a FailedPrecondition marked public (common/public_status.h), which holds the folder's path
// and the system's reason, never anything of the data. Without it the gate answered every
// backup call with the text that means "the disk failed, restart registryd". OK when every
// folder can be written: the failure was something else.
// Where the record that authenticates backup `id` of `dir` lies (Backups::Authenticate).
std::string AuthRecordPath(const std::string& dir, uint32_t id) {
  return absl::StrCat(dir, "/auth/", id);
}

absl::Status BackupFolderProblem(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return BackupFolderError(dir, "cannot be created", ec.message());
  }
  // The folder, then the engine's own folders in it that exist.
  for (const char* sub : {"", "/meta", "/private", "/shared", "/shared_checksum"}) {
    const std::string path = absl::StrCat(dir, sub);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (*sub != '\0' && errno == ENOENT) continue;
      return BackupFolderError(path, "cannot be read", std::strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) return BackupFolderError(path, "is not a folder", "a file is there");
    const int listed = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (listed < 0) return BackupFolderError(path, "cannot be read", std::strerror(errno));
    ::close(listed);
    // A file made and removed again: access(2) answers for the real user, and lets root pass on
    // a folder of any mode.
    std::string probe = absl::StrCat(path, "/.write-check-XXXXXX");
    const int fd = ::mkstemp(probe.data());
    if (fd < 0) return BackupFolderError(path, "cannot be written", std::strerror(errno));
    ::close(fd);
    ::unlink(probe.c_str());
  }
  return absl::OkStatus();
}

}  // namespace

Backups::Backups(std::unique_ptr<rocksdb::BackupEngine> engine, std::string dir)
    : engine_(std::move(engine)), dir_(std::move(dir)) {}
Backups::~Backups() = default;

const rocksdb::BackupEngineReadOnlyBase& Backups::reader() const {
  if (engine_ != nullptr) return *engine_;
  return *read_only_;
}

absl::StatusOr<std::unique_ptr<Backups>> Backups::Open(const std::string& dir) {
  if (std::vector<Damaged> set_aside = ContradictingRecords(dir); !set_aside.empty()) {
    // Read only, without their records: the rest is listed, verified and restored as ever, and
    // no backup is made or deleted until the records agree again (see OpenEngine).
    ASSIGN_OR_RETURN(Reader reader, OpenReader(dir));
    std::unique_ptr<Backups> backups(new Backups(nullptr, dir));
    backups->view_env_ = std::move(reader.env);
    backups->read_only_ = std::move(reader.engine);
    backups->set_aside_ = std::move(reader.set_aside);
    return backups;
  }
  absl::StatusOr<std::unique_ptr<rocksdb::BackupEngine>> engine = OpenEngine(dir);
  if (!engine.ok()) {
    RETURN_IF_ERROR(BackupFolderProblem(dir));
    return engine.status();
  }
  return std::unique_ptr<Backups>(new Backups(*std::move(engine), dir));
}

absl::StatusOr<Backups::Info> Backups::Create(Database* db, const crypto::SecretBytes* auth_key) {
  // Before anything is written: a flush or a copy that met a full disk inside RocksDB's backup
  // engine aborted registryd.
  if (engine_ == nullptr) return ContradictionRefusal(dir_, set_aside_);
  RETURN_IF_ERROR(db->RoomForBackupIn(dir_));
  // A table file with a damaged block would be copied as it is (the backup's own checksums are
  // taken of the damaged bytes), and the backup later called sound: none is taken of it.
  absl::Status sound = db->VerifyTableChecksums();
  if (!sound.ok()) {
    return absl::DataLossError(
        absl::StrCat("no backup taken: the database has a damaged table file (", sound.message(),
                     ")"));
  }
  // Read before the copy, which then holds at least these erasures (an erasure committed
  // in between is in the copy too, beyond what is recorded: the check stays on the safe side).
  uint64_t applied = 0;
  std::string last_mac;
  RETURN_IF_ERROR(ErasureLedger::AppliedBy(*db, &applied, &last_mac));
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = true;
  uint32_t id = 0;
  rocksdb::IOStatus s = engine_->CreateNewBackupWithMetadata(
      options, db->raw(), ErasuresLine(applied, last_mac), &id);
  if (!s.ok()) {
    RETURN_IF_ERROR(BackupFolderProblem(dir_));
    return absl::UnavailableError(absl::StrCat("backup failed: ", s.ToString()));
  }
  rocksdb::BackupInfo info;
  if (rocksdb::Status got = engine_->GetBackupInfo(id, &info); !got.ok()) {
    return absl::UnavailableError(absl::StrCat("backup failed: ", got.ToString()));
  }
  if (auth_key != nullptr) {
    if (absl::Status authenticated = Authenticate(dir_, id, *auth_key); !authenticated.ok()) {
      Delete({id}).IgnoreError();
      return absl::Status(authenticated.code(),
                          absl::StrCat("backup not taken: ", authenticated.message()));
    }
  }
  return InfoOf(info);
}

std::vector<Backups::Info> Backups::List() { return ListOf(reader()); }

absl::StatusOr<std::vector<Backups::Info>> Backups::ListIn(const std::string& dir) {
  if (!HasMetaFolder(dir)) return std::vector<Info>();
  ASSIGN_OR_RETURN(const Reader reader, OpenReader(dir));
  return ListOf(*reader.engine);
}

std::vector<Backups::Damaged> Backups::ListDamaged() {
  return DamagedOf(reader(), dir_, set_aside_);
}

absl::StatusOr<std::vector<Backups::Damaged>> Backups::DamagedIn(const std::string& dir) {
  if (!HasMetaFolder(dir)) return std::vector<Damaged>();
  ASSIGN_OR_RETURN(const Reader reader, OpenReader(dir));
  return DamagedOf(*reader.engine, dir, reader.set_aside);
}

absl::StatusOr<uint32_t> Backups::ChooseForRestore(const std::string& dir, uint32_t id) {
  if (!HasMetaFolder(dir)) {
    return absl::NotFoundError(id == 0 ? absl::StrCat("there is no backup in ", dir)
                                       : absl::StrCat("no backup ", id, " in ", dir));
  }
  ASSIGN_OR_RETURN(const Reader reader, OpenReader(dir));
  return ChooseOn(*reader.engine, dir, reader.set_aside, id);
}

std::vector<uint32_t> Backups::Expired(uint32_t keep_count, absl::Duration keep_age,
                                       absl::Time now) {
  const std::vector<Info> all = List();
  std::vector<uint32_t> expired;
  for (size_t i = 0; i + 1 < all.size(); ++i) {  // never the newest
    const bool beyond_count = all.size() - i > keep_count;
    const bool too_old = all[i].created_at < now - keep_age;
    if (beyond_count || too_old) expired.push_back(all[i].id);
  }
  return expired;
}

absl::Status Backups::Delete(const std::vector<uint32_t>& ids) {
  if (ids.empty()) return absl::OkStatus();
  if (engine_ == nullptr) return ContradictionRefusal(dir_, set_aside_);
  for (uint32_t id : ids) {
    rocksdb::IOStatus s = engine_->DeleteBackup(id);
    if (!s.ok()) return FromRocksDb(s);
    // Its record of authentication goes with it: a later backup may be given the same id.
    ::unlink(AuthRecordPath(dir_, id).c_str());
  }
  return FromRocksDb(engine_->GarbageCollect());
}

absl::Status Backups::Verify(uint32_t id) {
  rocksdb::BackupInfo info;
  if (!reader().GetBackupInfo(id, &info).ok()) {
    // The engine answers a damaged backup as it answers none: it is said as damaged.
    for (const Damaged& damaged : ListDamaged()) {
      if (damaged.id == id) return absl::DataLossError(DamagedMessage(damaged));
    }
    return absl::NotFoundError(absl::StrCat("no backup ", id));
  }
  rocksdb::IOStatus s = reader().VerifyBackup(id, /*verify_with_checksum=*/true);
  if (s.ok()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("backup ", id, ": ", s.ToString()));
}

namespace {

// The MAC's domain: what it is over, and in which version of the layout. Version 2 covers the
// backup's meta file too, byte for byte; its record starts with kRecordV2 (a record of version 1
// is the hex alone).
constexpr char kBackupMacLabel[] = "kjc-registry/backup/v1|";
constexpr char kBackupMacLabelV2[] = "kjc-registry/backup/v2|";
constexpr char kRecordV2[] = "v2 ";

// The size and SHA-256 of the file at `path`, read in pieces (table files are large).
absl::Status DigestFile(const std::string& path, uint64_t* size, std::string* sha256) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1;
  std::vector<char> buf(1 << 20);
  *size = 0;
  ssize_t n = 0;
  while (ok && (n = ::read(fd, buf.data(), buf.size())) > 0) {
    ok = EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(n)) == 1;
    *size += static_cast<uint64_t>(n);
  }
  const int read_error = errno;
  ::close(fd);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  ok = ok && n == 0 && EVP_DigestFinal_ex(ctx, digest, &length) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) {
    return absl::UnavailableError(absl::StrCat(
        "cannot read ", path, n < 0 ? absl::StrCat(": ", std::strerror(read_error)) : ""));
  }
  sha256->assign(reinterpret_cast<const char*>(digest), length);
  return absl::OkStatus();
}

// One file of a backup as its MAC takes it: its name in the backup folder, size and SHA-256.
std::string FileLine(const std::string& name, uint64_t size, const std::string& sha256) {
  return absl::StrCat(name, " ", size, " ", absl::BytesToHexString(sha256));
}

// The MAC of backup `id`: its id, its metadata, (version 2) its meta file's bytes, then each of
// its files (FileLine), in name order.
absl::StatusOr<std::string> MacOf(const crypto::SecretBytes& key, int version, uint32_t id,
                                  const std::string& app_metadata, const std::string& meta,
                                  std::vector<std::string> files) {
  std::sort(files.begin(), files.end());
  if (version == 1) {
    return crypto::HmacSha256(
        key, absl::StrCat(kBackupMacLabel, id, "\n", absl::BytesToHexString(app_metadata), "\n",
                          absl::StrJoin(files, "\n")));
  }
  return crypto::HmacSha256(
      key, absl::StrCat(kBackupMacLabelV2, id, "\n", absl::BytesToHexString(app_metadata), "\n",
                        absl::BytesToHexString(meta), "\n", absl::StrJoin(files, "\n")));
}

// The bytes of backup `id`'s meta file in `dir`, read once.
absl::StatusOr<std::string> MetaBytes(const std::string& dir, uint32_t id) {
  const std::string path = absl::StrCat(dir, "/meta/", id);
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return absl::NotFoundError(absl::StrCat("no backup ", id));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  return bytes;
}

// The MAC of backup `id` of `dir` as the folder holds it now.
absl::StatusOr<std::string> BackupMac(const std::string& dir, uint32_t id,
                                      const crypto::SecretBytes& key, int version) {
  ASSIGN_OR_RETURN(const Reader reader, OpenReader(dir));
  rocksdb::BackupInfo info;
  if (!reader.engine->GetBackupInfo(id, &info, /*include_file_details=*/true).ok()) {
    return absl::NotFoundError(absl::StrCat("no backup ", id));
  }
  std::vector<std::string> files;
  for (const rocksdb::BackupFileInfo& file : info.file_details) {
    uint64_t size = 0;
    std::string sha256;
    RETURN_IF_ERROR(DigestFile(absl::StrCat(dir, "/", file.relative_filename), &size, &sha256));
    files.push_back(FileLine(file.relative_filename, size, sha256));
  }
  std::string meta;
  if (version == 2) {
    ASSIGN_OR_RETURN(meta, MetaBytes(dir, id));
  }
  return MacOf(key, version, id, info.app_metadata, meta, std::move(files));
}

// Backup `id`'s record of authentication: its version and MAC (raw bytes). FailedPrecondition
// when there is none.
struct AuthRecord {
  int version = 1;
  std::string mac;
};

absl::StatusOr<AuthRecord> ReadAuthRecord(const std::string& dir, uint32_t id) {
  const std::string path = AuthRecordPath(dir, id);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup ", id, " has no record that this registry made it (", path, " is missing): it "
        "was made before this release authenticated its backups, or by hand in the backup "
        "folder, or its record was deleted there; it is neither restored nor verified. Restore a "
        "backup registryd made since (each carries its record; make one now with "
        "`registry-cli admin backup` while the data folder is sound)"));
  }
  std::string line;
  std::getline(in, line);
  AuthRecord record;
  if (absl::StartsWith(line, kRecordV2)) {
    record.version = 2;
    line = line.substr(std::strlen(kRecordV2));
  }
  // Anything but 64 hex digits fits no backup.
  if (line.size() == 2 * crypto::kHmacSha256Size &&
      std::all_of(line.begin(), line.end(), [](char c) { return absl::ascii_isxdigit(c); })) {
    record.mac = absl::HexStringToBytes(line);
  }
  return record;
}

bool Fits(const AuthRecord& record, const std::string& mac) {
  return record.mac.size() == mac.size() && crypto::ConstantTimeEquals(record.mac, mac);
}

absl::Status NotMadeHere(const std::string& dir, uint32_t id) {
  return absl::DataLossError(absl::StrCat(
      "backup ", id, " is not as this registry made it: its files, its metadata or its record (",
      AuthRecordPath(dir, id), ") were changed in the backup folder since, or it was made with "
      "another key file; it is neither restored nor verified. Restore another backup"));
}

}  // namespace

absl::Status Backups::Authenticate(const std::string& dir, uint32_t id,
                                   const crypto::SecretBytes& key) {
  ASSIGN_OR_RETURN(const std::string mac, BackupMac(dir, id, key, /*version=*/2));
  std::error_code error;
  const std::string folder = absl::StrCat(dir, "/auth");
  if (!std::filesystem::exists(folder, error)) {
    if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::UnavailableError(
          absl::StrCat("cannot create ", folder, ": ", std::strerror(errno)));
    }
  }
  return ReplaceFileDurably(AuthRecordPath(dir, id),
                            absl::StrCat(kRecordV2, absl::BytesToHexString(mac), "\n"));
}

absl::Status Backups::CheckAuthentic(const std::string& dir, uint32_t id,
                                     const crypto::SecretBytes& key) {
  ASSIGN_OR_RETURN(const AuthRecord record, ReadAuthRecord(dir, id));
  ASSIGN_OR_RETURN(const std::string want, BackupMac(dir, id, key, record.version));
  if (!Fits(record, want)) return NotMadeHere(dir, id);
  return absl::OkStatus();
}

absl::Status Backups::Staged::CheckAuthentic(const crypto::SecretBytes& key) const {
  ASSIGN_OR_RETURN(const AuthRecord record, ReadAuthRecord(backup_dir_, backup_id_));
  // The meta file as it is now: the files it listed when the engine read it are those hashed in
  // the copy, which the MAC covers by name; what else it says is held to the record here.
  absl::StatusOr<std::string> meta = std::string();
  if (record.version == 2) meta = MetaBytes(backup_dir_, backup_id_);
  if (meta.ok()) {
    ASSIGN_OR_RETURN(const std::string want,
                     MacOf(key, record.version, backup_id_, app_metadata_, *meta, files_));
    if (Fits(record, want)) return absl::OkStatus();
  }
  // Not what the record vouches for. Said as a swap when the folder fits the record now.
  if (const absl::Status now = Backups::CheckAuthentic(backup_dir_, backup_id_, key); !now.ok()) {
    return absl::IsNotFound(now) ? NotMadeHere(backup_dir_, backup_id_) : now;
  }
  return absl::DataLossError(absl::StrCat(
      "backup ", backup_id_, "'s files changed in the backup folder ", backup_dir_,
      " during the restore: the copy made of them is not what this registry's record (",
      AuthRecordPath(backup_dir_, backup_id_), ") vouches for, though the folder fits it again "
      "now; the copy is neither restored nor verified. Find out what else writes the backup "
      "folder, then run the restore or the verification again"));
}


namespace {

namespace fs = std::filesystem;

// The names a restore of one data directory uses, all in the folder that holds it: each move is
// then a rename within one file system, atomic, and made durable by syncing that one folder.
struct RestoreNames {
  std::string data_dir;  // as configured, without a trailing slash, its links followed
  std::string parent;    // the folder that holds it
  std::string name;      // its last component

  std::string Beside(absl::string_view suffix) const {
    return absl::StrCat(parent, "/", name, suffix);
  }
  std::string staging_prefix() const { return absl::StrCat(name, ".restore-staging-"); }
  std::string aside_prefix() const { return absl::StrCat(name, ".before-restore-"); }
  // A restored copy that the recovery of an interrupted swap took out of data_dir before
  // anything read it, to be deleted (RecoverRestoreLocked).
  std::string unfinished_prefix() const { return absl::StrCat(name, ".unfinished-restore-"); }
  // SwapIn's record of the two names, while data_dir may be absent.
  std::string swap_record() const { return Beside(".restore-swap"); }
};

// `dir` with every symbolic link it ends in followed, also one whose target is gone (between a
// restore's two renames): a data_dir that is a link (data -> /other/disk/data) is restored where
// it points. Its names beside it are then on the link target's file system, so that the copy is
// made there and the renames stay within one file system; the link is left as it is, pointing to
// the restored copy. Renaming the link itself had set it aside and put a real folder in its
// place on the parent's disk, moving the database to another disk without a word.
absl::StatusOr<std::string> FollowLinks(std::string dir) {
  for (int hops = 0; hops < 40; ++hops) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return dir;
    std::error_code error;
    fs::path target = fs::read_symlink(dir, error);
    if (error) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot restore into ", dir, ": it is a symbolic link that cannot be read (",
          error.message(), ")"));
    }
    if (target.is_relative()) target = fs::path(dir).parent_path() / target;
    dir = target.lexically_normal().string();
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("cannot restore into ", dir, ": too many symbolic links"));
}

absl::StatusOr<RestoreNames> NamesOf(const std::string& data_dir) {
  std::string configured = data_dir;
  while (configured.size() > 1 && configured.back() == '/') configured.pop_back();
  ASSIGN_OR_RETURN(std::string dir, FollowLinks(configured));
  const size_t slash = dir.rfind('/');
  RestoreNames names;
  names.data_dir = dir;
  names.parent = slash == std::string::npos ? "." : slash == 0 ? "/" : dir.substr(0, slash);
  names.name = slash == std::string::npos ? dir : dir.substr(slash + 1);
  if (names.name.empty() || names.name == "." || names.name == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot restore into ", data_dir, ": it names no folder of its own"));
  }
  return names;
}

absl::Status RestoreIoError(absl::string_view what, int error) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(error)));
}

// Makes the renames and deletions in `dir` durable: after a power loss they are either all there
// or the folder reads as before them, never half.
absl::Status SyncRestoreFolder(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return RestoreIoError(absl::StrCat("cannot open ", dir, " to sync it"), errno);
  const bool synced = ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (!synced) return RestoreIoError(absl::StrCat("cannot sync ", dir), error);
  return absl::OkStatus();
}

// The lock that keeps two restores of the same data directory (or a restore and the recovery a
// registryd start runs) from working on the same names at once: an exclusive flock on the folder
// that holds it. The fd, to close to let go.
absl::StatusOr<int> LockRestoreFolder(const RestoreNames& names) {
  const int fd = ::open(names.parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return RestoreIoError(absl::StrCat("cannot open ", names.parent), errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "a restore of ", names.data_dir, " is under way (it holds a lock on ", names.parent,
          "): wait for it to end"));
    }
    return RestoreIoError(absl::StrCat("cannot lock ", names.parent), error);
  }
  return fd;
}

bool RestorePathExists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// One of the names a restore gives, and nothing else: a record that names another folder (edited
// by hand) must not make the recovery rename or delete it.
bool IsRestoreName(const std::string& name, const std::string& prefix) {
  return name.size() > prefix.size() && absl::StartsWith(name, prefix) &&
         name.find('/') == std::string::npos;
}

// The file a restored copy holds from its swap until the restore finished (Backups::
// FinishRestore): a random token, also written in the swap record. The record alone proves
// nothing (whoever may write beside data_dir may write one); the token inside a folder only the
// service may write proves the folder is the copy that record's restore made. A data folder
// that still holds it is a restored copy whose restore never finished (its erasures may not
// have been applied). After the token, on lines of their own: "backup <id>" (the backup
// restored) and "before <name>" (the folder beside data_dir that holds what data_dir held
// before the swap, or nothing after "before "), so that whoever finds the copy is told how to
// finish the restore or give up on it (Backups::RefuseUnfinishedRestore).
constexpr char kRestoreTokenFile[] = "RESTORE-UNFINISHED";

// A folder (not a link to one, not a file).
bool IsRealFolder(const std::string& path) {
  struct stat info;
  return ::lstat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

// The token in `folder`, or "" when it is no real folder or holds none.
std::string TokenIn(const std::string& folder) {
  if (!IsRealFolder(folder)) return "";
  std::ifstream in(absl::StrCat(folder, "/", kRestoreTokenFile));
  std::string token;
  if (!in || !std::getline(in, token)) return "";
  return token;
}

bool IsToken(absl::string_view token) {
  return token.size() == 32 && std::all_of(token.begin(), token.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Deletes a folder a restore made. Its token goes last: a kill part-way through leaves a folder
// that still holds it, and so is still known as a restore's copy by whatever looks at it next
// (std::filesystem::remove_all deletes in the order the folder lists, the token often first).
absl::Status RemoveRestoreFolder(const std::string& path) {
  std::error_code error;
  const auto failed = [&path](const std::error_code& why) {
    return absl::UnavailableError(absl::StrCat("cannot delete ", path, ": ", why.message()));
  };
  if (IsRealFolder(path)) {
    // Listed whole first: a folder changed while it is listed may list an entry twice or never.
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(path, error), end; !error && it != end; it.increment(error)) {
      if (it->path().filename() != kRestoreTokenFile) entries.push_back(it->path());
    }
    if (error) return failed(error);
    for (const fs::path& entry : entries) {
      fs::remove_all(entry, error);
      if (error) return failed(error);
    }
  }
  fs::remove_all(path, error);
  if (error) return failed(error);
  return absl::OkStatus();
}

// A name beside data_dir that nothing holds: "<data_dir><infix><unix seconds>", with "-2",
// "-3"... after it when a folder of that name is there (a second restore within the second).
std::string UnusedNameBeside(const RestoreNames& names, absl::string_view infix) {
  const std::string stem = names.Beside(absl::StrCat(infix, absl::ToUnixSeconds(absl::Now())));
  std::string name = stem;
  for (int n = 2; RestorePathExists(name); ++n) name = absl::StrCat(stem, "-", n);
  return name;
}

// RecoverInterruptedRestore, under the lock.
absl::StatusOr<std::string> RecoverRestoreLocked(const RestoreNames& names) {
  std::vector<std::string> done;
  const std::string record_path = names.swap_record();
  if (RestorePathExists(record_path)) {
    std::ifstream in(record_path);
    std::string aside_line, staging_line, token_line;
    std::getline(in, aside_line);
    std::getline(in, staging_line);
    std::getline(in, token_line);
    const std::string aside_name = absl::StartsWith(aside_line, "aside ") ? aside_line.substr(6) : "-";
    const std::string staging_name =
        absl::StartsWith(staging_line, "staging ") ? staging_line.substr(8) : "";
    const std::string token = absl::StartsWith(token_line, "token ") ? token_line.substr(6) : "";
    const auto not_ours = [&](absl::string_view why) {
      return absl::FailedPreconditionError(absl::StrCat(
          record_path, " does not describe a restore that registryd can undo (", why,
          "); nothing was changed: check ", names.data_dir, " and the folders beside it, then "
          "delete it"));
    };
    if (!in || (!aside_name.empty() && !IsRestoreName(aside_name, names.aside_prefix()) &&
                !IsRestoreName(aside_name, names.unfinished_prefix())) ||
        !IsRestoreName(staging_name, names.staging_prefix()) || !IsToken(token)) {
      return not_ours("not a record registryd wrote");
    }
    const std::string aside = aside_name.empty() ? "" : absl::StrCat(names.parent, "/", aside_name);
    const std::string staging = absl::StrCat(names.parent, "/", staging_name);
    const bool data_there = RestorePathExists(names.data_dir);
    // Only folders that hold the record's token are the restore's own copy: they alone may be
    // deleted. The folder moved aside must be a real folder to be moved back.
    const bool data_is_copy = data_there && TokenIn(names.data_dir) == token;
    const bool staging_is_copy = TokenIn(staging) == token;
    const bool aside_there = !aside.empty() && RestorePathExists(aside);
    if (aside_there && !IsRealFolder(aside)) return not_ours(absl::StrCat(aside, " is no folder"));
    if (data_there && !data_is_copy) {
      if (aside_there || !staging_is_copy) {
        // The old folder was moved aside and the copy not put in place, yet a data folder that is
        // not the copy is there (made by someone or something else meanwhile), or the record
        // names no copy at all. Which folder holds the registry is for a person to say.
        return absl::FailedPreconditionError(absl::StrCat(
            "a record of an interrupted restore (", record_path, ") names ",
            aside.empty() ? std::string("no folder moved aside") : aside, ", but ",
            names.data_dir, " is not the copy it restored; nothing was changed: put the right "
            "folder in place of ", names.data_dir, ", then delete ", record_path));
      }
      // Stopped before the first rename: data_dir is as it was; only the copy goes.
    }
    if (!aside.empty() && !aside_there && !data_there) {
      // The old folder is neither aside nor back in place: moved by someone else. A start must
      // not make a new, empty database in its place.
      return absl::FailedPreconditionError(absl::StrCat(
          "a restore was interrupted while it swapped ", names.data_dir, " for a restored copy, "
          "and neither ", names.data_dir, " nor the folder it was moved to (", aside,
          ") is there; nothing was changed: put the registry's data folder back in place of ",
          names.data_dir, ", then delete ", record_path));
    }
    if (data_is_copy) {
      // The copy had been renamed into place, and nothing read it before the crash: it goes,
      // and what was there before comes back (when there was something). It is first renamed
      // to an unfinished copy's name, so that a kill while it is deleted leaves no part of it
      // in place of data_dir, only a folder the sweep below deletes at the next start or restore.
      const std::string discarded = UnusedNameBeside(names, ".unfinished-restore-");
      if (::rename(names.data_dir.c_str(), discarded.c_str()) != 0) {
        return RestoreIoError(
            absl::StrCat("cannot move the restored copy in ", names.data_dir, " out of its place"),
            errno);
      }
      RETURN_IF_ERROR(SyncRestoreFolder(names.parent));
      RETURN_IF_ERROR(RemoveRestoreFolder(discarded));
      done.push_back(absl::StrCat("deleted the restored copy an interrupted restore had put in ",
                                  names.data_dir, " before it could finish"));
    }
    if (aside_there) {
      if (::rename(aside.c_str(), names.data_dir.c_str()) != 0) {
        return RestoreIoError(absl::StrCat("cannot move ", aside, " back to ", names.data_dir),
                              errno);
      }
      done.push_back(absl::StrCat("put ", names.data_dir, " back as it was before the interrupted "
                                  "restore (from ", aside, ")"));
    }
    if (staging_is_copy) RETURN_IF_ERROR(RemoveRestoreFolder(staging));
    RETURN_IF_ERROR(SyncRestoreFolder(names.parent));
    if (::unlink(record_path.c_str()) != 0) {
      return RestoreIoError(absl::StrCat("cannot delete ", record_path), errno);
    }
    RETURN_IF_ERROR(SyncRestoreFolder(names.parent));
    if (done.empty()) {
      done.push_back(absl::StrCat("a restore was interrupted before it changed ", names.data_dir,
                                  "; its restored copy was deleted"));
    }
  }
  // A record the process died writing (ReplaceFileDurably's temporary file): no rename followed.
  ::unlink(absl::StrCat(record_path, ".tmp").c_str());
  // Staging folders of restores stopped before their swap, and unfinished copies taken out of
  // data_dir (above) whose deletion a kill cut short: each an unpruned copy of a backup, or a
  // piece of one, to which the erasure ledger was never applied, that would otherwise keep
  // erased records. Every folder of either name goes, whether or not it still
  // holds its token (a kill part-way through its deletion may have taken the token first):
  // nothing but a restore makes these names, never for the registry's own data, and a restore
  // makes one and is done with it while it holds the lock held here, so none is in use. (The
  // folder a record of a swap names as moved aside, which may bear the unfinished name, was
  // moved back above; when it could not be, nothing here runs.) One that cannot be deleted (a
  // service that may not write beside data_dir) is named for the operator but stops nothing:
  // data_dir is as it was.
  std::error_code error;
  std::vector<std::string> leftover_paths;
  for (const fs::directory_entry& entry : fs::directory_iterator(names.parent, error)) {
    const std::string leaf = entry.path().filename().string();
    if (IsRestoreName(leaf, names.staging_prefix()) ||
        IsRestoreName(leaf, names.unfinished_prefix())) {
      leftover_paths.push_back(entry.path().string());
    }
  }
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot list ", names.parent, ": ", error.message()));
  }
  int leftovers = 0;
  for (const std::string& path : leftover_paths) {
    if (absl::Status removed = RemoveRestoreFolder(path); !removed.ok()) {
      done.push_back(absl::StrCat(removed.message(), ": delete it as the data folder's owner (a "
                                  "copy of a backup that an interrupted restore left, without "
                                  "the erasures made since)"));
      continue;
    }
    ++leftovers;
  }
  if (leftovers > 0) {
    RETURN_IF_ERROR(SyncRestoreFolder(names.parent));
    done.push_back(absl::StrCat("deleted ", leftovers, " restored cop", leftovers == 1 ? "y" : "ies",
                                " of a backup that an interrupted restore left beside ",
                                names.data_dir));
  }
  return absl::StrJoin(done, "; ");
}

}  // namespace

namespace {

// The name the engine gives a backup's file (`relative`, its path in the backup folder) in the
// folder it restores into: its last component, and for a table file kept with its checksum
// ("shared_checksum/<number>_<checksum>_<size>.sst" and the like) the number and extension.
std::string RestoredName(const std::string& relative) {
  const size_t slash = relative.rfind('/');
  std::string name = slash == std::string::npos ? relative : relative.substr(slash + 1);
  if (slash != std::string::npos && relative.substr(0, slash) == "shared_checksum") {
    const size_t underscore = name.find('_');
    const size_t dot = name.rfind('.');
    if (underscore != std::string::npos && dot != std::string::npos && underscore < dot) {
      name = name.substr(0, underscore) + name.substr(dot);
    }
  }
  return name;
}

// A backup file that fails its recorded checksum or size while restored. RocksDB's own words
// ("Corruption: While restoring  -> : expected checksum is ...") named no file: the file is
// found by the engine's own check, and the message says what it means and what to do, as a
// backup whose record of its files is damaged does (ChooseOn).
absl::Status DamagedFileRefusal(const std::string& backup_dir, uint32_t id,
                                const absl::Status& failed) {
  std::string why(failed.message());
  if (absl::StatusOr<Reader> reader = OpenReader(backup_dir); reader.ok()) {
    const rocksdb::IOStatus checked = reader->engine->VerifyBackup(id, true);
    if (!checked.ok()) why = checked.ToString();
  }
  why = absl::StrReplaceAll(why, {{"While restoring  -> : ", ""}});
  return absl::DataLossError(absl::StrCat(
      "backup ", id, " is damaged: a file of it fails the checksum or size recorded when it was "
      "made (", why, "): it cannot be restored; restore an older backup (check it first with "
      "`registry-cli admin verify-backup ID` before stopping registryd, or restore it: a restore "
      "runs the same checks and leaves the data folder as it was when one fails)"));
}

}  // namespace

Backups::Staged::Staged(std::string data_dir, std::string path, uint32_t backup_id, int lock_fd)
    : data_dir_(std::move(data_dir)), path_(std::move(path)), backup_id_(backup_id),
      lock_fd_(lock_fd) {}

Backups::Staged::~Staged() {
  if (!released_) {
    std::error_code error;
    fs::remove_all(path_, error);
  }
  // The lock file the check of the copy made beside it (Database::RunningLockPath), closed with
  // that check: the copy's name is this restore's alone, and the restore still holds its lock.
  ::unlink(Database::RunningLockPath(path_).c_str());
  ::close(lock_fd_);
}

absl::StatusOr<std::unique_ptr<Backups::Staged>> Backups::Stage(const std::string& backup_dir,
                                                                const std::string& data_dir,
                                                                uint32_t id) {
  ASSIGN_OR_RETURN(const RestoreNames names, NamesOf(data_dir));
  RETURN_IF_ERROR(Database::RefuseWhileOpen(names.data_dir));
  ASSIGN_OR_RETURN(const int lock_fd, LockRestoreFolder(names));
  // Until the object below owns it.
  struct Unlock {
    int fd;
    ~Unlock() {
      if (fd >= 0) ::close(fd);
    }
  } unlock{lock_fd};
  RETURN_IF_ERROR(RecoverRestoreLocked(names).status());
  if (PathWithin(backup_dir, names.data_dir)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the backup folder ", backup_dir, " is inside the data folder ", names.data_dir,
        ", which a restore moves aside whole: the backups would leave with it. Move the backup "
        "folder out of the data folder, set backup_dir to its new place, and restore again"));
  }
  // Read only where records contradict (see ContradictingRecords): the backups they set aside
  // are refused as damaged, the others restored as ever.
  std::unique_ptr<rocksdb::BackupEngine> writer;
  Reader reader;
  if (ContradictingRecords(backup_dir).empty()) {
    ASSIGN_OR_RETURN(writer, OpenEngine(backup_dir));
  } else {
    ASSIGN_OR_RETURN(reader, OpenReader(backup_dir));
  }
  rocksdb::BackupEngineReadOnlyBase* engine =
      writer != nullptr ? static_cast<rocksdb::BackupEngineReadOnlyBase*>(writer.get())
                        : reader.engine.get();
  // A damaged backup is refused by name, and 0 never falls back to an older backup than the
  // newest: the engine leaves a damaged one out, and took the one before it.
  ASSIGN_OR_RETURN(id, ChooseOn(*engine, backup_dir, reader.set_aside, id));
  // A name of its own, made with the folder (mode 0700, as registryd makes its folders).
  std::string path = names.Beside(".restore-staging-XXXXXX");
  if (::mkdtemp(path.data()) == nullptr) {
    return RestoreIoError(absl::StrCat("cannot create a folder beside ", names.data_dir,
                                       " to restore into"),
                          errno);
  }
  std::unique_ptr<Staged> staged(new Staged(names.data_dir, std::move(path), id, lock_fd));
  unlock.fd = -1;
  // RocksDB checks each file it copies against the checksum recorded when the backup was made.
  const rocksdb::IOStatus s = engine->RestoreDBFromBackup(id, staged->path(), staged->path());
  if (!s.ok()) {
    // RocksDB returns at the first file that fails while its copying thread goes on with the
    // others: the engine is closed first (which waits for that thread), so that nothing is
    // written into the staging folder while or after it is deleted.
    writer.reset();
    reader.engine.reset();
    const absl::Status failed = FromRocksDb(s);
    if (absl::IsDataLoss(failed)) return DamagedFileRefusal(backup_dir, id, failed);
    return absl::Status(failed.code(),
                        absl::StrCat("backup ", id, " cannot be restored: ", failed.message()));
  }
  // The copy's files hashed now, before anything opens it, under the names the engine restored
  // from (its list as it restored them, not the meta file as it may read later): what
  // Staged::CheckAuthentic holds to the backup's record.
  rocksdb::BackupInfo info;
  if (!engine->GetBackupInfo(id, &info, /*include_file_details=*/true).ok()) {
    return absl::UnavailableError(
        absl::StrCat("backup ", id, " cannot be restored: the engine lost its list of files"));
  }
  staged->backup_dir_ = backup_dir;
  staged->app_metadata_ = info.app_metadata;
  for (const rocksdb::BackupFileInfo& file : info.file_details) {
    uint64_t size = 0;
    std::string sha256;
    RETURN_IF_ERROR(DigestFile(
        absl::StrCat(staged->path(), "/", RestoredName(file.relative_filename)), &size, &sha256));
    staged->files_.push_back(FileLine(file.relative_filename, size, sha256));
  }
  return staged;
}

absl::Status Backups::Staged::SwapIn(std::string* moved_aside,
                                     const std::function<bool()>& after_first_rename) {
  if (moved_aside != nullptr) moved_aside->clear();
  if (released_) return absl::FailedPreconditionError("the restored copy was already put in place");
  ASSIGN_OR_RETURN(const RestoreNames names, NamesOf(data_dir_));
  // Again: a registryd started on data_dir while the copy was checked.
  RETURN_IF_ERROR(Database::RefuseWhileOpen(names.data_dir));
  // What the copy's folder lists must be on disk before the copy can become the data directory.
  RETURN_IF_ERROR(SyncRestoreFolder(path_));
  std::error_code error;
  std::string aside;
  // What data_dir holds is kept aside whatever it is, an earlier restore's unfinished copy (it
  // still holds a token) included: the token says that restore never finished, not that nothing
  // wrote into the copy since (an older registryd served it, or adopted it as it was), and
  // deleting it would then lose acknowledged writes with no copy left.
  if (fs::exists(names.data_dir, error) && !fs::is_empty(names.data_dir, error)) {
    // A name no earlier restore took: a retry within the same second found the first one's
    // folder there, and the rename failed.
    aside = UnusedNameBeside(names, ".before-restore-");
  }
  // The copy's token (see kRestoreTokenFile), in it and in the record.
  ASSIGN_OR_RETURN(const std::string random, crypto::RandomBytes(16));
  const std::string token = absl::BytesToHexString(random);
  RETURN_IF_ERROR(ReplaceFileDurably(
      absl::StrCat(path_, "/", kRestoreTokenFile),
      absl::StrCat(token, "\nbackup ", backup_id_, "\nbefore ",
                   aside.empty() ? "" : fs::path(aside).filename().string(), "\n")));
  // The record that lets the next start or restore put data_dir back should the process die
  // between the two renames (RecoverInterruptedRestore).
  const std::string record = names.swap_record();
  if (absl::Status written = ReplaceFileDurably(
          record, absl::StrCat("aside ", aside.empty() ? "" : fs::path(aside).filename().string(),
                               "\nstaging ", fs::path(path_).filename().string(), "\ntoken ",
                               token, "\n"));
      !written.ok()) {
    return absl::Status(written.code(), absl::StrCat(written.message(), "; ", names.data_dir,
                                                     " was not changed"));
  }
  const auto forget_record = [&] {
    ::unlink(record.c_str());
    SyncRestoreFolder(names.parent).IgnoreError();
  };
  if (!aside.empty() && ::rename(names.data_dir.c_str(), aside.c_str()) != 0) {
    const int rename_error = errno;
    forget_record();
    return absl::UnavailableError(absl::StrCat("cannot move ", names.data_dir, " aside to ",
                                               aside, ": ", std::strerror(rename_error), "; ",
                                               names.data_dir, " was not changed"));
  }
  if (after_first_rename != nullptr && !after_first_rename()) {
    released_ = true;  // left as a crash would leave it
    return absl::AbortedError("stopped between the two renames");
  }
  // Over an empty data_dir too: rename replaces an empty folder.
  if (::rename(path_.c_str(), names.data_dir.c_str()) != 0) {
    const int rename_error = errno;
    if (!aside.empty() && ::rename(aside.c_str(), names.data_dir.c_str()) != 0) {
      // The record stays: the next start or restore moves the folder back.
      return absl::UnavailableError(absl::StrCat(
          "cannot move the restored copy to ", names.data_dir, " (", std::strerror(rename_error),
          "), nor ", aside, " back in its place (", std::strerror(errno), "): the data is in ",
          aside, ", unchanged, and the next registryd start or restore puts it back"));
    }
    forget_record();
    return absl::UnavailableError(absl::StrCat("cannot move the restored copy to ",
                                               names.data_dir, ": ", std::strerror(rename_error),
                                               "; ", names.data_dir, " is as it was"));
  }
  released_ = true;
  if (moved_aside != nullptr) *moved_aside = aside;
  RETURN_IF_ERROR(SyncRestoreFolder(names.parent));
  if (::unlink(record.c_str()) != 0) {
    return RestoreIoError(absl::StrCat("cannot delete ", record), errno);
  }
  RETURN_IF_ERROR(SyncRestoreFolder(names.parent));
  return absl::OkStatus();
}

absl::Status Backups::FinishRestore(const std::string& data_dir) {
  const std::string token = absl::StrCat(data_dir, "/", kRestoreTokenFile);
  if (::unlink(token.c_str()) != 0 && errno != ENOENT) {
    return RestoreIoError(absl::StrCat("cannot delete ", token), errno);
  }
  return SyncRestoreFolder(data_dir);
}

std::optional<Backups::UnfinishedRestore> Backups::UnfinishedRestoreIn(
    const std::string& data_dir) {
  absl::StatusOr<RestoreNames> names = NamesOf(data_dir);
  if (!names.ok() || TokenIn(names->data_dir).empty()) return std::nullopt;
  UnfinishedRestore unfinished;
  std::ifstream in(absl::StrCat(names->data_dir, "/", kRestoreTokenFile));
  std::string line;
  std::getline(in, line);  // the token
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "backup ")) {
      if (!absl::SimpleAtoi(line.substr(7), &unfinished.backup_id)) unfinished.backup_id = 0;
    } else if (absl::StartsWith(line, "before ") && IsRestoreName(line.substr(7),
                                                                   names->aside_prefix())) {
      // Only a name a restore gives: the file is the service's, but a path from it is not
      // offered as the folder to put back unless it is one.
      unfinished.before = absl::StrCat(names->parent, "/", line.substr(7));
    }
  }
  return unfinished;
}

absl::Status Backups::RefuseUnfinishedRestore(const std::string& data_dir) {
  const std::optional<UnfinishedRestore> unfinished = UnfinishedRestoreIn(data_dir);
  if (!unfinished.has_value()) return absl::OkStatus();
  const std::string backup = unfinished->backup_id == 0
                                 ? std::string("the backup it restored")
                                 : absl::StrCat("backup ", unfinished->backup_id);
  const std::string id = unfinished->backup_id == 0 ? std::string("ID")
                                                    : absl::StrCat(unfinished->backup_id);
  return absl::FailedPreconditionError(absl::StrCat(
      "a restore of ", backup, " into ", data_dir, " was left unfinished (it put the backup in "
      "place, then stopped before it re-applied the later erasures and recorded itself: ",
      data_dir, "/", kRestoreTokenFile, " says so); the folder is neither served nor taken as "
      "it is (--adopt_watermark). Either finish the restore: run it again, registryd --config "
      "FILE --restore_backup ", id, " (the unfinished copy is kept aside); or give up on it: ",
      unfinished->before.empty()
          ? absl::StrCat("move ", data_dir, " out of the way (", data_dir,
                         " was empty or absent before that restore)")
          : absl::StrCat("move ", data_dir, " out of the way and put ", unfinished->before,
                         " (what ", data_dir, " held before that restore) back in its place")));
}

absl::Status Backups::ExistingFolderProblem(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return absl::OkStatus();
  return BackupFolderProblem(dir);
}

std::vector<std::string> Backups::KeptBeforeRestore(const std::string& data_dir) {
  std::vector<std::string> kept;
  absl::StatusOr<RestoreNames> names = NamesOf(data_dir);
  if (!names.ok()) return kept;
  std::error_code error;
  for (fs::directory_iterator it(names->parent, error), end; !error && it != end;
       it.increment(error)) {
    const std::string name = it->path().filename().string();
    // Only folders: a link of that name is not a folder a restore made.
    if (IsRestoreName(name, names->aside_prefix()) && it->is_directory(error) &&
        !it->is_symlink(error)) {
      kept.push_back(it->path().string());
    }
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

absl::Status Backups::Restore(const std::string& backup_dir, const std::string& data_dir,
                              uint32_t id, std::string* moved_aside) {
  if (moved_aside != nullptr) moved_aside->clear();
  ASSIGN_OR_RETURN(std::unique_ptr<Staged> staged, Stage(backup_dir, data_dir, id));
  return staged->SwapIn(moved_aside);
}

absl::StatusOr<std::string> Backups::RecoverInterruptedRestore(const std::string& data_dir) {
  ASSIGN_OR_RETURN(const RestoreNames names, NamesOf(data_dir));
  // Nothing to recover in a folder that is not there (a first start makes it), nor in one that
  // registryd may not list and holds no record of a swap: a restore lists it before it makes
  // anything there.
  if (!RestorePathExists(names.parent)) return std::string();
  if (::access(names.parent.c_str(), R_OK | X_OK) != 0 &&
      !RestorePathExists(names.swap_record())) {
    return std::string();
  }
  ASSIGN_OR_RETURN(const int lock_fd, LockRestoreFolder(names));
  absl::StatusOr<std::string> done = RecoverRestoreLocked(names);
  ::close(lock_fd);
  return done;
}

}  // namespace registry::storage
