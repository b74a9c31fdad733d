#include "bench/preload.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "bench/stats.h"
#include "common/clock.h"
#include "common/status_macros.h"
#include "common/time_format.h"
#include "crypto/blind_index.h"
#include "crypto/keyring.h"
#include "registry/v1/records.grpc.pb.h"
#include "server/key_file.h"
#include "server/record_validation.h"
#include "server/reference_data.h"
#include "storage/audit_log.h"
#include "storage/audit_log_id.h"
#include "storage/audit_watermark.h"
#include "storage/erasure_ledger.h"
#include "storage/index_seal.h"
#include "storage/database.h"
#include "storage/keyring_holder.h"
#include "storage/name_normalizer.h"
#include "storage/record_store.h"

namespace registry::bench {
namespace {

namespace v1 = registry::v1;

using SteadyClock = std::chrono::steady_clock;

constexpr const char* kSurnames[] = {"Kërqeli",   "Berisha", "Krasniqi", "Gashi",    "Hoxha",
                                     "Shala",     "Morina",  "Bytyqi",   "Kastrati", "Petrović",
                                     "Jovanović", "Çeku",    "Thaçi",    "Rexhepi",  "Osmani",
                                     "Limani",    "Hasani",  "Islami",   "Sopi",     "Dreshaj"};
constexpr const char* kGivenNames[] = {"Arben",  "Driton", "Besnik", "Luan",   "Dragan",
                                       "Fatmir", "Milan",  "Agron",  "Valon",  "Ilir",
                                       "Blerim", "Shpend", "Gëzim",  "Nikola", "Jetmir",
                                       "Lulzim", "Bekim",  "Dardan", "Egzon",  "Faton"};
constexpr const char* kCourts[] = {"basic-prishtine", "basic-prizren",   "basic-peje",
                                   "basic-gjakove",   "basic-mitrovice", "basic-gjilan",
                                   "basic-ferizaj"};
constexpr size_t kSurnameCount = sizeof(kSurnames) / sizeof(kSurnames[0]);
constexpr size_t kGivenCount = sizeof(kGivenNames) / sizeof(kGivenNames[0]);
constexpr size_t kCourtCount = sizeof(kCourts) / sizeof(kCourts[0]);
// Birth dates spread over 50 years (18262 days) from first_birth_year: 1950-01-01 .. 1999-12-31
// for the preloaded records, adults in 2024.
constexpr int64_t kBirthDays = 18262;
constexpr uint64_t kValidatedRecords = 1000;

// Progress lines on stderr, at most every 5 s.
class Progress {
 public:
  Progress(bool enabled, std::string what, uint64_t total)
      : enabled_(enabled), what_(std::move(what)), total_(total) {}
  void Add(uint64_t n) {
    const uint64_t done = done_.fetch_add(n) + n;
    if (!enabled_) return;
    absl::MutexLock lock(&mu_);
    if (SecondsSince(last_) < 5 || done == total_) return;
    last_ = SteadyClock::now();
    absl::FPrintF(stderr, "registry-bench: %s %d/%d (%.0f/s)\n", what_, done, total_,
                  static_cast<double>(done) / SecondsSince(start_));
  }

