#include "server/check_config.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/clock.h"
#include "common/json_fields.h"
#include "common/json_log.h"
#include "common/status_macros.h"
#include "crypto/blind_index.h"
#include "google/protobuf/util/json_util.h"
#include "server/config.h"
#include "server/key_file.h"
#include "server/listen_check.h"
#include "server/policy.h"
#include "server/record_validation.h"
#include "server/reference_data.h"
#include "server/revocation.h"
#include "server/tls_identity.h"
#include "server/writes_refused.h"
#include "storage/audit_log.h"
#include "storage/audit_log_id.h"
#include "storage/audit_watermark.h"
#include "storage/backups.h"
#include "storage/database.h"
#include "storage/erasure_ledger.h"
#include "storage/keyring_holder.h"
#include "storage/name_normalizer.h"
#include "storage/record_store.h"
#include "storage/table_probe.h"

namespace registry::server {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

std::unique_ptr<BIO, BioFree> MemBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::vector<X509Ptr> Certificates(const std::string& pem) {
  std::vector<X509Ptr> out;
  auto bio = MemBio(pem);
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
  return out;
}

// "", or what is wrong with the certificate's dates at `now`.
std::string Dates(const X509* cert, absl::Time now) {
  const time_t t = absl::ToTimeT(now);
  if (X509_cmp_time(X509_get0_notBefore(cert), const_cast<time_t*>(&t)) > 0) {
    return "is not valid yet";
  }
  if (X509_cmp_time(X509_get0_notAfter(cert), const_cast<time_t*>(&t)) < 0) return "has expired";
  return "";
}

void CheckWritableFolder(const std::string& field, const std::string& path,
                         std::vector<std::string>* problems) {
  if (absl::Status writable = WritableFolder(field, path); !writable.ok()) {
    problems->push_back(std::string(writable.message()));
  }
}

void CheckTls(const registry::v1::TlsConfig& tls, absl::Time now,
              std::vector<std::string>* problems) {
  // Client CAs.
  absl::StatusOr<std::string> ca = ReadFile(tls.client_ca_file());
  if (!ca.ok()) {
    problems->push_back(absl::StrCat("tls.client_ca_file: ", ca.status().message()));
  } else {
    std::vector<X509Ptr> cas = Certificates(*ca);
    if (cas.empty()) {
      problems->push_back(
          absl::StrCat("tls.client_ca_file: ", tls.client_ca_file(), " holds no PEM certificate"));
    }
    for (size_t i = 0; i < cas.size(); ++i) {
      const std::string wrong = Dates(cas[i].get(), now);
      if (!wrong.empty()) {
        problems->push_back(absl::StrCat("tls.client_ca_file: certificate ", i + 1, " ", wrong));
      }
    }
  }
  // The server's certificate (as start-up holds it) and key.
  for (std::string& p : ServerCertificateProblems(tls.cert_file(), now)) {
    problems->push_back(std::move(p));
  }
  X509Ptr leaf;
  if (absl::StatusOr<std::string> cert = ReadFile(tls.cert_file()); cert.ok()) {
    std::vector<X509Ptr> chain = Certificates(*cert);
    if (!chain.empty()) leaf = std::move(chain.front());
  }
  absl::StatusOr<std::string> key = ReadFile(tls.key_file());
  if (!key.ok()) {
    problems->push_back(absl::StrCat("tls.key_file: ", key.status().message()));
    return;
  }
  // Whoever reads the server's key can pose as the registry to every official: held to the rule
  // of the start and of every reload, in their words.
  if (std::string open = ServerKeyModeProblem(tls.key_file()); !open.empty()) {
    problems->push_back(std::move(open));
  }
  if (std::string problem = ServerKeyPemProblem(tls.key_file(), *key, leaf.get());
      !problem.empty()) {
    problems->push_back(std::move(problem));
  }
}

// Whether a refused open is one that start-up gets past (storage::Database::Open): RocksDB's
// message of a write-ahead log that ends inside a record, with the newest log (the highest
// NNNNNN.log) a whole number of 4 KiB pages long, as a kill in the middle of a write leaves it.
bool CutOffAtTheEnd(const std::string& data_dir, absl::string_view message) {
  if (!absl::StrContains(message, "truncated header") &&
      !absl::StrContains(message, "truncated record body") &&
      !absl::StrContains(message, "error reading trailing data")) {
    return false;
  }
  std::error_code ec;
  std::string newest;
  uint64_t newest_number = 0;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir, ec)) {
    const std::string name = entry.path().filename().string();
    uint64_t number = 0;
    if (!absl::EndsWith(name, ".log") ||
        !absl::SimpleAtoi(absl::string_view(name).substr(0, name.size() - 4), &number)) {
      continue;
    }
    if (newest.empty() || number > newest_number) {
      newest = entry.path().string();
      newest_number = number;
    }
  }
  if (newest.empty()) return false;
  const uintmax_t size = std::filesystem::file_size(newest, ec);
  return !ec && size > 0 && size % 4096 == 0;
}

// The keys of a key file that start-up refuses only for its mode (readable or writable by group
// or others), read for the check alone: in memory, and never written anywhere. An error for a
// key file refused for anything else, or that does not read as a key file.
absl::StatusOr<KeyMaterial> KeyMaterialOfAKeyFileOpenToOthers(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      (st.st_mode & (S_IRWXG | S_IRWXO)) == 0) {
    return absl::FailedPreconditionError("not a key file refused for its mode only");
  }
  ASSIGN_OR_RETURN(std::string json, ReadFile(path));
  registry::v1::KeyFile file;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  if (!google::protobuf::util::JsonStringToMessage(json, &file, options).ok()) {
    return absl::InvalidArgumentError("not a valid KeyFile");
  }
  return KeyMaterialFrom(file);
}

