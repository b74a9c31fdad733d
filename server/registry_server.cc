#include "server/registry_server.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/json_log.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "crypto/blind_index.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.grpc.pb.h"
#include "server/config.h"
#include "server/backup_check.h"
#include "server/check_config.h"
#include "server/data_check.h"
#include "server/decode_guard.h"
#include "server/key_file.h"
#include "server/listen_check.h"
#include "server/writes_refused.h"
#include "storage/audit_log_id.h"
#include "storage/backups.h"
#include "storage/key_rotation_state.h"
#include "storage/table_probe.h"

namespace registry::server {
namespace {

// HKDF purposes of the keys derived from the key file's root (crypto/blind_index.h DeriveKey).
constexpr char kAuditSigningPurpose[] = "signing/audit-tree-head/ed25519/v1";
constexpr char kVettingSigningPurpose[] = "signing/vetting-certificate/ed25519/v1";
constexpr size_t kRetentionBatch = 1000;
constexpr char kRestoreActor[] = "system:restore";
constexpr char kRestoreAction[] = "restore-backup";
constexpr char kConfirmClockActor[] = "system:clock";
constexpr char kConfirmClockAction[] = "confirm-clock";
constexpr char kWatermarkActor[] = "system:watermark";
constexpr char kAdoptWatermarkAction[] = "adopt-watermark";
constexpr char kAuditRetentionActor[] = "system:audit-retention";
constexpr char kAuditRetentionAction[] = "audit-retention";
// Idle gRPC threads kept for the next calls (see Start).
constexpr int kMaxIdlePollers = 64;

// Whether the erasure ledger file is there (a file that cannot be looked at counts as there:
// its open says why).
bool LedgerFileExists(const registry::v1::ServerConfig& config) {
  std::error_code error;
  const bool exists = std::filesystem::exists(config.erasure_ledger_file(), error);
  return exists || error;
}

// Whether the backup folder holds any backup, damaged ones included, read without writing there
// (a folder that cannot be read counts as holding some: nothing new is begun beside it).
bool HasBackups(const registry::v1::ServerConfig& config) {
  return !absl::IsNotFound(storage::Backups::ChooseForRestore(config.backup_dir(), 0).status());
}

absl::Status RequireReadable(const std::string& what, const std::string& path) {
  auto content = ReadFile(path);
  if (!content.ok()) {
    return absl::Status(content.status().code(), absl::StrCat(what, ": ", content.status().message()));
  }
  if (content->empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": ", path, " is empty"));
  return absl::OkStatus();
}

void Log(absl::string_view level, absl::string_view msg, absl::string_view detail = "") {
  registry::LogLine line(level, msg);
  if (!detail.empty()) line.Str("detail", detail);
  line.Write();
}

// Brings a database of an earlier schema Create opens to the current one. First its vetting
// checks of an earlier layout move to keys of person keys and person-bound slots
// (storage/check_store.h), each batch of 1000 with its event: whatever the schema, until the
// store marks the move done (a stopped move resumes at the next start; once done, the checks are
// not scanned again). Then the schema mark, with an event of its own.
absl::Status UpgradeSchema(const StorageStack& st, CallGate* gate) {
  int batch = 0;
  ASSIGN_OR_RETURN(
      const size_t moved,
      st.checks->RekeyLegacyRows(1000, [&](storage::PendingWrite write, size_t rows) {
        v1::AuditEvent event;
        event.set_reference(absl::StrCat("vetting checks batch ", ++batch, ": ", rows, " rows"));
        return gate->CommitSystemEvent("storage-schema", "move-vetting-checks", std::move(event),
                                       &write)
            .status();
      }));
  ASSIGN_OR_RETURN(const int schema, st.records->EarlierSchema());
  if (schema == 0) return absl::OkStatus();
  batch = 0;
  size_t aliased = 0;
  size_t unindexable = 0;
  ASSIGN_OR_RETURN(
      const size_t filed,
      st.records->ReindexNames(
          1000,
          [&](storage::PendingWrite write, size_t rows) {
            v1::AuditEvent event;
            event.set_reference(absl::StrCat("names batch ", ++batch, ": ", rows,
                                                 rows == 1 ? " record" : " records"));
            return gate
                ->CommitSystemEvent("storage-schema", "index-names", std::move(event), &write)
                .status();
          },
          &aliased, &unindexable));
  if (unindexable > 0) {
    Log("warning",
        "aliases with a letter the registry cannot compare across scripts were left out of the "
        "name index: a court's name search does not find their records under them; correct them "
        "by amendment",
        absl::StrCat(unindexable));
  }
  storage::PendingWrite write;
  st.records->StageCurrentSchema(&write);
  v1::AuditEvent event;
  const std::string done =
      absl::StrCat(schema == 6 ? absl::StrCat(moved, moved == 1 ? " check" : " checks", " moved ")
                               : "",
                   filed, filed == 1 ? " record" : " records", " filed ", aliased,
                   " with aliases");
  event.set_reference(absl::StrCat("schema ", schema, " to ", storage::kCurrentStorageSchema,
                                   ": ", done));
  RETURN_IF_ERROR(
      gate->CommitSystemEvent("storage-schema", "upgrade-storage-schema", std::move(event), &write)
          .status());
  Log("info",
      absl::StrCat("storage schema ", schema, " upgraded to ", storage::kCurrentStorageSchema),
      done);
  return absl::OkStatus();
}

// The reference of the event that records the seal a new data folder was made with.

// The head of `db`'s index seal for the audit watermark to bind (none while it is broken).
std::optional<storage::IndexSealHead> SealHeadOf(const storage::Database& db) {
  const storage::IndexSeal* seal = db.index_seal();
  return seal != nullptr ? seal->HeadToBind() : std::nullopt;
}

// Whether a data check found `db`'s index rows missing, extra or swapped, or another problem that
// could change a vetting answer (ProblemsThatCanChangeAVettingAnswer): the audit watermark
// keeps it across restarts (AuditWatermark::Mark::index_broken), since the next start's
// comparison of the rows with the seal may not find it again (a seal put back with the rows).
bool SealBroken(const storage::Database& db) {
  const storage::IndexSeal* seal = db.index_seal();
  return seal != nullptr && seal->KeepBroken();
}

// The reference of a data check's event (the scheduled one's, `admin verify-data`'s call):
// its problem count, and whether it found the index broken (SealBroken after the check), so that
// the finding is in the audit log too and no watermark file put back from before it lifts it.
constexpr char kIndexBrokenSaid[] = "; index broken";
std::string DataCheckReference(uint64_t problems, bool index_broken) {
  return absl::StrCat("problems ", problems, index_broken ? kIndexBrokenSaid : "");
}

// What the audit log says of the index, from the events a walk back from the head reads: broken
// when the last data check (the scheduled one's event or `admin verify-data`'s call event) found
// it so and neither a new seal (registryd --reseal_index) nor a restore (whose event is written
// only once the restored copy passed its checks) came after it. The walk back to the last
// scheduled data check reads every later `admin verify-data` event.
class IndexFindings {
 public:
  void Read(uint64_t index, const v1::AuditEvent& event) {
    static const std::string* const verify_data =
        new std::string(absl::StrCat("/", v1::AdminService::service_full_name(), "/VerifyData"));
    // The start's check of the records written after the audit watermark (CheckRecordsPastMark)
    // says so in an index-seal-broken event of its own.
    const bool past_mark = event.actor() == "system:index-seal" &&
                           event.action() == "index-seal-broken" &&
                           absl::EndsWith(event.reference(), kIndexBrokenSaid);
    const bool check = past_mark || event.actor() == "system:data-check" ||
                       (event.action() == *verify_data &&
                        absl::StartsWith(event.reference(), "problems "));
    const bool lifts =
        (event.actor() == "system:index-seal" && event.action() == "index-sealed-anew") ||
        (event.actor() == kRestoreActor && event.action() == kRestoreAction);
    if (check && (!check_at_.has_value() || index > *check_at_)) {
      check_at_ = index;
      check_time_ = event.time();
      by_start_ = past_mark;
      broken_ = absl::EndsWith(event.reference(), kIndexBrokenSaid);
    }
    if (lifts && (!lifted_at_.has_value() || index > *lifted_at_)) lifted_at_ = index;
  }

  // A reader for CheckAuditSinceLastDataCheck (this must outlive it).
  std::function<void(uint64_t, const v1::AuditEvent&)> Reader() {
    return [this](uint64_t index, const v1::AuditEvent& event) { Read(index, event); };
  }

  // "" unless the log keeps the index broken; then the problem, for the seal's verdict. Names no
  // row and no person.
  std::string Problem() const {
    if (!check_at_.has_value() || !broken_) return "";
    if (lifted_at_.has_value() && *lifted_at_ > *check_at_) return "";
    return absl::StrCat("index seal: ",
                        by_start_ ? "the start's check of the records written after the audit "
                                    "watermark, at "
                                  : "the data check of ",
                        check_time_, " (audit event ",
                        *check_at_, ") found the index broken, and neither a new seal nor a "
                        "restore has followed it: registryd --reseal_index over a sound data "
                        "check, or a restore, puts it right");
  }

 private:
  std::optional<uint64_t> check_at_;
  std::string check_time_;
  bool by_start_ = false;
  bool broken_ = false;
  std::optional<uint64_t> lifted_at_;
};

// The records the audit events past the watermark wrote ([from, to): those a start found
// between the mark it was given and the log's head), checked as the data check checks one
// (CheckRecordsWritten), before any vetting check is answered. A mark behind the log is taken
// for a crash while its date is within AuditWatermark::CrashSlack of the newest event; a mark
// put back from that time, with the seal row and the index rows of then, would pass the seal's
// comparison, so the index writes made after it are checked here by their events: "" when
// every record is as its events left it; otherwise the problem for the seal's verdict (kept:
// the watermark and the audit log keep it), naming counts and the events only. Events that
// cannot be read break the seal too (the safe side). Logs what it found.
std::string CheckRecordsPastMark(const StorageStack& st, uint64_t from, uint64_t to) {
  if (from >= to || st.db->index_seal() == nullptr) return "";
  const absl::Time began = absl::Now();
  const std::string events =
      from + 1 == to ? absl::StrCat("audit event ", from)
                     : absl::StrCat("audit events ", from, " to ", to - 1);
  absl::StatusOr<storage::DataCheckReport> report =
      CheckRecordsWritten(*st.records, *st.audit, from, to);
  std::string problem;
  if (!report.ok()) {
    problem = absl::StrCat("index seal: the ", events, " past the audit watermark cannot be read "
                           "to check the records they wrote (", report.status().message(),
                           "), so index rows put back with an earlier seal would pass",
                           kIndexBrokenSaid);
  } else if (report->problem_count > 0) {
    problem = absl::StrCat(
        "index seal: the ", events, " past the audit watermark wrote ", report->records,
        report->records == 1 ? " record" : " records", ", with ", report->problem_count,
        report->problem_count == 1 ? " problem" : " problems",
        " (heads, versions or index rows missing, rolled back or failing authentication): "
        "rows changed in the data folder with the watermark put back from before them",
        kIndexBrokenSaid);
  }
  if (!problem.empty()) {
    Log("error",
        "the records written after the audit watermark are not as their events left them: "
        "every vetting check is refused (DATA_LOSS)",
        problem);
  } else {
    registry::LogLine("info", "records written after the audit watermark checked")
        .Int("events", static_cast<int64_t>(to - from))
        .Int("records", static_cast<int64_t>(report->records))
        .Int("ms", absl::ToInt64Milliseconds(absl::Now() - began))
        .Write();
  }
  return problem;
}

// The stored index seal (storage/index_seal.h) against the head the audit watermark bound,
// before any vetting check is answered: a seal put back from an earlier copy of the folder (its
// generation behind), another at the same generation, or none where the folder was sealed (the
// watermark binds one, or the folder is at the storage schema that came with the seal: every such
// folder was sealed when it was made or before its upgrade) is broken: every vetting check is
// refused (DATA_LOSS) until a restore or `registryd --reseal_index`. Otherwise a folder from before
// the seal gets one, from the index rows there are, with an event of its own; a folder made by
// this start gets its event for the seal it was made with.
absl::Status SealIndexIfAbsent(const StorageStack& st, CallGate* gate,
                               const std::string& broken_in_log) {
  const storage::IndexSeal* seal = st.db->index_seal();
  if (seal == nullptr) return absl::OkStatus();
  // A stored seal that fails its MAC is broken already: the comparison after the start says so.
  if (seal->state() != storage::IndexSeal::State::kBroken) {
    const std::optional<storage::IndexSealHead> stored = seal->HeadToBind();
    // A break found while registryd ran (a data check that named index rows missing, extra or
    // swapped) stays one across restarts: the rows may match the seal again (a seal put back
    // with them), but nothing since has shown them sound.
    // Likewise when only the audit log says so (the watermark put back from before the finding,
    // or written anew by --adopt_watermark).
    // The watermark keeps it again from here.
    std::string problem = st.watermark->IndexBrokenProblem();
    if (problem.empty() && !broken_in_log.empty()) {
      problem = broken_in_log;
      if (st.watermark->mark().has_value()) RETURN_IF_ERROR(st.watermark->SetIndexBroken(true));
    }
    // A finding the watermark or the log keeps stays kept (IndexSeal::KeepBroken).
    const bool keep = !problem.empty();
    if (problem.empty()) problem = st.watermark->IndexSealProblem(stored);
    if (problem.empty() && !stored.has_value()) {
      ASSIGN_OR_RETURN(const int earlier, st.records->EarlierSchema());
      if (earlier == 0 || earlier >= storage::kFirstSealedStorageSchema) {
        problem = absl::StrCat(
            "index seal: the index family's seal is missing, but the folder is at storage schema ",
            earlier == 0 ? storage::kCurrentStorageSchema : absl::StrCat(earlier),
            ", which is sealed when it is made or upgraded: the seal was deleted in the data "
            "folder");
      }
    }
    if (!problem.empty()) {
      Log("error",
          "the index seal is not the one last seen: every vetting check is refused (DATA_LOSS)",
          problem);
      v1::AuditEvent event;
      event.set_reference(problem);
      event.set_outcome(static_cast<int>(absl::StatusCode::kDataLoss));
      storage::IndexSealCheck check;
      check.other = problem;
      check.keep = keep;
      st.db->RecordIndexSealVerdict(check);
      return gate->CommitSystemEvent("index-seal", "index-seal-broken", std::move(event), nullptr)
          .status();
    }
  }
  // A new folder was sealed when it was made, holding no index row: said in the log only, so a
  // first start writes no event but its own calls'. Its seal deleted later is a broken seal
  // (schema 13 folders and later are always sealed), never made anew.
  if (st.index_sealed_new) {
    Log("info", "index seal made with the new data folder", "0 rows of the index family");
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(std::optional<storage::IndexSealSum> made, st.db->MakeIndexSealIfAbsent());
  if (!made.has_value()) return absl::OkStatus();
  const std::string rows = absl::StrCat(made->rows, " rows of the index family");
  v1::AuditEvent event;
  event.set_reference(absl::StrCat("index seal made: ", rows));
  RETURN_IF_ERROR(
      gate->CommitSystemEvent("index-seal", "index-seal-made", std::move(event), nullptr)
          .status());
  Log("info", "index seal made from the index rows there are", rows);
  return absl::OkStatus();
}

// The time erasures last trusted the clock; nullopt (the newest audit event's time is trusted
// instead) when there is none yet, or when the stored one fails authentication: it was written
// into the data folder by someone without the key file, or by a registryd that did not MAC it.
absl::StatusOr<std::optional<absl::Time>> ErasureClockMarkOf(const StorageStack& st) {
  absl::StatusOr<std::optional<absl::Time>> mark = st.records->ErasureClockMark();
  if (absl::IsDataLoss(mark.status())) {
    Log("error",
        "the time erasures last trusted fails authentication (written without the key file, or "
        "by an earlier registryd); erasures trust the clock from the newest audit event instead",
        mark.status().message());
    return std::optional<absl::Time>();
  }
  return mark;
}

// One line per problem, or one line saying there is none. `reloaded` is the bundle's refusal,
// if any: the CRLs were then read against the client CAs in force before it, and no line may say
// that every client CA of the bundle has a current CRL.
void LogRevocation(const absl::Status& reloaded, const std::vector<std::string>& problems) {
  if (!reloaded.ok()) {
    Log("error",
        "client CA bundle refused; the previous client CAs stay in force, checked against the "
        "CRL folder as it is now",
        reloaded.message());
  }
  if (problems.empty()) {
    Log("info", reloaded.ok()
                    ? "revocation lists loaded; every client CA has a current CRL"
                    : "revocation lists loaded; every previous client CA has a current CRL");
  }
  for (const std::string& problem : problems) Log("error", "revocation lists", problem);
}

// The same without a CRL folder, where the client CAs alone are followed.
void LogClientCas(const absl::Status& reloaded, const std::vector<std::string>& /*problems*/) {
  if (reloaded.ok()) {
    Log("info", "client CA bundle reloaded");
  } else {
    Log("error", "client CA bundle refused; the previous client CAs stay in force",
        reloaded.message());
  }
}

}  // namespace

void LogServerCertificate(const absl::Status& reloaded) {
  if (reloaded.ok()) {
    Log("info", "server certificate reloaded");
  } else {
    Log("error", "server certificate refused; the previous one stays in force",
        reloaded.message());
  }
}

absl::StatusOr<SigningKeys> DeriveSigningKeys(const crypto::SecretBytes& root) {
  SigningKeys keys;
  ASSIGN_OR_RETURN(crypto::SecretBytes audit_seed, crypto::DeriveKey(root, kAuditSigningPurpose));
  ASSIGN_OR_RETURN(keys.audit, crypto::Ed25519Signer::FromSeed(audit_seed));
  ASSIGN_OR_RETURN(crypto::SecretBytes vet_seed, crypto::DeriveKey(root, kVettingSigningPurpose));
  ASSIGN_OR_RETURN(keys.vetting, crypto::Ed25519Signer::FromSeed(vet_seed));
  return keys;
}

absl::StatusOr<StorageStack> OpenStorage(const registry::v1::ServerConfig& config,
                                         const Clock* clock,
                                         const storage::StorageSeams& seams,
                                         bool existing_only, bool read_only) {
  existing_only = existing_only || read_only;
  StorageStack st;
  if (!read_only) {
    // A registryd running on the data folder is named as such first, in the database's words.
    if (seams.env == nullptr) {
      RETURN_IF_ERROR(storage::Database::RefuseWhileOpen(config.data_dir()));
    }
    // Then one running on another data folder with the same ledger and watermark (a second
    // installation's config naming this key folder): held until the stack goes.
    ASSIGN_OR_RETURN(st.key_folder_lock,
                     storage::KeyFolderLock::Take(
                         {config.erasure_ledger_file(), config.audit_watermark_file()}));
  }
  // Keys first: without them nothing can be read.
  ASSIGN_OR_RETURN(KeyMaterial keys, LoadKeyFile(config.key_file()));
  st.keys = std::make_unique<storage::KeyringHolder>(
      std::shared_ptr<const crypto::Keyring>(std::move(keys.keyring)));
  st.derivation_root = std::move(keys.derivation_root);
  ASSIGN_OR_RETURN(st.normalizer, storage::NameNormalizer::Create());
  const auto open_watermark = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(crypto::SecretBytes watermark_key,
                     crypto::DeriveKey(st.derivation_root, storage::kAuditWatermarkKeyPurpose));
    // Dated in real time, whatever clock the registry runs on.
    ASSIGN_OR_RETURN(st.watermark,
                     storage::AuditWatermark::Open(config.audit_watermark_file(), watermark_key,
                                                   SystemClock::Get()));
    return absl::OkStatus();
  };
  // Before a database is made: a folder that holds none (missing, or empty) while the audit
  // watermark counts events, the erasure ledger holds erasures or the backup folder holds
  // backups is a mistyped, lost or emptied data_dir; an empty database made there would be
  // served as an empty registry that answers CLEAR for everyone (RefuseAnEmptyFolderWithAPast).
  if (!existing_only && !storage::Database::Exists(config.data_dir())) {
    RETURN_IF_ERROR(RefuseAnEmptyFolderWithAPast(config, st.derivation_root, kHoldsNoDatabase));
  }
  // A database another program made, without this registry's column families: an open that
  // does not make them (an offline mode's) writes a MANIFEST and a write-ahead log into the
  // folder before it fails; refused before, the folder left as it was. (The start's open makes
  // them, once its look found nothing that says the registry held data: RefuseBeforeWriting.)
  if (existing_only && storage::Database::Exists(config.data_dir())) {
    absl::StatusOr<std::vector<std::string>> missing =
        storage::Database::MissingFamilies(config.data_dir(), seams);
    if (missing.ok() && !missing->empty()) {
      RETURN_IF_ERROR(
          RefuseAnEmptyFolderWithAPast(config, st.derivation_root, kHoldsOtherFamilies));
      return absl::FailedPreconditionError(absl::StrCat(
          "data_dir: ", config.data_dir(), " ", kHoldsOtherFamilies, ", not this registry's "
          "data (it lacks ", absl::StrJoin(*missing, ", "), "): check data_dir in the config; "
          "nothing was written there"));
    }
  }

