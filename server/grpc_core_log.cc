#include "server/grpc_core_log.h"

#include <grpc/support/log.h>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/json_log.h"

namespace registry::server {
namespace {

// The lines written in the current minute, and those held back since the last one written.
struct Budget {
  absl::Mutex mu;
  absl::Time window_start ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  int64_t written ABSL_GUARDED_BY(mu) = 0;
  int64_t held_back ABSL_GUARDED_BY(mu) = 0;
};

Budget& TheBudget() {
  static Budget* const budget = new Budget();
  return *budget;
}

const char* LevelOf(gpr_log_severity severity) {
  switch (severity) {
    case GPR_LOG_SEVERITY_DEBUG:
      return "debug";
    case GPR_LOG_SEVERITY_INFO:
      return "info";
    default:
      return "error";
  }
}

void WriteCoreLine(gpr_log_func_args* args) {
  int64_t held_back = 0;
  {
    Budget& budget = TheBudget();
    absl::MutexLock lock(&budget.mu);
    const absl::Time now = absl::Now();
    if (now - budget.window_start >= absl::Minutes(1)) {
      budget.window_start = now;
      budget.written = 0;
    }
    if (budget.written >= kGrpcCoreLinesPerMinute) {
      ++budget.held_back;
      return;
    }
    ++budget.written;
    held_back = budget.held_back;
    budget.held_back = 0;
  }
  const absl::string_view file = args->file == nullptr ? "" : args->file;
  const size_t slash = file.rfind('/');
  LogLine line(LevelOf(args->severity), "grpc core (message withheld: it may hold caller text)");
  line.Str("at", absl::StrCat(slash == absl::string_view::npos ? file : file.substr(slash + 1),
                              ":", args->line));
  if (held_back > 0) line.Int("lines_held_back", held_back);
  line.Write();
}

}  // namespace

void RouteGrpcCoreLog() {
  gpr_set_log_function(&WriteCoreLine);
  // What gRPC would do at its first use anyway (GRPC_VERBOSITY, else errors only); done here so
  // that the route is in force from the start.
  gpr_log_verbosity_init();
}

}  // namespace registry::server