// The stored data held against the key file, the erasure ledger and the audit watermark, as
// start-up holds them before it serves (RegistryServer::Start): the table files probed, the key
// check value and each KEK's, the audit log's id and state, the ledger against the database's
// marker, the log against the watermark. Nothing is written and nothing is created: the
// database is opened only when there is one and no process has it open.
void CheckStoredData(const registry::v1::ServerConfig& c, std::vector<std::string>* problems,
                     std::vector<std::string>* not_checked) {
  const std::string what = absl::StrCat(
      "the data in ", c.data_dir(), " against the key file, the erasure ledger and the audit "
      "watermark");
  absl::StatusOr<KeyMaterial> keys = LoadKeyFile(c.key_file());
  if (!keys.ok()) {
    // Said above, as key_file. One refused for its mode only is still read, in memory, so that
    // what depends on it is checked too; anything else leaves that unchecked, and said so.
    absl::StatusOr<KeyMaterial> read = KeyMaterialOfAKeyFileOpenToOthers(c.key_file());
    if (!read.ok()) {
      not_checked->push_back(absl::StrCat(what, ": the key file cannot be used (above)"));
      return;
    }
    keys = std::move(read);
  }
  std::string data_dir = c.data_dir();
  while (data_dir.size() > 1 && data_dir.back() == '/') data_dir.pop_back();
  // A restore that a crash stopped: start-up first puts the data folder back as it was
  // (storage/backups.h), which the check does not do.
  if (std::error_code ec; std::filesystem::exists(data_dir + ".restore-swap", ec)) {
    not_checked->push_back(absl::StrCat(what, ": an interrupted restore is recorded in ",
                                        data_dir, ".restore-swap, which start-up undoes first"));
    return;
  }
  // A restore killed after its swap: start-up refuses it, and says how to finish it or give up
  // on it (not --adopt_watermark, which the watermark check below would offer).
  if (absl::Status unfinished = storage::Backups::RefuseUnfinishedRestore(data_dir);
      !unfinished.ok()) {
    problems->push_back(absl::StrCat("data_dir: ", unfinished.message()));
    return;
  }
  const auto derive = [&keys](absl::string_view purpose) {
    return crypto::DeriveKey(keys->derivation_root, purpose);
  };
  absl::StatusOr<crypto::SecretBytes> watermark_key = derive(storage::kAuditWatermarkKeyPurpose);
  absl::StatusOr<crypto::SecretBytes> ledger_key = derive(storage::kErasureLedgerKeyPurpose);
  absl::StatusOr<crypto::SecretBytes> audit_key = derive(storage::kAuditLogKeyPurpose);
  if (!watermark_key.ok() || !ledger_key.ok() || !audit_key.ok()) {
    problems->push_back("key_file: cannot derive the keys of the stored data from it");
    return;
  }
  // The ledger against every backup, as start-up holds it before anything else is read: it
  // needs neither the data folder nor its database, whatever state they are in.
  std::vector<uint32_t> unrecorded;
  std::vector<storage::Backups::Damaged> not_made_here;
  if (absl::Status held =
          LedgerHoldsEveryBackup(c, keys->derivation_root, &unrecorded, &not_made_here);
      !held.ok()) {
    problems->push_back(absl::StrCat("erasure_ledger_file: ", held.message()));
  }
  // Not a reason for the start to refuse (it warns of them), but the backup folder's problem.
  for (const storage::Backups::Damaged& backup : not_made_here) {
    problems->push_back(absl::StrCat("backup_dir: ", backup.reason));
  }
  // Only a backup older than every one that records its erasures is from before backups did: one
  // newer than such a backup lost the line since (its metadata edited, or made by hand in the
  // backup folder with RocksDB's tools).
  std::vector<uint32_t> stripped;
  std::optional<uint32_t> first_recorded;
  if (!unrecorded.empty()) {
    absl::StatusOr<std::vector<storage::Backups::Info>> all =
        storage::Backups::ListIn(c.backup_dir());
    if (all.ok()) {
      for (const storage::Backups::Info& info : *all) {
        if (info.erasures.has_value() && (!first_recorded || info.id < *first_recorded)) {
          first_recorded = info.id;
        }
      }
    }
    if (first_recorded.has_value()) {
      std::vector<uint32_t> older;
      for (const uint32_t id : unrecorded) {
        (id > *first_recorded ? stripped : older).push_back(id);
      }
      unrecorded = std::move(older);
      std::sort(stripped.begin(), stripped.end());
    }
  }
  if (!stripped.empty()) {
    problems->push_back(absl::StrCat(
        "backup_dir: ", stripped.size() == 1 ? "backup " : "backups ",
        absl::StrJoin(stripped, ", "), " in ", c.backup_dir(),
        stripped.size() == 1 ? " lacks" : " lack",
        " the record of the erasures a backup holds (erasures-applied/v1), yet ",
        stripped.size() == 1 ? "is" : "are", " newer than backup ", *first_recorded,
        ", which carries it: not made before backups recorded their erasures, but changed in "
        "the backup folder since (metadata "
        "edited) or made there by hand; a restore and `registry-cli admin verify-backup` refuse ",
        stripped.size() == 1 ? "it" : "them", " (not as registryd made ",
        stripped.size() == 1 ? "it" : "them", "). Move ", stripped.size() == 1 ? "it" : "them",
        " out of the backup folder and find out who wrote there"));
  }
  if (!unrecorded.empty()) {
    not_checked->push_back(absl::StrCat(
        "the erasure ledger against ", unrecorded.size() == 1 ? "backup " : "backups ",
        absl::StrJoin(unrecorded, ", "), " in ", c.backup_dir(), ": made before backups "
        "recorded the erasures they hold (a restore still holds the ledger to them)"));
  }
  // Read once the key file is known to be the database's: under another installation's keys it
  // fails too, which would only repeat the key file's problem.
  const auto open_watermark = [&]() -> std::unique_ptr<storage::AuditWatermark> {
    absl::StatusOr<std::unique_ptr<storage::AuditWatermark>> watermark =
        storage::AuditWatermark::Open(c.audit_watermark_file(), *watermark_key,
                                      SystemClock::Get());
    if (watermark.ok()) return *std::move(watermark);
    problems->push_back(absl::StrCat("audit_watermark_file: ", watermark.status().message()));
    return nullptr;
  };

  // A folder that holds no registry data (no database, one another program made, one with no
  // row, or one whose audit log holds no event), where start-up would begin a new registry:
  // refused as start-up refuses it when anything outside the folder says the registry held
  // data. True when it was (and said).
  const auto lost_data = [&](absl::string_view holds) {
    const std::unique_ptr<storage::AuditWatermark> watermark = open_watermark();
    if (absl::Status ledger = storage::ErasureLedger::Check(c.erasure_ledger_file(), *ledger_key,
                                                            nullptr);
        !ledger.ok()) {
      problems->push_back(absl::StrCat("erasure_ledger_file: ", ledger.message()));
      return true;
    }
    if (watermark == nullptr) return true;  // said above, as audit_watermark_file
    if (absl::Status lost = RefuseAnEmptyFolderWithAPast(c, keys->derivation_root, holds);
        !lost.ok()) {
      problems->push_back(std::string(lost.message()));
      return true;
    }
    return false;
  };

  if (!storage::Database::Exists(data_dir)) {
    // No database yet: start-up makes a new one, whose audit log holds no event and which has
    // applied no erasure, unless the watermark, the ledger or the backups say there was data.
    lost_data(kHoldsNoDatabase);
    return;
  }
  // Beside a running registryd (a new config checked before a restart) the database is its.
  if (absl::Status open = storage::Database::RefuseWhileOpen(data_dir); !open.ok()) {
    not_checked->push_back(absl::StrCat(what, ": the database is open (registryd runs on it); "
                                        "check again once it is stopped"));
    return;
  }
  // A damaged table file that would end the process is named instead, as at start-up.
  if (absl::Status probed = storage::ProbeTableFiles(data_dir); !probed.ok()) {
    problems->push_back(absl::StrCat("data_dir: ", probed.message()));
    return;
  }
  // A database without this registry's column families (one RocksDB's ldb made): refused as
  // start-up refuses it when anything says there was data; otherwise start-up makes them (a
  // first open a crash cut off), which the check does not do.
  if (absl::StatusOr<std::vector<std::string>> missing =
          storage::Database::MissingFamilies(data_dir);
      missing.ok() && !missing->empty()) {
    if (!lost_data(kHoldsOtherFamilies)) {
      not_checked->push_back(absl::StrCat(
          what, ": the database lacks this registry's column families (", absl::StrJoin(*missing,
          ", "), "), which start-up makes first (a write), which the check does not do"));
    }
    return;
  }
  // Every write to the database the check opens is refused (server/writes_refused.h): start-up
  // makes those writes, the check reads only, and says what it did not check.
  WritesRefused guard("--check_config writes nothing");
  // The writes tried before the step under way (0: every write since the open counts): a step
  // that tried none failed for what it read, which start-up reads too and refuses in the same
  // words, whatever an earlier step wanted to write (as RefuseBeforeWriting holds a start to it).
  uint64_t before_step = 0;
  const auto failed = [&](absl::string_view field, const absl::Status& status) {
    if (guard.count() > before_step) {
      not_checked->push_back(absl::StrCat(
          what, ": start-up writes to the database first (a new database, a key-encryption key "
          "made current while registryd was stopped, or a write a crash cut off), which the "
          "check does not do"));
    } else {
      problems->push_back(absl::StrCat(field, ": ", status.message()));
    }
  };
  storage::DatabaseOptions options;
  options.path = data_dir;
  options.create_if_missing = false;
  // Read-only: a writable open writes into the folder before anything is read (a new MANIFEST,
  // OPTIONS and write-ahead log, LOG renamed aside) and, after a crash, replays the write-ahead
  // log into new table files and deletes it. Read-only, RocksDB replays it in memory and the
  // folder is left as it was, byte for byte; the data read is the same.
  options.read_only = true;
  // Writes nothing beside the folder either; RefuseWhileOpen above found no registryd there.
  options.hold_running_lock = false;
  options.seams.fault_injector = &guard;
  // As start-up opens it: a write-ahead log without this registry's seal is refused.
  absl::StatusOr<crypto::SecretBytes> wal_key = derive(storage::kWalSealKeyPurpose);
  if (!wal_key.ok()) return failed("key_file", wal_key.status());
  options.wal_seal_key = *std::move(wal_key);
  absl::StatusOr<std::unique_ptr<storage::Database>> db = storage::Database::Open(options);
  if (!db.ok()) {
    // A write that a kill cut off at the end of the newest log: start-up drops it and counts it
    // (storage::Database::Open), which is a write, so the read-only replay refuses it instead.
    if (absl::IsDataLoss(db.status()) && CutOffAtTheEnd(data_dir, db.status().message())) {
      not_checked->push_back(absl::StrCat(
          what, ": the newest write-ahead log ends in a write a crash cut off, which start-up "
          "drops and records first (a write), which the check does not do"));
      return;
    }
    return failed("data_dir", db.status());
  }
  // A database with no row: new only when nothing outside the folder says otherwise.
  if (absl::StatusOr<bool> nothing = storage::HoldsNothing(**db);
      nothing.ok() && *nothing && lost_data(kHoldsNoRow)) {
    return;
  }
  // The key file first, as the records check it before anything else is read: with another
  // installation's keys nothing below can be read.
  storage::KeyringHolder holder(std::shared_ptr<const crypto::Keyring>(std::move(keys->keyring)));
  absl::StatusOr<std::unique_ptr<storage::NameNormalizer>> normalizer =
      storage::NameNormalizer::Create();
  if (!normalizer.ok()) return failed("data_dir", normalizer.status());
  before_step = guard.count();
  absl::StatusOr<std::unique_ptr<storage::RecordStore>> records = storage::RecordStore::Create(
      db->get(), &holder, keys->derivation_root, normalizer->get());
  if (!records.ok()) {
    failed(absl::StrContains(records.status().message(), "key file") ? "key_file" : "data_dir",
           records.status());
    // One that only wanted to write (a key-encryption key made current while registryd was
    // stopped, key check values missing) has passed the key check: the audit log id is read
    // next, as start-up's look reads it, and one missing from a database that holds data is
    // refused there whatever was to be written.
    if (guard.count() == before_step) return;
  }
  before_step = guard.count();
  if (auto id = storage::ReadAuditLogId(**db, *audit_key); !id.ok()) {
    return failed("data_dir", id.status());
  }
  if (!records.ok()) return;
  // From here on, any write tried before leaves a failure unchecked, as before the key check.
  before_step = 0;
  absl::StatusOr<std::unique_ptr<storage::AuditLog>> audit =
      storage::AuditLog::Open(db->get(), SystemClock::Get(), *audit_key);
  if (!audit.ok()) return failed("data_dir", audit.status());
  // Rows but no audit event (every family but a few emptied): the same.
  if ((*audit)->CurrentHead().size == 0 && lost_data(kHoldsNoEvent)) return;
  // The events since the last data check, as start-up reads them back before it serves: the
  // check had passed a log whose damage the start refuses.
  if (absl::Status walked = CheckAuditSinceLastDataCheck(**audit); !walked.ok()) {
    failed("data_dir", walked);
  }
  const std::unique_ptr<storage::AuditWatermark> watermark = open_watermark();
  if (absl::Status ledger = storage::ErasureLedger::Check(c.erasure_ledger_file(), *ledger_key,
                                                          db->get());
      !ledger.ok()) {
    // A ledger that lacks erasures this database applied: the way out a restore gives, for the
    // operator runs the check before the start or the restore that would refuse it.
    failed("erasure_ledger_file",
           absl::StrContains(ledger.message(), "truncated, replaced or lost")
               ? absl::Status(ledger.code(),
                              absl::StrCat(ledger.message(),
                                           ": data put back with this ledger would bring back "
                                           "records erased since; put back the current erasure "
                                           "ledger from where the key file is kept"))
               : ledger);
  } else if (watermark != nullptr) {
    // As start-up and a restore hold it: the ledger against the head the watermark bound.
    if (absl::Status held = watermark->CheckLedger(c.erasure_ledger_file(), *ledger_key);
        !held.ok()) {
      failed("erasure_ledger_file", held);
    }
  }
  if (watermark != nullptr) {
    // As start-up holds it: behind, another log, or older than a crash explains (put back).
    if (absl::Status behind = watermark->Check(**audit, storage::kWatermarkInterval, db->get());
        !behind.ok()) {
      failed("audit_watermark_file", behind);
    }
  }
}