  storage::DatabaseOptions db_options;
  db_options.path = config.data_dir();
  db_options.seams = seams;
  db_options.create_if_missing = !existing_only;
  // A writable open writes into the folder before anything is read (a new MANIFEST, OPTIONS and
  // write-ahead log, LOG rotated); read only, RocksDB replays the log in memory instead.
  db_options.read_only = read_only;
  // Ties the write-ahead log to this registry: another's, dropped into the folder, is refused.
  ASSIGN_OR_RETURN(db_options.wal_seal_key,
                   crypto::DeriveKey(st.derivation_root, storage::kWalSealKeyPurpose));
  // Keeps the seal over the index rows' keys (storage/index_seal.h) in every write.
  ASSIGN_OR_RETURN(db_options.index_seal_key,
                   crypto::DeriveKey(st.derivation_root, storage::kIndexSealKeyPurpose));
  const bool made_now = !existing_only && !storage::Database::Exists(config.data_dir());
  ASSIGN_OR_RETURN(st.db, storage::Database::Open(db_options));
  ASSIGN_OR_RETURN(crypto::SecretBytes audit_log_key,
                   crypto::DeriveKey(st.derivation_root, storage::kAuditLogKeyPurpose));
  // A new database is named before anything else is written to it, so that one that holds data
  // but no authenticated log id is refused below (storage/audit_log_id.h).
  if (!read_only) RETURN_IF_ERROR(storage::NameNewAuditLog(st.db.get(), audit_log_key));
  // Then sealed, with its key check value: no index row yet. (Sealed first, it held a row, and
  // was not named as new.)
  if (made_now) {
    RETURN_IF_ERROR(st.db->MakeIndexSealIfAbsent().status());
    st.index_sealed_new = true;
  }
  // The records first: they check that the key file belongs to the database and that it is in
  // this registryd's schema, before anything else is read.
  ASSIGN_OR_RETURN(st.records, storage::RecordStore::Create(st.db.get(), st.keys.get(),
                                                            st.derivation_root,
                                                            st.normalizer.get(), read_only));
  ASSIGN_OR_RETURN(st.audit_log_id, storage::ReadAuditLogId(*st.db, audit_log_key));
  ASSIGN_OR_RETURN(st.audit, storage::AuditLog::Open(st.db.get(), clock, audit_log_key,
                                                     /*damaged_last_event_allowed=*/read_only));
  // A log that holds no event is a new registry's only when nothing outside the folder says it
  // held data (decided before the writable open by RefuseBeforeWriting where it could be; here
  // for every open, before the ledger's erasures are taken as applied to it).
  if (!read_only && st.audit->CurrentHead().size == 0) {
    RETURN_IF_ERROR(RefuseAnEmptyFolderWithAPast(config, st.derivation_root, kHoldsNoEvent));
  }
  ASSIGN_OR_RETURN(crypto::SecretBytes checks_key,
                   crypto::DeriveKey(st.derivation_root, storage::kCheckStoreKeyPurpose));
  ASSIGN_OR_RETURN(st.checks, storage::CheckStore::Create(st.db.get(), checks_key));
  ASSIGN_OR_RETURN(crypto::SecretBytes policy_key,
                   crypto::DeriveKey(st.derivation_root, storage::kPolicyFingerprintKeyPurpose));
  ASSIGN_OR_RETURN(st.policy_fingerprint,
                   storage::PolicyFingerprint::Create(st.db.get(), policy_key));
  ASSIGN_OR_RETURN(crypto::SecretBytes ledger_key,
                   crypto::DeriveKey(st.derivation_root, storage::kErasureLedgerKeyPurpose));
  // The ledger against the head the watermark bound, before it is opened (and, missing, made):
  // the data folder's marker says only what the data applied, and a data folder that is gone,
  // damaged or put back from a backup says nothing of the erasures made after it.
  if (st.watermark == nullptr) RETURN_IF_ERROR(open_watermark());
  RETURN_IF_ERROR(st.watermark->CheckLedger(config.erasure_ledger_file(), ledger_key));
  // A new ledger only for a new installation: its log holds no event, the watermark counts
  // none, and there is no backup.
  const std::optional<storage::AuditWatermark::Mark> mark = st.watermark->mark();
  const bool new_installation = st.audit->CurrentHead().size == 0 &&
                                (!mark.has_value() || mark->size == 0) &&
                                (LedgerFileExists(config) || !HasBackups(config));
  // Read only, the ledger is left as it is too: none is made where there is none, and a torn
  // last line is not cut off (it lies outside the data folder, beside the key file).
  ASSIGN_OR_RETURN(st.ledger,
                   read_only ? storage::ErasureLedger::OpenReadOnly(config.erasure_ledger_file(),
                                                                    ledger_key, st.db.get())
                             : storage::ErasureLedger::Open(config.erasure_ledger_file(),
                                                            ledger_key, st.db.get(),
                                                            new_installation));
  // And against every backup, from their meta files (LedgerHoldsEveryBackup): a data folder
  // put back with the ledger and the watermark from one earlier copy agrees with both, but a
  // backup made since recorded the erasures made since.
  RETURN_IF_ERROR(LedgerHoldsEveryBackup(config, st.derivation_root));
  // An index row of a record the ledger erased, put back without its head, finds nothing: it is
  // not a head deleted from the data folder (docs/security.md row 18).
  st.records->SkipLeftoversOfErased(
      [ledger = st.ledger.get()](absl::string_view id) { return ledger->Erased(id); });
  st.eraser = std::make_unique<Eraser>(st.records.get(), st.checks.get(), st.ledger.get(),
                                       st.audit.get(), clock);
  return st;
}

namespace {

// What the audit watermark binds of `ledger` (storage/audit_watermark.h).
storage::AuditWatermark::LedgerHead LedgerHeadOf(const storage::ErasureLedger& ledger) {
  storage::AuditWatermark::LedgerHead head;
  ledger.Head(&head.entries, &head.last_mac);
  return head;
}

// The database in `folder` opened to read only: no file of the folder is written, created,
// renamed or deleted, as --check_config opens it (server/check_config.cc).
absl::StatusOr<std::unique_ptr<storage::Database>> OpenReadOnly(
    const std::string& folder, const crypto::SecretBytes& derivation_root,
    const storage::StorageSeams& seams) {
  storage::DatabaseOptions options;
  options.path = folder;
  options.create_if_missing = false;
  options.read_only = true;
  options.hold_running_lock = false;
  options.seams = seams;
  // As a start opens it: a write-ahead log without this registry's seal is refused.
  ASSIGN_OR_RETURN(options.wal_seal_key,
                   crypto::DeriveKey(derivation_root, storage::kWalSealKeyPurpose));
  return storage::Database::Open(options);
}

// A folder's database and its audit log, opened to read only.
struct ReadOnlyLog {
  std::unique_ptr<storage::Database> db;
  std::unique_ptr<storage::AuditLog> log;
};

absl::StatusOr<ReadOnlyLog> OpenLogReadOnly(const std::string& folder,
                                            const crypto::SecretBytes& derivation_root) {
  ReadOnlyLog opened;
  ASSIGN_OR_RETURN(opened.db, OpenReadOnly(folder, derivation_root, {}));
  ASSIGN_OR_RETURN(const crypto::SecretBytes log_key,
                   crypto::DeriveKey(derivation_root, storage::kAuditLogKeyPurpose));
  ASSIGN_OR_RETURN(opened.log, storage::AuditLog::Open(opened.db.get(), SystemClock::Get(),
                                                      log_key));
  return opened;
}

}  // namespace

absl::Status RefuseBeforeWriting(const registry::v1::ServerConfig& config, const Clock* clock,
                                 const storage::StorageSeams& seams, StartWalk* walk,
                                 bool hold_watermark) {
  ASSIGN_OR_RETURN(KeyMaterial keys, LoadKeyFile(config.key_file()));
  // A folder that holds no registry data is a new installation's only when nothing outside it
  // says the registry held data (the audit watermark, the erasure ledger, the backups): decided
  // here, before any open, whatever the folder looks like. No database: the writable open
  // would make one.
  if (!storage::Database::Exists(config.data_dir())) {
    return RefuseAnEmptyFolderWithAPast(config, keys.derivation_root, kHoldsNoDatabase);
  }
  // A database without this registry's column families (RocksDB's ldb made it), which the
  // read-only open refuses and a writable one writes into (a MANIFEST, a write-ahead log)
  // before it makes them or fails. A MANIFEST that cannot be read: the open says why.
  if (absl::StatusOr<std::vector<std::string>> missing =
          storage::Database::MissingFamilies(config.data_dir(), seams);
      missing.ok() && !missing->empty()) {
    return RefuseAnEmptyFolderWithAPast(config, keys.derivation_root, kHoldsOtherFamilies);
  }
  // Says whether a step of the look failed for want of a write (one a writable open takes
  // first) rather than for what it read; RocksDB refuses the write in any case.
  WritesRefused writes("a read-only look writes nothing");
  // A step's refusal is the start's own when the step tried no write: the writable open reads
  // the same data (RocksDB replays the write-ahead log in memory here) and says the same.
  const auto refused = [&writes](const absl::Status& status, uint64_t writes_before) {
    return !status.ok() && writes.count() == writes_before;
  };
  storage::StorageSeams look = seams;
  look.fault_injector = &writes;
  absl::StatusOr<std::unique_ptr<storage::Database>> db =
      OpenReadOnly(config.data_dir(), keys.derivation_root, look);
  // A write-ahead log without this registry's seal: the writable open refuses it in the same
  // words, but only once it has written into the folder (LOG rotated).
  if (storage::Database::RefusedForItsWriteAheadLog(db.status())) return db.status();
  // A write a crash cut off, which the writable open drops and records, and whatever else it
  // says in its own words.
  if (!db.ok()) return absl::OkStatus();
  // A database with no row (every family emptied): what the writable open would name as new,
  // writing the log id, the key check values and the schema mark into it first.
  if (absl::StatusOr<bool> nothing = storage::HoldsNothing(**db); nothing.ok() && *nothing) {
    return RefuseAnEmptyFolderWithAPast(config, keys.derivation_root, kHoldsNoRow);
  }
  // The key file first, as the writable open checks it first: with another installation's keys
  // nothing below can be read.
  const crypto::SecretBytes root = keys.derivation_root;
  storage::KeyringHolder holder(std::shared_ptr<const crypto::Keyring>(std::move(keys.keyring)));
  ASSIGN_OR_RETURN(std::unique_ptr<storage::NameNormalizer> normalizer,
                   storage::NameNormalizer::Create());
  uint64_t before = writes.count();
  absl::StatusOr<std::unique_ptr<storage::RecordStore>> records =
      storage::RecordStore::Create(db->get(), &holder, root, normalizer.get());
  // One that only wanted to write (a KEK made current while registryd was stopped) has passed
  // the key check.
  if (refused(records.status(), before)) return records.status();
  ASSIGN_OR_RETURN(const crypto::SecretBytes log_key,
                   crypto::DeriveKey(root, storage::kAuditLogKeyPurpose));
  // A database that holds data without an authenticated name is refused as the writable open
  // refuses it (one that holds nothing was decided above).
  before = writes.count();
  if (absl::Status id = storage::ReadAuditLogId(**db, log_key).status(); !id.ok()) {
    return refused(id, before) ? id : absl::OkStatus();
  }
  // The log as the start opens it: its state, its last event and nothing beyond it. A count of
  // cut-off writes left in the folder is recorded by the writable open (a write) first.
  before = writes.count();
  absl::StatusOr<std::unique_ptr<storage::AuditLog>> audit =
      storage::AuditLog::Open(db->get(), clock, log_key);
  if (!audit.ok()) return refused(audit.status(), before) ? audit.status() : absl::OkStatus();
  // Rows but no audit event (the log's families emptied): the same, before the watermark's
  // own word on it (which, for --adopt_watermark, is not held).
  if ((*audit)->CurrentHead().size == 0) {
    RETURN_IF_ERROR(RefuseAnEmptyFolderWithAPast(config, root, kHoldsNoEvent));
  }
  ASSIGN_OR_RETURN(const crypto::SecretBytes watermark_key,
                   crypto::DeriveKey(root, storage::kAuditWatermarkKeyPurpose));
  ASSIGN_OR_RETURN(std::unique_ptr<storage::AuditWatermark> watermark,
                   storage::AuditWatermark::Open(config.audit_watermark_file(), watermark_key,
                                                 SystemClock::Get()));
  if (hold_watermark) {
    RETURN_IF_ERROR(watermark->Check(**audit, storage::kWatermarkInterval, db->get()));
  }
  // The erasure ledger against the database's marker, as the writable open holds it (emptied,
  // missing, an entry edited), read as it is: no file made, no torn line cut.
  ASSIGN_OR_RETURN(const crypto::SecretBytes ledger_key,
                   crypto::DeriveKey(root, storage::kErasureLedgerKeyPurpose));
  // First against the head the watermark bound, as the writable open holds it.
  RETURN_IF_ERROR(watermark->CheckLedger(config.erasure_ledger_file(), ledger_key));
  RETURN_IF_ERROR(
      storage::ErasureLedger::Check(config.erasure_ledger_file(), ledger_key, db->get()));
  // Then against every backup: a data folder and a key folder put back together from a copy made
  // before an erasure agree with each other, but not with a backup made since. A backup not made
  // here is named in the log by the open that follows, not twice.
  std::vector<storage::Backups::Damaged> named_at_open;
  RETURN_IF_ERROR(LedgerHoldsEveryBackup(config, root, nullptr, &named_at_open));
  // The events since the last data check, read back here rather than after the writable open:
  // what was read is handed over, and not read again.
  if (walk != nullptr) {
    uint64_t read_from = 0;
    RETURN_IF_ERROR(CheckAuditSinceLastDataCheck(**audit, walk->read, &read_from));
    walk->read_from = read_from;
  }
  return absl::OkStatus();
}

