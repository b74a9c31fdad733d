// RegistryServer: registryd assembled — keys, policy, reference data, revocation lists, RocksDB,
// the audit log, the record store, the call gate, the five services, the health service and the
// gRPC server with mTLS — plus the retention scheduler and the summary of unaudited refusals.
// main.cc and the integration tests both run it.
//
//   RegistryServerOptions options;
//   options.config = *LoadConfig(path);
//   ASSIGN_OR_RETURN(auto server, RegistryServer::Start(std::move(options)));
//   ... server->port() ...
//   server->Shutdown(absl::Seconds(10));
#ifndef REGISTRY_SERVER_REGISTRY_SERVER_H_
#define REGISTRY_SERVER_REGISTRY_SERVER_H_

#include <functional>
#include <atomic>
#include <memory>
#include <optional>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "crypto/ed25519.h"
#include "grpcpp/grpcpp.h"
#include "registry/v1/config.pb.h"
#include "server/admin_service.h"
#include "server/audit_service.h"
#include "server/call_gate.h"
#include "server/eraser.h"
#include "server/clock_guard.h"
#include "server/fixed_span.h"
#include "server/health_service.h"
#include "server/info_service.h"
#include "server/key_rotator.h"
#include "server/metrics.h"
#include "server/metrics_endpoint.h"
#include "server/policy.h"
#include "server/polling_thread.h"
#include "server/rate_limiter.h"
#include "server/record_service.h"
#include "server/record_validation.h"
#include "server/reference_data.h"
#include "server/refusal_limiter.h"
#include "server/revocation.h"
#include "server/tls_identity.h"
#include "server/vetting_service.h"
#include "storage/audit_log.h"
#include "storage/audit_watermark.h"
#include "storage/check_store.h"
#include "storage/database.h"
#include "storage/erasure_ledger.h"
#include "storage/key_folder_lock.h"
#include "storage/keyring_holder.h"
#include "storage/name_normalizer.h"
#include "storage/policy_fingerprint.h"
#include "storage/record_store.h"