// Revocation::Load as start-up calls it, with the CRL numbers it read before (crl_number_file),
// so that a CRL older than one in force before is found as start-up finds it, in the same words
// naming the same file; read only, so that the check writes nothing of registryd's. A numbers
// file that is not there is none yet, as at a first start.
absl::StatusOr<std::unique_ptr<Revocation>> LoadRevocationReadingTheNumbers(
    const registry::v1::ServerConfig& c) {
  const std::string& numbers = c.crl_number_file();
  struct stat st {};
  // A folder in its place is said as such (WritableFileFolder), and start-up stops there.
  const bool folder = ::stat(numbers.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  return Revocation::LoadReadOnly(c.tls().client_ca_file(), c.tls().crl_directory(),
                                  folder ? std::string() : numbers);
}

// The names of the keyUsage bits `usage` has, as OpenSSL's configuration spells them.
std::string KeyUsageNames(uint32_t usage) {
  static constexpr std::pair<uint32_t, const char*> kNames[] = {
      {KU_DIGITAL_SIGNATURE, "digitalSignature"}, {KU_NON_REPUDIATION, "nonRepudiation"},
      {KU_KEY_ENCIPHERMENT, "keyEncipherment"},   {KU_DATA_ENCIPHERMENT, "dataEncipherment"},
      {KU_KEY_AGREEMENT, "keyAgreement"},         {KU_KEY_CERT_SIGN, "keyCertSign"},
      {KU_CRL_SIGN, "cRLSign"},                   {KU_ENCIPHER_ONLY, "encipherOnly"},
      {KU_DECIPHER_ONLY, "decipherOnly"}};
  std::vector<std::string> names;
  for (const auto& [bit, name] : kNames) {
    if ((usage & bit) != 0) names.emplace_back(name);
  }
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

// The purposes of the certificate's extendedKeyUsage, short names ("clientAuth") or dotted OIDs.
std::string ExtendedKeyUsageNames(const X509* cert) {
  std::vector<std::string> names;
  auto* usages = static_cast<EXTENDED_KEY_USAGE*>(
      X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr));
  for (int i = 0; usages != nullptr && i < sk_ASN1_OBJECT_num(usages); ++i) {
    const ASN1_OBJECT* purpose = sk_ASN1_OBJECT_value(usages, i);
    const int nid = OBJ_obj2nid(purpose);
    if (nid != NID_undef) {
      names.emplace_back(OBJ_nid2sn(nid));
      continue;
    }
    char oid[128];
    OBJ_obj2txt(oid, sizeof(oid), purpose, /*no_name=*/1);
    names.emplace_back(oid);
  }
  if (usages != nullptr) EXTENDED_KEY_USAGE_free(usages);
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

// Whether the certificate's subjectAltName names a host (a DNS name or an IP address), and its
// URIs, which a client's certificate names its holder by.
bool NamesAHost(const X509* cert, std::vector<std::string>* uris) {
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  bool host = false;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS || name->type == GEN_IPADD) host = true;
    if (name->type == GEN_URI) {
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      uris->emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                         static_cast<size_t>(ASN1_STRING_length(uri)));
    }
  }
  if (names != nullptr) GENERAL_NAMES_free(names);
  return host;
}

}  // namespace

