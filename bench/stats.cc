#include "bench/stats.h"

#include <algorithm>
#include <cmath>

namespace registry::bench {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

namespace {

double Ms(uint64_t nanos) { return static_cast<double>(nanos) / 1e6; }

}  // namespace

std::vector<uint64_t> MergeSamples(const std::vector<const LatencyRecorder*>& recorders) {
  size_t total = 0;
  for (const LatencyRecorder* r : recorders) total += r->samples().size();
  std::vector<uint64_t> all;
  all.reserve(total);
  for (const LatencyRecorder* r : recorders) {
    all.insert(all.end(), r->samples().begin(), r->samples().end());
  }
  return all;
}

uint64_t NearestRankPercentile(const std::vector<uint64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Rank ceil(q * n), 1-based; q = 1 is the maximum.
  double rank = std::ceil(q * static_cast<double>(sorted.size()));
  if (rank < 1) rank = 1;
  const size_t index = std::min(sorted.size(), static_cast<size_t>(rank)) - 1;
  return sorted[index];
}

LatencySummary Summarize(std::vector<uint64_t> samples) {
  LatencySummary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.count = samples.size();
  long double sum = 0;
  for (uint64_t v : samples) sum += v;
  s.mean_ms = static_cast<double>(sum / samples.size()) / 1e6;
  s.p50_ms = Ms(NearestRankPercentile(samples, 0.50));
  s.p95_ms = Ms(NearestRankPercentile(samples, 0.95));
  s.p99_ms = Ms(NearestRankPercentile(samples, 0.99));
  s.max_ms = Ms(samples.back());
  return s;
}

uint64_t WorkloadResult::error_count() const {
  uint64_t n = 0;
  for (const auto& [kind, count] : errors) n += count;
  return n;
}

double Ratio(double a, double b) { return b == 0 ? 0 : a / b; }

}  // namespace registry::bench