namespace {

// State that another local account may change, and what registryd trusts, refused as a start
// and --check_config refuse them (StateOpenToOthers, TrustOpenToOthers): such an account could
// put back an earlier ledger, watermark or data folder, or plant its own, and an offline mode
// would write into it, or restore from a ledger it emptied.
absl::Status RefuseStateOpenToOthers(const registry::v1::ServerConfig& config) {
  std::vector<std::string> open = StateOpenToOthers(config);
  for (std::string& trusted : TrustOpenToOthers(config)) open.push_back(std::move(trusted));
  if (!open.empty()) return absl::FailedPreconditionError(absl::StrJoin(open, "; "));
  return absl::OkStatus();
}

// What an offline mode that writes into the data folder (--confirm_clock, --adopt_watermark,
// --retire_kek) holds the folder to before it writes: every refusal of a start with its data
// checks, in the start's words. BeforeWriting decides what the read-only look can, the walk
// back through the events since the last data check included, before anything is written
// (RefuseBeforeWriting); AfterOpen, what the look could not get as far as, on the mode's
// writable open, before the mode writes its own change, as a start holds it after its open.
// `hold_watermark` false: --adopt_watermark, whose step is to take a log the watermark does not
// hold (the watermark file is still read: one that cannot be read is refused).
class OfflineRefusals {
 public:
  OfflineRefusals(const registry::v1::ServerConfig& config, const Clock* clock,
                  bool hold_watermark = true)
      : config_(config), clock_(clock), hold_watermark_(hold_watermark) {}

  absl::Status BeforeWriting() {
    RETURN_IF_ERROR(RefuseStateOpenToOthers(config_));
    StartWalk walk;
    walk.read = findings_.Reader();
    RETURN_IF_ERROR(RefuseBeforeWriting(config_, clock_, {}, &walk, hold_watermark_));
    walked_ = walk.read_from.has_value();
    return absl::OkStatus();
  }

  absl::Status AfterOpen(const StorageStack& st) {
    if (hold_watermark_) {
      RETURN_IF_ERROR(st.watermark->Check(*st.audit, storage::kWatermarkInterval, st.db.get()));
    }
    if (!walked_) RETURN_IF_ERROR(CheckAuditSinceLastDataCheck(*st.audit, findings_.Reader()));
    return absl::OkStatus();
  }

  // Whether the audit log keeps the index broken (IndexFindings), from the walk made above.
  bool IndexBrokenInLog() const { return !findings_.Problem().empty(); }

 private:
  const registry::v1::ServerConfig& config_;
  const Clock* clock_;
  const bool hold_watermark_;
  bool walked_ = false;
  IndexFindings findings_;
};

}  // namespace

