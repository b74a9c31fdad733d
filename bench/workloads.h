// The workloads and the closed-loop runner that measures them.
//
// A workload names the identity its clients use and makes, per client thread, a function that
// performs one call and checks its answer. RunClosedLoop gives every client thread its own
// channel (its own TCP + TLS connection, handshake done before the clock starts) and a
// synchronous stub; each thread issues one call after another until the time is up. Calls that
// start during the warm-up are not counted.
//
//   ASSIGN_OR_RETURN(WorkloadSpec vetting, MakeWorkload("vetting-record", data));
//   ASSIGN_OR_RETURN(WorkloadResult r, RunClosedLoop(vetting, channels, run));
#ifndef REGISTRY_BENCH_WORKLOADS_H_
#define REGISTRY_BENCH_WORKLOADS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "bench/environment.h"
#include "bench/preload.h"
#include "bench/stats.h"
#include "grpcpp/grpcpp.h"
#include "registry/v1/vetting.pb.h"

namespace registry::bench {

// What the workloads draw from. Not owned; must outlive the runs.
struct BenchData {
  // Generator of the preloaded records; ids[n] is the id of its record n.
  const RecordGenerator* preloaded = nullptr;
  const std::vector<RecordId>* ids = nullptr;
  // A random tag so that records created by this run never collide with earlier runs'.
  std::string run_tag;
};

// One call made with `context` (fresh per call, deadline set); returns OK, or an error whose
// message says what went wrong ("UNAVAILABLE: ...", "wrong answer: ..."). `rng` is the thread's
// own.
using CallFn = std::function<absl::Status(std::mt19937_64& rng, grpc::ClientContext* context)>;

struct WorkloadSpec {
  std::string name;
  // The identity folder every client of this workload uses ("vetting", "court", ...).
  std::string identity;
  // Makes client `thread`'s call function over `channel`.
  std::function<CallFn(const std::shared_ptr<grpc::Channel>& channel, int thread)> make_client;
};

// Which personal numbers a vetting workload names. Both vetting workloads send the person of a
// random preloaded record n (names as registered, the same position category and consent
// reference form), so their requests differ only in whether the personal number has a record,
// and in the birth date: without a record it is one no record has (a record naming the
// candidate under another number would refer).
enum class Candidate {
  kRecorded,  // record n's own personal number: the answer must be NOT_CLEAR
  kNoRecord,  // a number, and a name and birth date, no record has: the answer must be CLEAR
};

// A consent reference no earlier call gave, in this run or an earlier one on the same work
// folder: the registry binds a reference to the one candidate it was first given for, so every
// request names a candidate's own.
std::string NextConsentReference(absl::string_view prefix);

// The vetting request for preloaded person n under `candidate`'s personal number.
registry::v1::VettingCheckRequest VettingRequest(const RecordGenerator& gen, uint64_t n,
                                                 Candidate candidate,
                                                 std::string consent_reference);

// OK when `resp` answers `want` with a signed certificate; "wrong answer: ..." otherwise.
absl::Status CheckVettingAnswer(const registry::v1::VettingCheckResponse& resp,
                                registry::v1::VettingResult want);

// The workload called `name` (see AllWorkloads()). NotFound for an unknown name;
// FailedPrecondition when it needs preloaded records and there are none.
absl::StatusOr<WorkloadSpec> MakeWorkload(const std::string& name, const BenchData& data);

struct RunOptions {
  int concurrency = 16;
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(1);
  // Deadline of each call.
  absl::Duration call_deadline = absl::Seconds(30);
};

// Runs the workload closed-loop. Fails only when channels cannot be made or connected; call
// failures are counted in the result's errors.
absl::StatusOr<WorkloadResult> RunClosedLoop(const WorkloadSpec& spec,
                                             const ChannelFactory& channels,
                                             const RunOptions& options);

// Maps a failed gRPC status to an error for CallFn ("UNAVAILABLE: message").
absl::Status CallError(const grpc::Status& status);

}  // namespace registry::bench

#endif  // REGISTRY_BENCH_WORKLOADS_H_