std::vector<std::string> ServerCertificateProblems(const std::string& cert_file, absl::Time now) {
  absl::StatusOr<std::string> pem = ReadFile(cert_file);
  if (!pem.ok()) return {absl::StrCat("tls.cert_file: ", pem.status().message())};
  return ServerCertificatePemProblems(cert_file, *pem, now);
}

std::vector<std::string> ServerCertificatePemProblems(const std::string& cert_file,
                                                      const std::string& pem, absl::Time now) {
  std::vector<std::string> problems;
  const auto problem = [&problems](auto&&... parts) {
    problems.push_back(absl::StrCat("tls.cert_file: ", parts...));
  };
  std::vector<X509Ptr> chain = Certificates(pem);
  if (chain.empty()) {
    problem(cert_file, " holds no PEM certificate");
    return problems;
  }
  X509* cert = chain.front().get();
  constexpr char kIssue[] = "registry-pki.sh server PKI DNS-NAME [IP ...]";
  const std::string dates = Dates(cert, now);
  if (dates == "has expired") {
    problem("the certificate in ", cert_file, " has expired: issue the server a new one (",
            kIssue, ") and put it in place (docs/operations.md, \"Renew or replace the server "
            "certificate\")");
  } else if (!dates.empty()) {
    problem("the certificate in ", cert_file, " is not valid yet: check this machine's clock, "
            "or use a certificate valid now");
  }
  // X509_get_extension_flags caches the extensions' decoding; an extension that does not decode
  // sets EXFLAG_INVALID, and the tests below read it as absent.
  const uint32_t flags = X509_get_extension_flags(cert);
  if ((flags & EXFLAG_CA) != 0) {
    problem(cert_file, " is a CA's certificate (basicConstraints CA:TRUE), not a server's: its "
            "key could sign certificates of its own; use the server's certificate (", kIssue,
            "), which is CA:FALSE");
  }
  if ((flags & EXFLAG_XKUSAGE) != 0 && (X509_get_extended_key_usage(cert) & XKU_SSL_SERVER) == 0) {
    problem(cert_file, " is not made for TLS server authentication (its extendedKeyUsage is ",
            ExtendedKeyUsageNames(cert), "), so every client refuses the server (\"unsuitable "
            "certificate purpose\"): use the server's certificate, made for TLS server "
            "authentication (extendedKeyUsage serverAuth; ", kIssue, ")");
  }
  // A TLS 1.3 server signs the handshake with its key; over TLS 1.2 an RSA key may instead
  // decrypt the client's secret (keyEncipherment), as OpenSSL's check of the purpose allows.
  const int key_type = EVP_PKEY_get_base_id(X509_get0_pubkey(cert));
  const bool rsa = key_type == EVP_PKEY_RSA || key_type == EVP_PKEY_RSA_PSS;
  const uint32_t may = KU_DIGITAL_SIGNATURE | (rsa ? KU_KEY_ENCIPHERMENT : 0);
  if ((flags & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage(cert) & may) == 0) {
    problem(cert_file, "'s key may not sign the TLS handshake (its keyUsage is ",
            KeyUsageNames(X509_get_key_usage(cert)), "): use a server certificate whose keyUsage "
            "includes digitalSignature (", kIssue, ")");
  }
  std::vector<std::string> uris;
  if (!NamesAHost(cert, &uris)) {
    problem(cert_file, " names no host (no DNS name or IP address in its subjectAltName",
            uris.empty() ? "" : absl::StrCat("; it names ", absl::StrJoin(uris, ", ")),
            "), so a client cannot check that it reached the registry: use a server certificate "
            "issued for the name or address the clients connect to (", kIssue, ")");
  }
  return problems;
}