namespace {

// Every check verify-backup runs on its restored copy (CheckRestoredBackup, one function for
// both), run on the restored copy: the audit log's events against its root, the records, their
// versions and their index rows against the audit log's events and the ledger (a record rolled
// back to a version before one its log saw written: a ban taken off), and the index seal
// against the rows. The seal alone does not hold a backup to its records: one made by hand from
// two of this registry's backups (the rows of one, with that one's seal, and the records of the
// other) matches its seal, and would answer CLEAR for a person whose record it holds.
// FailedPrecondition naming the problems by kind and count, never a record id or anything a
// record holds.
absl::Status CheckRestoredData(const std::string& what, const StorageStack& st) {
  registry::v1::VerifyBackupResponse found;
  RETURN_IF_ERROR(CheckRestoredBackup(st, /*live=*/nullptr, /*catch_up=*/false, &found));
  if (found.problem_count() == 0) return absl::OkStatus();
  uint64_t index = 0, erased = 0, versions = 0, heads = 0, seals = 0, keys = 0, log = 0;
  for (const std::string& problem : found.problems()) {
    if (absl::StartsWith(problem, "index seal")) {
      ++seals;
    } else if (absl::StrContains(problem, "index row")) {
      ++index;
    } else if (absl::StrContains(problem, "erased-conviction row")) {
      ++erased;
    } else if (absl::StrContains(problem, "key-encryption key")) {
      ++keys;
    } else if (absl::StartsWith(problem, "audit")) {
      ++log;
    } else if (absl::StrContains(problem, "version")) {
      ++versions;
    } else if (absl::StartsWith(problem, "record ")) {
      ++heads;
    }
  }
  const uint64_t listed = index + erased + versions + heads + seals + keys + log;
  std::vector<std::string> kinds;
  const auto kind = [&kinds](uint64_t n, absl::string_view what_kind) {
    if (n > 0) kinds.push_back(absl::StrCat(n, " of ", what_kind));
  };
  kind(index, "index rows (missing, extra, under another record or failing authentication)");
  kind(erased, "erased-conviction rows");
  kind(versions, "record versions (an earlier state put back, or one the log never saw)");
  kind(heads, "records against the audit log (missing, extra or erased)");
  kind(keys, "key-encryption key check values");
  kind(log, "the audit log");
  kind(seals, "the index seal");
  kind(found.problem_count() - listed, "other kinds");
  return absl::FailedPreconditionError(absl::StrCat(
      what, " fails the data check of its records against its index and its audit log: ",
      found.problem_count(), found.problem_count() == 1 ? " problem (" : " problems (",
      absl::StrJoin(kinds, "; "),
      "), so it was not made whole by this registry (edited, or put together from other "
      "backups); restore another backup (check it first with `registry-cli admin verify-backup "
      "ID` before stopping registryd; it runs the same checks, as this restore did)"));
}

// Whether the backup restored into `staged` carries its record that this registry made it, and
// the record fits the copy as it was restored, not the backup folder as it is by the time of
// the check (storage/backups.h, Authentication).
absl::Status BackupMadeHere(const registry::v1::ServerConfig& config,
                            const storage::Backups::Staged& staged) {
  ASSIGN_OR_RETURN(const KeyMaterial keys, LoadKeyFile(config.key_file()));
  ASSIGN_OR_RETURN(const crypto::SecretBytes key,
                   crypto::DeriveKey(keys.derivation_root, storage::kBackupAuthKeyPurpose));
  return staged.CheckAuthentic(key);
}

// Opens the restored copy in `staged` as a start opens a data directory, with this registry's
// key file, erasure ledger and audit watermark: the probe of its table files, then OpenStorage
// (the key check value, every KEK the data keys need, the storage schema, the audit log's id and
// state, the ledger against the database's marker), then every block of every table file, since
// the backup engine's checksums were taken of the bytes as they were copied (a block already
// damaged then passes them). Whatever fails here would stop the registry at its next start; it
// is found while the data folder is still untouched. Then that registryd made it
// (BackupMadeHere) and its records against its index (CheckRestoredData). The database is
// closed on return.
absl::Status CheckRestoredCopy(const registry::v1::ServerConfig& config,
                               const storage::Backups::Staged& staged) {
  const std::string what = absl::StrCat("backup ", staged.backup_id());
  // The restored files are read for the first time below (storage/table_probe.h).
  if (absl::Status probed = storage::ProbeTableFiles(staged.path()); !probed.ok()) {
    return absl::Status(probed.code(), absl::StrCat(what, " has a damaged table file: ",
                                                    probed.message()));
  }
  // The ledger against every backup, as OpenStorage below holds it, but with the data folder
  // itself named in the advice, not the staging folder, which is gone once the restore is
  // refused. A key file that cannot be read is left to OpenStorage to say; so are the backups
  // not made here, which it names in the log.
  if (absl::StatusOr<KeyMaterial> keys = LoadKeyFile(config.key_file()); keys.ok()) {
    std::vector<storage::Backups::Damaged> named_below;
    RETURN_IF_ERROR(
        LedgerHoldsEveryBackup(config, keys->derivation_root, nullptr, &named_below));
  }
  registry::v1::ServerConfig copy = config;
  copy.set_data_dir(staged.path());
  absl::StatusOr<StorageStack> st = OpenStorage(copy, SystemClock::Get());
  if (!st.ok() && absl::StrContains(st.status().message(), "key check value differs")) {
    // The live data folder opened with this key file (or there is none): the store's advice,
    // to put back this installation's key file, sent the operator after a file that is right.
    // The backup is the stranger. Its words hold no personal data.
    return absl::FailedPreconditionError(absl::StrCat(
        what, " was made by another installation, or with another key file: it does not open "
        "with this installation's key file ", config.key_file(),
        " (its key check value differs); restore a backup this installation made"));
  }
  if (!st.ok()) {
    return absl::Status(st.status().code(),
                        absl::StrCat(what, " does not open as this registry's data: ",
                                     st.status().message()));
  }
  if (absl::Status blocks = st->db->VerifyTableChecksums(); !blocks.ok()) {
    return absl::DataLossError(
        absl::StrCat(what, " has a damaged table file: ", blocks.message()));
  }
  // The start's walk back through the events since the last data check: a backup whose log
  // misses one, or holds one that fails authentication, would be refused at the next start,
  // after it had replaced the data folder.
  if (absl::Status walked = CheckAuditSinceLastDataCheck(*st->audit); !walked.ok()) {
    return absl::Status(walked.code(), absl::StrCat(what, " does not open as this registry's "
                                                          "data: ", walked.message()));
  }
  // That registryd made it (storage/backups.h, Authentication): once it is known to open with
  // this key file, so that another installation's backup is said as such.
  RETURN_IF_ERROR(BackupMadeHere(config, staged));
  return CheckRestoredData(what, *st);
}

// The erasure ledger against the database in `folder`, opened read-only (left exactly as it is:
// a refused restore changes nothing, and a restore keeps the data folder aside for the
// investigation). Unavailable when the folder does not open as a database.
absl::Status LedgerHeldTo(const registry::v1::ServerConfig& config, const KeyMaterial& keys,
                          const std::string& folder) {
  ASSIGN_OR_RETURN(crypto::SecretBytes ledger_key,
                   crypto::DeriveKey(keys.derivation_root, storage::kErasureLedgerKeyPurpose));
  storage::DatabaseOptions options;
  options.path = folder;
  options.create_if_missing = false;
  options.read_only = true;
  ASSIGN_OR_RETURN(options.wal_seal_key,
                   crypto::DeriveKey(keys.derivation_root, storage::kWalSealKeyPurpose));
  absl::StatusOr<std::unique_ptr<storage::Database>> db = storage::Database::Open(options);
  if (!db.ok()) return absl::UnavailableError(std::string(db.status().message()));
  const absl::Status held =
      storage::ErasureLedger::Check(config.erasure_ledger_file(), ledger_key, db->get());
  return absl::IsUnavailable(held) ? absl::OkStatus() : held;
}

// The erasure ledger held to what has applied erasures before the restore: it must hold every
// erasure the data folder a restore replaces has applied, as a start holds it. An older copy of
// the ledger (the key folder put back from a custody copy) would let the restore bring back every
// record erased since, with nothing to say so, where a start with that ledger is refused. First
// the audit watermark, which lies beside the ledger outside the data folder and binds the
// ledger's head each time it moves (storage/audit_watermark.h): a ledger missing, emptied, older
// or replaced is refused whatever state the data folder is in. Then the data folder. A data
// folder that is missing or cannot be opened (damaged: often why a restore is run) has nothing to
// hold the ledger to; the newest backup that opens, other than the one restored (which its own
// opening holds to the ledger), then stands for it: it has applied every erasure made before it.
// (With the watermark gone too, erasures made after the newest backup are proven by nothing
// left: docs/security.md row 14.)
absl::Status LedgerHoldsTheErasuresOf(const registry::v1::ServerConfig& config,
                                      uint32_t backup_id) {
  const auto refused = [](const absl::Status& held, const std::string& what) {
    return absl::Status(held.code(),
                        absl::StrCat(what, held.message(),
                                     ": a restore with this ledger would bring back records "
                                     "erased since; put back the current erasure ledger"));
  };
  // Loaded here, not with the ledger: a key file that is missing or unreadable is said as
  // itself, not as an erasure ledger to put back.
  ASSIGN_OR_RETURN(const KeyMaterial keys, LoadKeyFile(config.key_file()));
  {
    ASSIGN_OR_RETURN(const crypto::SecretBytes watermark_key,
                     crypto::DeriveKey(keys.derivation_root, storage::kAuditWatermarkKeyPurpose));
    ASSIGN_OR_RETURN(const crypto::SecretBytes ledger_key,
                     crypto::DeriveKey(keys.derivation_root, storage::kErasureLedgerKeyPurpose));
    ASSIGN_OR_RETURN(const std::unique_ptr<storage::AuditWatermark> watermark,
                     storage::AuditWatermark::Open(config.audit_watermark_file(), watermark_key,
                                                   SystemClock::Get()));
    RETURN_IF_ERROR(watermark->CheckLedger(config.erasure_ledger_file(), ledger_key));
  }
  if (storage::Database::Exists(config.data_dir()) &&
      storage::ProbeTableFiles(config.data_dir()).ok()) {
    const absl::Status held = LedgerHeldTo(config, keys, config.data_dir());
    if (held.ok()) return held;
    if (!absl::IsUnavailable(held)) return refused(held, "");
  }
  absl::StatusOr<std::unique_ptr<storage::Backups>> backups =
      storage::Backups::Open(config.backup_dir());
  if (!backups.ok()) return absl::OkStatus();  // the restore itself says why it cannot read them
  const std::vector<storage::Backups::Info> made = (*backups)->List();
  backups->reset();  // Stage opens the folder again
  for (auto it = made.rbegin(); it != made.rend(); ++it) {
    // The newest is restored when 0 is asked for; that one, and any older, its opening holds.
    if (backup_id == 0 || it->id <= backup_id) break;
    absl::StatusOr<std::unique_ptr<storage::Backups::Staged>> staged =
        storage::Backups::Stage(config.backup_dir(), config.data_dir(), it->id);
    if (!staged.ok()) continue;  // damaged: the next older one
    const absl::Status held = LedgerHeldTo(config, keys, (*staged)->path());
    if (absl::IsUnavailable(held)) continue;
    if (held.ok()) return held;
    return refused(held, absl::StrCat("backup ", it->id, ", newer than the one restored: "));
  }
  return absl::OkStatus();
}

// The largest k <= limit for which the first k events of `a` and of `b` are the same. A tree
// root commits to every event under it, so the roots at k match exactly when those events do:
// they match for 0..k and for nothing above, and a bisection finds k.
absl::StatusOr<uint64_t> SharedPrefix(const storage::AuditLog& a, const storage::AuditLog& b,
                                      uint64_t limit) {
  uint64_t low = 0;  // matches
  uint64_t high = limit;
  while (low < high) {
    const uint64_t mid = low + (high - low + 1) / 2;
    ASSIGN_OR_RETURN(const std::string root_a, a.RootAt(mid));
    ASSIGN_OR_RETURN(const std::string root_b, b.RootAt(mid));
    if (root_a == root_b) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return low;
}

// What restoring the copy in `staged` gives up of the log it replaces, found before the swap.
// Comparing sizes alone took a backup from an abandoned branch of the log (made before an
// earlier restore went back past it), which holds more events than the log it replaces, for
// one that gives up nothing. The log replaced is the data folder's, when it opens and the
// watermark holds for it (its events are read to find where the two part); otherwise the
// watermark's size and root alone, which tell another branch only when the backup's log reaches
// the watermark's size. Both are opened read-only: the data folder is kept as it was.
absl::StatusOr<RestoreLoss> WhatTheRestoreGivesUp(const registry::v1::ServerConfig& config,
                                                  const std::string& staged,
                                                  const std::string& backup) {
  ASSIGN_OR_RETURN(const KeyMaterial keys, LoadKeyFile(config.key_file()));
  ASSIGN_OR_RETURN(const ReadOnlyLog restored, OpenLogReadOnly(staged, keys.derivation_root));
  ASSIGN_OR_RETURN(const crypto::SecretBytes watermark_key,
                   crypto::DeriveKey(keys.derivation_root, storage::kAuditWatermarkKeyPurpose));
  ASSIGN_OR_RETURN(const std::unique_ptr<storage::AuditWatermark> watermark,
                   storage::AuditWatermark::Open(config.audit_watermark_file(), watermark_key,
                                                 SystemClock::Get()));
  const std::optional<storage::AuditWatermark::Mark> mark = watermark->mark();
  const uint64_t size = restored.log->CurrentHead().size;
  std::optional<ReadOnlyLog> replaced;
  // Probed first, as a damaged table file would end the process (storage/table_probe.h).
  if (storage::Database::Exists(config.data_dir()) &&
      storage::ProbeTableFiles(config.data_dir()).ok()) {
    absl::StatusOr<ReadOnlyLog> live = OpenLogReadOnly(config.data_dir(), keys.derivation_root);
    if (live.ok() && (!mark.has_value() || watermark->Check(*live->log).ok())) {
      replaced = *std::move(live);
    }
  }
  RestoreLoss loss;
  uint64_t held = 0;
  std::optional<uint64_t> shared;
  if (replaced.has_value()) {
    held = replaced->log->CurrentHead().size;
    ASSIGN_OR_RETURN(shared, SharedPrefix(*restored.log, *replaced->log, std::min(size, held)));
  } else if (mark.has_value()) {
    held = mark->size;
    if (size >= held) {
      ASSIGN_OR_RETURN(const std::string root, restored.log->RootAt(held));
      if (root == mark->root) shared = held;  // else: parts somewhere below the mark
    } else {
      // Shorter than the mark, with no log to compare it to: taken for a plain going back.
      shared = size;
    }
  } else {
    return loss;  // nothing known of what it replaces
  }
  if (!shared.has_value()) {
    loss.other_branch = true;
    loss.events = held;
    const char* const events = held == 1 ? " event" : " events";
    loss.said = absl::StrCat(
        backup, " is from another branch of the audit log: it does not hold the ", held, events,
        " the log held (audit watermark ", config.audit_watermark_file(),
        "), and where the two part was not found (the data folder it replaces does not open); "
        "up to ", held, events, held == 1 ? " is" : " are", " given up");
  } else if (*shared < std::min(size, held)) {
    loss.other_branch = true;
    loss.shared = *shared;
    loss.events = held - *shared;
    loss.said = absl::StrCat(backup, " is from another branch of the audit log: the ",
                             loss.events, loss.events == 1 ? " event" : " events",
                             " the log held after its first ", *shared,
                             " (where the two part) ", loss.events == 1 ? "is" : "are",
                             " given up");
  } else if (held > size) {
    loss.events = held - size;  // the plain case: the backup's log is the first part of it
  }
  return loss;
}

}  // namespace

absl::Status RestoreBackup(const registry::v1::ServerConfig& config, uint32_t backup_id,
                           int* applied, uint64_t* lost_events, std::string* moved_aside,
                           RestoreLoss* given_up, const std::function<void()>& after_staging) {
  if (moved_aside != nullptr) moved_aside->clear();
  // Refused while registryd runs on the data folder; its message says that nothing changed.
  RETURN_IF_ERROR(storage::Database::RefuseWhileOpen(config.data_dir()));
  // And where another local account may change the state: the erasures to apply again come
  // from a ledger such an account could have emptied.
  if (absl::Status open = RefuseStateOpenToOthers(config); !open.ok()) {
    return absl::Status(open.code(), absl::StrCat(open.message(), "; the data folder ",
                                                  config.data_dir(), " was not changed"));
  }
  // And while one runs on another data folder with this ledger and watermark: the restore would
  // put that registry's watermark back to the backup's log, and it would not start again. Held
  // to the end (the storage opened below shares it).
  ASSIGN_OR_RETURN(const std::shared_ptr<const storage::KeyFolderLock> key_folder_lock,
                   storage::KeyFolderLock::Take(
                       {config.erasure_ledger_file(), config.audit_watermark_file()}));
  if (absl::Status held = LedgerHoldsTheErasuresOf(config, backup_id); !held.ok()) {
    return absl::Status(held.code(), absl::StrCat(held.message(), "; the data folder ",
                                                  config.data_dir(), " was not changed"));
  }
  // The backup is restored beside the data folder and checked there whole before it replaces
  // anything: a backup that cannot serve (another installation's, damaged, missing, needing a
  // retired KEK) must leave the data folder as it was, since it is then the only good copy.
  absl::StatusOr<std::unique_ptr<storage::Backups::Staged>> staged =
      storage::Backups::Stage(config.backup_dir(), config.data_dir(), backup_id);
  const std::string backup =
      backup_id == 0 ? std::string("the newest backup") : absl::StrCat("backup ", backup_id);
  if (staged.ok() && after_staging != nullptr) after_staging();
  absl::Status usable = staged.ok() ? CheckRestoredCopy(config, **staged) : staged.status();
  // What the log had that the backup's does not, which the restore gives up: read while the
  // data folder it replaces is still in place.
  absl::StatusOr<RestoreLoss> loss =
      usable.ok() ? WhatTheRestoreGivesUp(config, (*staged)->path(), backup) : RestoreLoss();
  if (usable.ok() && !loss.ok()) usable = loss.status();
  if (!usable.ok()) {
    // The staging folder goes with `staged`.
    return absl::Status(usable.code(), absl::StrCat(usable.message(), "; the data folder ",
                                                    config.data_dir(), " was not changed"));
  }
  RETURN_IF_ERROR((*staged)->SwapIn(moved_aside));
  ASSIGN_OR_RETURN(StorageStack st, OpenStorage(config, SystemClock::Get()));
  const uint64_t restored = st.audit->CurrentHead().size;
  const uint64_t lost = loss->events;
  // Before anything can read the restored files: every erasure made since the backup.
  ASSIGN_OR_RETURN(*applied, st.eraser->CatchUp());
  // The restore is on the record, in the log it leaves: an auditor whose saved state is ahead of
  // it finds why the log went back, from where, and by how much.
  registry::v1::AuditEvent event;
  event.set_actor(kRestoreActor);
  event.set_action(kRestoreAction);
  event.set_reference(absl::StrCat(
      backup, " restored at log size ", restored, "; ",
      loss->other_branch
          ? loss->said
          : absl::StrCat(lost, lost == 1 ? " event" : " events", " written after it given up"),
      "; ", *applied, *applied == 1 ? " later erasure" : " later erasures", " re-applied"));
  RETURN_IF_ERROR(st.audit->Append(std::move(event), nullptr).status());
  RETURN_IF_ERROR(st.db->Flush());
  // Going back is what a restore is for: the watermark follows. The copy's index passed the
  // data check of its rows (CheckRestoredCopy): a break the watermark kept is lifted.
  RETURN_IF_ERROR(st.watermark
                      ->Reset(*st.audit, LedgerHeadOf(*st.ledger), SealHeadOf(*st.db),
                              /*clear_index_broken=*/true)
                      .status());
  // Done: the copy is the registry's data (until now a restore run again replaces it whole).
  RETURN_IF_ERROR(storage::Backups::FinishRestore(config.data_dir()));
  if (lost_events != nullptr) *lost_events = lost;
  if (given_up != nullptr) *given_up = *std::move(loss);
  return absl::OkStatus();
}

absl::Status ConfirmClock(const registry::v1::ServerConfig& config, const Clock* clock,
                          absl::Time* before) {
  // It writes into the data folder: not into a restore's unfinished copy (see AdoptWatermark).
  RETURN_IF_ERROR(storage::Backups::RefuseUnfinishedRestore(config.data_dir()));
  // Nor into a folder a start refuses (put back from an earlier copy, its audit log damaged
  // anywhere since the last data check, the erasure ledger not holding its erasures): refused as
  // the start refuses it, in its words, before the writable open writes anything there; the
  // folder is kept as it was found, for the investigation.
  OfflineRefusals refusals(config, clock);
  RETURN_IF_ERROR(refusals.BeforeWriting());
  ASSIGN_OR_RETURN(StorageStack st, OpenStorage(config, clock, {}, /*existing_only=*/true));
  // What the read-only look could not get as far as, as a start holds it after its open: before
  // the confirmation is written to the log.
  RETURN_IF_ERROR(refusals.AfterOpen(st));
  ASSIGN_OR_RETURN(const std::optional<absl::Time> mark, ErasureClockMarkOf(st));
  *before = mark.has_value() ? *mark : st.audit->NewestEventTime();
  const absl::Time now = clock->Now();
  registry::v1::AuditEvent event;
  event.set_actor(kConfirmClockActor);
  event.set_action(kConfirmClockAction);
  event.set_reference(absl::StrCat(
      "erasures trust the clock from ", FormatInstant(now), "; before, from ",
      *before == absl::InfinitePast() ? std::string("none") : FormatInstant(*before)));
  RETURN_IF_ERROR(st.audit->Append(std::move(event), nullptr).status());
  RETURN_IF_ERROR(st.records->SetErasureClockMark(now));
  // The mark follows the event: a mark behind an event dated later than a crash leaves is one
  // put back (AuditWatermark::Check).
  return st.watermark->Advance(*st.audit);
}

absl::StatusOr<uint64_t> ResealIndex(const registry::v1::ServerConfig& config,
                                     const Clock* clock) {
  // Refused where ConfirmClock refuses, for the same reasons, before anything is written.
  RETURN_IF_ERROR(storage::Backups::RefuseUnfinishedRestore(config.data_dir()));
  OfflineRefusals refusals(config, clock);
  RETURN_IF_ERROR(refusals.BeforeWriting());
  // The whole data check first, on a read-only look (as --verify_data makes it): a new seal is
  // made only over rows it finds sound, and a refusal writes nothing into the folder.
  ASSIGN_OR_RETURN(const storage::DataCheckReport report, VerifyDataOffline(config));
  uint64_t seal_problems = 0;
  std::string replaced = "the seal matched";
  for (const std::string& problem : report.problems) {
    if (absl::StartsWith(problem, "index seal: ")) {
      ++seal_problems;
      replaced = problem;
    }
  }
  if (report.problem_count > seal_problems) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the data check finds ", report.problem_count - seal_problems,
        " problems besides the index seal (registryd --verify_data names them): the index is "
        "sealed anew only once they are put right, or restore a backup; nothing was written"));
  }
  ASSIGN_OR_RETURN(StorageStack st, OpenStorage(config, clock, {}, /*existing_only=*/true));
  RETURN_IF_ERROR(refusals.AfterOpen(st));
  // Past the generation the watermark binds: the next start takes the new seal.
  const std::optional<storage::AuditWatermark::Mark> bound = st.watermark->mark();
  ASSIGN_OR_RETURN(const storage::IndexSealSum sum,
                   st.db->ResealIndex(bound.has_value() && bound->index_seal.has_value()
                                          ? bound->index_seal->generation
                                          : 0));
  registry::v1::AuditEvent event;
  event.set_actor("system:index-seal");
  event.set_action("index-sealed-anew");
  event.set_reference(absl::StrCat("index sealed anew by the operator: ", sum.rows,
                                   " rows of the index family; before: ", replaced));
  RETURN_IF_ERROR(st.audit->Append(std::move(event), nullptr).status());
  // The mark follows the event (as --confirm_clock's does). Over a data check that found the
  // rows sound: the break the watermark kept is lifted.
  RETURN_IF_ERROR(st.watermark->Advance(*st.audit));
  if (st.watermark->mark().has_value()) RETURN_IF_ERROR(st.watermark->SetIndexBroken(false));
  return sum.rows;
}

absl::Status AdoptWatermark(const registry::v1::ServerConfig& config, bool* adopted,
                            uint64_t* log_size) {
  *adopted = false;
  *log_size = 0;
  // The log of a restore's unfinished copy is behind the watermark because the restore went
  // back on purpose: taking the copy as it is would leave its erasures unapplied and make it
  // the registry's data, which a restore run again could not tell from an untouched copy.
  RETURN_IF_ERROR(storage::Backups::RefuseUnfinishedRestore(config.data_dir()));
  // The data as it is becomes the registry's only when a start would take it but for the mark:
  // a folder whose audit log is damaged (anywhere since the last data check), or whose erasure
  // ledger does not hold its erasures, is refused in the start's words before anything is
  // written into it, as --confirm_clock refuses it.
  OfflineRefusals refusals(config, SystemClock::Get(), /*hold_watermark=*/false);
  RETURN_IF_ERROR(refusals.BeforeWriting());
  ASSIGN_OR_RETURN(StorageStack st,
                   OpenStorage(config, SystemClock::Get(), {}, /*existing_only=*/true));
  RETURN_IF_ERROR(refusals.AfterOpen(st));
  *adopted = false;
  *log_size = st.audit->CurrentHead().size;
  const absl::Status held =
      st.watermark->Check(*st.audit, storage::kWatermarkInterval, st.db.get());
  if (held.ok()) return absl::OkStatus();
  const std::optional<storage::AuditWatermark::Mark> mark = st.watermark->mark();
  // Another log: its root at the mark's size is not the mark's (a mark that is only older than a
  // crash explains holds for the log).
  bool another = false;
  if (mark.has_value() && mark->size <= *log_size) {
    absl::StatusOr<std::string> root = st.audit->RootAt(mark->size);
    another = !root.ok() || *root != mark->root;
  }
  registry::v1::AuditEvent event;
  event.set_actor(kWatermarkActor);
  event.set_action(kAdoptWatermarkAction);
  event.set_reference(absl::StrCat(
      "the log at size ", *log_size, " taken as the watermark; before: ",
      mark.has_value() ? absl::StrCat(mark->size, mark->size == 1 ? " event" : " events", " at ",
                                      FormatInstant(mark->written_at),
                                      another ? " (another log)" : "")
                       : std::string("no watermark")));
  RETURN_IF_ERROR(st.audit->Append(std::move(event), nullptr).status());
  RETURN_IF_ERROR(st.db->Flush());
  // A finding the log keeps (the last data check found the index broken, and no new seal or
  // restore followed it) stays in the new mark: adopting never re-runs the data check, and never
  // writes a clean mark over a finding (a mark that kept one keeps it too).
  RETURN_IF_ERROR(st.watermark
                      ->Reset(*st.audit, LedgerHeadOf(*st.ledger), SealHeadOf(*st.db),
                              /*clear_index_broken=*/false,
                              /*index_broken=*/refusals.IndexBrokenInLog())
                      .status());
  *adopted = true;
  *log_size = st.audit->CurrentHead().size;
  return absl::OkStatus();
}