namespace registry::server {

// The most audit events one pruning step deletes (and reads, and keeps facts of in its batch):
// each step also flushes and compacts, so steps should be large, but its batch grows with it.
inline constexpr uint64_t kAuditPruneStep = 100000;

// The message of the log line the retention scheduler writes after each run, with "expunged",
// "audit_events_deleted" and "seconds". The first run starts with the server; registry-bench
// waits for its line before it measures.
inline constexpr char kRetentionRunFinished[] = "retention run finished";

struct RegistryServerOptions {
  // A config that went through LoadConfig/FinishConfig.
  registry::v1::ServerConfig config;
  // Not owned; default the system clock.
  const Clock* clock = nullptr;
  // The clock that decides whether a CRL is current. Not owned; default the system clock, even
  // when `clock` is set: like certificate validity in the TLS handshake, CRL freshness is a fact
  // of real time, while `clock` is the registry's time that tests move to exercise retention and
  // vetting rules.
  const Clock* revocation_clock = nullptr;
  // The monotonic clock that vetting checks' lookups are held to (fixed_span.h). Not owned;
  // default Pacer::Steady(). Tests pass a fake to see each hold.
  const Pacer* pacer = nullptr;
  // The monotonic clock the registry clock is checked against before the retention run erases
  // (server/clock_guard.h). Not owned; default Pacer::Steady() when `clock` is the system clock.
  // With another `clock` (tests that move it by years to make records due) and none given here,
  // the clock is not checked.
  const Pacer* clock_guard_elapsed = nullptr;
  // Where each REFER is counted, after its reply (CallGate::Deps::after_reply); null: the
  // gate's own worker thread. Tests pass one that holds the work until they run it.
  std::function<void(std::function<void()>)> after_reply;
  // Tests only: a fault injector or file system for the database, passed to it unopened.
  storage::StorageSeams storage_seams;
  // Tests only: runs in Shutdown once gRPC refuses calls and the clean stop is done, just before
  // the metrics listener stops.
  std::function<void()> before_metrics_stop;
  // One log line per call on stderr. Default true.
  bool log_calls = true;
  // Run the retention scheduler thread. Default true.
  bool start_scheduler = true;
  // Run the backup schedule (config backup.interval_hours). Default true.
  bool start_backup_scheduler = true;
  // Run the data check every data_check_interval_hours (RunDataCheckOnce). Default true. The
  // first run is data_check_interval_hours after the last one the audit log holds, or
  // data_check_start_delay after the start when that is past or there is none
  // (FirstDataCheckDelay).
  bool start_data_checks = true;
  // How soon after the start an overdue data check runs (in the background, while serving).
  // Default 5 minutes, past the start's own work (the retention run, the recall of the last
  // checks).
  absl::Duration data_check_start_delay = absl::Minutes(5);
  // Tests only: runs after each scheduled data check, with its problems or its error.
  std::function<void(const absl::StatusOr<uint64_t>&)> after_data_check;
  // Poll the policy file for changes this often; zero disables the watcher. Default 2 s.
  absl::Duration policy_poll = absl::Seconds(2);
  // Poll the client CA bundle and the CRL folder for changes this often (when
  // tls.crl_directory is set); zero disables the watcher. Default 2 s.
  absl::Duration revocation_poll = absl::Seconds(2);
  // How often gRPC re-reads the server certificate, its key and the client CA bundle for the
  // TLS handshake, in whole seconds (at least 1). Default 2 s.
  absl::Duration tls_refresh = absl::Seconds(2);
  // How often the refusals that were not audited are written as a summary event; zero: only
  // at shutdown and when FlushUnauditedRefusals is called. Default 1 minute.
  absl::Duration unaudited_summary_interval = absl::Minutes(1);
  // How often the audit watermark (storage/audit_watermark.h) follows the log while it grows;
  // zero: only at start-up and shutdown. Default 5 s.
  absl::Duration watermark_interval = absl::Seconds(5);
  // A connection that has not finished its TLS handshake this long after it was accepted is
  // closed. gRPC's own default is 120 s, during which a connection that sends nothing holds a
  // file and memory: a flood of them held the listener's files (docs/operations.md). A client
  // finishes its handshake in milliseconds. Default 10 s.
  absl::Duration handshake_timeout = absl::Seconds(10);
};

// The storage side of registryd: the keys, the database and everything kept in it, and the
// erasure ledger. Members are destroyed in reverse order, the database last.
struct StorageStack {
  // The lock beside the erasure ledger and the audit watermark (storage/key_folder_lock.h),
  // held while the stack lives; first, so that it is let go last. Null for a read-only stack.
  std::shared_ptr<const storage::KeyFolderLock> key_folder_lock;
  std::unique_ptr<storage::KeyringHolder> keys;
  crypto::SecretBytes derivation_root;
  std::unique_ptr<storage::NameNormalizer> normalizer;
  std::unique_ptr<storage::Database> db;
  // The name signed into the audit log's heads, authenticated (storage/audit_log_id.h).
  std::string audit_log_id;
  std::unique_ptr<storage::AuditLog> audit;
  std::unique_ptr<storage::RecordStore> records;
  std::unique_ptr<storage::CheckStore> checks;
  // The fingerprint of the access policy last in force (storage/policy_fingerprint.h).
  std::unique_ptr<storage::PolicyFingerprint> policy_fingerprint;
  std::unique_ptr<storage::ErasureLedger> ledger;
  // How far the audit log had grown, kept beside the ledger.
  std::unique_ptr<storage::AuditWatermark> watermark;
  // The data folder was made by this open and sealed empty (storage/index_seal.h): the start
  // records that in the audit log, once there is one to write to.
  bool index_sealed_new = false;
  std::unique_ptr<Eraser> eraser;
};

// Opens the storage for `config` (key file, database, erasure ledger). Whoever serves from it
// first applies the erasures the database has not applied (eraser->CatchUp()), so that nothing
// erased is served or left in the files. `clock` is not owned; `seams` are for tests.
// `existing_only`: an offline command's open, which never makes a database where there is none
// (NotFound naming the folder). `read_only` (implies existing_only; `registryd --verify_data`):
// the database is opened read only and nothing is written into the data folder (no KEK check
// value, no MANIFEST, OPTIONS or write-ahead log, LOG left in place), nor beside the key file
// (no erasure ledger made, a torn last line of it not cut: ErasureLedger::OpenReadOnly); an
// audit log whose last event is missing or fails authentication opens untrusted, for the data
// check to name it. Such a stack is for reading only: every write fails.
absl::StatusOr<StorageStack> OpenStorage(const registry::v1::ServerConfig& config,
                                         const Clock* clock,
                                         const storage::StorageSeams& seams = {},
                                         bool existing_only = false, bool read_only = false);

// What the start's look (RefuseBeforeWriting) reads of the audit log for the start to use, so
// that it is not read again after the writable open.
struct StartWalk {
  // Given every event the walk back from the head reads (CheckAuditSinceLastDataCheck's `read`;
  // may be null).
  std::function<void(uint64_t index, const registry::v1::AuditEvent& event)> read;
  // Where the walk stopped (CheckAuditSinceLastDataCheck's `read_from`); none when the look did
  // not get as far as the walk, which the start then makes after its writable open.
  std::optional<uint64_t> read_from;
};

// The start's refusals of a data directory, --confirm_clock's too, decided on a read-only open
// of it (every write the storage classes try refused: server/writes_refused.h) before the
// writable open, which writes into the folder before anything is read (a new MANIFEST, OPTIONS,
// a write-ahead log, LOG rotated, the write-ahead log replayed into new table files, key check
// values), so that a refused folder is left byte for byte as it was found, for the
// investigation. In the order the start says them, in its words: a key file that does not
// belong to the database; the audit log's id, state, last event, or an event beyond its tree;
// a log behind or beside the audit watermark (storage/audit_watermark.h Check); an erasure
// ledger that does not hold what the database applied, or fails authentication
// (storage::ErasureLedger::Check); with `walk` (the start with its data checks), a damaged
// event since the last data check (CheckAuditSinceLastDataCheck), the events read and where
// the walk stopped handed over in *walk. OK when there is no database, and when the look cannot
// get as far as a step (a write a crash cut off, a step that must write first): the writable
// open then decides that step and those after it, as before. A write-ahead log without this
// registry's seal, which fails the read-only open as it fails the writable one, is refused here
// in the same words (the writable open had rotated LOG and written into the folder first).
// `seams` (tests) as for OpenStorage. `hold_watermark` false (--adopt_watermark): the watermark
// file is read (one that cannot be read is refused) but not held to the log.
absl::Status RefuseBeforeWriting(const registry::v1::ServerConfig& config, const Clock* clock,
                                 const storage::StorageSeams& seams = {},
                                 StartWalk* walk = nullptr, bool hold_watermark = true);

// `registryd --verify_data`: opens the storage without changing it and runs CheckData.
absl::StatusOr<storage::DataCheckReport> VerifyDataOffline(const registry::v1::ServerConfig& config);

// `registryd --restore_backup`: restores backup `backup_id` (0: the newest) from the configured
// backup folder into a staging folder beside data_dir and checks that copy as a start would (a
// probe of its table files in a child process, storage/table_probe.h: it forks, so call it
// before threads start; then opening it with the key file, its table checksums, and the
// start's walk back through its audit events since its last data check); only then
// is it swapped in for data_dir (storage::Backups::Stage, Staged::SwapIn), and the erasure ledger
// applied, so a record erased after the backup was made is erased again before anything can
// read the restored database. A backup that fails any check leaves data_dir as it was. Refused
// (FailedPrecondition) while registryd runs on the data directory. What the directory held is
// moved aside, not deleted, an earlier restore's unfinished copy too (*moved_aside, may be
// null, names where). *applied receives how many erasures were
// re-applied. The audit watermark is set to the restored log (going back is what a restore is
// for); *lost_events (may be null) receives how many events the log had that the backup's does
// not, which the restore gave up: those beyond the backup's head, or, for a backup from another
// branch of the log, every one since the two parted (RestoreLoss).
// What a restore gives up of the log it replaces (the data folder's, when it opens and the
// watermark holds for it; otherwise the audit watermark's size and root).
struct RestoreLoss {
  // The replaced log's events the restored one does not hold; on another branch whose parting
  // was not found, at most this many.
  uint64_t events = 0;
  // The backup's log is not the first part of the replaced one (nor the replaced log the first
  // part of it): a backup made on a branch a later restore abandoned, or of another log.
  bool other_branch = false;
  // On another branch: how many first events the two logs share, when found.
  std::optional<uint64_t> shared;
  // On another branch, the sentence the restore's audit event holds and registryd prints:
  // "backup 2 is from another branch of the audit log: the 80 events the log held after its
  // first 55 (where the two part) are given up". Empty otherwise.
  std::string said;
};

// *given_up (may be null) receives what was given up, and whether the backup is from another
// branch of the log; the restore's audit event says it. Tests only: `after_staging`, when set,
// runs once the backup is copied beside the data folder, before the copy is checked.
absl::Status RestoreBackup(const registry::v1::ServerConfig& config, uint32_t backup_id,
                           int* applied, uint64_t* lost_events = nullptr,
                           std::string* moved_aside = nullptr, RestoreLoss* given_up = nullptr,
                           const std::function<void()>& after_staging = nullptr);

// `registryd --confirm_clock`: an operator checked the clock; its reading becomes the time
// erasures trust (server/clock_guard.h), and the confirmation is written to the audit log
// ("system:clock" "confirm-clock", with the time trusted before). *before receives that time
// (absl::InfinitePast() for none). `clock` is not owned (registryd: the system clock). A data
// folder behind or beside the audit watermark (put back from an earlier copy, or replaced), or
// one whose audit log (its last event, or any event since the last data check: the start's
// walk) or erasure ledger a start with its data checks refuses, is refused as that start refuses
// it, in the same words, before anything is written into it (RefuseBeforeWriting): no file of
// the folder is changed.
absl::Status ConfirmClock(const registry::v1::ServerConfig& config, const Clock* clock,
                          absl::Time* before);

// `registryd --adopt_watermark`: the audit watermark (storage/audit_watermark.h) is lost or
// behind nothing the operator can restore, and the data directory as it is becomes the
// registry's: its log's head becomes the mark, and the step is written to the audit log first
// ("system:watermark" "adopt-watermark", with the log's size and the mark it replaces, so an
// auditor sees what was taken and what given up). *adopted is false, and nothing written, when
// the mark already holds for the log. *log_size receives the log's size. Refused
// (FailedPrecondition, nothing written) while data_dir is a restore's unfinished copy
// (storage::Backups::RefuseUnfinishedRestore): that restore is to be finished or given up on.
// A folder a start with its data checks refuses for anything but the watermark (the audit log
// damaged, the erasure ledger not holding its erasures, a watermark file that cannot be read)
// is refused in the start's words, nothing written into it, as ConfirmClock refuses it.
absl::Status AdoptWatermark(const registry::v1::ServerConfig& config, bool* adopted,
                            uint64_t* log_size);

// `registryd --reseal_index`: makes the index seal (storage/index_seal.h) anew from the index
// rows there are, after an operator has investigated a broken seal and chosen to keep the data
// as it is. Runs the whole data check first (CheckDataAndTableFiles) and refuses
// (FailedPrecondition, nothing written) when it finds any problem besides the seal's: a deleted
// index row is then named by the check, and is put right (or the data restored) before the
// seal is. Writes "system:index-seal" "index-sealed-anew" to the audit log, with the rows sealed
// and the problem it replaced. Refused where ConfirmClock refuses, in the same words. The rows
// sealed.
absl::StatusOr<uint64_t> ResealIndex(const registry::v1::ServerConfig& config,
                                     const Clock* clock);

// `registryd --retire_kek VERSION`: removes a KEK version from the key file, once no data key is
// under it (no rotation unfinished, every data key under the current KEK) and no kept backup was
// made before every data key had left it (the first "kek-vN finished" rotation event past it):
// such a backup could no longer be restored. FailedPrecondition saying which, changing nothing.
// The retirement is written to the audit log ("system:key-file" "retire-kek") before the key
// file is. A folder a start with its data checks refuses is refused in the start's words,
// nothing written into it nor into the key file, as ConfirmClock refuses it. `clock` is not
// owned.
absl::Status RetireKek(const registry::v1::ServerConfig& config, uint32_t version,
                       const Clock* clock);

// The signing keys, derived from the key file's derivation root.
struct SigningKeys {
  std::unique_ptr<crypto::Ed25519Signer> audit;
  std::unique_ptr<crypto::Ed25519Signer> vetting;
};
absl::StatusOr<SigningKeys> DeriveSigningKeys(const crypto::SecretBytes& derivation_root);

// The log line of a reload of the server's certificate (ReloadServerCertificate): "server
// certificate reloaded", or "server certificate refused; the previous one stays in force" with
// why in start-up's words.
void LogServerCertificate(const absl::Status& reloaded);

class RegistryServer {
 public:
  // Starts everything. FailedPrecondition / InvalidArgument / NotFound for bad keys, policy,
  // reference data or TLS files (with a clear message); Unavailable when it cannot listen or open
  // the database.
  static absl::StatusOr<std::unique_ptr<RegistryServer>> Start(RegistryServerOptions options);