 private:
  const bool enabled_;
  const std::string what_;
  const uint64_t total_;
  std::atomic<uint64_t> done_{0};
  absl::Mutex mu_;
  SteadyClock::time_point start_ = SteadyClock::now();
  SteadyClock::time_point last_ ABSL_GUARDED_BY(mu_) = SteadyClock::now();
};

// A realistic event: what a vetting check or a court read writes (the log assigns sequence and
// time).
v1::AuditEvent SyntheticEvent(uint64_t i) {
  v1::AuditEvent e;
  const bool vetting = i % 4 != 0;
  e.set_actor(vetting ? "spiffe://registry.kjc.dev/vetting/dev-vetting"
                      : "spiffe://registry.kjc.dev/court/dev-court");
  e.set_role(vetting ? v1::ROLE_VETTING : v1::ROLE_COURT);
  e.set_organisation(vetting ? "dev-school" : "basic-court-prishtine");
  e.set_action(vetting ? "/registry.v1.VettingService/VettingCheck"
                       : "/registry.v1.RecordService/GetRecord");
  // Token and ids look like the real ones (hex of hashes); their values do not matter here.
  char raw[32];
  for (int k = 0; k < 32; ++k) raw[k] = static_cast<char>((i * 131 + k * 7919) >> (k % 8));
  const std::string hex = absl::BytesToHexString(absl::string_view(raw, 32));
  if (vetting) {
    e.add_tokens(hex);
    e.set_consent_reference(absl::StrCat("consent-", i));
  } else {
    e.add_record_ids(hex.substr(0, 32));
    e.set_purpose_code("criminal_proceedings");
    e.set_case_reference(absl::StrCat("PKR ", i % 100000, "/2026"));
    e.set_recipient("basic-court-prishtine");
  }
  e.set_outcome(0);
  e.set_request_id(hex.substr(32, 32));
  return e;
}

absl::Status PreloadRecords(const PreloadOptions& options, const RecordGenerator& generator,
                            storage::Database* db, PreloadResult* result) {
  ASSIGN_OR_RETURN(server::KeyMaterial keys, server::LoadKeyFile(options.key_file));
  storage::KeyringHolder holder(std::shared_ptr<const crypto::Keyring>(std::move(keys.keyring)));
  ASSIGN_OR_RETURN(std::unique_ptr<storage::NameNormalizer> normalizer,
                   storage::NameNormalizer::Create());
  ASSIGN_OR_RETURN(std::unique_ptr<server::ReferenceData> reference,
                   server::ReferenceData::Load(options.reference_dir));
  ASSIGN_OR_RETURN(std::unique_ptr<server::RecordValidator> validator,
                   server::RecordValidator::Create(reference.get(), server::ValidationOptions(),
                                                   SystemClock::Get()));
  const std::string now = FormatInstant(absl::Now());
  // The dates below follow the retention rules registryd will load, so the database records
  // their fingerprint as one registryd created would: its first start has nothing to re-date
  // and the benchmark measures an ordinary start (docs/performance.md measures a rules change).
  {
    ASSIGN_OR_RETURN(std::unique_ptr<storage::RecordStore> store,
                     storage::RecordStore::Create(db, &holder, keys.derivation_root,
                                                  normalizer.get()));
    ASSIGN_OR_RETURN(const std::string stored, store->DatesRulesFingerprint());
    if (stored.empty()) {
      // A folder that already holds records of an older preload keeps no fingerprint; its
      // first start re-dates them, as before.
      const absl::Status init = store->InitDatesRulesFingerprint(reference->RulesFingerprint());
      if (!init.ok() && !absl::IsFailedPrecondition(init)) return init;
    }
  }

  result->ids.assign(options.records, RecordId{});
  Progress progress(options.progress, "records", options.records);
  std::atomic<uint64_t> next_batch{0};
  const uint64_t batches = (options.records + options.batch - 1) / options.batch;
  absl::Mutex error_mu;
  absl::Status first_error;
  std::atomic<bool> failed{false};
  auto worker = [&]() {
    // Each thread has its own RecordStore: the store's stripe locks would otherwise serialise
    // (or, with several big batches, deadlock) the threads. Safe because nothing else writes
    // and the generator never produces duplicates; the store's uniqueness check still runs.
    auto store = storage::RecordStore::Create(db, &holder, keys.derivation_root, normalizer.get());
    auto fail = [&](const absl::Status& s) {
      absl::MutexLock lock(&error_mu);
      if (first_error.ok()) first_error = s;
      failed = true;
    };
    if (!store.ok()) return fail(store.status());
    for (uint64_t b = next_batch++; b < batches && !failed; b = next_batch++) {
      const uint64_t begin = b * options.batch;
      const uint64_t end = std::min<uint64_t>(options.records, begin + options.batch);
      storage::PendingWrite write;
      for (uint64_t n = begin; n < end; ++n) {
        const v1::CreateRecordRequest r = generator.Record(n);
        if (n < kValidatedRecords) {
          absl::Status valid = validator->ValidateRecord(r.person(), r.conviction());
          if (!valid.ok()) return fail(valid);
        }
        auto own = reference->OwnDatesFor(r.conviction());
        if (!own.ok()) return fail(own.status());
        storage::VersionMeta meta;
        meta.actor = "spiffe://registry.kjc.dev/clerk/dev-clerk";
        meta.now = now;
        meta.own = *std::move(own);
        absl::Status staged =
            (*store)->StageCreate(r.person(), r.conviction(), meta, &write, nullptr);
        if (!staged.ok()) return fail(staged);
      }
      absl::Status dated = (*store)->StageDates(&write);
      if (!dated.ok()) return fail(dated);
      absl::Status written = db->Write(*write.batch());
      if (!written.ok()) return fail(written);
      const std::vector<std::string>& ids = write.record_ids();
      for (uint64_t n = begin; n < end; ++n) {
        const std::string& id = ids[n - begin];
        std::memcpy(result->ids[n].data(), id.data(), std::min(id.size(), sizeof(RecordId)));
      }
      progress.Add(end - begin);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < options.threads; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  return first_error;
}

absl::Status PreloadAudit(const PreloadOptions& options, storage::Database* db) {
  ASSIGN_OR_RETURN(server::KeyMaterial keys, server::LoadKeyFile(options.key_file));
  ASSIGN_OR_RETURN(crypto::SecretBytes state_key,
                   crypto::DeriveKey(keys.derivation_root, storage::kAuditLogKeyPurpose));
  ASSIGN_OR_RETURN(std::unique_ptr<storage::AuditLog> log,
                   storage::AuditLog::Open(db, SystemClock::Get(), state_key));
  Progress progress(options.progress, "audit events", options.audit_events);
  std::atomic<uint64_t> next{0};
  absl::Mutex error_mu;
  absl::Status first_error;
  std::atomic<bool> failed{false};
  auto worker = [&]() {
    for (uint64_t i = next++; i < options.audit_events && !failed; i = next++) {
      absl::StatusOr<uint64_t> seq = log->Append(SyntheticEvent(i), nullptr);
      if (!seq.ok()) {
        absl::MutexLock lock(&error_mu);
        if (first_error.ok()) first_error = seq.status();
        failed = true;
        return;
      }
      if (i % 1000 == 999) progress.Add(1000);
    }
  };
  std::vector<std::thread> threads;
  const int n = static_cast<int>(
      std::min<uint64_t>(static_cast<uint64_t>(options.audit_threads), options.audit_events));
  for (int t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  return first_error;
}

}  // namespace

RecordGenerator::RecordGenerator(uint64_t first_personal_number, std::string case_tag,
                                 int first_birth_year)
    : first_personal_number_(first_personal_number),
      case_tag_(std::move(case_tag)),
      first_birth_year_(first_birth_year) {
  v1::Person* p = base_.mutable_person();
  p->set_father_name("Besim");
  p->set_sex(v1::SEX_MALE);
  p->set_birth_place("Prishtinë");
  p->add_citizenships("XK");
  p->set_last_known_address("Rr. Agim Ramadani 14, Prishtinë");
  v1::Conviction* c = base_.mutable_conviction();
  c->set_judgment_date("2024-03-01");
  c->set_final_date("2024-05-15");
  v1::Offence* o = c->add_offences();
  o->set_law("06/L-074");
  o->set_article(230);
  o->set_paragraph(1);
  c->mutable_sentence()->set_type(v1::SENTENCE_TYPE_IMPRISONMENT);
  c->mutable_sentence()->set_months(36);
  v1::AccessoryBan* ban = c->add_bans();
  ban->set_type(v1::BAN_TYPE_WORK_WITH_CHILDREN);
  ban->set_end_date("2034-05-15");
  c->set_release_date("2025-03-01");
  c->set_juvenile(false);
}

std::string RecordGenerator::PersonalNumber(uint64_t n) const {
  return absl::StrFormat("%010d", first_personal_number_ + n);
}

std::string RecordGenerator::Surname(uint64_t n) const { return kSurnames[n % kSurnameCount]; }

std::string RecordGenerator::GivenName(uint64_t n) const {
  return kGivenNames[(n / kSurnameCount) % kGivenCount];
}

std::string RecordGenerator::BirthDate(uint64_t n) const {
  const absl::CivilDay day =
      absl::CivilDay(first_birth_year_, 1, 1) + static_cast<int64_t>((n * 7919) % kBirthDays);
  return FormatDate(day);
}

v1::CreateRecordRequest RecordGenerator::Record(uint64_t n) const {
  v1::CreateRecordRequest r = base_;
  v1::Person* p = r.mutable_person();
  p->set_surname(Surname(n));
  p->set_given_name(GivenName(n));
  p->set_birth_date(BirthDate(n));
  p->set_personal_number(PersonalNumber(n));
  v1::Conviction* c = r.mutable_conviction();
  c->set_court_id(kCourts[n % kCourtCount]);
  c->set_case_number(absl::StrCat("P ", n, "/", case_tag_));
  return r;
}

v1::CreateRecordRequest RecordGenerator::SpentRecord(uint64_t n) const {
  v1::CreateRecordRequest r = Record(n);
  v1::Conviction* c = r.mutable_conviction();
  c->set_judgment_date("2013-04-01");
  c->set_final_date("2013-06-03");
  c->mutable_sentence()->set_months(6);
  c->set_release_date("2013-12-03");
  c->clear_bans();
  // The code in force in 2013 (deploy/reference/offences.json "laws"): the equivalent of the
  // 2019 code's art. 230 §1, with no minimum either.
  c->clear_offences();
  v1::Offence* o = c->add_offences();
  o->set_law("04/L-082");
  o->set_article(234);
  return r;
}

absl::StatusOr<PreloadResult> PreloadStore(const PreloadOptions& options,
                                           const RecordGenerator& generator) {
  PreloadResult result;
  ASSIGN_OR_RETURN(server::KeyMaterial keys, server::LoadKeyFile(options.key_file));
  storage::DatabaseOptions db_options;
  db_options.path = options.data_dir;
  // Sealed as registryd seals its writes, which it checks in the write-ahead log at its start.
  ASSIGN_OR_RETURN(db_options.wal_seal_key,
                   crypto::DeriveKey(keys.derivation_root, storage::kWalSealKeyPurpose));
  // And the index seal kept in every write, as registryd keeps it: a folder at the current
  // schema without one is refused for vetting (storage/index_seal.h).
  ASSIGN_OR_RETURN(db_options.index_seal_key,
                   crypto::DeriveKey(keys.derivation_root, storage::kIndexSealKeyPurpose));
  ASSIGN_OR_RETURN(std::unique_ptr<storage::Database> db, storage::Database::Open(db_options));
  ASSIGN_OR_RETURN(crypto::SecretBytes log_key,
                   crypto::DeriveKey(keys.derivation_root, storage::kAuditLogKeyPurpose));
  // Named first, as registryd names a new database: registryd refuses a database that holds
  // records or events but no authenticated log id (storage/audit_log_id.h). Then sealed, while
  // it holds no index row.
  RETURN_IF_ERROR(storage::EnsureAuditLogId(db.get(), log_key).status());
  RETURN_IF_ERROR(db->MakeIndexSealIfAbsent().status());
  // The empty erasure ledger of a new installation, made before anything is written.
  std::unique_ptr<storage::ErasureLedger> ledger;
  if (!options.ledger_file.empty()) {
    ASSIGN_OR_RETURN(crypto::SecretBytes ledger_key,
                     crypto::DeriveKey(keys.derivation_root, storage::kErasureLedgerKeyPurpose));
    ASSIGN_OR_RETURN(ledger, storage::ErasureLedger::Open(options.ledger_file, ledger_key,
                                                          db.get(), /*may_create=*/true));
  }
  auto start = SteadyClock::now();
  if (options.records > 0) RETURN_IF_ERROR(PreloadRecords(options, generator, db.get(), &result));
  result.records_seconds = SecondsSince(start);
  start = SteadyClock::now();
  if (options.audit_events > 0) RETURN_IF_ERROR(PreloadAudit(options, db.get()));
  result.audit_seconds = SecondsSince(start);
  // A long-running server has its data in compacted SST files, not in a write-ahead log to
  // replay, and no compaction of the preload's files running in its process while the first
  // workloads are measured (that doubled the baseline's server CPU at 1M records).
  start = SteadyClock::now();
  RETURN_IF_ERROR(db->Flush());
  for (int family = 0; family < static_cast<int>(storage::Cf::kCount); ++family) {
    RETURN_IF_ERROR(db->CompactRange(static_cast<storage::Cf>(family), "", ""));
  }
  result.flush_seconds = SecondsSince(start);
  // The audit watermark of the events written, as registryd keeps it: a database that holds
  // events without one is refused at start (storage/audit_watermark.h).
  if (!options.watermark_file.empty()) {
    ASSIGN_OR_RETURN(std::unique_ptr<storage::AuditLog> log,
                     storage::AuditLog::Open(db.get(), SystemClock::Get(), log_key));
    ASSIGN_OR_RETURN(crypto::SecretBytes mark_key,
                     crypto::DeriveKey(keys.derivation_root, storage::kAuditWatermarkKeyPurpose));
    ASSIGN_OR_RETURN(std::unique_ptr<storage::AuditWatermark> mark,
                     storage::AuditWatermark::Open(options.watermark_file, mark_key,
                                                   SystemClock::Get()));
    std::optional<storage::AuditWatermark::LedgerHead> head;
    if (ledger != nullptr) {
      head = storage::AuditWatermark::LedgerHead{};
      ledger->Head(&head->entries, &head->last_mac);
    }
    RETURN_IF_ERROR(mark->Reset(*log, head).status());
  }
  return result;
}

absl::StatusOr<PreloadResult> PreloadViaImport(const std::shared_ptr<grpc::Channel>& clerk,
                                               uint64_t records, const RecordGenerator& generator) {
  constexpr uint64_t kRows = 1000;
  PreloadResult result;
  result.ids.assign(records, RecordId{});
  auto stub = v1::RecordService::NewStub(clerk);
  const auto start = SteadyClock::now();
  Progress progress(true, "imported records", records);
  for (uint64_t begin = 0; begin < records; begin += kRows) {
    const uint64_t end = std::min(records, begin + kRows);
    v1::ImportRecordsRequest req;
    for (uint64_t n = begin; n < end; ++n) {
      v1::ImportRow* row = req.add_rows();
      row->set_line(n - begin + 1);
      *row->mutable_record() = generator.Record(n);
    }
    v1::ImportRecordsResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    const grpc::Status s = stub->ImportRecords(&ctx, req, &resp);
    if (!s.ok()) {
      return absl::UnavailableError(absl::StrCat("ImportRecords: ", s.error_message()));
    }
    if (resp.results_size() != static_cast<int>(end - begin)) {
      return absl::InternalError("ImportRecords: wrong number of results");
    }
    for (const v1::ImportRowResult& r : resp.results()) {
      if (r.outcome() != v1::ImportRowResult::OUTCOME_CREATED || r.record_id().size() != 32) {
        return absl::InternalError(
            absl::StrCat("ImportRecords: line ", r.line(), " not created: ", r.error()));
      }
      std::memcpy(result.ids[begin + r.line() - 1].data(), r.record_id().data(), 32);
    }
    progress.Add(end - begin);
  }
  result.records_seconds = SecondsSince(start);
  return result;
}

}  // namespace registry::bench
