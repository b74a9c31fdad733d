// registry-bench: measures registryd against the bare transport on the same machine, in the same
// run. See BenchUsage() (--help) and docs/performance.md.
//
//   registry-bench --smoke                                   a few seconds; exit 0 when all ran
//   registry-bench --child --records 1000000 --audit-events 1000000 --json out.json
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/audit_verify.h"
#include "bench/environment.h"
#include "bench/options.h"
#include "bench/preload.h"
#include "bench/report.h"
#include "bench/timing.h"
#include "bench/workloads.h"
#include "common/status_macros.h"
#include "common/time_format.h"

#ifndef REGISTRY_SOURCE_DIR
#define REGISTRY_SOURCE_DIR "."
#endif

namespace registry::bench {
namespace {

constexpr uint64_t kFirstPersonalNumber = 1000000000;

double LoadAverage() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : -1;
}

std::string RandomTag() {
  std::random_device rd;
  const uint32_t v = rd();
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(&v), sizeof v));
}

absl::StatusOr<std::string> MakeTempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/registry-bench-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::UnavailableError("cannot create a temporary folder");
  }
  return pattern;
}

void Note(const std::string& line) { absl::FPrintF(stderr, "registry-bench: %s\n", line); }

// The preloaded state of a work folder, so a large preload can be reused by later runs
// (--work-dir DIR): "<records> <audit events>" in preload.txt and the raw ids in records.ids.
absl::Status SavePreload(const std::string& root, uint64_t records, uint64_t audit_events,
                         const std::vector<RecordId>& ids) {
  std::ofstream ids_out(root + "/records.ids", std::ios::binary | std::ios::trunc);
  ids_out.write(reinterpret_cast<const char*>(ids.data()),
                static_cast<std::streamsize>(ids.size() * sizeof(RecordId)));
  ids_out.close();
  std::ofstream meta(root + "/preload.txt", std::ios::trunc);
  meta << records << " " << audit_events << "\n";
  meta.close();
  if (!ids_out || !meta) return absl::UnavailableError("cannot save the preload state");
  return absl::OkStatus();
}

absl::StatusOr<bool> LoadPreload(const std::string& root, uint64_t records, uint64_t* audit_events,
                                 std::vector<RecordId>* ids) {
  std::ifstream meta(root + "/preload.txt");
  uint64_t saved_records = 0;
  if (!(meta >> saved_records >> *audit_events)) return false;
  if (saved_records != records) {
    return absl::FailedPreconditionError(
        absl::StrCat(root, " holds a database preloaded with ", saved_records,
                     " records; use another --work-dir or --records ", saved_records));
  }
  ids->assign(records, RecordId{});
  std::ifstream in(root + "/records.ids", std::ios::binary);
  in.read(reinterpret_cast<char*>(ids->data()),
          static_cast<std::streamsize>(ids->size() * sizeof(RecordId)));
  if (!in) return absl::DataLossError("records.ids is incomplete");
  return true;
}

// `server` (may be null: remote) is asked for its CPU time around each workload.
absl::Status RunWorkloads(const BenchOptions& options, const BenchData& data,
                          const ChannelFactory& channels, const BenchServer* server,
                          Report* report) {
  RunOptions run;
  run.concurrency = options.concurrency;
  run.duration = absl::Seconds(options.seconds);
  run.warmup = absl::Seconds(options.warmup_seconds);
  for (const std::string& name : options.workloads) {
    ASSIGN_OR_RETURN(WorkloadSpec spec, MakeWorkload(name, data));
    Note(absl::StrCat("running ", name, " for ", options.seconds, " s at concurrency ",
                      options.concurrency));
    const std::optional<double> server_before =
        server != nullptr ? server->CpuSeconds() : std::nullopt;
    const std::optional<double> self_before = ProcessCpuSeconds(0);
    ASSIGN_OR_RETURN(WorkloadResult result, RunClosedLoop(spec, channels, run));
    const std::optional<double> server_after =
        server != nullptr ? server->CpuSeconds() : std::nullopt;
    const std::optional<double> self_after = ProcessCpuSeconds(0);
    if (result.calls > 0 && server_before && server_after) {
      result.server_cpu_us_per_call = (*server_after - *server_before) * 1e6 / result.calls;
    }
    if (result.calls > 0 && self_before && self_after) {
      result.self_cpu_us_per_call = (*self_after - *self_before) * 1e6 / result.calls;
    }
    if (result.error_count() > 0) {
      report->failures.push_back(absl::StrCat(name, ": ", result.error_count(), " calls failed"));
    }
    if (result.ok == 0) report->failures.push_back(absl::StrCat(name, ": no call completed"));
    report->workloads.push_back(std::move(result));
  }
  if (options.timing_pairs > 0) {
    Note(absl::StrCat("timing ", options.timing_pairs, " pairs of vetting checks"));
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> vetting, channels.New("vetting"));
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> clerk, channels.New("clerk"));
    absl::StatusOr<TimingResult> timing =
        MeasureVettingTiming(vetting, clerk, options.timing_pairs);
    if (timing.ok()) {
      report->vetting_timing = *timing;
    } else {
      report->failures.push_back(absl::StrCat("vetting timing: ", timing.status().ToString()));
    }
  }
  return absl::OkStatus();
}