  // Shuts down (if not yet) and closes the database.
  ~RegistryServer();

  // The port actually bound (useful with ":0").
  int port() const { return port_; }

  // Stops accepting calls, lets in-flight calls finish (up to `grace`, then cancels them), stops
  // the schedulers and the watchers, writes the audit watermark and flushes the database, and
  // stops the metrics listener last (which no client can hold up: server/metrics_endpoint.h).
  // Idempotent.
  void Shutdown(absl::Duration grace);

  // Re-reads the policy file (SIGHUP). On failure the old policy stays in force. Every reload,
  // this one and the watcher's (RegistryServerOptions::policy_poll), applied or refused, writes
  // a "system:policy" "reload-policy" audit event before a new policy is in force: outcome OK or
  // the refusal's status code, reference "policy sha256 HEX: N principals, M organisations, D
  // denied certificates" (the file's SHA-256, as sha256sum prints it) or "policy sha256 HEX
  // refused; the previous policy stays in force", detail the field a refusal names (never a
  // value). A new policy whose event cannot be written is not applied. An applied reload's write
  // also records its file's fingerprint as the policy last in force. At start, before anything
  // is served, a policy file whose fingerprint is not the last one in force (it was changed
  // while registryd was stopped, or the database is of a registryd that kept none) writes one
  // "system:policy" "load-policy" event, with the reference of a reload and a detail naming the
  // earlier fingerprint ("changed while registryd was stopped: the last policy in force was
  // sha256 OLD", or "no earlier policy recorded"); a start with the same file writes none, and
  // a new database records its first policy without an event.
  absl::Status ReloadPolicy();

