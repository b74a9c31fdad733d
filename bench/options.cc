#include "bench/options.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace registry::bench {
namespace {

absl::Status Bad(absl::string_view option, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(option, ": ", why));
}

}  // namespace

const std::vector<std::string>& AllWorkloads() {
  static const std::vector<std::string>* names = new std::vector<std::string>{
      "baseline", "vetting-record", "vetting-none", "get", "search", "create", "audit-list"};
  return *names;
}

absl::StatusOr<BenchOptions> ParseBenchOptions(int argc, char** argv) {
  BenchOptions o;
  bool records_set = false, seconds_set = false, concurrency_set = false, warmup_set = false;
  bool audit_set = false, pairs_set = false;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    // Accepts both "--name value" and "--name=value".
    std::string name(arg);
    std::string value;
    bool has_inline = false;
    if (const size_t eq = arg.find('='); absl::StartsWith(arg, "--") && eq != arg.npos) {
      name = std::string(arg.substr(0, eq));
      value = std::string(arg.substr(eq + 1));
      has_inline = true;
    }
    auto next = [&]() -> absl::StatusOr<std::string> {
      if (has_inline) return value;
      if (i + 1 >= argc) return Bad(name, "needs a value");
      return std::string(argv[++i]);
    };
    auto number = [&](double min, double max) -> absl::StatusOr<double> {
      absl::StatusOr<std::string> v = next();
      if (!v.ok()) return v.status();
      double d = 0;
      if (!absl::SimpleAtod(*v, &d) || !std::isfinite(d) || d < min || d > max) {
        return Bad(name, absl::StrCat("a number in ", min, "..", max));
      }
      return d;
    };
    if (name == "--help" || name == "-h") {
      o.help = true;
    } else if (name == "--records") {
      absl::StatusOr<double> v = number(1, 100e6);
      if (!v.ok()) return v.status();
      o.records = static_cast<uint64_t>(*v);
      records_set = true;
    } else if (name == "--audit-events") {
      absl::StatusOr<double> v = number(0, 100e6);
      if (!v.ok()) return v.status();
      o.audit_events = static_cast<uint64_t>(*v);
      audit_set = true;
    } else if (name == "--concurrency") {
      absl::StatusOr<double> v = number(1, 256);
      if (!v.ok()) return v.status();
      o.concurrency = static_cast<int>(*v);
      concurrency_set = true;
    } else if (name == "--seconds") {
      absl::StatusOr<double> v = number(0.1, 3600);
      if (!v.ok()) return v.status();
      o.seconds = *v;
      seconds_set = true;
    } else if (name == "--warmup") {
      absl::StatusOr<double> v = number(0, 600);
      if (!v.ok()) return v.status();
      o.warmup_seconds = *v;
      warmup_set = true;
    } else if (name == "--preload-threads") {
      absl::StatusOr<double> v = number(1, 64);
      if (!v.ok()) return v.status();
      o.preload_threads = static_cast<int>(*v);
    } else if (name == "--timing-pairs") {
      absl::StatusOr<double> v = number(0, 10e6);
      if (!v.ok()) return v.status();
      o.timing_pairs = static_cast<uint64_t>(*v);
      pairs_set = true;
    } else if (name == "--workloads") {
      absl::StatusOr<std::string> v = next();
      if (!v.ok()) return v.status();
      for (absl::string_view w : absl::StrSplit(*v, ',', absl::SkipEmpty())) {
        std::vector<std::string> names = {std::string(w)};
        // The two halves of vetting are compared with each other, so they are asked for together.
        if (w == "vetting") names = {"vetting-record", "vetting-none"};
        for (std::string& n : names) {
          const auto& all = AllWorkloads();
          if (std::find(all.begin(), all.end(), n) == all.end()) {
            return Bad(name, absl::StrCat("unknown workload \"", n, "\""));
          }
          // One row per workload: "vetting,vetting-none" runs vetting-none once.
          if (std::find(o.workloads.begin(), o.workloads.end(), n) == o.workloads.end()) {
            o.workloads.push_back(std::move(n));
          }
        }
      }
    } else if (name == "--json") {
      absl::StatusOr<std::string> v = next();
      if (!v.ok()) return v.status();
      o.json_file = *v;
    } else if (name == "--smoke") {
      o.smoke = true;
    } else if (name == "--in-process") {
      o.mode = ServerMode::kInProcess;
    } else if (name == "--child") {
      o.mode = ServerMode::kChild;
    } else if (name == "--registryd") {
      absl::StatusOr<std::string> v = next();
      if (!v.ok()) return v.status();
      o.registryd_path = *v;
      o.mode = ServerMode::kChild;
    } else if (name == "--server") {
      absl::StatusOr<std::string> v = next();
      if (!v.ok()) return v.status();
      o.server_address = *v;
      o.mode = ServerMode::kRemote;
    } else if (name == "--identity-dir") {
      absl::StatusOr<std::string> v = next();
      if (!v.ok()) return v.status();
      o.identity_dir = *v;
    } else if (name == "--work-dir") {
      absl::StatusOr<std::string> v = next();
      if (!v.ok()) return v.status();
      o.work_dir = *v;
    } else if (name == "--keep") {
      o.keep = true;
    } else if (name == "--source-dir") {
      absl::StatusOr<std::string> v = next();
      if (!v.ok()) return v.status();
      o.source_dir = *v;
    } else if (name == "--no-audit-verify") {
      o.audit_verify = false;
    } else if (name == "--no-startup") {
      o.startup = false;
    } else {
      return Bad(name, "unknown option (see --help)");
    }
  }
  if (o.smoke) {
    if (!records_set) o.records = 1000;
    if (!audit_set) o.audit_events = 1000;
    if (!seconds_set) o.seconds = 1;
    if (!concurrency_set) o.concurrency = 4;
    if (!warmup_set) o.warmup_seconds = 0.2;
    if (!pairs_set) o.timing_pairs = 20;
  }
  if (o.workloads.empty()) o.workloads = AllWorkloads();
  // The baseline is what every other figure is divided by: always measured, always first.
  o.workloads.erase(std::remove(o.workloads.begin(), o.workloads.end(), "baseline"),
                    o.workloads.end());
  o.workloads.insert(o.workloads.begin(), "baseline");
  if (o.mode == ServerMode::kRemote && o.identity_dir.empty()) {
    return Bad("--server", "needs --identity-dir DIR");
  }
  if (o.mode != ServerMode::kRemote && !o.identity_dir.empty()) {
    return Bad("--identity-dir", "only with --server");
  }
  if (o.mode == ServerMode::kRemote && o.audit_events > 0) {
    return Bad("--audit-events", "needs a local server (the events are written to its database)");
  }
  return o;
}