void VerifyAudit(const ChannelFactory& channels, const BenchServer* server, Report* report) {
  Note("verifying the whole audit log");
  auto channel = channels.New("auditor");
  std::function<std::optional<double>()> server_cpu;
  if (server != nullptr) server_cpu = [server] { return server->CpuSeconds(); };
  absl::StatusOr<AuditVerifyResult> audit =
      channel.ok() ? VerifyWholeLog(*channel, server_cpu)
                   : absl::StatusOr<AuditVerifyResult>(channel.status());
  if (!audit.ok()) {
    report->failures.push_back(absl::StrCat("audit verification: ", audit.status().ToString()));
    return;
  }
  if (!audit->signature_ok) report->failures.push_back("audit verification: bad signature");
  if (!audit->root_matches) report->failures.push_back("audit verification: root mismatch");
  report->audit = *audit;
}

absl::Status RunRemote(const BenchOptions& options, Report* report) {
  ChannelFactory channels(options.server_address, options.identity_dir);
  std::mt19937_64 rng(std::random_device{}());
  // A fresh range of personal numbers per run, below the ranges the workloads use.
  const RecordGenerator generator(kFirstPersonalNumber + (rng() % 3000) * 1000000,
                                  absl::StrCat("R", RandomTag()));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> clerk, channels.New("clerk"));
  Note(absl::StrCat("importing ", options.records, " records through ImportRecords"));
  ASSIGN_OR_RETURN(PreloadResult loaded, PreloadViaImport(clerk, options.records, generator));
  report->preload_records_seconds = loaded.records_seconds;
  BenchData data{&generator, &loaded.ids, RandomTag()};
  RETURN_IF_ERROR(RunWorkloads(options, data, channels, nullptr, report));
  if (options.audit_verify) VerifyAudit(channels, nullptr, report);
  return absl::OkStatus();
}

