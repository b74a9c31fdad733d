// Test data for the benchmark: a generator of valid, distinct fictional records, and two ways to
// load many of them fast.
//
// PreloadStore writes straight into a registry database that no server has open: it opens the
// Database, stages records with RecordStore::StageCreate into large PendingWrites and commits each
// with Database::Write, then appends audit events with AuditLog::Append from many threads (group
// commit). No gRPC, no call gate, no audit event per record: this is set-up, not measurement.
// PreloadViaImport uses the clerk's ImportRecords RPC (1000 rows per call) for a remote server.
//
//   RecordGenerator gen(/*first_personal_number=*/1000000000, /*case_tag=*/"2024");
//   ASSIGN_OR_RETURN(PreloadResult loaded, PreloadStore(options, gen));
//   loaded.ids[7] is the record id of gen.Record(7).
#ifndef REGISTRY_BENCH_PRELOAD_H_
#define REGISTRY_BENCH_PRELOAD_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "registry/v1/records.pb.h"

namespace registry::bench {

// Record n's person and conviction. Valid under server/record_validation.h with the shipped
// reference data (deploy/reference): adults convicted in 2024 under 06/L-074 art. 230 with a ban
// on work with children until 2034, so a vetting check on them answers NOT_CLEAR until then.
// Personal numbers are first_personal_number + n (10 digits); case numbers "P <n>/<case_tag>",
// so records of one generator never collide on court + case number + personal number.
//
// Birth dates run from `first_birth_year` (1950 for the preloaded records) over 50 years: people
// of generators 50 years apart never share a name and birth date, so a check of one is not
// referred by another's record under another number.
class RecordGenerator {
 public:
  RecordGenerator(uint64_t first_personal_number, std::string case_tag,
                  int first_birth_year = 1950);

  registry::v1::CreateRecordRequest Record(uint64_t n) const;
  // Record n's person with a spent conviction: final in 2013, six months, no ban, so that the
  // employer's period ended in 2023 and the record is kept (for courts) until 2028; a vetting
  // check on the person answers CLEAR, as for a number without a record. Valid for the people
  // born before 1995 (adults when judged).
  registry::v1::CreateRecordRequest SpentRecord(uint64_t n) const;
  std::string PersonalNumber(uint64_t n) const;
  std::string Surname(uint64_t n) const;
  std::string GivenName(uint64_t n) const;
  std::string BirthDate(uint64_t n) const;

 private:
  uint64_t first_personal_number_;
  std::string case_tag_;
  int first_birth_year_;
  registry::v1::CreateRecordRequest base_;
};

// A record id: 32 lowercase hex characters, kept without heap allocation (a million of them).
using RecordId = std::array<char, 32>;
inline std::string IdString(const RecordId& id) { return std::string(id.data(), id.size()); }

struct PreloadOptions {
  // The server's data_dir (created when missing), key file and reference data folder.
  std::string data_dir;
  std::string key_file;
  std::string reference_dir;
  // Where registryd keeps its audit watermark (config audit_watermark_file): written for the
  // events preloaded. Empty: none written.
  std::string watermark_file;
  // Where registryd keeps its erasure ledger (config erasure_ledger_file): made empty, as a new
  // registryd makes it, and bound in the watermark, since registryd refuses an installation that
  // holds data without one. Empty: none made.
  std::string ledger_file;
  // How many records and audit events to write. Default none.
  uint64_t records = 0;
  uint64_t audit_events = 0;
  // Threads that stage records (each with its own RecordStore, so the store's striped locks do
  // not serialise them). Default 2.
  int threads = 2;
  // Records per PendingWrite / Database::Write. Default 1000.
  size_t batch = 1000;
  // Threads that append audit events concurrently; their appends are grouped into one synced
  // write each. Default 128.
  int audit_threads = 128;
  // Print progress to stderr every few seconds. Default true.
  bool progress = true;
};

struct PreloadResult {
  // ids[n] is the id of generator record n.
  std::vector<RecordId> ids;
  double records_seconds = 0;
  double audit_seconds = 0;
  // Flushing and compacting every column family.
  double flush_seconds = 0;
};

// Writes options.records generator records and options.audit_events audit events into the
// database at options.data_dir, then flushes and compacts it and closes it. The first 1000
// records are also checked by RecordValidator, so a generator that drifts from the rules fails
// loudly.
// Fails with the storage, key file or validation error.
absl::StatusOr<PreloadResult> PreloadStore(const PreloadOptions& options,
                                           const RecordGenerator& generator);

// Creates `records` generator records through RecordService.ImportRecords on `clerk` (1000 rows
// per call). Fails when a call fails or a row is not created.
absl::StatusOr<PreloadResult> PreloadViaImport(const std::shared_ptr<grpc::Channel>& clerk,
                                               uint64_t records, const RecordGenerator& generator);

}  // namespace registry::bench

#endif  // REGISTRY_BENCH_PRELOAD_H_
