#include "bench/report.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace registry::bench {
namespace {

const WorkloadResult* Baseline(const Report& r) {
  return r.workloads.empty() ? nullptr : &r.workloads.front();
}

std::string Mib(const std::optional<uint64_t>& kib) {
  return kib ? absl::StrFormat("%.1f MiB", static_cast<double>(*kib) / 1024) : "n/a";
}

// A JSON string literal.
std::string Quote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out + "\"";
}

std::string Num(double v) { return absl::StrFormat("%.6g", v); }

template <typename T>
std::string OptNum(const std::optional<T>& v) {
  return v ? Num(static_cast<double>(*v)) : "null";
}

std::string OptSeconds(const std::optional<double>& v) {
  return v ? absl::StrFormat("%.3f", *v) : "n/a";
}

// CPU of the full verification, server and client together, over raw SHA-256's time.
std::string CpuRatio(const AuditVerifyResult& a) {
  if (!a.verify_server_cpu_seconds || !a.verify_client_cpu_seconds || a.sha256_seconds <= 0) {
    return "n/a";
  }
  return absl::StrFormat("%.2f", (*a.verify_server_cpu_seconds + *a.verify_client_cpu_seconds) /
                                     a.sha256_seconds);
}

const WorkloadResult* Find(const Report& r, absl::string_view name) {
  for (const WorkloadResult& w : r.workloads) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

}  // namespace

std::optional<VettingCpuComparison> CompareVettingCpu(const Report& r) {
  const WorkloadResult* record = Find(r, "vetting-record");
  const WorkloadResult* none = Find(r, "vetting-none");
  if (record == nullptr || none == nullptr || !record->server_cpu_us_per_call ||
      !none->server_cpu_us_per_call) {
    return std::nullopt;
  }
  VettingCpuComparison c;
  c.record_us = *record->server_cpu_us_per_call;
  c.no_record_us = *none->server_cpu_us_per_call;
  c.difference_percent = 100 * Ratio(c.record_us - c.no_record_us, c.no_record_us);
  return c;
}