absl::Status RunLocal(const BenchOptions& options, const std::string& root, Report* report) {
  const std::string source_dir =
      options.source_dir.empty() ? REGISTRY_SOURCE_DIR : options.source_dir;
  Note(absl::StrCat("work folder ", root));
  ASSIGN_OR_RETURN(LocalSetup setup, PrepareLocalSetup(root, source_dir));

  const RecordGenerator generator(kFirstPersonalNumber, "2024");
  std::vector<RecordId> ids;
  uint64_t audit_preloaded = 0;
  ASSIGN_OR_RETURN(bool reused, LoadPreload(root, options.records, &audit_preloaded, &ids));
  if (reused) {
    Note(absl::StrCat("reusing the preloaded database (", options.records,
                      " records); its audit log also holds earlier runs' events"));
  } else {
    if (std::filesystem::exists(setup.config.data_dir())) {
      return absl::FailedPreconditionError(
          absl::StrCat(setup.config.data_dir(), " exists but was not preloaded by this tool"));
    }
    PreloadOptions preload;
    preload.data_dir = setup.config.data_dir();
    preload.key_file = setup.config.key_file();
    preload.reference_dir = setup.config.reference_dir();
    preload.watermark_file = setup.config.audit_watermark_file();
    preload.ledger_file = setup.config.erasure_ledger_file();
    preload.records = options.records;
    preload.audit_events = options.audit_events;
    preload.threads = options.preload_threads;
    Note(absl::StrCat("preloading ", options.records, " records and ", options.audit_events,
                      " audit events"));
    ASSIGN_OR_RETURN(PreloadResult loaded, PreloadStore(preload, generator));
    ids = std::move(loaded.ids);
    audit_preloaded = options.audit_events;
    report->preload_records_seconds = loaded.records_seconds;
    report->preload_audit_seconds = loaded.audit_seconds;
    Note(absl::StrFormat(
        "preloaded in %.1f s (records) + %.1f s (audit) + %.1f s (flush and compaction)",
        loaded.records_seconds, loaded.audit_seconds, loaded.flush_seconds));
    RETURN_IF_ERROR(SavePreload(root, options.records, audit_preloaded, ids));
  }
  report->audit_events_preloaded = audit_preloaded;

  std::unique_ptr<BenchServer> server;
  if (options.mode == ServerMode::kChild) {
    const std::string registryd =
        options.registryd_path.empty() ? SelfDir() + "/registryd" : options.registryd_path;
    absl::Duration spawn;
    ASSIGN_OR_RETURN(std::unique_ptr<ChildServer> child,
                     ChildServer::Start(registryd, setup.config_file, root + "/registryd.log",
                                        absl::Minutes(5), &spawn));
    report->child_spawn_to_serving_seconds = absl::ToDoubleSeconds(spawn);
    // The retention run registryd starts with reads every record's dates: measured apart, not
    // inside the first workload.
    ASSIGN_OR_RETURN(const absl::Duration retention,
                     child->WaitForLogLine(server::kRetentionRunFinished, absl::Minutes(30)));
    report->child_first_retention_run_seconds = absl::ToDoubleSeconds(retention);
    server = std::move(child);
  } else {
    // The preload's peak is not the server's: measure from here.
    if (!ResetPeakRss()) Note("cannot reset the peak RSS; VmHWM includes the preload");
    ASSIGN_OR_RETURN(server, InProcessServer::Start(setup.config));
  }
  Note(absl::StrCat("server at ", server->address()));
  ChannelFactory channels(server->address(), setup.pki_dir);
  BenchData data{&generator, &ids, RandomTag()};
  absl::Status ran = RunWorkloads(options, data, channels, server.get(), report);
  report->server_memory = server->Memory();
  if (ran.ok() && options.audit_verify) {
    VerifyAudit(channels, server.get(), report);
    report->server_memory_after_audit = server->Memory();
  }
  RETURN_IF_ERROR(server->Stop());
  server.reset();
  RETURN_IF_ERROR(ran);

  if (options.startup) {
    Note("timing RegistryServer::Start on the loaded database");
    ASSIGN_OR_RETURN(absl::Duration first, TimeServerStart(setup.config));
    ASSIGN_OR_RETURN(absl::Duration second, TimeServerStart(setup.config));
    report->start_seconds = absl::ToDoubleSeconds(first);
    report->restart_seconds = absl::ToDoubleSeconds(second);
  }
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  absl::StatusOr<BenchOptions> parsed = ParseBenchOptions(argc, argv);
  if (!parsed.ok()) {
    absl::FPrintF(stderr, "registry-bench: %s\n(registry-bench --help for usage)\n",
                  parsed.status().message());
    return 2;
  }
  const BenchOptions& options = *parsed;
  if (options.help) {
    std::fputs(BenchUsage().c_str(), stdout);
    return 0;
  }

  Report report;
  report.mode = options.mode == ServerMode::kInProcess ? "in-process"
                : options.mode == ServerMode::kChild   ? "child"
                                                       : "remote";
  report.started_at = FormatInstant(absl::Now());
  report.cpus = static_cast<int>(std::thread::hardware_concurrency());
  report.load_average_start = LoadAverage();
  report.records = options.records;
  report.concurrency = options.concurrency;
  report.seconds = options.seconds;

  absl::Status status;
  std::string root;
  bool remove_root = false;
  if (options.mode == ServerMode::kRemote) {
    status = RunRemote(options, &report);
  } else {
    if (options.work_dir.empty()) {
      absl::StatusOr<std::string> tmp = MakeTempDir();
      if (tmp.ok()) {
        root = *tmp;
        remove_root = !options.keep;
      }
      status = tmp.status();
    } else {
      root = options.work_dir;
    }
    if (status.ok()) status = RunLocal(options, root, &report);
  }
  report.load_average_end = LoadAverage();
  if (!status.ok()) report.failures.push_back(status.ToString());

  std::fputs(FormatReport(report).c_str(), stdout);
  std::fflush(stdout);
  if (!options.json_file.empty()) {
    absl::Status written = WriteJsonReport(report, options.json_file);
    if (!written.ok()) {
      absl::FPrintF(stderr, "registry-bench: %s\n", written.message());
      report.failures.push_back(std::string(written.message()));
    }
  }
  if (remove_root) {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
  return report.failures.empty() ? 0 : 1;
}

}  // namespace
}  // namespace registry::bench

int main(int argc, char** argv) { return registry::bench::Main(argc, argv); }