  // Re-reads the client CA bundle (SIGHUP), and the CRL folder when tls.crl_directory is set.
  // When the bundle cannot be read the previous client CAs stay in force, checked against the
  // CRL folder as it is now (a new CRL revokes; a missing or lapsed one refuses), and the status
  // says the bundle was refused. CRL problems do not fail the reload: they are in
  // RevocationProblems().
  absl::Status ReloadRevocation();

  // Re-reads the server's certificate and key (SIGHUP; a watcher does every tls_refresh too).
  // gRPC serves registryd's copy of the pair in force (TlsIdentity), rewritten only with a pair
  // that passes start-up's checks; a pair refused (a CA's certificate, expired, a key not the
  // certificate's, ...) leaves the previous one served, and the status says why in start-up's
  // words.
  absl::Status ReloadServerCertificate();
  // What is wrong with the revocation lists now (see Revocation::Problems); empty when every
  // client CA has a current CRL or no CRL folder is configured.
  std::vector<std::string> RevocationProblems() const;

  // Writes the summary events of the refusals that were not audited since the last time
  // (CallGate::FlushUnauditedRefusals). Returns how many events were written.
  absl::StatusOr<int> FlushUnauditedRefusals();

  // Health checks answered and refused (refusals: the caller is not a known caller).
  uint64_t health_answers() const { return health_service_->answers(); }
  uint64_t health_refusals() const { return health_service_->refusals(); }

