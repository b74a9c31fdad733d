// Latency statistics of one workload run, and its ratios to the baseline.
//
//   LatencyRecorder per_thread;                 // one per client thread, no locking
//   per_thread.Add(elapsed_ns);
//   LatencySummary s = Summarize(MergeSamples({&a, &b}));
//   double p99_ratio = s.p99_ms / baseline.p99_ms;
#ifndef REGISTRY_BENCH_STATS_H_
#define REGISTRY_BENCH_STATS_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace registry::bench {

// Seconds of the steady clock since `start`.
double SecondsSince(std::chrono::steady_clock::time_point start);

// Per-thread latency samples in nanoseconds. Not thread-safe: one per thread.
class LatencyRecorder {
 public:
  void Reserve(size_t n) { samples_.reserve(n); }
  void Add(uint64_t nanos) { samples_.push_back(nanos); }
  const std::vector<uint64_t>& samples() const { return samples_; }

 private:
  std::vector<uint64_t> samples_;
};

// Concatenates the samples of every recorder.
std::vector<uint64_t> MergeSamples(const std::vector<const LatencyRecorder*>& recorders);

struct LatencySummary {
  uint64_t count = 0;
  double mean_ms = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

// Returns the nearest-rank percentile q (0 < q <= 1) of `sorted` (ascending): the smallest sample
// such that at least q of all samples are <= it. 0 for no samples.
uint64_t NearestRankPercentile(const std::vector<uint64_t>& sorted, double q);

// Sorts `samples` and summarises them (all zero when empty).
LatencySummary Summarize(std::vector<uint64_t> samples);

// One workload's outcome.
struct WorkloadResult {
  std::string name;
  int concurrency = 0;
  // Length of the measured window, seconds.
  double seconds = 0;
  // Calls that completed OK inside the window, and their rate.
  uint64_t ok = 0;
  double ops_per_second = 0;
  LatencySummary latency;
  // Failed calls by kind (gRPC code name, or "wrong answer: ..."); any entry is an error.
  std::map<std::string, uint64_t> errors;
  uint64_t error_count() const;
  // Every call made, warm-up and failures included, and the CPU time spent over the whole run
  // (warm-up included) per call: by the server (when it is a process of its own) and by this
  // process (the clients; in-process it includes the server).
  uint64_t calls = 0;
  std::optional<double> server_cpu_us_per_call;
  double self_cpu_us_per_call = 0;
};

// a / b, or 0 when b is 0.
double Ratio(double a, double b);

}  // namespace registry::bench

#endif  // REGISTRY_BENCH_STATS_H_