std::string BenchUsage() {
  return R"(registry-bench: measures registryd against the bare transport on the same machine.

usage:
  registry-bench [options]                        in-process server on a temporary database
  registry-bench --child [options]                registryd as a child process (own RSS)
  registry-bench --server ADDR --identity-dir DIR [options]   an already running registryd

Every workload runs closed-loop: C client threads, each with its own mTLS channel (own TCP
connection) and a synchronous stub, issue one call after another for S seconds after a warm-up.
The baseline is grpc.health.v1.Health/Check on the same server with the same channel setup and
concurrency; every other figure is also given as a ratio to it.

Workloads (in this order):
  baseline        grpc.health.v1 Check (the transport's ceiling: mTLS + HTTP/2 + server threads)
  vetting-record  VettingCheck (vetting role) of a random preloaded person named exactly as
                  registered: must answer NOT_CLEAR
  vetting-none    VettingCheck of the same names (born before any of them) under personal numbers
                  that have no record: must answer CLEAR
  get             GetRecord (court role, with purpose) of a random preloaded record
  search          SearchRecords by personal number (court role, with purpose)
  create          CreateRecord (clerk role): a new record, durable and audited
  audit-list      ListAuditEvents (auditor role), pages of 100 walking through the log
With both vetting workloads, the report also compares their server CPU per call (child mode).

Options:
  --records N          records preloaded through the storage layer (1000, 100000, 1000000...);
                       default 1000. Remote mode preloads them with ImportRecords instead.
  --audit-events M     audit events preloaded (local modes); default 0
  --concurrency C      client threads per workload; default 16
  --seconds S          measured seconds per workload; default 10
  --warmup S           unmeasured warm-up per workload; default 1
  --workloads a,b,...  run only these (the baseline always runs); vetting stands for
                       vetting-record,vetting-none
  --json FILE          also write the report as JSON
  --smoke              1000 records and audit events, 1 s per workload, concurrency 4; exit 0 when
                       every workload and the audit verification completed without errors
  --in-process         run RegistryServer inside this process (default)
  --child              run registryd as a child process (the one beside registry-bench)
  --registryd PATH     run this registryd binary as the child (implies --child)
  --server ADDR        measure a running registryd (its vetting rate limit must be large)
  --identity-dir DIR   with --server: folder with clerk/ court/ vetting/ auditor/ identities
  --work-dir DIR       where PKI, keys, config and database go (default: a temporary folder)
  --keep               keep the work folder
  --source-dir DIR     source tree holding deploy/ (default: the one this binary was built from)
  --timing-pairs N     then N paired vetting checks by one caller, a person with a spent record
                       (created for it) and the same names under a number without a record, in
                       random order: whether a check's time tells the two CLEARs apart (median
                       difference and its 95% interval); default 0, 20 with --smoke
  --preload-threads T  threads for the preload; default 2
  --no-audit-verify    skip the full audit-log verification
  --no-startup         skip the start-up timing
  --help               this text

Also measured: CPU time per call of the server (child mode) and of this process; full audit
verification (stream every event, rebuild the Merkle root, compare with the signed tree head)
against raw OpenSSL SHA-256 over the same bytes; the server's peak RSS (VmHWM; in-process it
includes the clients); RegistryServer::Start on the loaded database, after the server stopped.
Client and server share this machine's CPUs: compare ratios and CPU per call, not rates.

Exit codes: 0 every workload completed without errors, 1 errors or a failed measurement,
2 usage error.
)";
}

}  // namespace registry::bench