absl::Status ServerCertificateServes(const std::string& cert_file, absl::Time now) {
  const std::vector<std::string> problems = ServerCertificateProblems(cert_file, now);
  if (problems.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrJoin(problems, "; "));
}

absl::Status WritableFileFolder(absl::string_view field, const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(field, ": ", file, " is a folder, not a file"));
  }
  const size_t slash = file.rfind('/');
  const std::string folder =
      slash == std::string::npos ? "." : file.substr(0, std::max<size_t>(slash, 1));
  if (::stat(folder.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        field, ": the folder of ", file, " cannot be used (", std::strerror(errno),
        "): registryd does not make it; create it (mkdir ", folder, ") or name another"));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(field, ": ", folder, ", the folder of ", file, ", is not a folder"));
  }
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(field, ": ", folder, ", the folder of ",
                                                      file, ", is not writable by this user (",
                                                      std::strerror(errno), ")"));
  }
  return absl::OkStatus();
}

std::vector<std::string> StateOpenToOthers(const registry::v1::ServerConfig& c) {
  std::vector<std::pair<const char*, std::string>> state = {
      {"data_dir", c.data_dir()},
      {"backup_dir", c.backup_dir()},
      {"erasure_ledger_file", c.erasure_ledger_file()},
      {"audit_watermark_file", c.audit_watermark_file()}};
  if (!c.tls().crl_directory().empty()) state.emplace_back("crl_number_file", c.crl_number_file());
  std::vector<std::string> problems;
  for (const auto& [field, path] : state) {
    if (path.empty()) continue;
    if (std::string open = OpenToOthers(path); !open.empty()) {
      problems.push_back(absl::StrCat(field, ": ", open));
    }
  }
  return problems;
}

std::vector<std::string> TrustOpenToOthers(const registry::v1::ServerConfig& c) {
  const registry::v1::TlsConfig& tls = c.tls();
  // Files, and folders whose every file is read.
  const std::pair<const char*, std::string> files[] = {{"key_file", c.key_file()},
                                                       {"tls.client_ca_file", tls.client_ca_file()},
                                                       {"tls.cert_file", tls.cert_file()},
                                                       {"tls.key_file", tls.key_file()}};
  const std::pair<const char*, std::string> folders[] = {{"reference_dir", c.reference_dir()},
                                                         {"tls.crl_directory", tls.crl_directory()}};
  std::vector<std::string> problems;
  const auto check = [&problems](const char* field, const std::string& path) {
    if (path.empty()) return;
    if (std::string open = OpenToOthers(path); !open.empty()) {
      problems.push_back(absl::StrCat(field, ": ", open));
    }
  };
  for (const auto& [field, path] : files) check(field, path);
  for (const auto& [field, folder] : folders) {
    if (folder.empty()) continue;
    const size_t before = problems.size();
    check(field, folder);
    if (problems.size() > before) continue;  // the folder's own problem says it all
    std::error_code ec;
    // Each entry whole, as key_file is: a symbolic link into a folder every account may write
    // (without the sticky bit) is as open as a file writable by all, though neither the link
    // nor the file it names has S_IWOTH: whoever may write that folder may put their own file
    // in place of the one the link names.
    for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
      check(field, entry.path().string());
    }
  }
  return problems;
}

absl::Status RevocationWasInForce(const registry::v1::ServerConfig& c) {
  if (!c.tls().crl_directory().empty() || c.crl_number_file().empty()) return absl::OkStatus();
  // Written only once a CRL with a number was in force (server/revocation.cc): an empty file or
  // none is no evidence, and a first installation without CRLs starts with a warning.
  struct stat st;
  if (::stat(c.crl_number_file().c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "tls.crl_directory: not set, but the CRL numbers file ", c.crl_number_file(),
      " (crl_number_file) holds the numbers of CRLs that were in force: revocation was checked "
      "for this installation, and without tls.crl_directory a revoked certificate would be "
      "accepted again. Set tls.crl_directory back to the CRL folder. To run without revocation "
      "on purpose, move ", c.crl_number_file(), " out of its folder (keep it: put back when "
      "revocation is turned on again, it still refuses an older CRL put back)"));
}

