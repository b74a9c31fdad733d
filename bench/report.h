// The benchmark's findings, printed as a table and written as JSON.
//
//   Report report;
//   report.workloads.push_back(result);
//   std::fputs(FormatReport(report).c_str(), stdout);
//   RETURN_IF_ERROR(WriteJsonReport(report, "bench.json"));
#ifndef REGISTRY_BENCH_REPORT_H_
#define REGISTRY_BENCH_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "bench/audit_verify.h"
#include "bench/environment.h"
#include "bench/stats.h"
#include "bench/timing.h"

namespace registry::bench {

struct Report {
  // How the run was set up.
  std::string mode;        // "in-process", "child", "remote"
  std::string started_at;  // RFC 3339
  int cpus = 0;
  double load_average_start = 0;  // 1-minute load average
  double load_average_end = 0;
  uint64_t records = 0;
  uint64_t audit_events_preloaded = 0;
  int concurrency = 0;
  double seconds = 0;
  double preload_records_seconds = 0;
  double preload_audit_seconds = 0;

  // workloads[0] is the baseline.
  std::vector<WorkloadResult> workloads;

  // Server memory after the workloads. In-process it covers the client too (peak reset just
  // before the server started).
  MemoryStatus server_memory;
  // The same after the full audit verification (empty when it did not run).
  MemoryStatus server_memory_after_audit;
  std::optional<AuditVerifyResult> audit;
  // The paired vetting checks (--timing-pairs), when they ran.
  std::optional<TimingResult> vetting_timing;
  // RegistryServer::Start on the loaded database, after the server was stopped: the first start
  // and a second one. Child mode also gives spawn-to-serving of the measured registryd.
  std::optional<double> start_seconds;
  std::optional<double> restart_seconds;
  std::optional<double> child_spawn_to_serving_seconds;
  // From serving to the end of the retention run registryd starts with (child mode).
  std::optional<double> child_first_retention_run_seconds;
  std::vector<std::string> failures;
};

// Server CPU per call of vetting-record against vetting-none: what a check costs more when the
// person has a record. The two send requests of the same shape, so this is the cost of finding
// and comparing the record.
struct VettingCpuComparison {
  double record_us = 0;
  double no_record_us = 0;
  // (record_us - no_record_us) / no_record_us, in percent.
  double difference_percent = 0;
};

// The comparison, when both vetting workloads ran and the server's CPU time was measured (child
// mode).
std::optional<VettingCpuComparison> CompareVettingCpu(const Report& report);

// The human-readable report: setup, the workload table with ratios to the baseline, CPU per
// call and the vetting comparison, audit verification, memory and start-up.
std::string FormatReport(const Report& report);

// The same as JSON.
std::string ReportJson(const Report& report);
absl::Status WriteJsonReport(const Report& report, const std::string& path);

}  // namespace registry::bench

#endif  // REGISTRY_BENCH_REPORT_H_
