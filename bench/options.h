// registry-bench's command line: what to preload, which server to measure, how hard to push it.
//
//   ASSIGN_OR_RETURN(BenchOptions options, ParseBenchOptions(argc, argv));
//   if (options.help) { std::fputs(BenchUsage().c_str(), stdout); return 0; }
#ifndef REGISTRY_BENCH_OPTIONS_H_
#define REGISTRY_BENCH_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace registry::bench {

// Where the server under test runs.
enum class ServerMode {
  kInProcess,  // RegistryServer in this process (client and server share it)
  kChild,      // build/registryd as a child process (its own RSS)
  kRemote,     // an already running registryd at --server
};

struct BenchOptions {
  // Records preloaded before the measurement. --records N; default 1000.
  uint64_t records = 1000;
  // Audit events preloaded (local modes only). --audit-events M; default 0.
  uint64_t audit_events = 0;
  // Closed-loop client threads per workload. --concurrency C; default 16.
  int concurrency = 16;
  // Measured seconds per workload, after the warm-up. --seconds S; default 10.
  double seconds = 10;
  // Unmeasured warm-up per workload. --warmup S; default 1 (0.2 with --smoke).
  double warmup_seconds = 1;
  // Workloads to run, in order, each once; the baseline always runs first. --workloads a,b,...
  // ("vetting" stands for vetting-record,vetting-none); default all of AllWorkloads().
  std::vector<std::string> workloads;
  // --json FILE: also write the report as JSON. Empty: no JSON.
  std::string json_file;
  // --smoke: tiny numbers, exit 0 when every workload completed without errors.
  bool smoke = false;
  ServerMode mode = ServerMode::kInProcess;
  // --registryd PATH (implies --child). Default: registryd beside registry-bench.
  std::string registryd_path;
  // --server ADDR and --identity-dir DIR (remote mode): DIR holds clerk/ court/ vetting/
  // auditor/ folders with ca.pem, cert.pem and key.pem each.
  std::string server_address;
  std::string identity_dir;
  // --work-dir DIR: where the PKI, key file, config and RocksDB go. Default: a new folder under
  // $TMPDIR (or /tmp), removed at the end unless --keep.
  std::string work_dir;
  bool keep = false;
  // --source-dir DIR: the source tree (for deploy/). Default: the tree this binary was built
  // from.
  std::string source_dir;
  // --no-audit-verify / --no-startup: skip those measurements.
  bool audit_verify = true;
  bool startup = true;
  // --timing-pairs N: after the workloads, N paired vetting checks of one caller, a spent record
  // and a number without one (bench/timing.h). Default 0 (20 with --smoke).
  uint64_t timing_pairs = 0;
  // --preload-threads T: threads that stage records and append audit events. Default 2.
  int preload_threads = 2;
  // --help.
  bool help = false;
};

// The workload names, in the order they run.
const std::vector<std::string>& AllWorkloads();

// Parses argv. InvalidArgument naming the option for anything malformed or unknown.
absl::StatusOr<BenchOptions> ParseBenchOptions(int argc, char** argv);

// The --help text.
std::string BenchUsage();

}  // namespace registry::bench

#endif  // REGISTRY_BENCH_OPTIONS_H_