namespace {

// When every data key had left KEK `version`: the time of the first "kek-vN finished" event
// (server/key_rotator.cc) of a rotation to a later version. absl::InfinitePast() when the log
// holds none (retention pruned it, a year or more ago: older than any kept backup).
absl::StatusOr<absl::Time> EveryDataKeyLeft(const storage::AuditLog& audit, uint32_t version) {
  absl::Time left = absl::InfinitePast();
  absl::Status problem;
  const uint64_t start = audit.CurrentPruned().size;
  RETURN_IF_ERROR(audit.Scan(
      start, audit.CurrentHead().size,
      [&](uint64_t, absl::string_view bytes) {
        v1::AuditEvent event;
        if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
          problem = absl::DataLossError("an audit event does not parse");
          return false;
        }
        uint32_t to = 0;
        if (event.actor() != "system:key-rotation" ||
            !absl::StartsWith(event.reference(), "kek-v") ||
            !absl::EndsWith(event.reference(), " finished") ||
            !absl::SimpleAtoi(absl::StripSuffix(absl::StripPrefix(event.reference(), "kek-v"),
                                                " finished"),
                              &to) ||
            to <= version) {
          return true;
        }
        absl::StatusOr<absl::Time> at = ParseInstant(event.time());
        if (!at.ok()) {
          problem = at.status();
          return false;
        }
        left = *at;
        return false;  // the first is the one
      },
      storage::BlockCache::kBypass));
  RETURN_IF_ERROR(problem);
  return left;
}

}  // namespace

absl::Status RetireKek(const registry::v1::ServerConfig& config, uint32_t version,
                       const Clock* clock) {
  ASSIGN_OR_RETURN(v1::KeyFile file, ReadKeyFile(config.key_file()));
  // It writes its step into the audit log: not into a folder a start refuses, which is refused
  // in the start's words before anything is written into it (as --confirm_clock refuses it).
  OfflineRefusals refusals(config, clock);
  RETURN_IF_ERROR(refusals.BeforeWriting());
  // What the key file alone settles is refused before the database is opened to write; beside
  // a running registryd, that it runs is said first, as every offline mode says it.
  RETURN_IF_ERROR(storage::Database::RefuseWhileOpen(config.data_dir()));
  if (version == file.current_kek_version()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "KEK version ", version, " is the current one; rotate the keys first"));
  }
  if (std::none_of(file.keks().begin(), file.keks().end(),
                   [version](const v1::KeyEncryptionKey& k) { return k.version() == version; })) {
    return absl::NotFoundError(absl::StrCat("no KEK version ", version));
  }
  ASSIGN_OR_RETURN(StorageStack st, OpenStorage(config, clock, {}, /*existing_only=*/true));
  RETURN_IF_ERROR(refusals.AfterOpen(st));
  ASSIGN_OR_RETURN(const std::optional<storage::KeyRotationState::Progress> pending,
                   storage::KeyRotationState(st.db.get()).Get());
  if (pending.has_value()) {
    return absl::FailedPreconditionError(
        "a key rotation is unfinished; start registryd to finish it");
  }
  const uint32_t current = st.keys->Get()->current_version();
  if (version == current) {
    return absl::FailedPreconditionError(absl::StrCat(
        "KEK version ", version, " is the current one; rotate the keys first"));
  }
  ASSIGN_OR_RETURN(const uint64_t others, st.records->CountNotUnder(current));
  if (others > 0) {
    // Which versions they are under: "not under the current KEK" was said also of data keys
    // under another version than the one asked for, as if that one were still in use. Still
    // refused: a rotation brings every data key under the current version first.
    ASSIGN_OR_RETURN(const uint64_t all, st.records->CountNotUnder(0));  // no version 0
    std::vector<std::string> under;
    uint64_t under_asked = 0;
    uint64_t counted = 0;
    for (uint32_t v = 1; v < current && counted < others; ++v) {
      ASSIGN_OR_RETURN(const uint64_t not_under_v, st.records->CountNotUnder(v));
      const uint64_t n = all - not_under_v;
      if (n == 0) continue;
      if (v == version) under_asked = n;
      counted += n;
      under.push_back(absl::StrCat("version ", v, " (", n, ")"));
    }
    if (under_asked > 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          under_asked, " data key", under_asked == 1 ? " is" : "s are",
          " still under KEK version ", version, ": rotate the keys first (registry-cli admin "
          "rotate-keys), which brings every data key under a new current version; nothing was "
          "changed"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "no data key is under KEK version ", version, ", but ", others, " data key",
        others == 1 ? " is" : "s are", " not under the current version ", current,
        " (under KEK ", absl::StrJoin(under, ", "), "): rotate the keys first (registry-cli "
        "admin rotate-keys), then retire it; nothing was changed"));
  }
  // A backup made while some data key was wrapped under the version (after a rotation made it,
  // before every data key had left it) needs it to be restored: retired, the backup could not be
  // restored or verified, and nothing said so until it was needed. A backup made before the
  // version existed does not. Backups are dated in whole seconds: one made in the second of
  // either bound may have been made on the side that needs the version, and keeps it.
  ASSIGN_OR_RETURN(const absl::Time left, EveryDataKeyLeft(*st.audit, version));
  ASSIGN_OR_RETURN(const std::optional<absl::Time> came_in,
                   storage::KeyRotationState(st.db.get()).CameIn(version));
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Backups> backups,
                   storage::Backups::Open(config.backup_dir()));
  // A damaged backup (its record unreadable, or set aside for contradicting another's) has no
  // date to go by, and may be put right and restored: it keeps every version.
  std::vector<std::string> damaged;
  for (const storage::Backups::Damaged& d : backups->ListDamaged()) {
    damaged.push_back(absl::StrCat(d.id));
  }
  if (!damaged.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backup", damaged.size() == 1 ? " " : "s ", absl::StrJoin(damaged, ", "), " in ",
        config.backup_dir(), damaged.size() == 1 ? " is" : " are",
        " damaged, so when ", damaged.size() == 1 ? "it was" : "they were",
        " made cannot be read, and ", damaged.size() == 1 ? "it" : "they",
        " may need KEK version ", version, " once put right (registry-cli admin backups says "
        "what is wrong): see to ", damaged.size() == 1 ? "it" : "them",
        " first; nothing was changed"));
  }
  std::vector<std::string> needing;
  for (const storage::Backups::Info& backup : backups->List()) {
    // Not recorded (the first version, one rotated in before this was recorded or given by
    // hand): it may have been in use from the start.
    const bool after_it_came_in =
        !came_in.has_value() || backup.created_at + absl::Seconds(1) > *came_in;
    if (after_it_came_in && backup.created_at <= left) {
      needing.push_back(absl::StrCat(backup.id));
    }
  }
  if (!needing.empty() && !came_in.has_value()) {
    // Kept as needing it (the safe side), but not said to have been made while it was in use:
    // after a restore of an earlier backup, backups made before the version existed were.
    return absl::FailedPreconditionError(absl::StrCat(
        "backups ", absl::StrJoin(needing, ", "), " in ", config.backup_dir(),
        " may need KEK version ", version, ": the data folder has no record of when version ",
        version, " came in (it was restored from an earlier backup, or the version is the first "
        "or came in before registryd recorded it), so every backup made before every data key "
        "had left it is kept as needing it: retire it once they are pruned (backup.keep_days "
        "after each was made); nothing was changed"));
  }
  if (!needing.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "backups ", absl::StrJoin(needing, ", "), " in ", config.backup_dir(),
        " were made while data keys were wrapped under KEK version ", version,
        " (before every data key had left it) and need it to be restored: retire it once they "
        "are pruned (backup.keep_days after each was made); nothing was changed"));
  }
  // A folder rotated by an earlier registryd, whose rotation did not rewrite the files, may still
  // hold data keys as they were wrapped under the version: they go before the version does.
  RETURN_IF_ERROR(st.records->RemoveOverwrittenBytes());
  RETURN_IF_ERROR(RemoveKek(&file, version));
  // On the record before the key file changes: a retirement is a security officer's act on the
  // keys, as a rotation is.
  v1::AuditEvent event;
  event.set_actor("system:key-file");
  event.set_action("retire-kek");
  event.set_reference(absl::StrCat("kek-v", version, " removed from the key file"));
  RETURN_IF_ERROR(st.audit->Append(std::move(event), nullptr).status());
  absl::Status written = WriteKeyFile(config.key_file(), file, /*overwrite=*/true);
  if (!written.ok()) {
    v1::AuditEvent failed;
    failed.set_actor("system:key-file");
    failed.set_action("retire-kek");
    failed.set_reference(absl::StrCat("kek-v", version, " not removed: the key file was not written"));
    failed.set_outcome(static_cast<int>(written.code()));
    st.audit->Append(std::move(failed), nullptr).IgnoreError();
    st.watermark->Advance(*st.audit).IgnoreError();
    return written;
  }
  // The mark follows the event (as --confirm_clock's does).
  return st.watermark->Advance(*st.audit);
}

absl::StatusOr<storage::DataCheckReport> VerifyDataOffline(
    const registry::v1::ServerConfig& config) {
  // A folder that holds no registry data while something outside it says the registry held
  // data is refused as the start refuses it, not checked as an empty registry ("0 records,
  // consistent"): no database, one with no row (here), one another program made (OpenStorage),
  // or one whose audit log holds no event (below).
  ASSIGN_OR_RETURN(const KeyMaterial keys, LoadKeyFile(config.key_file()));
  if (!storage::Database::Exists(config.data_dir())) {
    RETURN_IF_ERROR(RefuseAnEmptyFolderWithAPast(config, keys.derivation_root, kHoldsNoDatabase));
  } else if (absl::StatusOr<std::unique_ptr<storage::Database>> db =
                 OpenReadOnly(config.data_dir(), keys.derivation_root, {});
             db.ok()) {
    if (absl::StatusOr<bool> nothing = storage::HoldsNothing(**db); nothing.ok() && *nothing) {
      RETURN_IF_ERROR(RefuseAnEmptyFolderWithAPast(config, keys.derivation_root, kHoldsNoRow));
    }
  }
  // Read only: the folder may be a copy kept for an investigation, which a check must leave as
  // it was, byte for byte; and a damaged last event is named by the check, not a refusal.
  ASSIGN_OR_RETURN(StorageStack st,
                   OpenStorage(config, SystemClock::Get(), {}, /*existing_only=*/true,
                               /*read_only=*/true));
  if (st.audit->CurrentHead().size == 0) {
    RETURN_IF_ERROR(RefuseAnEmptyFolderWithAPast(config, st.derivation_root, kHoldsNoEvent));
  }
  ASSIGN_OR_RETURN(const std::unique_ptr<ReferenceData> reference,
                   ReferenceData::Load(config.reference_dir()));
  st.records->UseDatesRules(reference->DatesRules());
  ASSIGN_OR_RETURN(
      storage::DataCheckReport report,
      CheckDataAndTableFiles(*st.db, *st.records, *st.checks, *st.audit, *st.ledger));
  if (absl::Status behind = st.watermark->Check(*st.audit, storage::kWatermarkInterval,
                                                st.db.get());
      !behind.ok()) {
    report.Add(std::string(behind.message()));
  }
  return report;
}

absl::StatusOr<std::unique_ptr<RegistryServer>> RegistryServer::Start(
    RegistryServerOptions options) {
  std::unique_ptr<RegistryServer> s(new RegistryServer());
  s->options_ = std::move(options);
  s->clock_ = s->options_.clock != nullptr ? s->options_.clock : SystemClock::Get();
  s->revocation_clock_ = s->options_.revocation_clock != nullptr ? s->options_.revocation_clock
                                                                 : SystemClock::Get();
  RETURN_IF_ERROR(s->LoadRules());
  // Before the data folder is opened or created: a mistyped address or a port in use creates
  // nothing, and says why.
  RETURN_IF_ERROR(CheckCanListen("listen_address", s->options_.config.listen_address()));
  if (!s->options_.config.metrics().listen_address().empty()) {
    RETURN_IF_ERROR(
        CheckCanListen("metrics.listen_address", s->options_.config.metrics().listen_address()));
  }
  // A restore's copy left unfinished is not served: once written to, it would be the
  // registry's data, which a restore run again could not tell apart from the untouched copy.
  RETURN_IF_ERROR(storage::Backups::RefuseUnfinishedRestore(s->options_.config.data_dir()));
  RETURN_IF_ERROR(s->OpenAndRecoverStorage());
  // Before anything is written to the log or served (registryd runs it with the data checks):
  // the walk, when the read-only look before the writable open did not get as far as it.
  if (s->options_.start_data_checks && !s->recall_walk_.end.has_value()) {
    RETURN_IF_ERROR(s->CheckAuditSinceLastDataCheck());
  }
  RETURN_IF_ERROR(s->BuildServices());
  RETURN_IF_ERROR(s->BuildGrpcServer());
  RETURN_IF_ERROR(s->StartBackgroundJobs());
  return s;
}