absl::Status CheckAuditSinceLastDataCheck(
    const storage::AuditLog& audit,
    const std::function<void(uint64_t index, const registry::v1::AuditEvent& event)>& read,
    uint64_t* read_from) {
  constexpr uint64_t kChunk = 4096;
  uint64_t end = audit.CurrentHead().size;
  if (read_from != nullptr) *read_from = end;
  bool data_check_found = false;
  while (!data_check_found) {
    const uint64_t boundary = audit.CurrentPruned().size;
    if (end <= boundary) break;
    const uint64_t start = end - std::min(kChunk, end - boundary);
    // The first event not yet read: where a scan that fails stopped.
    uint64_t next = start;
    absl::Status scanned = audit.Scan(
        start, end,
        [&](uint64_t index, absl::string_view bytes) {
          next = index + 1;
          registry::v1::AuditEvent event;
          if (!event.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return true;
          if (event.actor() == "system:data-check") data_check_found = true;
          if (read) read(index, event);
          return true;
        },
        storage::BlockCache::kBypass);
    if (absl::IsOutOfRange(scanned)) break;  // pruned meanwhile: nothing older to read
    // The events after the last data check were never checked by one: damage among them is news,
    // and an incident. The detail names the event, no personal data (the store's messages name
    // indexes only).
    if (absl::IsDataLoss(scanned)) return storage::AuditDamagedAt(next, scanned.message());
    if (!scanned.ok()) return scanned;
    end = start;
    if (read_from != nullptr) *read_from = end;
  }
  return absl::OkStatus();
}

absl::Status RefuseAnEmptyFolderWithAPast(const registry::v1::ServerConfig& config,
                                          const crypto::SecretBytes& derivation_root,
                                          absl::string_view holds) {
  // The watermark first: it says how many events the lost log held, and when.
  ASSIGN_OR_RETURN(const crypto::SecretBytes watermark_key,
                   crypto::DeriveKey(derivation_root, storage::kAuditWatermarkKeyPurpose));
  ASSIGN_OR_RETURN(const std::unique_ptr<storage::AuditWatermark> watermark,
                   storage::AuditWatermark::Open(config.audit_watermark_file(), watermark_key,
                                                 SystemClock::Get()));
  RETURN_IF_ERROR(watermark->CheckNoDatabase(config.data_dir(), holds));
  // The ledger: a key folder put back without its watermark still holds the erasures, which
  // prove there was data; an empty registry would have "applied" them and answered CLEAR.
  ASSIGN_OR_RETURN(const crypto::SecretBytes ledger_key,
                   crypto::DeriveKey(derivation_root, storage::kErasureLedgerKeyPurpose));
  RETURN_IF_ERROR(storage::ErasureLedger::CheckNoDatabase(config.erasure_ledger_file(),
                                                          ledger_key, config.data_dir(), holds));
  // And the backups (damaged ones too; a folder that cannot be read counts as holding some):
  // with the watermark gone and no erasure in the ledger, they are what is left to show that
  // the registry held data. A backup restored into an empty registry begun here later would
  // find no ledger of its erasures.
  if (absl::IsNotFound(storage::Backups::ChooseForRestore(config.backup_dir(), 0).status())) {
    return absl::OkStatus();
  }
  std::error_code error;
  const bool ledger = std::filesystem::exists(config.erasure_ledger_file(), error) || error;
  return absl::FailedPreconditionError(absl::StrCat(
      "data_dir: ", config.data_dir(), " ", holds, " and the erasure ledger ",
      config.erasure_ledger_file(), ledger ? " holds no erasure" : " is missing",
      ", but the backup folder ", config.backup_dir(), " holds backups of a registry: check "
      "data_dir and erasure_ledger_file in the config (a mistyped or moved folder); nothing was "
      "created or written there. If the data directory was lost or emptied, put it back from "
      "its copy, or restore with --restore_backup (with the current erasure ledger put back "
      "from where the key file is kept; docs/operations.md); start-up refuses to begin a new, "
      "empty registry in its place (to start one on purpose, move the backups aside as well)"));
}

namespace {

// Why backup `id` is not as this registry made it, from what CheckAuthentic said of it.
std::string NotMadeHereReason(const std::string& dir, uint32_t id, const absl::Status& made) {
  const absl::string_view why =
      absl::IsFailedPrecondition(made) ? "it has no record that this registry made it"
      : absl::IsDataLoss(made)         ? "its record of authentication does not fit it"
                                       : "its files cannot be read to check its record";
  return absl::StrCat(
      "backup ", id, " in ", dir, " is not as this registry made it (", why, "), and the erasure "
      "ledger does not hold the erasures it records: made by hand in the backup folder, or its "
      "metadata edited there; its record of erasures binds nothing, and it is neither restored "
      "nor verified. Move it out of the backup folder (it is not used) and find out who wrote "
      "there");
}

}  // namespace

absl::Status LedgerHoldsEveryBackup(const registry::v1::ServerConfig& config,
                                    const crypto::SecretBytes& derivation_root,
                                    std::vector<uint32_t>* unrecorded,
                                    std::vector<storage::Backups::Damaged>* not_made_here) {
  absl::StatusOr<std::vector<storage::Backups::Info>> backups =
      storage::Backups::ListIn(config.backup_dir());
  if (!backups.ok()) return absl::OkStatus();
  ASSIGN_OR_RETURN(const crypto::SecretBytes ledger_key,
                   crypto::DeriveKey(derivation_root, storage::kErasureLedgerKeyPurpose));
  // Newest first: the newest has applied the most, and is the one to name.
  for (auto it = backups->rbegin(); it != backups->rend(); ++it) {
    if (!it->erasures.has_value()) {
      if (unrecorded != nullptr) unrecorded->push_back(it->id);
      continue;
    }
    const absl::Status held = storage::ErasureLedger::HoldsHead(
        config.erasure_ledger_file(), ledger_key, it->erasures->applied, it->erasures->last_mac,
        absl::StrCat("backup ", it->id, " in ", config.backup_dir()));
    if (absl::IsFailedPrecondition(held)) {
      // Only a backup this registry made binds the ledger; checked here alone, where the count
      // is not met, so that a start whose ledger holds every backup hashes no backup's files.
      ASSIGN_OR_RETURN(const crypto::SecretBytes auth_key,
                       crypto::DeriveKey(derivation_root, storage::kBackupAuthKeyPurpose));
      const absl::Status made =
          storage::Backups::CheckAuthentic(config.backup_dir(), it->id, auth_key);
      if (absl::IsNotFound(made)) continue;  // gone since it was listed
      if (!made.ok()) {
        const std::string reason = NotMadeHereReason(config.backup_dir(), it->id, made);
        if (not_made_here != nullptr) {
          not_made_here->push_back({it->id, reason});
        } else {
          LogLine("warning", "a backup in the backup folder is not as this registry made it")
              .Str("detail", reason)
              .Write();
        }
        continue;
      }
      return absl::FailedPreconditionError(absl::StrCat(
          held.message(), ". The data folder ", config.data_dir(), " and the audit watermark ",
          config.audit_watermark_file(), " may have been put back from the same earlier copy, "
          "which agree with that ledger: put back the current ones with it, or restore backup ",
          it->id, " once the current ledger is in place"));
    }
    RETURN_IF_ERROR(held);
  }
  return absl::OkStatus();
}

absl::Status WritableFolder(absl::string_view field, const std::string& given) {
  std::string path = given;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(field, ": ", path, " is not a folder"));
    }
    // access() answers for this user, and says EROFS for a read-only mount (root too).
    if (::access(path.c_str(), W_OK | X_OK) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          field, ": ", path, " is not writable by this user (", std::strerror(errno), ")"));
    }
    return absl::OkStatus();
  }
  const size_t slash = path.rfind('/');
  std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  struct stat parent_st;
  if (::stat(parent.c_str(), &parent_st) != 0) {
    // The default backup folder is "<data_dir>/../backups", read before a first start has made
    // data_dir: its parent is then the folder "a/data/.." names once data_dir exists.
    const std::string normal = std::filesystem::path(path).lexically_normal().string();
    const std::filesystem::path up = std::filesystem::path(normal).parent_path();
    parent = up.empty() ? "." : up.string();
  }
  if (::access(parent.c_str(), W_OK | X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(field, ": ", path, " does not exist and ",
                                                      parent, " is not writable (",
                                                      std::strerror(errno), ")"));
  }
  return absl::OkStatus();
}

