#include "bench/stats.h"

#include <vector>

#include "gtest/gtest.h"

namespace registry::bench {
namespace {

TEST(NearestRankPercentileTest, PicksTheSmallestSampleCoveringTheFraction) {
  std::vector<uint64_t> sorted;
  for (uint64_t i = 1; i <= 100; ++i) sorted.push_back(i);
  EXPECT_EQ(NearestRankPercentile(sorted, 0.50), 50u);
  EXPECT_EQ(NearestRankPercentile(sorted, 0.95), 95u);
  EXPECT_EQ(NearestRankPercentile(sorted, 0.99), 99u);
  EXPECT_EQ(NearestRankPercentile(sorted, 1.0), 100u);
  EXPECT_EQ(NearestRankPercentile(sorted, 0.001), 1u);
}

TEST(NearestRankPercentileTest, SmallSamplesRoundUp) {
  // Three samples: p50 is the 2nd, p99 the 3rd (ceil(0.99 * 3) = 3).
  const std::vector<uint64_t> sorted = {10, 20, 30};
  EXPECT_EQ(NearestRankPercentile(sorted, 0.50), 20u);
  EXPECT_EQ(NearestRankPercentile(sorted, 0.99), 30u);
  EXPECT_EQ(NearestRankPercentile({}, 0.5), 0u);
}

TEST(SummarizeTest, SortsAndConvertsToMilliseconds) {
  std::vector<uint64_t> ns;
  for (uint64_t i = 100; i >= 1; --i) ns.push_back(i * 1000000);  // 100 ms .. 1 ms, unsorted
  const LatencySummary s = Summarize(ns);
  EXPECT_EQ(s.count, 100u);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50);
  EXPECT_DOUBLE_EQ(s.p95_ms, 95);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99);
  EXPECT_DOUBLE_EQ(s.max_ms, 100);
  EXPECT_DOUBLE_EQ(s.mean_ms, 50.5);
}

TEST(SummarizeTest, EmptyIsAllZero) {
  const LatencySummary s = Summarize({});
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.p99_ms, 0);
}

TEST(MergeSamplesTest, ConcatenatesEveryRecorder) {
  LatencyRecorder a, b;
  a.Add(1);
  a.Add(2);
  b.Add(3);
  EXPECT_EQ(MergeSamples({&a, &b}), (std::vector<uint64_t>{1, 2, 3}));
}

TEST(WorkloadResultTest, ErrorCountSumsEveryKind) {
  WorkloadResult r;
  r.errors["UNAVAILABLE: x"] = 2;
  r.errors["wrong answer: y"] = 3;
  EXPECT_EQ(r.error_count(), 5u);
}

TEST(RatioTest, DividesAndGuardsZero) {
  EXPECT_DOUBLE_EQ(Ratio(1, 4), 0.25);
  EXPECT_EQ(Ratio(1, 0), 0);
}

}  // namespace
}  // namespace registry::bench