absl::Status RegistryServer::LoadRules() {
  const registry::v1::ServerConfig& config = options_.config;
  ASSIGN_OR_RETURN(policies_, PolicyStore::Load(config.policy_file()));
  ASSIGN_OR_RETURN(reference_, ReferenceData::Load(config.reference_dir()));
  ValidationOptions validation;
  validation.personal_number_pattern = config.personal_number_pattern();
  ASSIGN_OR_RETURN(validator_, RecordValidator::Create(reference_.get(), validation, clock_));

  RETURN_IF_ERROR(RequireReadable("tls.client_ca_file", config.tls().client_ca_file()));
  RETURN_IF_ERROR(RequireReadable("tls.cert_file", config.tls().cert_file()));
  RETURN_IF_ERROR(RequireReadable("tls.key_file", config.tls().key_file()));
  RETURN_IF_ERROR(ServerCertificateServes(config.tls().cert_file(), revocation_clock_->Now()));
  // And that the key is the certificate's, as a reload and --check_config hold it, before the
  // data folder is opened: it was refused only once the storage was open and recovered.
  RETURN_IF_ERROR(CheckServerKeyFile(config.tls().cert_file(), config.tls().key_file()));
  // The files written beside the key file, as --check_config holds them, before anything is
  // opened: a watermark without its folder was refused only after the metrics were served, and
  // a CRL numbers file that cannot be written was blamed on the CRLs.
  RETURN_IF_ERROR(WritableFileFolder("erasure_ledger_file", config.erasure_ledger_file()));
  RETURN_IF_ERROR(WritableFileFolder("audit_watermark_file", config.audit_watermark_file()));
  // Revocation is off without tls.crl_directory: refused where the CRL numbers show it was in
  // force (a field dropped from the config must not let revoked certificates back in), said
  // otherwise, as --check_config says it.
  RETURN_IF_ERROR(RevocationWasInForce(config));
  if (config.tls().crl_directory().empty()) {
    Log("warning", kRevocationOff);
    // No CRL, but still no certificate but one the client CAs in force signed: the gate checks
    // each caller's signature against them, and gRPC reads them from the gate's copy
    // (BuildGrpcServer); the TLS layer's trust is not relied upon (server/revocation.h).
    ASSIGN_OR_RETURN(revocation_, Revocation::Load(config.tls().client_ca_file(), ""));
  }
  if (!config.tls().crl_directory().empty()) {
    RETURN_IF_ERROR(WritableFileFolder("crl_number_file", config.crl_number_file()));
    ASSIGN_OR_RETURN(revocation_, Revocation::Load(config.tls().client_ca_file(),
                                                   config.tls().crl_directory(),
                                                   config.crl_number_file()));
    // Start-up refuses what --check_config (the unit's ExecStartPre) reports: a CRL folder that
    // cannot be read, a client CA without a current CRL, a CRL file it cannot use. A registry
    // started so served nothing but refusals. Once it runs, a CRL that expires or goes bad makes
    // only that CA's certificates refused (fail closed), until a current one is back.
    std::vector<std::string> problems = revocation_->Problems(revocation_clock_->Now());
    // A CRL folder or file that other accounts may change is said below, with the rest that
    // they may change, not as a CRL registryd waits for.
    const std::vector<std::string> trusted = TrustOpenToOthers(config);
    problems.erase(std::remove_if(problems.begin(), problems.end(),
                                  [&trusted](const std::string& p) {
                                    return std::find(trusted.begin(), trusted.end(),
                                                     absl::StrCat("tls.crl_directory: ", p)) !=
                                           trusted.end();
                                  }),
                   problems.end());
    if (!problems.empty()) {
      // Every problem in the one error that stops the start (registryd logs it as one line); a
      // numbers file that cannot be written is no CRL's fault, and is named as what it is.
      std::vector<std::string> crls;
      std::vector<std::string> numbers;
      for (const std::string& p : problems) {
        (absl::StartsWith(p, "crl_number_file: ") ? numbers : crls).push_back(p);
      }
      std::string why;
      if (!crls.empty()) {
        why = absl::StrCat("tls.crl_directory: ", absl::StrJoin(crls, "; "),
                           ". registryd does not start until every client CA has a current "
                           "CRL in ", config.tls().crl_directory());
      }
      if (!numbers.empty()) {
        absl::StrAppend(&why, why.empty() ? "" : "; ", absl::StrJoin(numbers, "; "),
                        ". registryd does not start until it can write its crl_number_file ",
                        config.crl_number_file());
      }
      return absl::FailedPreconditionError(why);
    }
    LogRevocation(absl::OkStatus(), problems);
  }
  // A backup folder registryd cannot write fails every backup, and the erasure promise with
  // them (docs/security.md): refused here as --check_config refuses it, rather than found by the
  // first backup, a day later.
  // Likewise the data folder: RocksDB's own error ("While renaming a file to ./data/LOG.old")
  // said neither which setting nor what to do.
  RETURN_IF_ERROR(WritableFolder("data_dir", config.data_dir()));
  RETURN_IF_ERROR(WritableFolder("backup_dir", config.backup_dir()));
  if (absl::Status engine = storage::Backups::ExistingFolderProblem(config.backup_dir());
      !engine.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("backup_dir: ", engine.message()));
  }
  // State that another local account may change is refused as --check_config refuses it: such
  // an account could put back an earlier ledger, watermark or data folder, or plant its own.
  // Likewise what it trusts: the CA bundle, the TLS files, the reference data, the key file.
  return RefuseStateOpenToOthers(config);
}

absl::Status RegistryServer::OpenAndRecoverStorage() {
  const registry::v1::ServerConfig& config = options_.config;
  // Before the writable open, which writes into the folder before anything is read: a refused
  // folder is kept as it was found, for the investigation. With the data checks, the look makes
  // the walk back through the events since the last data check too, and hands over what it read
  // (RecallLastChecks goes on from there).
  RecallWalk found;
  StartWalk walk;
  // What the log says of the index is read on the same walk.
  IndexFindings findings;
  walk.read = [keep = KeepRecalled(&found), &findings](uint64_t index,
                                                       const v1::AuditEvent& event) {
    keep(index, event);
    findings.Read(index, event);
  };
  RETURN_IF_ERROR(RefuseBeforeWriting(config, clock_, options_.storage_seams,
                                      options_.start_data_checks ? &walk : nullptr));
  if (walk.read_from.has_value()) {
    found.end = *walk.read_from;
    recall_walk_ = std::move(found);
  }
  ASSIGN_OR_RETURN(storage_, OpenStorage(config, clock_, options_.storage_seams));
  StorageStack& st = storage_;
  // Heads are read under the rules in force from the first read on: the erasure catch-up below
  // re-dates the persons it erases records of.
  st.records->UseDatesRules(reference_->DatesRules());
  // Before anything is written or served: a data directory behind the watermark lost writes,
  // and a watermark older than a crash explains was put back from an earlier time.
  RETURN_IF_ERROR(st.watermark->Check(*st.audit, options_.watermark_interval, st.db.get()));
  // The events past the mark (a crash's, or those of writes a mark put back hides), before the
  // mark moves on to the head: the records they wrote are checked below.
  const uint64_t past_mark_to = st.audit->CurrentHead().size;
  const std::optional<storage::AuditWatermark::Mark> given_mark = st.watermark->mark();
  const uint64_t past_mark_from = given_mark.has_value() ? given_mark->size : past_mark_to;
  // Dated now, before the start writes anything of its own: what it writes is dated after it.
  RETURN_IF_ERROR(st.watermark->Renew(*st.audit));
  // Whether the log keeps the index broken: from the look's walk when it made one; otherwise
  // (no data checks at start, or a look that could not get as far) a walk of its own back to the
  // last data check, which stops where it cannot read (the data check names that).
  if (!walk.read_from.has_value()) {
    ::registry::server::CheckAuditSinceLastDataCheck(*st.audit, findings.Reader())
        .IgnoreError();
  }
  index_broken_in_log_ = findings.Problem();
  // Before anything is written with the clock's time: what erasures last trusted it at.
  const Pacer* elapsed = options_.clock_guard_elapsed != nullptr ? options_.clock_guard_elapsed
                         : clock_ == SystemClock::Get()           ? Pacer::Steady()
                                                                  : nullptr;
  if (elapsed != nullptr) {
    ASSIGN_OR_RETURN(const std::optional<absl::Time> mark, ErasureClockMarkOf(st));
    clock_guard_ = std::make_unique<ClockGuard>(
        clock_, elapsed, mark.has_value() ? *mark : st.audit->NewestEventTime());
  }
  // Ages are ages in real time, whatever clock the registry runs on.
  metrics_ = std::make_unique<Metrics>(SystemClock::Get());
  {
    Metrics::Sources sources;
    storage::AuditLog* audit = st.audit.get();
    storage::KeyringHolder* keys = st.keys.get();
    sources.audit_tree_size = [audit] { return audit->CurrentHead().size; };
    sources.audit_pruned_events = [audit] { return audit->CurrentPruned().size; };
    sources.kek_versions = [keys] { return keys->Get()->versions(); };
    sources.current_kek_version = [keys] { return keys->Get()->current_version(); };
    metrics_->SetSources(std::move(sources));
    Metrics* metrics = metrics_.get();
    audit->SetGroupObserver([metrics](size_t events) { metrics->RecordGroupCommit(events); });
  }
  // Before anything is served: a database restored from an older backup (or left behind by an
  // erasure whose commit failed) gets every recorded erasure applied again. Every ledger entry
  // is looked up, not only those past the database's marker, which the folder's writer can copy.
  int stored_again = 0;
  int rows_put_back = 0;
  ASSIGN_OR_RETURN(const int erasures_applied, st.eraser->CatchUp(&stored_again, &rows_put_back));
  if (rows_put_back > 0) {
    // Only someone writing the data directory removes these rows.
    Log("warning",
        "erased convictions had lost the rows that keep them from being entered again; put back "
        "from the erasure ledger",
        absl::StrCat(rows_put_back, " rows"));
  }
  if (erasures_applied > stored_again) {
    Log("info", "applied erasures from the erasure ledger",
            absl::StrCat(erasures_applied - stored_again, " entries the database had not applied"));
  }
  if (stored_again > 0) {
    // The marker said these were applied, yet the records were there: the data directory was put
    // back from before their erasure (with the marker copied over, or edited).
    Log("warning", "erased records were stored again; erased them again from the erasure ledger",
        absl::StrCat(stored_again, " entries the database claimed to have applied"));
  }
  // Once the erasures are applied again: the records the events past the mark wrote, each as
  // the data check checks one. A problem breaks the index seal with a kept finding, as one the
  // audit log keeps does (SealIndexIfAbsent says it in an event).
  if (std::string past_mark = CheckRecordsPastMark(st, past_mark_from, past_mark_to);
      !past_mark.empty() && index_broken_in_log_.empty()) {
    index_broken_in_log_ = std::move(past_mark);
  }
  if (absl::Status room = st.db->RoomForChange(); !room.ok()) {
    // It serves (reads go on), but every change will be refused: said once at start, where the
    // operator looks, and not only to the first clerk.
    Log("warning", "the data directory's disk is below the space kept for audit events",
        room.message());
  }
  ASSIGN_OR_RETURN(signing_, DeriveSigningKeys(st.derivation_root));
  audit_log_id_ = st.audit_log_id;
  rotator_ = std::make_unique<KeyRotator>(config.key_file(), st.db.get(), st.records.get(),
                                          st.keys.get(), st.audit.get(), clock_);
  absl::StatusOr<KeyRotator::Result> resumed = rotator_->Resume();
  if (absl::IsDataLoss(resumed.status())) {
    // One damaged data key must not keep the whole registry down: its record reads as
    // DATA_LOSS, the rotation stays recorded as unfinished (so no KEK can be retired), and the
    // next RotateKeys retries it.
    Log("error", "cannot finish an interrupted key rotation", resumed.status().message());
  } else if (!resumed.ok()) {
    return resumed.status();
  } else if (resumed->rewrapped > 0) {
    Log("info", "finished an interrupted key rotation",
            absl::StrCat(resumed->rewrapped, " data keys re-wrapped"));
  }
  return absl::OkStatus();
}

absl::Status RegistryServer::BuildServices() {
  const registry::v1::ServerConfig& config = options_.config;
  StorageStack& st = storage_;
  limiter_ = std::make_unique<RateLimiter>(clock_);
  RefusalLimiter::Options refusal_options;
  // A config that skipped FinishConfig keeps the defaults rather than auditing nothing.
  if (config.unknown_callers().audited_per_minute() > 0) {
    refusal_options.per_minute = config.unknown_callers().audited_per_minute();
  }
  if (config.unknown_callers().audited_burst() > 0) {
    refusal_options.burst = config.unknown_callers().audited_burst();
  }
  refusals_ = std::make_unique<RefusalLimiter>(clock_, refusal_options);
  CallGate::Deps gate_deps;
  gate_deps.clock = clock_;
  gate_deps.policies = policies_.get();
  gate_deps.limiter = limiter_.get();
  gate_deps.audit = st.audit.get();
  gate_deps.validator = validator_.get();
  gate_deps.records = st.records.get();
  gate_deps.checks = st.checks.get();
  gate_deps.revocation = revocation_.get();
  gate_deps.revocation_clock = revocation_clock_;
  gate_deps.refusals = refusals_.get();
  gate_deps.log_calls = options_.log_calls;
  gate_deps.metrics = metrics_.get();
  gate_deps.after_reply = options_.after_reply;
  gate_ = std::make_unique<CallGate>(gate_deps);
  CallGate* gate = gate_.get();

  record_service_ = std::make_unique<RecordService>(
      gate, st.records.get(), st.eraser.get(), reference_.get(), validator_.get(), clock_,
      [this] { return TrustClockForErasure(); });
  vetting_service_ = std::make_unique<VettingService>(
      gate, st.records.get(), st.checks.get(), validator_.get(), signing_.vetting.get(),
      absl::Hours(24) * config.vetting().certificate_validity_days(),
      VettingService::LookupFloor{
          options_.pacer != nullptr ? options_.pacer : Pacer::Steady(),
          VettingLookupFloor(config), metrics_.get(), VettingLookupPerRead(config)});
  // The index seal before anything else writes index rows: made for a folder from before it,
  // else compared with the rows in the background, vetting waiting for the verdict
  // (RecordStore::FactsForVetting). Writes meanwhile keep it exact from the comparison's snapshot.
  RETURN_IF_ERROR(SealIndexIfAbsent(st, gate, index_broken_in_log_));
  // Found broken by the start itself (and said so in an event of its own).
  const bool said_at_start =
      st.db->index_seal() != nullptr &&
      st.db->index_seal()->state() == storage::IndexSeal::State::kBroken;
  index_seal_check_ = std::thread([this, gate, said_at_start] {
    const absl::Time began = absl::Now();
    absl::StatusOr<storage::IndexSealCheck> check =
        storage_.db->CheckIndexSeal(&stop_index_seal_check_, /*record_verdict=*/false);
    if (!check.ok()) {
      if (!absl::IsCancelled(check.status())) {
        Log("error", "cannot check the index seal: vetting checks wait for it",
            check.status().message());
      }
      return;
    }
    const std::string problem = check->Problem();
    if (problem.empty()) {
      storage_.db->RecordIndexSealVerdict(*check);
      // Not when the seal was found broken at the start (put back or missing): the rows then
      // match a seal that is not the current one.
      if (check->sealed &&
          storage_.db->index_seal()->state() != storage::IndexSeal::State::kBroken) {
        registry::LogLine("info", "index seal matches the index rows")
            .Int("rows", static_cast<int64_t>(check->found_rows))
            .Int("ms", absl::ToInt64Milliseconds(absl::Now() - began))
            .Write();
      }
      return;
    }
    // Once per start, naming the family and the counts only; in the log before the first
    // vetting check is refused for it. Not again when the start found the seal broken already
    // (and said so in an event of its own).
    Log("error", "the index does not match its seal: every vetting check is refused (DATA_LOSS)",
        problem);
    if (said_at_start) {
      storage_.db->RecordIndexSealVerdict(*check);
      return;
    }
    v1::AuditEvent event;
    event.set_reference(problem);
    event.set_outcome(static_cast<int>(absl::StatusCode::kDataLoss));
    absl::StatusOr<uint64_t> seq =
        gate->CommitSystemEvent("index-seal", "index-seal-broken", std::move(event), nullptr);
    if (!seq.ok()) Log("error", "cannot audit the broken index seal", seq.status().message());
    storage_.db->RecordIndexSealVerdict(*check);
  });
  // The storage schema first: re-dating links a person's records by their name tokens, which an
  // upgrade may file anew. Then stored dates follow the rules in force, before anything is
  // served.
  RETURN_IF_ERROR(UpgradeSchema(st, gate));
  ASSIGN_OR_RETURN(const int redated, record_service_->RecomputeDatesIfRulesChanged());
  if (redated > 0) {
    Log("info", "retention rules changed: records re-dated", absl::StrCat(redated));
  }
  // Who had access from now on is in the log before the first call: a policy file edited while
  // registryd was stopped is otherwise seen nowhere but in the file.
  RETURN_IF_ERROR(RecordPolicyAtStart());
  // A backup check killed before it could delete its scratch copy left it behind.
  ASSIGN_OR_RETURN(const int leftovers, RemoveLeftoverScratch(config.backup_dir()));
  if (leftovers > 0) {
    Log("info", "deleted the scratch copies of interrupted backup checks",
        absl::StrCat(leftovers));
  }
  audit_service_ = std::make_unique<AuditService>(gate, st.audit.get(), st.records.get(),
                                                  signing_.audit.get(),
                                                  audit_log_id_, metrics_.get());
  admin_service_ = std::make_unique<AdminService>(AdminService::Deps{
      gate, rotator_.get(), st.db.get(), st.records.get(), st.checks.get(), st.audit.get(),
      st.ledger.get(),
      config.backup_dir(), config.backup(), &options_.config, clock_, metrics_.get(),
      st.watermark.get()});
  health_service_ = std::make_unique<HealthService>(gate, st.db.get());
  info_service_ = std::make_unique<InfoService>(gate, reference_.get());
  return absl::OkStatus();
}