  // Expunges every record whose delete_after has passed, as "system:retention". Returns how many.
  // FailedPrecondition, erasing nothing, while the clock is not trusted (TrustClockForErasure).
  absl::StatusOr<int> RunRetentionOnce();

  // Audit retention (audit.retention_days; nothing when 0): deletes the bytes of the audit events
  // dated more than that many days ago, in steps of at most kAuditPruneStep events, each its own
  // batch with its "system:audit-retention" event (storage::AuditLog::Prune) and the facts the
  // data check keeps of the deleted events (KeepPrunedFacts). Stops early when the scheduler is
  // asked to stop. Returns how many events were deleted. The scheduler runs it after
  // RunRetentionOnce. Held, as RunRetentionOnce, while the clock is not trusted.
  absl::StatusOr<uint64_t> RunAuditRetentionOnce();

  // Deletes the vetting limit and REFER rows older than storage::CheckStore::kCountedRowsKept, 1000 to a
  // batch, each with its "system:vetting-limits" event. Returns how many. The scheduler runs it
  // after RunAuditRetentionOnce.
  absl::StatusOr<uint64_t> RunLimitRowsRetentionOnce();

  // The data check (server/data_check.h), as registryd runs it every data_check_interval_hours:
  // a "system:data-check" event (reference "problems N", outcome DATA_LOSS when N > 0), an error
  // line for each problem (the first 100), a "data check finished" line and the
  // registryd_data_check_* metrics. Returns the number of problems.
  absl::StatusOr<uint64_t> RunDataCheckOnce();