std::string FormatReport(const Report& r) {
  std::string out;
  absl::StrAppendFormat(&out,
                        "registry-bench  %s  mode=%s  cpus=%d  load(1m)=%.2f..%.2f\n"
                        "records=%d  audit events preloaded=%d  concurrency=%d  %gs per "
                        "workload\n",
                        r.started_at, r.mode, r.cpus, r.load_average_start, r.load_average_end,
                        r.records, r.audit_events_preloaded, r.concurrency, r.seconds);
  if (r.preload_records_seconds > 0 || r.preload_audit_seconds > 0) {
    absl::StrAppendFormat(&out, "preload: records %.1f s, audit events %.1f s\n",
                          r.preload_records_seconds, r.preload_audit_seconds);
  }
  out += "\n";
  absl::StrAppendFormat(&out, "%-14s %10s %8s %8s %8s %8s %10s %10s %7s\n", "workload", "ops/s",
                        "p50 ms", "p95 ms", "p99 ms", "mean ms", "ops/base", "p99/base", "errors");
  const WorkloadResult* base = Baseline(r);
  for (const WorkloadResult& w : r.workloads) {
    absl::StrAppendFormat(&out, "%-14s %10.1f %8.3f %8.3f %8.3f %8.3f %10.3f %10.2f %7d\n", w.name,
                          w.ops_per_second, w.latency.p50_ms, w.latency.p95_ms, w.latency.p99_ms,
                          w.latency.mean_ms, Ratio(w.ops_per_second, base->ops_per_second),
                          Ratio(w.latency.p99_ms, base->latency.p99_ms), w.error_count());
  }
  // CPU per call: what each call costs, whatever the machine's other load.
  absl::StrAppendFormat(&out, "\n%-14s %14s %14s %14s %10s\n", "workload", "server CPU",
                        "server CPU", "this process", "calls");
  absl::StrAppendFormat(&out, "%-14s %14s %14s %14s %10s\n", "", "us/call", "/baseline",
                        r.mode == "in-process" ? "(all) us/call" : "(clients) us/c", "");
  for (const WorkloadResult& w : r.workloads) {
    const std::optional<double>& srv = w.server_cpu_us_per_call;
    const std::optional<double>& base_srv = base->server_cpu_us_per_call;
    absl::StrAppendFormat(&out, "%-14s %14s %14s %14.1f %10d\n", w.name,
                          srv ? absl::StrFormat("%.1f", *srv) : "n/a",
                          srv && base_srv ? absl::StrFormat("%.2f", Ratio(*srv, *base_srv)) : "n/a",
                          w.self_cpu_us_per_call, w.calls);
  }
  if (const std::optional<VettingCpuComparison> v = CompareVettingCpu(r)) {
    absl::StrAppendFormat(&out,
                          "vetting server CPU per call: record %.1f µs, no record %.1f µs, "
                          "difference %+.1f%%\n",
                          v->record_us, v->no_record_us, v->difference_percent);
  }
  if (const std::optional<TimingResult>& t = r.vetting_timing) {
    absl::StrAppendFormat(&out,
                          "vetting timing, %d pairs of one caller, both CLEAR: median spent "
                          "record %.1f µs, no record %.1f µs; paired difference median %+.1f µs "
                          "(95%% %+.1f..%+.1f), spent slower in %.1f%%\n",
                          t->pairs, t->spent_median_us, t->none_median_us,
                          t->difference_median_us, t->difference_low_us, t->difference_high_us,
                          t->spent_slower_percent);
  }
  for (const WorkloadResult& w : r.workloads) {
    for (const auto& [kind, count] : w.errors) {
      absl::StrAppendFormat(&out, "  %s error x%d: %s\n", w.name, count, kind);
    }
  }
  out += "\n";
  if (r.audit) {
    const AuditVerifyResult& a = *r.audit;
    absl::StrAppendFormat(
        &out,
        "audit verification: %d events, %.1f MiB: signature %s, root %s\n"
        "  full verification (StreamAuditBatches) %.3f s; Merkle rebuild in memory %.3f s; raw "
        "SHA-256 per event %.3f s; one SHA-256 over all %.3f s\n"
        "  verify / raw SHA-256 = %.2f   (in-memory rebuild / raw SHA-256 = %.2f)\n"
        "  StreamAuditEvents (one event per message) + hashing %.3f s = %.2f x raw SHA-256\n"
        "  CPU during the full verification: server %s s, client %s s; (server + client) / raw "
        "SHA-256 = %s\n",
        a.events, static_cast<double>(a.bytes) / (1 << 20), a.signature_ok ? "ok" : "BAD",
        a.root_matches ? "matches" : "DOES NOT MATCH", a.verify_seconds, a.tree_seconds,
        a.sha256_seconds, a.sha256_concat_seconds, Ratio(a.verify_seconds, a.sha256_seconds),
        Ratio(a.tree_seconds, a.sha256_seconds), a.legacy_stream_seconds,
        Ratio(a.legacy_stream_seconds, a.sha256_seconds), OptSeconds(a.verify_server_cpu_seconds),
        OptSeconds(a.verify_client_cpu_seconds), CpuRatio(a));
  }
  absl::StrAppendFormat(&out, "server memory: peak (VmHWM) %s, now (VmRSS) %s%s\n",
                        Mib(r.server_memory.vm_hwm_kib), Mib(r.server_memory.vm_rss_kib),
                        r.mode == "in-process" ? "  [client and server share the process]" : "");
  if (r.audit && r.server_memory_after_audit.vm_hwm_kib) {
    absl::StrAppendFormat(&out, "server memory after the audit verification: peak %s, now %s\n",
                          Mib(r.server_memory_after_audit.vm_hwm_kib),
                          Mib(r.server_memory_after_audit.vm_rss_kib));
  }
  if (r.start_seconds) {
    absl::StrAppendFormat(&out, "start-up: RegistryServer::Start %.3f s, again %.3f s\n",
                          *r.start_seconds, r.restart_seconds.value_or(0));
  }
  if (r.child_spawn_to_serving_seconds) {
    absl::StrAppendFormat(&out, "child registryd: spawn to serving %.3f s\n",
                          *r.child_spawn_to_serving_seconds);
  }
  if (r.child_first_retention_run_seconds) {
    absl::StrAppendFormat(&out,
                          "child registryd: first retention run done %.3f s after serving "
                          "(measured workloads start after it)\n",
                          *r.child_first_retention_run_seconds);
  }
  for (const std::string& f : r.failures) absl::StrAppendFormat(&out, "FAILED: %s\n", f);
  return out;
}

