#include "server/metrics.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/method_table.h"

namespace registry::server {
namespace {

constexpr char kOther[] = "other";

std::string Number(double v) { return absl::StrFormat("%.10g", v); }

void Family(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

template <size_t N>
void RenderHistogram(std::string* out, absl::string_view name, absl::string_view labels,
                     const std::array<double, N>& bounds, const std::vector<uint64_t>& counts,
                     double sum, uint64_t count) {
  const std::string prefix = labels.empty() ? "" : absl::StrCat(labels, ",");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < N; ++i) {
    cumulative += counts[i];
    absl::StrAppend(out, name, "_bucket{", prefix, "le=\"", Number(bounds[i]), "\"} ", cumulative,
                    "\n");
  }
  absl::StrAppend(out, name, "_bucket{", prefix, "le=\"+Inf\"} ", count, "\n");
  const std::string braces = labels.empty() ? "" : absl::StrCat("{", labels, "}");
  absl::StrAppend(out, name, "_sum", braces, " ", Number(sum), "\n");
  absl::StrAppend(out, name, "_count", braces, " ", count, "\n");
}

double Seconds(absl::Time t) { return absl::ToDoubleSeconds(t - absl::UnixEpoch()); }

}  // namespace

const char* CertificateRefusalName(CertificateRefusal reason) {
  switch (reason) {
    case CertificateRefusal::kNoCertificate: return "no_certificate";
    case CertificateRefusal::kNotOneIdentity: return "not_one_identity";
    case CertificateRefusal::kRevoked: return "revoked";
    case CertificateRefusal::kNoCurrentCrl: return "no_current_crl";
    case CertificateRefusal::kIssuerNotClientCa: return "issuer_not_client_ca";
    case CertificateRefusal::kDenyListed: return "deny_listed";
    case CertificateRefusal::kNotInPolicy: return "not_in_policy";
    case CertificateRefusal::kOutOfDate: return "out_of_date";
    case CertificateRefusal::kIdentityTooLong: return "identity_too_long";
    case CertificateRefusal::kCaCertificate: return "ca_certificate";
    case CertificateRefusal::kNoClientAuth: return "no_client_auth";
  }
  return kOther;
}

std::string MethodLabel(absl::string_view method) {
  const MethodRule* rule = FindMethodRule(method);
  return rule == nullptr ? kOther : rule->method;
}

std::vector<std::string> AllMethodLabels() {
  std::vector<std::string> out;
  for (const MethodRule& rule : AllMethodRules()) out.push_back(rule.method);
  out.push_back(kOther);
  return out;
}

void Metrics::SetSources(Sources sources) {
  absl::MutexLock lock(&mu_);
  sources_ = std::move(sources);
}

void Metrics::Observe(Histogram* h, const double* bounds, size_t n, double value) {
  if (h->counts.empty()) h->counts.assign(n + 1, 0);
  size_t i = 0;
  while (i < n && value > bounds[i]) ++i;
  ++h->counts[i];
  h->sum += value;
  ++h->count;
}

void Metrics::RecordCall(absl::string_view method, absl::StatusCode outcome,
                         absl::Duration elapsed) {
  const std::string label = MethodLabel(method);
  absl::MutexLock lock(&mu_);
  ++calls_[{label, static_cast<int>(outcome)}];
  Observe(&latency_[label], kLatencyBuckets.data(), kLatencyBuckets.size(),
          absl::ToDoubleSeconds(elapsed));
}

void Metrics::RecordGroupCommit(size_t events) {
  absl::MutexLock lock(&mu_);
  Observe(&groups_, kGroupBuckets.data(), kGroupBuckets.size(), static_cast<double>(events));
}

void Metrics::RecordRateLimited() {
  absl::MutexLock lock(&mu_);
  ++rate_limited_;
}

void Metrics::RecordReferAlert() {
  absl::MutexLock lock(&mu_);
  ++refer_alerts_;
}

void Metrics::RecordVettingLookupOverrun() {
  absl::MutexLock lock(&mu_);
  ++lookup_overruns_;
}

void Metrics::RecordRefusedCertificate(CertificateRefusal reason) {
  absl::MutexLock lock(&mu_);
  ++refused_[static_cast<int>(reason)];
}

void Metrics::RecordHealthCheck(bool answered) {
  absl::MutexLock lock(&mu_);
  ++(answered ? health_answered_ : health_refused_);
}

void Metrics::RecordSignedHead(absl::Time at) {
  absl::MutexLock lock(&mu_);
  last_signed_head_ = std::max(last_signed_head_, at);
}

void Metrics::RecordBackups(uint64_t count, absl::Time newest, uint64_t damaged) {
  absl::MutexLock lock(&mu_);
  backups_known_ = true;
  backups_ = count;
  damaged_backups_ = damaged;
  newest_backup_ = newest;
}

void Metrics::RecordBackupVerification(absl::Time at, bool ok) {
  absl::MutexLock lock(&mu_);
  ++(ok ? verifications_ok_ : verifications_failed_);
  last_verification_ = at;
  last_verification_ok_ = ok;
}

void Metrics::RecordRetentionRun(absl::Time at, bool ok, uint64_t expunged) {
  absl::MutexLock lock(&mu_);
  ++(ok ? retention_ok_ : retention_failed_);
  expunged_ += expunged;
  last_retention_ = at;
}

void Metrics::RecordDataCheck(absl::Time at, uint64_t problems) {
  absl::MutexLock lock(&mu_);
  last_data_check_ = at;
  data_check_problems_ = problems;
}

void Metrics::RecallDataCheck(absl::Time at, uint64_t problems) {
  absl::MutexLock lock(&mu_);
  if (at <= last_data_check_) return;
  last_data_check_ = at;
  data_check_problems_ = problems;
}

void Metrics::RecallBackupVerification(absl::Time at, bool ok) {
  absl::MutexLock lock(&mu_);
  if (at <= last_verification_) return;
  last_verification_ = at;
  last_verification_ok_ = ok;
}

std::string Metrics::Render() const {
  Sources sources;
  {
    absl::MutexLock lock(&mu_);
    sources = sources_;
  }
  // Read outside our lock: they take the audit log's and the keyring's own locks.
  const bool have_audit = static_cast<bool>(sources.audit_tree_size);
  const uint64_t tree_size = have_audit ? sources.audit_tree_size() : 0;
  const uint64_t pruned = sources.audit_pruned_events ? sources.audit_pruned_events() : 0;
  std::vector<uint32_t> keks =
      sources.kek_versions ? sources.kek_versions() : std::vector<uint32_t>{};
  std::sort(keks.begin(), keks.end());
  const uint32_t current_kek = sources.current_kek_version ? sources.current_kek_version() : 0;
  const absl::Time now = clock_->Now();

  absl::MutexLock lock(&mu_);
  std::string out;
  Family(&out, "registryd_calls_total", "counter",
         "Calls through the gate by method and outcome (gRPC status code name).");
  for (const auto& [key, n] : calls_) {
    absl::StrAppend(&out, "registryd_calls_total{method=\"", key.first, "\",outcome=\"",
                    absl::StatusCodeToString(static_cast<absl::StatusCode>(key.second)), "\"} ",
                    n, "\n");
  }
  Family(&out, "registryd_call_duration_seconds", "histogram",
         "Time from a call's arrival at the gate to its reply, audit event included.");
  for (const auto& [method, h] : latency_) {
    RenderHistogram(&out, "registryd_call_duration_seconds",
                    absl::StrCat("method=\"", method, "\""), kLatencyBuckets, h.counts, h.sum,
                    h.count);
  }
  Family(&out, "registryd_audit_tree_size", "gauge", "Events in the audit log's Merkle tree.");
  if (have_audit) absl::StrAppend(&out, "registryd_audit_tree_size ", tree_size, "\n");
  Family(&out, "registryd_audit_pruned_events", "gauge",
         "Events whose bytes audit retention deleted (their hashes stay in the tree).");
  if (have_audit) absl::StrAppend(&out, "registryd_audit_pruned_events ", pruned, "\n");
  // Always there, as the backup age is: a registry whose auditors never fetch a head must reach
  // the alert too, which an absent age never does.
  Family(&out, "registryd_audit_signed_head_age_seconds", "gauge",
         "Seconds since a tree head was last signed for an auditor; since registryd started while "
         "the log holds none.");
  {
    const absl::Time last =
        last_signed_head_ != absl::InfinitePast() ? last_signed_head_ : started_;
    absl::StrAppend(&out, "registryd_audit_signed_head_age_seconds ",
                    Number(absl::ToDoubleSeconds(now - last)), "\n");
  }
  Family(&out, "registryd_audit_group_commit_events", "histogram",
         "Audit events written per group commit (one sync each).");
  {
    std::vector<uint64_t> counts = groups_.counts;
    if (counts.empty()) counts.assign(kGroupBuckets.size() + 1, 0);
    RenderHistogram(&out, "registryd_audit_group_commit_events", "", kGroupBuckets, counts,
                    groups_.sum, groups_.count);
  }
  Family(&out, "registryd_kek_version", "gauge",
         "KEK versions in the loaded key file; 1 for the current one, 0 for older ones.");
  for (uint32_t v : keks) {
    absl::StrAppend(&out, "registryd_kek_version{version=\"", v, "\"} ", v == current_kek ? 1 : 0,
                    "\n");
  }
  Family(&out, "registryd_kek_current_version", "gauge",
         "The KEK version new data keys are wrapped under.");
  if (current_kek != 0) absl::StrAppend(&out, "registryd_kek_current_version ", current_kek, "\n");
  Family(&out, "registryd_rate_limit_refusals_total", "counter",
         "Vetting calls refused by their organisation's rate limit.");
  absl::StrAppend(&out, "registryd_rate_limit_refusals_total ", rate_limited_, "\n");
  Family(&out, "registryd_vetting_refer_alerts_total", "counter",
         "Alerts on a vetting organisation's many REFER answers within 24 hours.");
  absl::StrAppend(&out, "registryd_vetting_refer_alerts_total ", refer_alerts_, "\n");
  Family(&out, "registryd_vetting_lookup_overruns_total", "counter",
         "Vetting checks whose lookup ran past vetting.lookup_floor_micros (raise it when this "
         "grows).");
  absl::StrAppend(&out, "registryd_vetting_lookup_overruns_total ", lookup_overruns_, "\n");
  Family(&out, "registryd_refused_certificates_total", "counter",
         "Calls and health checks refused for their client certificate, by reason.");
  for (int i = 0; i < kCertificateRefusalCount; ++i) {
    absl::StrAppend(&out, "registryd_refused_certificates_total{reason=\"",
                    CertificateRefusalName(static_cast<CertificateRefusal>(i)), "\"} ",
                    refused_[i], "\n");
  }
  // Health checks are not audited (the load balancer's probe): this count is their only record.
  Family(&out, "registryd_health_checks_total", "counter",
         "Health checks (grpc.health.v1.Health/Check), answered to a known caller or refused "
         "for the caller's certificate (counted by reason in "
         "registryd_refused_certificates_total too).");
  absl::StrAppend(&out, "registryd_health_checks_total{outcome=\"answered\"} ", health_answered_,
                  "\n");
  absl::StrAppend(&out, "registryd_health_checks_total{outcome=\"refused\"} ", health_refused_,
                  "\n");
  Family(&out, "registryd_backups", "gauge",
         "Backups in the backup folder that can be restored, when it was last read (absent: not "
         "read since start); damaged ones are in registryd_backups_damaged.");
  if (backups_known_) absl::StrAppend(&out, "registryd_backups ", backups_, "\n");
  // Apart from registryd_backups: a damaged backup cannot be restored, and counting it there
  // would hide it, while leaving it out showed nothing wrong.
  Family(&out, "registryd_backups_damaged", "gauge",
         "Backups in the backup folder whose record of their files cannot be read, so they can "
         "be neither verified nor restored (above 0: see docs/operations.md, Backups; absent: "
         "not read since start).");
  if (backups_known_) {
    absl::StrAppend(&out, "registryd_backups_damaged ", damaged_backups_, "\n");
  }
  // Always there: a registry whose backups fail from the start, or whose folder cannot be read,
  // must reach the alert too, which an absent age never does.
  Family(&out, "registryd_backup_age_seconds", "gauge",
         "Seconds since the newest backup registryd knows of was made; since registryd started "
         "while it knows of none (none made yet, or the backup folder could not be read).");
  {
    const absl::Time newest = newest_backup_ != absl::InfinitePast() ? newest_backup_ : started_;
    absl::StrAppend(&out, "registryd_backup_age_seconds ",
                    Number(absl::ToDoubleSeconds(now - newest)), "\n");
  }
  Family(&out, "registryd_backup_verifications_total", "counter",
         "Backups restored into a scratch folder and checked, by result.");
  absl::StrAppend(&out, "registryd_backup_verifications_total{result=\"ok\"} ", verifications_ok_,
                  "\n");
  absl::StrAppend(&out, "registryd_backup_verifications_total{result=\"failed\"} ",
                  verifications_failed_, "\n");
  Family(&out, "registryd_backup_last_verification_ok", "gauge",
         "1 when the last backup verification found the backup sound, 0 when not (absent: none).");
  if (last_verification_ != absl::InfinitePast()) {
    absl::StrAppend(&out, "registryd_backup_last_verification_ok ", last_verification_ok_ ? 1 : 0,
                    "\n");
  }
  const bool retention_ran = last_retention_ != absl::InfinitePast();
  Family(&out, "registryd_retention_last_run_timestamp_seconds", "gauge",
         "When the retention scheduler last finished a run (Unix time; absent: none yet).");
  if (retention_ran) {
    absl::StrAppend(&out, "registryd_retention_last_run_timestamp_seconds ",
                    Number(Seconds(last_retention_)), "\n");
  }
  Family(&out, "registryd_retention_last_run_age_seconds", "gauge",
         "Seconds since the retention scheduler last finished a run (absent: none yet).");
  if (retention_ran) {
    absl::StrAppend(&out, "registryd_retention_last_run_age_seconds ",
                    Number(absl::ToDoubleSeconds(now - last_retention_)), "\n");
  }
  Family(&out, "registryd_retention_runs_total", "counter",
         "Runs of the retention scheduler, by result.");
  absl::StrAppend(&out, "registryd_retention_runs_total{result=\"ok\"} ", retention_ok_, "\n");
  absl::StrAppend(&out, "registryd_retention_runs_total{result=\"failed\"} ", retention_failed_,
                  "\n");
  Family(&out, "registryd_retention_expunged_total", "counter",
         "Records the retention scheduler expunged.");
  absl::StrAppend(&out, "registryd_retention_expunged_total ", expunged_, "\n");
  const bool data_checked = last_data_check_ != absl::InfinitePast();
  Family(&out, "registryd_data_check_last_run_timestamp_seconds", "gauge",
         "When registryd's own data check last finished (Unix time; absent: none yet).");
  if (data_checked) {
    absl::StrAppend(&out, "registryd_data_check_last_run_timestamp_seconds ",
                    Number(Seconds(last_data_check_)), "\n");
  }
  Family(&out, "registryd_data_check_problems", "gauge",
         "Problems the last data check found (above 0: the data folder was edited or damaged; "
         "the server's log names each).");
  if (data_checked) {
    absl::StrAppend(&out, "registryd_data_check_problems ", data_check_problems_, "\n");
  }
  return out;
}

}  // namespace registry::server