absl::Status RegistryServer::BuildGrpcServer() {
  const registry::v1::ServerConfig& config = options_.config;
  // mTLS only: the client certificate is required and verified against the registry CA. gRPC's
  // TLS stack negotiates TLS 1.2 or 1.3 only. Revocation is the gate's check on every call
  // (server/revocation.h says why gRPC's crl_directory is not used). gRPC re-reads the server
  // certificate, its key and the client CAs every tls_refresh, so a replaced server
  // certificate reaches new connections within seconds, without a restart.
  // The client CAs are not read from tls.client_ca_file itself but from registryd's copy of the
  // CAs the gate took from it (Revocation::KeepTlsCopy), beside the erasure ledger in a folder
  // held to registryd's owner and group: gRPC checks no file's mode nor owner, and trusted a
  // bundle the gate had refused as one every local account may write.
  std::string client_cas = config.tls().client_ca_file();
  if (revocation_ != nullptr) {
    const std::string& ledger = config.erasure_ledger_file();
    const size_t slash = ledger.rfind('/');
    client_cas = absl::StrCat(slash == std::string::npos ? "." : ledger.substr(0, slash),
                              "/client-ca.in-force.pem");
    RETURN_IF_ERROR(revocation_->KeepTlsCopy(client_cas));
  }
  // Nor the server's certificate and key from tls.cert_file and tls.key_file, but from
  // registryd's copy of the pair in force (TlsIdentity), in the same folder: gRPC checks nothing
  // of what it reads, and served a CA's certificate put there at run time, which start-up
  // refuses.
  {
    const std::string& ledger = config.erasure_ledger_file();
    const size_t slash = ledger.rfind('/');
    const std::string folder = slash == std::string::npos ? "." : ledger.substr(0, slash);
    ASSIGN_OR_RETURN(tls_identity_,
                     TlsIdentity::Load(config.tls().cert_file(), config.tls().key_file(),
                                       absl::StrCat(folder, "/server-cert.in-force.pem"),
                                       absl::StrCat(folder, "/server-key.in-force.pem"),
                                       revocation_clock_));
  }
  const int64_t refresh_seconds =
      std::max<int64_t>(1, absl::ToInt64Seconds(options_.tls_refresh));
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls_identity_->key_copy(), tls_identity_->cert_copy(), client_cas,
      static_cast<unsigned int>(refresh_seconds));
  grpc::experimental::TlsServerCredentialsOptions tls(provider);
  tls.watch_root_certs();
  tls.watch_identity_key_cert_pairs();
  tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);

  // No grpc::EnableDefaultHealthCheckService: it would answer any certificate the TLS layer
  // accepts. HealthService asks the gate first.
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config.listen_address(), grpc::experimental::TlsServerCredentials(tls),
                           &port_);
  builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
  // No compressed requests: gRPC 1.51 inflates a whole message before it compares it with the
  // limit above, so a 1 MB gzip request grew to 1 GB in registryd's memory before its refusal.
  // None of the registry's clients compresses; such a call is refused (UNIMPLEMENTED) before
  // anything is inflated, and audited like any other refusal.
  builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_DEFLATE, false);
  builder.SetCompressionAlgorithmSupportStatus(GRPC_COMPRESS_GZIP, false);
  // gRPC sets SO_REUSEPORT by default: a second registryd of the same user (another data
  // directory, another audit log) would bind the same port and silently take a share of the
  // calls. Without it, a port in use fails start-up.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(
      GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
      static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(options_.handshake_timeout),
                                           1, 120000)));
  // The services are synchronous and every call waits for its audit event's group commit (an
  // fsync). With gRPC's default of at most 2 idle polling threads, a thread that finishes a call
  // exits and the next call starts a new one: a thread per call, which registry-bench measured
  // at a fifth to a third of a call's server CPU (docs/performance.md). Keep idle threads for the
  // calls that are in flight together instead.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, kMaxIdlePollers);
  if (config.threads() > 0) {
    grpc::ResourceQuota quota("registryd");
    quota.SetMaxThreads(static_cast<int>(config.threads()));
    builder.SetResourceQuota(quota);
  }
  // A call whose request does not decode, or that names no method, is answered by gRPC without
  // a handler; the guard hands it to the gate, which audits it like any refusal.
  InstallProtobufLogHandler();
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> guards;
  guards.push_back(std::make_unique<DecodeGuardFactory>(gate_.get()));
  builder.experimental().SetInterceptorCreators(std::move(guards));
  builder.RegisterService(record_service_.get());
  builder.RegisterService(vetting_service_.get());
  builder.RegisterService(audit_service_.get());
  builder.RegisterService(admin_service_.get());
  builder.RegisterService(health_service_.get());
  builder.RegisterService(info_service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.listen_address()));
  }
  return absl::OkStatus();
}

absl::Status RegistryServer::StartBackgroundJobs() {
  const registry::v1::ServerConfig& config = options_.config;
  if (!config.metrics().listen_address().empty()) {
    ASSIGN_OR_RETURN(metrics_endpoint_,
                     MetricsEndpoint::Start(config.metrics().listen_address(), metrics_.get()));
    registry::LogLine("info", "metrics served")
        .Str("address", config.metrics().listen_address())
        .Int("port", metrics_endpoint_->port())
        .Write();
  }
  absl::StatusOr<absl::Time> newest_backup = admin_service_->RefreshBackupMetrics();
  if (!newest_backup.ok()) {
    Log("error", "cannot read the backup folder", newest_backup.status().message());
  }
  if (options_.start_backup_scheduler) {
    const absl::Duration every = absl::Hours(config.backup().interval_hours());
    // The first backup is due one interval after the newest there is, or after start-up.
    const absl::Time first = newest_backup.ok() && *newest_backup != absl::InfinitePast()
                                 ? *newest_backup + every
                                 : absl::Now() + every;
    backup_scheduler_ = std::thread([this, every, first] {
      absl::Time due = first;
      while (!stop_backups_.WaitForNotificationWithTimeout(
          std::max(absl::ZeroDuration(), due - absl::Now()))) {
        absl::StatusOr<registry::v1::BackupInfo> made = RunScheduledBackupOnce();
        if (made.ok()) {
          registry::LogLine("info", "scheduled backup made")
              .Int("backup_id", made->backup_id())
              .Int("pruned", made->pruned_backup_ids_size())
              .Write();
          due = absl::Now() + every;
        } else {
          // Tried again soon: the erasure promise counts on backups being made.
          Log("error", "scheduled backup failed; trying again in 10 minutes",
              made.status().message());
          due = absl::Now() + std::min(every, absl::Minutes(10));
        }
      }
    });
  }

  // From here on a reload, SIGHUP's or the watcher's, is in the audit log before it is in force.
  policies_->SetRecorder([this](const PolicyReading& reading) {
    return RecordPolicyReload(reading);
  });
  if (options_.policy_poll > absl::ZeroDuration()) {
    policies_->StartWatching(options_.policy_poll, [](const absl::Status& st) {
      if (st.ok()) {
        Log("info", "access policy reloaded");
      } else {
        Log("error", "new access policy refused; the previous one stays in force",
                st.message());
      }
    });
  }
  if (revocation_ != nullptr && options_.revocation_poll > absl::ZeroDuration()) {
    revocation_->StartWatching(options_.revocation_poll, revocation_clock_,
                               revocation_->FollowsCrls() ? LogRevocation : LogClientCas);
  }
  // gRPC reads the copy of the server's certificate every tls_refresh: the files are looked at
  // as often, so a replaced pair is served as soon as before, once it passes start-up's checks.
  if (tls_identity_ != nullptr && options_.tls_refresh > absl::ZeroDuration()) {
    tls_identity_->StartWatching(options_.tls_refresh, LogServerCertificate);
  }
  if (options_.unaudited_summary_interval > absl::ZeroDuration()) {
    summary_.Start(options_.unaudited_summary_interval, [this] {
      FlushUnauditedRefusals().IgnoreError();  // logged inside
    });
  }
  // The start-up checks passed and wrote what they wrote: the watermark starts from here.
  RETURN_IF_ERROR(storage_.watermark->Advance(*storage_.audit, LedgerHeadOf(*storage_.ledger),
                                              SealHeadOf(*storage_.db),
                                              SealBroken(*storage_.db)));
  if (options_.watermark_interval > absl::ZeroDuration()) {
    watermark_writer_.Start(options_.watermark_interval, [this] {
      absl::Status moved =
          storage_.watermark->Advance(*storage_.audit, LedgerHeadOf(*storage_.ledger),
                                      SealHeadOf(*storage_.db), SealBroken(*storage_.db));
      // While the log does not grow, dated anew every half of the slack Check allows: an event
      // after a quiet time, then a crash, is still dated within it.
      if (moved.ok()) {
        moved = storage_.watermark->Renew(
            *storage_.audit,
            storage::AuditWatermark::CrashSlack(options_.watermark_interval) / 2);
      }
      if (!moved.ok()) Log("error", "cannot write the audit watermark", moved.message());
    });
  }
  if (options_.start_data_checks) {
    // The last data check, as the start-up walk back to it found it (before the recall below
    // takes over its walk): the first run is due an interval after it, or soon when that is past.
    std::optional<absl::Time> last_data_check;
    if (recall_walk_.data_check.has_value()) {
      absl::StatusOr<absl::Time> at = ParseInstant(recall_walk_.data_check->time());
      if (at.ok()) last_data_check = *at;
    }
    const absl::Duration every = absl::Hours(options_.config.data_check_interval_hours());
    const absl::Duration first = FirstDataCheckDelay(last_data_check, clock_->Now(), every,
                                                     options_.data_check_start_delay);
    recall_ = std::thread([this] {
      absl::Status recalled = RecallLastChecks();
      if (!recalled.ok()) {
        // The events since the last data check were read at start-up: this is older damage,
        // which the data check reports.
        Log("error", "cannot read the last checks from the audit log", recalled.message());
      }
    });
    data_checker_.Start(first, every, [this] {
      absl::StatusOr<uint64_t> problems = RunDataCheckOnce();
      if (!problems.ok()) Log("error", "data check failed", problems.status().message());
      if (options_.after_data_check) options_.after_data_check(problems);
    });
  }
  if (options_.start_scheduler) {
    const absl::Duration every = absl::Seconds(options_.config.retention_interval_seconds());
    scheduler_ = std::thread([this, every] {
      do {
        const absl::Time start = absl::Now();
        auto n = RunRetentionOnce();
        if (!n.ok()) Log("error", "retention run failed", n.status().message());
        auto pruned = RunAuditRetentionOnce();
        if (!pruned.ok()) Log("error", "audit retention run failed", pruned.status().message());
        auto limits = RunLimitRowsRetentionOnce();
        if (!limits.ok()) {
          Log("error", "vetting limit rows retention failed", limits.status().message());
        }
        const bool all_ok = n.ok() && pruned.ok() && limits.ok();
        metrics_->RecordRetentionRun(absl::Now(), all_ok, n.ok() ? static_cast<uint64_t>(*n) : 0);
        // Each run reads every record's sealed dates: its length says what it costs at this size.
        registry::LogLine(all_ok ? "info" : "error", kRetentionRunFinished)
            .Int("expunged", n.ok() ? *n : 0)
            .Int("audit_events_deleted", pruned.ok() ? static_cast<int64_t>(*pruned) : 0)
            .Int("limit_rows_deleted", limits.ok() ? static_cast<int64_t>(*limits) : 0)
            .Num("seconds", absl::ToDoubleSeconds(absl::Now() - start))
            .Write();
        // A record is erased on its delete_after day, at midnight in Kosovo (docs/domain.md):
        // the next run is at the latest a second into the next day.
      } while (!stop_scheduler_.WaitForNotificationWithTimeout(
          std::min(every, UntilNextKosovoDay(clock_->Now()) + absl::Seconds(1))));
    });
  }
  return absl::OkStatus();
}