std::string ReportJson(const Report& r) {
  std::vector<std::string> workloads;
  const WorkloadResult* base = Baseline(r);
  for (const WorkloadResult& w : r.workloads) {
    std::vector<std::string> errors;
    for (const auto& [kind, count] : w.errors) {
      errors.push_back(absl::StrCat(Quote(kind), ": ", count));
    }
    workloads.push_back(absl::StrCat(
        "    {\"name\": ", Quote(w.name), ", \"concurrency\": ", w.concurrency, ", \"seconds\": ",
        Num(w.seconds), ", \"ok\": ", w.ok, ", \"ops_per_second\": ", Num(w.ops_per_second),
        ", \"latency_ms\": {\"p50\": ", Num(w.latency.p50_ms), ", \"p95\": ", Num(w.latency.p95_ms),
        ", \"p99\": ", Num(w.latency.p99_ms), ", \"mean\": ", Num(w.latency.mean_ms),
        ", \"max\": ", Num(w.latency.max_ms), "}",
        ", \"throughput_ratio_to_baseline\": ", Num(Ratio(w.ops_per_second, base->ops_per_second)),
        ", \"p99_ratio_to_baseline\": ", Num(Ratio(w.latency.p99_ms, base->latency.p99_ms)),
        ", \"calls\": ", w.calls,
        ", \"server_cpu_us_per_call\": ", OptNum(w.server_cpu_us_per_call),
        ", \"self_cpu_us_per_call\": ", Num(w.self_cpu_us_per_call), ", \"errors\": {",
        absl::StrJoin(errors, ", "), "}}"));
  }
  std::string audit = "null";
  if (r.audit) {
    const AuditVerifyResult& a = *r.audit;
    audit = absl::StrCat(
        "{\"events\": ", a.events, ", \"bytes\": ", a.bytes,
        ", \"verify_seconds\": ", Num(a.verify_seconds),
        ", \"legacy_stream_seconds\": ", Num(a.legacy_stream_seconds),
        ", \"verify_server_cpu_seconds\": ", OptNum(a.verify_server_cpu_seconds),
        ", \"verify_client_cpu_seconds\": ", OptNum(a.verify_client_cpu_seconds),
        ", \"legacy_stream_ratio_to_sha256\": ",
        Num(Ratio(a.legacy_stream_seconds, a.sha256_seconds)),
        ", \"tree_seconds\": ", Num(a.tree_seconds),
        ", \"sha256_seconds\": ", Num(a.sha256_seconds),
        ", \"sha256_concat_seconds\": ", Num(a.sha256_concat_seconds),
        ", \"verify_ratio_to_sha256\": ", Num(Ratio(a.verify_seconds, a.sha256_seconds)),
        ", \"tree_ratio_to_sha256\": ", Num(Ratio(a.tree_seconds, a.sha256_seconds)),
        ", \"signature_ok\": ", a.signature_ok ? "true" : "false",
        ", \"root_matches\": ", a.root_matches ? "true" : "false", "}");
  }
  std::string vetting_cpu = "null";
  if (const std::optional<VettingCpuComparison> v = CompareVettingCpu(r)) {
    vetting_cpu = absl::StrCat("{\"record\": ", Num(v->record_us),
                               ", \"no_record\": ", Num(v->no_record_us),
                               ", \"difference_percent\": ", Num(v->difference_percent), "}");
  }
  std::string timing = "null";
  if (const std::optional<TimingResult>& t = r.vetting_timing) {
    timing = absl::StrCat(
        "{\"pairs\": ", t->pairs, ", \"spent_median_us\": ", Num(t->spent_median_us),
        ", \"none_median_us\": ", Num(t->none_median_us),
        ", \"difference_median_us\": ", Num(t->difference_median_us),
        ", \"difference_low_us\": ", Num(t->difference_low_us),
        ", \"difference_high_us\": ", Num(t->difference_high_us),
        ", \"spent_slower_percent\": ", Num(t->spent_slower_percent), "}");
  }
  std::vector<std::string> failures;
  for (const std::string& f : r.failures) failures.push_back(Quote(f));
  return absl::StrCat(
      "{\n  \"mode\": ", Quote(r.mode), ",\n  \"started_at\": ", Quote(r.started_at),
      ",\n  \"cpus\": ", r.cpus, ",\n  \"load_average_start\": ", Num(r.load_average_start),
      ",\n  \"load_average_end\": ", Num(r.load_average_end), ",\n  \"records\": ", r.records,
      ",\n  \"audit_events_preloaded\": ", r.audit_events_preloaded,
      ",\n  \"concurrency\": ", r.concurrency, ",\n  \"seconds\": ", Num(r.seconds),
      ",\n  \"preload_records_seconds\": ", Num(r.preload_records_seconds),
      ",\n  \"preload_audit_seconds\": ", Num(r.preload_audit_seconds), ",\n  \"workloads\": [\n",
      absl::StrJoin(workloads, ",\n"), "\n  ]",
      ",\n  \"vetting_server_cpu_us_per_call\": ", vetting_cpu,
      ",\n  \"vetting_timing\": ", timing,
      ",\n  \"audit_verification\": ", audit,
      ",\n  \"server_memory_kib\": {\"vm_hwm\": ", OptNum(r.server_memory.vm_hwm_kib),
      ", \"vm_rss\": ", OptNum(r.server_memory.vm_rss_kib),
      ", \"includes_client\": ", r.mode == "in-process" ? "true" : "false", "}",
      ",\n  \"server_memory_after_audit_kib\": {\"vm_hwm\": ",
      OptNum(r.server_memory_after_audit.vm_hwm_kib),
      ", \"vm_rss\": ", OptNum(r.server_memory_after_audit.vm_rss_kib), "}",
      ",\n  \"start_seconds\": ", OptNum(r.start_seconds),
      ",\n  \"restart_seconds\": ", OptNum(r.restart_seconds),
      ",\n  \"child_spawn_to_serving_seconds\": ", OptNum(r.child_spawn_to_serving_seconds),
      ",\n  \"child_first_retention_run_seconds\": ",
      OptNum(r.child_first_retention_run_seconds),
      ",\n  \"failures\": [", absl::StrJoin(failures, ", "), "]\n}\n");
}

absl::Status WriteJsonReport(const Report& report, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << ReportJson(report);
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace registry::bench