namespace {

// The config read as LoadConfigLeavingOutRefusedFields reads it, with its listen addresses
// replaced by one that is valid and never bound (`*left_out` set): for a config refused only for
// an address, said as the config's problem.
absl::StatusOr<registry::v1::ServerConfig> LoadConfigWithoutItsListenAddresses(
    const std::string& path, bool* left_out) {
  ASSIGN_OR_RETURN(std::string json, ReadFile(path));
  registry::v1::ServerConfig config;
  const JsonFieldReading fields = ReadJsonFields(json, *config.GetDescriptor());
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(fields.usable_json, &config, options).ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": does not parse"));
  }
  config.set_listen_address("127.0.0.1:0");
  config.mutable_metrics()->clear_listen_address();
  std::string dir = path;
  const size_t slash = dir.rfind('/');
  dir = slash == std::string::npos ? "." : slash == 0 ? "/" : dir.substr(0, slash);
  ASSIGN_OR_RETURN(registry::v1::ServerConfig done, FinishConfig(std::move(config), dir));
  *left_out = true;
  return done;
}

}  // namespace

namespace {

void AddMissingFileFix(std::string* problem) {
  // "tls.cert_file: cannot read ./pki/nope.pem: No such file or directory", as ReadFile says a
  // file that is not there: every other problem says what to do, so this one does too.
  const size_t colon = problem->find(": ");
  if (colon == std::string::npos || problem->compare(colon + 2, 12, "cannot read ") != 0 ||
      !absl::EndsWith(*problem, absl::StrCat(": ", std::strerror(ENOENT)))) {
    return;
  }
  absl::StrAppend(problem, "; put the file there, or correct ", problem->substr(0, colon),
                  " in the config");
}

}  // namespace