  // Reads the audit log back from its newest event for the last data check ("system:data-check"),
  // the last backup verification (AdminService.VerifyBackup) and the last signed tree head
  // (AuditService.GetSignedTreeHead) made before this start, and hands what they found to the
  // metrics: their gauges are then there from the start, not a day
  // later. Stops at the pruned boundary, or at Shutdown. registryd runs it in a thread of its own
  // at start-up (with the data checks), where it begins from what start-up's walk over the events
  // since the last data check found and goes on from where that walk stopped, so that those
  // events are not read twice; a later call (tests) reads from the head again.
  absl::Status RecallLastChecks();

  // Returns once every REFER answered so far has been counted, and its alert written
  // (CallGate::AwaitAfterReplyWork).
  void AwaitAfterReplyWork() {
    if (gate_ != nullptr) gate_->AwaitAfterReplyWork();
  }

  // The backup schedule's step: a backup and its pruning as "system:backup" (what the
  // schedule runs every backup.interval_hours).
  absl::StatusOr<registry::v1::BackupInfo> RunScheduledBackupOnce();

  // The metrics, and the port of their listener (0 when metrics.listen_address is not set).
  const Metrics& metrics() const { return *metrics_; }
  int metrics_port() const { return metrics_endpoint_ == nullptr ? 0 : metrics_endpoint_->port(); }

  KeyRotator* rotator() { return rotator_.get(); }
  const crypto::Ed25519Signer& audit_signer() const { return *signing_.audit; }
  const crypto::Ed25519Signer& vetting_signer() const { return *signing_.vetting; }
  storage::Database* database() { return storage_.db.get(); }
  storage::AuditLog* audit_log() { return storage_.audit.get(); }
  // The name signed into the audit log's tree heads (storage/audit_log_id.h).
  const std::string& audit_log_id() const { return audit_log_id_; }

 private:
  RegistryServer() = default;

  // Start, in order. Each step uses what the ones before it made.
  // The access policy, the reference data, the validator, the TLS files and revocation lists.
  absl::Status LoadRules();
  // Every refusal a read-only look can decide, before anything is written into the data folder
  // (RefuseBeforeWriting); then OpenStorage, and what start-up owes the data before serving: the
  // erasure ledger applied, the signing keys, the audit log id, an interrupted key rotation
  // finished.
  absl::Status OpenAndRecoverStorage();
  // The limiters, the call gate and the services, each given only what it uses; stored dates
  // re-dated when the retention rules changed; a policy file changed while registryd was
  // stopped written to the audit log.
  absl::Status BuildServices();
  // The mTLS gRPC server with every service registered, listening.
  absl::Status BuildGrpcServer();
  // The metrics listener, the policy and revocation watchers, the refusal summary, and the
  // backup and retention schedulers.
  absl::Status StartBackgroundJobs();
  // Before serving, with the data checks: the audit events written since the last data check
  // (all the retained ones when there was none) are read back, each authenticated. A missing
  // event or one that fails authentication stops the start (DataLoss naming it and saying what
  // to do): the log was damaged or tampered with, and a registry writing on would bury it under
  // new events. Older events are the data check's and `audit verify --full`'s to check. The
  // walk is the free CheckAuditSinceLastDataCheck (check_config.h), which --check_config runs.
  // What it read is not read again: the newest events of the kinds RecallLastChecks recalls, and
  // where it stopped, are left in recall_walk_, from which the recall goes on. Made by the
  // read-only look before the writable open (RefuseBeforeWriting), which leaves the same in
  // recall_walk_; here only when the look did not get as far as the walk.
  absl::Status CheckAuditSinceLastDataCheck();
  // RecallLastChecks' walk back through the log from recall_walk_, until the last data check
  // is found (until_data_check) or all three kinds are, the pruned boundary or Shutdown.
  absl::Status WalkAuditBack(bool until_data_check);

