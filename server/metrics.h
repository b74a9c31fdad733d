// Metrics: what an operator watches, in Prometheus' text format (version 0.0.4), served on a
// separate HTTP listener (server/metrics_endpoint.h) that is off unless metrics.listen_address
// is set.
//
// Every label value comes from a fixed set the server knows before any call arrives: method
// names from the authorization table (server/method_table.h; anything else is "other"), status
// code names, refusal reasons, KEK version numbers, "ok"/"failed" and "answered"/"refused". No
// label or value carries a caller's text, an identity or personal data.
//
//   Metrics metrics(clock);
//   metrics.RecordCall("/registry.v1.RecordService/GetRecord", absl::StatusCode::kOk, elapsed);
//   std::string page = metrics.Render();
#ifndef REGISTRY_SERVER_METRICS_H_
#define REGISTRY_SERVER_METRICS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace registry::server {

// Why a client certificate was refused before its call reached a method rule.
enum class CertificateRefusal {
  kNoCertificate,      // none, or not readable
  kNotOneIdentity,     // not exactly one well-formed URI SAN
  kRevoked,            // listed on its CA's CRL
  kNoCurrentCrl,       // its CA has no current CRL
  kIssuerNotClientCa,  // its issuer is not a client CA (unknown, or withdrawn from the bundle)
  kDenyListed,         // on the policy's certificate deny list
  kNotInPolicy,        // names no principal of the policy
  kOutOfDate,          // expired, or not yet valid, at the call (its connection opened before)
  kIdentityTooLong,    // its one URI SAN is longer than 256 bytes
  kCaCertificate,      // a CA's certificate, or its key may sign certificates or CRLs
  kNoClientAuth,       // no extendedKeyUsage naming clientAuth
};
inline constexpr int kCertificateRefusalCount = 11;
const char* CertificateRefusalName(CertificateRefusal reason);

// Upper bounds of the histograms' buckets (+Inf follows).
inline constexpr std::array<double, 13> kLatencyBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
inline constexpr std::array<double, 10> kGroupBuckets = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};

// The label values a scrape may contain for `method` ("other" when the method is not in the
// authorization table), and the set of every method label.
std::string MethodLabel(absl::string_view method);
std::vector<std::string> AllMethodLabels();

// Thread-safe.
class Metrics {
 public:
  // Read at each scrape. Any may be empty.
  struct Sources {
    // Events in the audit log's tree, and how many of them retention deleted.
    std::function<uint64_t()> audit_tree_size;
    std::function<uint64_t()> audit_pruned_events;
    // KEK versions of the loaded key file, and the one new data keys are wrapped under.
    std::function<std::vector<uint32_t>()> kek_versions;
    std::function<uint32_t()> current_kek_version;
  };

  // `clock` tells ages; its reading now is the start the backup age counts from while no backup
  // is known.
  explicit Metrics(const Clock* clock) : clock_(clock), started_(clock->Now()) {}

  void SetSources(Sources sources);

  // One call through the gate: its method, its outcome and how long it took.
  void RecordCall(absl::string_view method, absl::StatusCode outcome, absl::Duration elapsed);
  // One group commit of the audit log: how many events it wrote with one sync.
  void RecordGroupCommit(size_t events);
  // A vetting call refused by its organisation's rate limit.
  void RecordRateLimited();
  // An alert on a vetting organisation's many REFER answers (RateLimit.refers_per_day_alert).
  void RecordReferAlert();
  // A vetting check whose lookup ran past vetting.lookup_floor_micros (server/fixed_span.h).
  void RecordVettingLookupOverrun();
  // A client certificate refused (audited or past its audited rate), on a call or a health check.
  void RecordRefusedCertificate(CertificateRefusal reason);
  // A health check (grpc.health.v1.Health/Check): answered to a known caller, or refused.
  void RecordHealthCheck(bool answered);
  // A tree head signed for an auditor, at `at`.
  void RecordSignedHead(absl::Time at);
  // The backups in the backup folder now: how many can be restored, when the newest was made
  // (absl::InfinitePast() when there is none), and how many are damaged (their record of their
  // files cannot be read: not in `count`, and not restorable; storage/backups.h). Until the first
  // call, and while the newest is InfinitePast, registryd_backup_age_seconds counts from the
  // start (Metrics' construction), so that a registry that never made a backup, or cannot read
  // its backup folder, reaches the alert of an old backup (docs/operations.md) instead of having
  // no age to alert on.
  void RecordBackups(uint64_t count, absl::Time newest, uint64_t damaged);
  // A backup verification (AdminService.VerifyBackup) finished.
  void RecordBackupVerification(absl::Time at, bool ok);
  // A run of the retention scheduler finished; `expunged` records went.
  void RecordRetentionRun(absl::Time at, bool ok, uint64_t expunged);
  // registryd's own data check finished at `at` with `problems` problems.
  void RecordDataCheck(absl::Time at, uint64_t problems);
  // What the audit log says the last data check and backup verification before this start
  // found (RegistryServer::RecallLastChecks), so that their gauges do not vanish at a restart.
  // Kept only where this process has recorded nothing newer; the counters do not move.
  void RecallDataCheck(absl::Time at, uint64_t problems);
  void RecallBackupVerification(absl::Time at, bool ok);

  // The whole page, every family with its HELP and TYPE lines.
  std::string Render() const;

 private:
  struct Histogram {
    std::vector<uint64_t> counts;  // per bucket (not cumulative), +Inf last
    double sum = 0;
    uint64_t count = 0;
  };
  static void Observe(Histogram* h, const double* bounds, size_t n, double value);

  const Clock* clock_;
  const absl::Time started_;
  mutable absl::Mutex mu_;
  Sources sources_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, int>, uint64_t> calls_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Histogram> latency_ ABSL_GUARDED_BY(mu_);
  Histogram groups_ ABSL_GUARDED_BY(mu_);
  uint64_t rate_limited_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t refer_alerts_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t lookup_overruns_ ABSL_GUARDED_BY(mu_) = 0;
  std::array<uint64_t, kCertificateRefusalCount> refused_ ABSL_GUARDED_BY(mu_) = {};
  uint64_t health_answered_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t health_refused_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_signed_head_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool backups_known_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t backups_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t damaged_backups_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time newest_backup_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t verifications_ok_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t verifications_failed_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_verification_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool last_verification_ok_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t retention_ok_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t retention_failed_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t expunged_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_retention_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_data_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t data_check_problems_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace registry::server

#endif  // REGISTRY_SERVER_METRICS_H_