std::vector<std::string> CheckConfig(const std::string& path, absl::Time now, uid_t uid,
                                     std::vector<std::string>* not_checked,
                                     std::vector<std::string>* warnings) {
  std::vector<std::string> problems;
  std::vector<std::string> unused;
  std::vector<std::string> unused_warnings;
  bool addresses_left_out = false;
  if (not_checked == nullptr) not_checked = &unused;
  if (warnings == nullptr) warnings = &unused_warnings;
  absl::StatusOr<registry::v1::ServerConfig> config = LoadConfig(path);
  if (!config.ok()) {
    // Every problem of the config itself.
    problems = ConfigProblems(path);
    if (problems.empty()) problems.push_back(std::string(config.status().message()));
    // Keys that name no field and values of the wrong type: the rest is checked as it reads
    // without them.
    config = LoadConfigLeavingOutRefusedFields(path);
    // A listen address that is not host:port (a port past 65535, no port) is said above; the
    // files and folders do not depend on it, and are checked without the addresses.
    if (!config.ok()) config = LoadConfigWithoutItsListenAddresses(path, &addresses_left_out);
    if (!config.ok()) {
      not_checked->push_back(
          "everything the config names (the policy, the reference data, the key file, the TLS "
          "files and CRLs, the folders and the stored data): the config itself cannot be used "
          "(above)");
      return problems;
    }
  }
  const registry::v1::ServerConfig& c = *config;
  // As every mode that writes refuses to run as another user than the owner of the data and
  // the key file, so does the check: it would pass a start that is then refused.
  const absl::Status owner = CheckRunsAsOwner(c, uid);
  if (!owner.ok()) problems.push_back(absl::StrCat("user: ", owner.message()));

  if (auto policy = PolicyStore::Load(c.policy_file()); !policy.ok()) {
    problems.push_back(absl::StrCat("policy_file: ", policy.status().message()));
  }
  auto reference = ReferenceData::Load(c.reference_dir());
  if (!reference.ok()) {
    problems.push_back(absl::StrCat("reference_dir: ", reference.status().message()));
  } else {
    ValidationOptions options;
    options.personal_number_pattern = c.personal_number_pattern();
    if (auto v = RecordValidator::Create(reference->get(), options, SystemClock::Get()); !v.ok()) {
      // The validator names the field itself.
      const absl::string_view why = v.status().message();
      problems.push_back(absl::StartsWith(why, "personal_number_pattern: ")
                             ? std::string(why)
                             : absl::StrCat("personal_number_pattern: ", why));
    }
  }
  if (auto keys = LoadKeyFile(c.key_file()); !keys.ok()) {
    problems.push_back(absl::StrCat("key_file: ", keys.status().message()));
  }
  // The addresses it listens on, bound (and closed at once) as start-up binds them before it
  // opens anything: one that is not this machine's, or a host that does not resolve, is a
  // problem; a port in use, a warning, for the check may run beside the registryd that holds it
  // (a new config checked before a restart). An address that is not host:port is the config's
  // own problem, said above.
  std::vector<std::pair<const char*, std::string>> listeners = {
      {"listen_address", c.listen_address()}};
  if (!c.metrics().listen_address().empty()) {
    listeners.emplace_back("metrics.listen_address", c.metrics().listen_address());
  }
  // Addresses refused as the config's own problem (above) are not bound.
  if (addresses_left_out) listeners.clear();
  for (const auto& [field, address] : listeners) {
    const absl::Status listen = CheckCanListen(field, address);
    if (listen.code() == absl::StatusCode::kUnavailable) {
      warnings->push_back(std::string(listen.message()));
    } else if (listen.code() == absl::StatusCode::kFailedPrecondition) {
      problems.push_back(std::string(listen.message()));
    }
  }
  CheckTls(c.tls(), now, &problems);
  if (absl::Status in_force = RevocationWasInForce(c); !in_force.ok()) {
    problems.push_back(std::string(in_force.message()));
  } else if (c.tls().crl_directory().empty()) {
    warnings->push_back(kRevocationOff);
  }
  if (!c.tls().crl_directory().empty()) {
    auto revocation = LoadRevocationReadingTheNumbers(c);
    if (!revocation.ok()) {
      // A refused bundle and a damaged numbers file name their field themselves.
      const std::string why(revocation.status().message());
      problems.push_back(absl::StartsWith(why, "tls.client_ca_file: ") ||
                                 absl::StartsWith(why, "crl_number_file")
                             ? why
                             : absl::StrCat("tls.crl_directory: ", why));
    } else {
      for (const std::string& p : (*revocation)->Problems(now)) {
        problems.push_back(absl::StrCat("tls.crl_directory: ", p));
      }
    }
  }
  CheckWritableFolder("data_dir", c.data_dir(), &problems);
  CheckWritableFolder("backup_dir", c.backup_dir(), &problems);
  // The backup engine's own folders in it too: one that cannot be written fails every backup.
  if (absl::Status engine = storage::Backups::ExistingFolderProblem(c.backup_dir());
      !engine.ok() && WritableFolder("backup_dir", c.backup_dir()).ok()) {
    problems.push_back(absl::StrCat("backup_dir: ", engine.message()));
  }
  // A damaged backup: RocksDB's engine leaves it out of every list, so nothing else would say
  // that it cannot be restored. A warning, not a problem: start-up serves beside it.
  if (absl::StatusOr<std::vector<storage::Backups::Damaged>> damaged =
          storage::Backups::DamagedIn(c.backup_dir());
      damaged.ok()) {
    for (const storage::Backups::Damaged& d : *damaged) {
      warnings->push_back(absl::StrCat(
          "backup_dir: backup ", d.id, " is damaged and can be neither verified nor restored: "
          "its record of its files cannot be read (", d.reason, ")"));
    }
  }
  // The files start-up writes beside the key file: their folders are not made for them.
  std::vector<std::pair<const char*, std::string>> files = {
      {"erasure_ledger_file", c.erasure_ledger_file()},
      {"audit_watermark_file", c.audit_watermark_file()}};
  if (!c.tls().crl_directory().empty()) files.emplace_back("crl_number_file", c.crl_number_file());
  for (const auto& [field, file] : files) {
    if (absl::Status usable = WritableFileFolder(field, file); !usable.ok()) {
      problems.push_back(std::string(usable.message()));
    }
  }
  // Whoever else may change the state could put back an earlier copy of it, or plant one;
  // whoever may change what it trusts could make a certificate of theirs a court's.
  for (std::string& open : StateOpenToOthers(c)) problems.push_back(std::move(open));
  for (std::string& open : TrustOpenToOthers(c)) {
    // The CA bundle's is said by the CRLs' check too.
    if (std::find(problems.begin(), problems.end(), open) == problems.end()) {
      problems.push_back(std::move(open));
    }
  }
  // The data against the key file, the ledger and the watermark, as start-up holds them: only
  // as the user that owns the data (another would leave files in the folder it cannot read) and
  // in a data folder start-up would use.
  if (owner.ok() && WritableFolder("data_dir", c.data_dir()).ok()) {
    CheckStoredData(c, &problems, not_checked);
  }
  // One problem found by two checks (the CA bundle is read by the TLS check and by the CRLs')
  // is said once.
  std::vector<std::string> once;
  for (std::string& problem : problems) {
    AddMissingFileFix(&problem);
    if (std::find(once.begin(), once.end(), problem) == once.end()) {
      once.push_back(std::move(problem));
    }
  }
  return once;
}

absl::Status CheckRunsAsOwner(const registry::v1::ServerConfig& config, uid_t uid) {
  for (const std::string& path : {config.data_dir(), config.key_file()}) {
    struct stat st {};
    if (path.empty() || ::stat(path.c_str(), &st) != 0) continue;  // none yet: a first start
    if (st.st_uid == uid) continue;
    const struct passwd* owner = ::getpwuid(st.st_uid);
    const std::string name =
        owner != nullptr ? std::string(owner->pw_name) : absl::StrCat("uid ", st.st_uid);
    return absl::FailedPreconditionError(absl::StrCat(
        path, " belongs to ", name, ", but registryd runs as uid ", uid, ": run it as ", name,
        " (sudo -u ", name, " registryd ...); files it wrote as another user would be unreadable "
        "to the service. Nothing was changed"));
  }
  return absl::OkStatus();
}

}  // namespace registry::server