  RegistryServerOptions options_;
  const Clock* clock_ = nullptr;
  const Clock* revocation_clock_ = nullptr;
  // OK, storing the trusted time, when erasing by the clock is safe; otherwise the guard's
  // FailedPrecondition, and the first refusal of a hold is written to the audit log
  // ("system:retention" "hold-erasures") and logged.
  absl::Status TrustClockForErasure();
  // The audit event of a policy reload (ReloadPolicy), the store's recorder (PolicyStore::
  // SetRecorder). The error, logged here, when the event cannot be written.
  absl::Status RecordPolicyReload(const PolicyReading& reading);
  // At start, before serving: the policy read at start against the fingerprint of the policy
  // last in force (see ReloadPolicy). Its "load-policy" event and the new fingerprint are one
  // write; the error when it cannot be written.
  absl::Status RecordPolicyAtStart();

  SigningKeys signing_;
  std::unique_ptr<PolicyStore> policies_;
  std::unique_ptr<ReferenceData> reference_;
  std::unique_ptr<RecordValidator> validator_;
  StorageStack storage_;
  std::string audit_log_id_;
  std::unique_ptr<KeyRotator> rotator_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<Revocation> revocation_;
  // The server's certificate and key that gRPC serves (BuildGrpcServer).
  std::unique_ptr<TlsIdentity> tls_identity_;
  // Null when the clock is not checked (RegistryServerOptions::clock_guard_elapsed).
  std::unique_ptr<ClockGuard> clock_guard_;
  // The hold of erasures was written to the audit log (once until the clock is trusted again).
  std::atomic<bool> clock_hold_audited_{false};
  std::unique_ptr<RefusalLimiter> refusals_;
  std::unique_ptr<CallGate> gate_;
  std::unique_ptr<RecordService> record_service_;
  std::unique_ptr<VettingService> vetting_service_;
  std::unique_ptr<AuditService> audit_service_;
  std::unique_ptr<AdminService> admin_service_;
  std::unique_ptr<HealthService> health_service_;
  std::unique_ptr<InfoService> info_service_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Notification stop_scheduler_;
  std::thread scheduler_;
  absl::Notification stop_backups_;
  std::thread backup_scheduler_;
  // Writes the summary of unaudited refusals every unaudited_summary_interval.
  PollingThread summary_;
  // Moves the audit watermark on every watermark_interval.
  PollingThread watermark_writer_;
  // Runs the data check every data_check_interval_hours.
  PollingThread data_checker_;
  // Where RecallLastChecks' walk back through the audit log has got to, and the newest event of
  // each kind it found on the way. No end: the walk starts from the log's head.
  struct RecallWalk {
    std::optional<uint64_t> end;
    std::optional<v1::AuditEvent> data_check;
    std::optional<v1::AuditEvent> verification;
    std::optional<v1::AuditEvent> head;
  };
  RecallWalk recall_walk_;
  // The problem when the audit log keeps the index broken (its last data check found it so, and
  // no new seal or restore followed), read on the start-up walk; "" otherwise.
  std::string index_broken_in_log_;
  // The reader the start-up walk (CheckAuditSinceLastDataCheck, or the look's) hands every
  // event it reads: the newest of each kind RecallLastChecks recalls is kept in *found (not
  // owned; must outlive the walk).
  static std::function<void(uint64_t, const v1::AuditEvent&)> KeepRecalled(RecallWalk* found);
  // The slot of `found` that `event` would fill (the data check, a backup verification that ran,
  // a signed head), or null for any other event.
  static std::optional<v1::AuditEvent>* RecalledKind(RecallWalk* found,
                                                     const v1::AuditEvent& event);
  // Runs RecallLastChecks once at start-up; stop_recall_ ends it early.
  std::thread recall_;
  std::atomic<bool> stop_recall_{false};
  // Compares the index seal with the index rows once at start-up; stop_index_seal_check_ ends
  // it early.
  std::thread index_seal_check_;
  std::atomic<bool> stop_index_seal_check_{false};
  bool shut_down_ = false;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_REGISTRY_SERVER_H_