absl::Status RegistryServer::TrustClockForErasure() {
  if (clock_guard_ == nullptr) return absl::OkStatus();
  absl::StatusOr<absl::Time> trusted = clock_guard_->Check();
  if (trusted.ok()) {
    clock_hold_audited_ = false;
    return storage_.records->SetErasureClockMark(*trusted);
  }
  if (!clock_hold_audited_.exchange(true)) {
    v1::AuditEvent event;
    event.set_reference("erasures held: the clock is ahead of the time they last trusted");
    event.set_outcome(static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
    absl::Status audited =
        gate_->CommitSystemEvent("retention", "hold-erasures", std::move(event), nullptr).status();
    if (!audited.ok()) {
      clock_hold_audited_ = false;
      Log("error", "cannot write the hold of erasures to the audit log", audited.message());
    }
  }
  return trusted.status();
}

namespace {

// A policy put in force as its events state it: the file's fingerprint and counts, which policy
// is in force, never what a principal's certificate holds.
std::string PolicyReference(absl::string_view sha256, const v1::AccessPolicy& policy) {
  return absl::StrCat("policy sha256 ", sha256, ": ", policy.principals_size(), " principals, ",
                      policy.organisations_size(), " organisations, ",
                      policy.denied_certificate_sha256_size(), " denied certificates");
}

}  // namespace

absl::Status RegistryServer::RecordPolicyReload(const PolicyReading& reading) {
  v1::AuditEvent event;
  storage::PendingWrite write;
  if (reading.policy.ok()) {
    event.set_reference(PolicyReference(reading.sha256, (*reading.policy)->proto()));
    // The policy last in force, for the next start's comparison, changes with the event that
    // puts it in force.
    if (absl::Status staged = storage_.policy_fingerprint->Stage(reading.sha256, &write);
        !staged.ok()) {
      Log("error", "cannot record the new policy's fingerprint; the new policy is not applied",
          staged.message());
      return staged;
    }
  } else {
    event.set_outcome(static_cast<int>(reading.policy.status().code()));
    event.set_reference(!reading.sha256.empty()
                            ? absl::StrCat("policy sha256 ", reading.sha256,
                                           " refused; the previous policy stays in force")
                        : !reading.refused_because.empty()
                            ? std::string("policy file refused unread; the previous policy "
                                          "stays in force")
                            : std::string("policy file unreadable; the previous policy stays "
                                          "in force"));
    event.set_detail(reading.refused_field.empty() ? reading.refused_because
                                                   : reading.refused_field);
  }
  absl::Status audited =
      gate_->CommitSystemEvent("policy", "reload-policy", std::move(event),
                               reading.policy.ok() ? &write : nullptr)
          .status();
  if (!audited.ok()) {
    Log("error",
        reading.policy.ok() ? "cannot write the policy reload to the audit log; the new policy "
                              "is not applied"
                            : "cannot write the refused policy reload to the audit log",
        audited.message());
  }
  return audited;
}

absl::Status RegistryServer::RecordPolicyAtStart() {
  const PolicyStore::InForce in_force = policies_->CurrentWithFingerprint();
  const absl::StatusOr<std::optional<std::string>> last = storage_.policy_fingerprint->Get();
  std::string detail;
  if (absl::IsDataLoss(last.status())) {
    // Edited or planted by someone without the key file: not trusted, and no reason to stay
    // down. The policy read now is written as one whose predecessor is unknown.
    Log("error", "the fingerprint of the policy last in force fails authentication",
        last.status().message());
    detail = "no earlier policy recorded: the stored fingerprint fails authentication";
  } else if (!last.ok()) {
    return last.status();
  } else if (!last->has_value()) {
    if (storage_.audit->CurrentHead().size == 0) {
      // A new registry: its first policy is no change, and its log does not start with it.
      return storage_.policy_fingerprint->InitForEmptyLog(in_force.sha256, *storage_.audit);
    }
    // A database of a registryd that kept no fingerprint, or whose row was deleted (whoever
    // deleted it gains only this event): which policy was in force before is not known.
    detail = "no earlier policy recorded";
  } else if (**last == in_force.sha256) {
    return absl::OkStatus();
  } else {
    detail = absl::StrCat(
        "changed while registryd was stopped: the last policy in force was sha256 ", **last);
  }
  // Not a reload (nothing running saw the file change, and a refused file stops the start):
  // an action of its own, which `audit list --actor system:policy` shows among the reloads.
  v1::AuditEvent event;
  event.set_reference(PolicyReference(in_force.sha256, in_force.policy->proto()));
  event.set_detail(detail);
  storage::PendingWrite write;
  RETURN_IF_ERROR(storage_.policy_fingerprint->Stage(in_force.sha256, &write));
  const absl::Status audited =
      gate_->CommitSystemEvent("policy", "load-policy", std::move(event), &write).status();
  if (!audited.ok()) {
    Log("error", "cannot write the policy read at start to the audit log; registryd does not "
                 "start",
        audited.message());
    return audited;
  }
  Log("warning", "the access policy is not the one last in force; written to the audit log",
      detail);
  return absl::OkStatus();
}

absl::StatusOr<int> RegistryServer::RunRetentionOnce() {
  RETURN_IF_ERROR(TrustClockForErasure());
  // delete_after is the day of erasure (records.proto, reference_data.h), so due are the records
  // whose delete_after is before tomorrow, i.e. today or earlier.
  const std::string tomorrow = FormatDate(KosovoDay(clock_->Now()) + 1);
  // Batch after batch until none is left (a backlog, after a change of the rules or a long
  // stop, is not left for the next hourly runs), each batch one scan of the heads.
  int done = 0;
  for (;;) {
    ASSIGN_OR_RETURN(const std::vector<std::string> due,
                     storage_.records->DueForDeletion(tomorrow, kRetentionBatch));
    int erased = 0;
    for (const std::string& id : due) {
      absl::Status s = record_service_->ExpungeAsSystem(id, "retention: delete_after reached");
      if (absl::IsNotFound(s)) continue;
      RETURN_IF_ERROR(s);
      ++erased;
    }
    done += erased;
    // A short batch was the last; a full one of which nothing could be erased would come back
    // the same.
    if (due.size() < kRetentionBatch || erased == 0) break;
  }
  // One flush and compaction for the whole run: the data keys are already deleted; this makes
  // their bytes leave the WAL and older SST files (and those of an expunge whose own compaction
  // failed).
  RETURN_IF_ERROR(storage_.records->CompactIfErasuresDue().status());
  return done;
}

namespace {

// Whether a VerifyBackup event is of a verification that ran, as the live gauge counts them
// (AdminService::VerifyBackup): answered (sound or failed), or a security officer's that failed
// while checking. A refused call (another role, a revoked certificate, the rate limit), a backup
// id that names none or a malformed request is none: any caller with a certificate could
// otherwise make the gauge read "failed" after the next restart. Nor is a check that could not
// be made (VerificationCouldNotRun: no room for the restored copy, a folder it cannot write).
bool VerificationRan(const v1::AuditEvent& event) {
  if (event.outcome() == 0) return true;
  if (event.role() != v1::ROLE_ADMIN) return false;
  switch (static_cast<grpc::StatusCode>(event.outcome())) {
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::INTERNAL:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<v1::AuditEvent>* RegistryServer::RecalledKind(RecallWalk* found,
                                                            const v1::AuditEvent& event) {
  // Methods as the events name them: "/registry.v1.AdminService/VerifyBackup".
  static const std::string* const verify_backup = new std::string(
      absl::StrCat("/", v1::AdminService::service_full_name(), "/VerifyBackup"));
  static const std::string* const signed_head = new std::string(
      absl::StrCat("/", v1::AuditService::service_full_name(), "/GetSignedTreeHead"));
  if (event.actor() == "system:data-check") return &found->data_check;
  if (event.action() == *verify_backup && VerificationRan(event)) return &found->verification;
  if (event.action() == *signed_head && event.outcome() == 0) return &found->head;
  return nullptr;
}

absl::Status RegistryServer::WalkAuditBack(bool until_data_check) {
  constexpr uint64_t kChunk = 4096;
  RecallWalk& w = recall_walk_;
  if (!w.end.has_value()) w.end = storage_.audit->CurrentHead().size;
  const auto done = [&] {
    return until_data_check ? w.data_check.has_value()
                            : (w.data_check && w.verification && w.head);
  };
  while (!done() && !stop_recall_) {
    const uint64_t boundary = storage_.audit->CurrentPruned().size;
    const uint64_t end = *w.end;
    if (end <= boundary) break;
    const uint64_t start = end - std::min(kChunk, end - boundary);
    // The scan goes forward: the last one seen in this chunk is its newest.
    RecallWalk chunk;
    absl::Status scanned = storage_.audit->Scan(
        start, end,
        [&](uint64_t, absl::string_view bytes) {
          v1::AuditEvent event;
          if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return true;
          if (std::optional<v1::AuditEvent>* slot = RecalledKind(&chunk, event)) {
            *slot = std::move(event);
          }
          return !stop_recall_;
        },
        storage::BlockCache::kBypass);
    if (absl::IsOutOfRange(scanned)) break;  // pruned meanwhile: nothing older to read
    RETURN_IF_ERROR(scanned);
    // Older kinds only fill what newer chunks did not find.
    if (!w.data_check) w.data_check = std::move(chunk.data_check);
    if (!w.verification) w.verification = std::move(chunk.verification);
    if (!w.head) w.head = std::move(chunk.head);
    w.end = start;
  }
  return absl::OkStatus();
}

std::function<void(uint64_t, const v1::AuditEvent&)> RegistryServer::KeepRecalled(
    RecallWalk* found) {
  // The walk reads back from the head to the last data check: the newest of each kind the recall
  // looks for among those events is the newest of the log. The walk's chunks go back, each read
  // forward, so the event of the highest index is kept.
  auto kept_at = std::make_shared<std::map<const std::optional<v1::AuditEvent>*, uint64_t>>();
  return [found, kept_at](uint64_t index, const v1::AuditEvent& event) {
    std::optional<v1::AuditEvent>* slot = RecalledKind(found, event);
    if (slot == nullptr) return;
    const auto kept = kept_at->try_emplace(slot, index);
    if (!kept.second && kept.first->second > index) return;
    kept.first->second = index;
    *slot = event;
  };
}

absl::Status RegistryServer::CheckAuditSinceLastDataCheck() {
  RecallWalk found;
  uint64_t read_from = 0;
  // The walk --check_config runs too (server/check_config.h), so that it says what this refuses.
  RETURN_IF_ERROR(::registry::server::CheckAuditSinceLastDataCheck(
      *storage_.audit, KeepRecalled(&found), &read_from));
  // RecallLastChecks goes on from where the walk stopped, for what it did not find.
  found.end = read_from;
  recall_walk_ = std::move(found);
  return absl::OkStatus();
}

absl::Status RegistryServer::RecallLastChecks() {
  const absl::Status walked = WalkAuditBack(/*until_data_check=*/false);
  // A call made again reads from the head again.
  const RecallWalk found = std::exchange(recall_walk_, RecallWalk());
  RETURN_IF_ERROR(walked);
  if (found.data_check) {
    absl::StatusOr<absl::Time> at = ParseInstant(found.data_check->time());
    uint64_t problems = 0;
    // "problems N", and "; index broken" when it found the index so (DataCheckReference).
    const absl::string_view count = absl::StripPrefix(
        absl::string_view(found.data_check->reference()).substr(
            0, found.data_check->reference().find(';')),
        "problems ");
    if (at.ok() && absl::SimpleAtoi(count, &problems)) {
      metrics_->RecallDataCheck(*at, problems);
    }
  }
  if (found.verification) {
    if (absl::StatusOr<absl::Time> at = ParseInstant(found.verification->time()); at.ok()) {
      // A verification that found a problem, or could not be made, is not a sound one.
      metrics_->RecallBackupVerification(
          *at, found.verification->outcome() == 0 &&
                   absl::StrContains(found.verification->reference(), " sound "));
    }
  }
  if (found.head) {
    if (absl::StatusOr<absl::Time> at = ParseInstant(found.head->time()); at.ok()) {
      metrics_->RecordSignedHead(*at);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> RegistryServer::RunDataCheckOnce() {
  constexpr size_t kLoggedProblems = 100;
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(storage::DataCheckReport report,
                   CheckDataAndTableFiles(*storage_.db, *storage_.records, *storage_.checks,
                                          *storage_.audit, *storage_.ledger));
  v1::AuditEvent event;
  // Whether it found the index broken is said in the log too: a start holds it from there when
  // the watermark file was put back from before it.
  event.set_reference(DataCheckReference(report.problem_count, SealBroken(*storage_.db)));
  if (report.problem_count > 0) event.set_outcome(static_cast<int>(grpc::StatusCode::DATA_LOSS));
  RETURN_IF_ERROR(
      gate_->CommitSystemEvent("data-check", "verify-data", std::move(event), nullptr).status());
  // An index found broken stays so across restarts: written at once here, as AdminService's
  // VerifyData writes it before its reply.
  if (SealBroken(*storage_.db)) {
    if (absl::Status kept = storage_.watermark->SetIndexBroken(true); !kept.ok()) {
      Log("error", "cannot keep the broken index in the audit watermark", kept.message());
    }
  }
  // Problems name ids, positions and counts, never what a record holds (data_check.h).
  for (size_t i = 0; i < report.problems.size() && i < kLoggedProblems; ++i) {
    Log("error", "data check problem", report.problems[i]);
  }
  metrics_->RecordDataCheck(absl::Now(), report.problem_count);
  registry::LogLine(report.problem_count > 0 ? "error" : "info", "data check finished")
      .Int("records", static_cast<int64_t>(report.records))
      .Int("vetting_checks", static_cast<int64_t>(report.vetting_checks))
      .Int("audit_events", static_cast<int64_t>(report.audit_events))
      .Int("problems", static_cast<int64_t>(report.problem_count))
      .Num("seconds", absl::ToDoubleSeconds(absl::Now() - start))
      .Write();
  return report.problem_count;
}

absl::StatusOr<uint64_t> RegistryServer::RunLimitRowsRetentionOnce() {
  const absl::Time before = clock_->Now() - storage::CheckStore::kCountedRowsKept;
  return storage_.checks->PruneCountedRows(
      before, 1000, [&](storage::PendingWrite write, size_t rows) {
        v1::AuditEvent event;
        event.set_reference(absl::StrCat(rows, " rows from before ", FormatInstant(before)));
        return gate_->CommitSystemEvent("vetting-limits", "prune-vetting-limit-rows",
                                        std::move(event), &write)
            .status();
      });
}

absl::StatusOr<uint64_t> RegistryServer::RunAuditRetentionOnce() {
  const uint32_t days = options_.config.audit().retention_days();
  if (days == 0) return 0;
  RETURN_IF_ERROR(TrustClockForErasure());
  uint64_t deleted = 0;
  while (true) {
    registry::v1::AuditEvent event;
    event.set_actor(kAuditRetentionActor);
    event.set_action(kAuditRetentionAction);
    ASSIGN_OR_RETURN(const storage::AuditLog::PruneResult step,
                     storage_.audit->Prune(days, kAuditPruneStep, std::move(event),
                                           KeepPrunedFacts));
    const uint64_t count = step.to - step.from;
    deleted += count;
    // A full step may leave more that is due; the rest waits for the next run when registryd is
    // stopping, so that shutdown never waits for a backlog.
    if (count < kAuditPruneStep || stop_scheduler_.HasBeenNotified()) return deleted;
  }
}

absl::StatusOr<registry::v1::BackupInfo> RegistryServer::RunScheduledBackupOnce() {
  return admin_service_->ScheduledBackup();
}

absl::Status RegistryServer::ReloadPolicy() { return policies_->Reload(); }

absl::Status RegistryServer::ReloadRevocation() {
  if (revocation_ == nullptr) return absl::OkStatus();
  return revocation_->Reload();
}

absl::Status RegistryServer::ReloadServerCertificate() {
  if (tls_identity_ == nullptr) return absl::OkStatus();
  return tls_identity_->Reload();
}

std::vector<std::string> RegistryServer::RevocationProblems() const {
  if (revocation_ == nullptr) return {};
  return revocation_->Problems(revocation_clock_->Now());
}

absl::StatusOr<int> RegistryServer::FlushUnauditedRefusals() {
  absl::StatusOr<int> written = gate_->FlushUnauditedRefusals();
  if (!written.ok()) {
    Log("error", "cannot write the summary of unaudited refusals; kept for the next try",
            written.status().message());
  } else if (*written > 0) {
    Log("warning", "refusals of unknown certificates past their audited rate",
            absl::StrCat(*written, *written == 1 ? " summary event" : " summary events",
                         " written"));
  }
  return written;
}

void RegistryServer::Shutdown(absl::Duration grace) {
  if (shut_down_) return;
  shut_down_ = true;
  if (health_service_ != nullptr) health_service_->SetNotServing();
  // New calls are refused first, before anything else is waited for: a retention run or a backup
  // under way must not keep the registry answering while it stops.
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(absl::ToInt64Milliseconds(grace)));
    server_->Wait();
  }
  stop_scheduler_.Notify();
  if (scheduler_.joinable()) scheduler_.join();
  stop_backups_.Notify();
  if (backup_scheduler_.joinable()) backup_scheduler_.join();
  data_checker_.Stop();
  stop_index_seal_check_ = true;
  if (index_seal_check_.joinable()) index_seal_check_.join();
  stop_recall_ = true;
  if (recall_.joinable()) recall_.join();
  if (policies_ != nullptr) policies_->StopWatching();
  if (revocation_ != nullptr) revocation_->StopWatching();
  if (tls_identity_ != nullptr) tls_identity_->StopWatching();
  // After the last call: its REFER counted (and any alert written), and the refusals counted
  // since the last summary get theirs.
  if (gate_ != nullptr) gate_->AwaitAfterReplyWork();
  summary_.Stop();
  if (gate_ != nullptr) FlushUnauditedRefusals().IgnoreError();
  // The last event is written: the watermark follows it. Written whatever the mark in memory
  // says, so that a file put back while registryd ran is written over at a clean stop.
  watermark_writer_.Stop();
  if (storage_.watermark != nullptr && storage_.audit != nullptr && storage_.ledger != nullptr &&
      server_ != nullptr) {
    absl::Status moved =
        storage_.watermark->Advance(*storage_.audit, LedgerHeadOf(*storage_.ledger),
                                    SealHeadOf(*storage_.db), SealBroken(*storage_.db),
                                    /*force=*/true);
    if (!moved.ok()) Log("error", "cannot write the audit watermark at shutdown", moved.message());
  }
  // A clean stop leaves nothing for RocksDB to replay from its log: the next start-up takes
  // milliseconds instead of a log replay (docs/performance.md).
  if (storage_.db != nullptr) {
    absl::Status flushed = storage_.db->Flush();
    if (!flushed.ok()) Log("error", "flush at shutdown failed", flushed.message());
  }
  // The metrics listener last: nothing the clean stop needs waits on it, and it shows the stop
  // to the monitoring system until the end. Its stop ends every connection's wait at once
  // (server/metrics_endpoint.h), so no client can hold the stop.
  if (options_.before_metrics_stop) options_.before_metrics_stop();
  if (metrics_endpoint_ != nullptr) metrics_endpoint_->Stop();
}

RegistryServer::~RegistryServer() {
  Shutdown(absl::Seconds(5));
  // Members are destroyed in reverse order: services, the gate, the store, the audit log, and
  // the database last.
}

}  // namespace registry::server
