// The summary of paired vetting latencies: medians, the paired difference and its interval.
#include "bench/timing.h"

#include <vector>

#include "gtest/gtest.h"

namespace registry::bench {
namespace {

TEST(SummarizePairsTest, TheDifferenceIsTakenWithinEachPair) {
  // Spent 1 us slower in every pair, whatever the drift between pairs.
  std::vector<int64_t> spent, none;
  for (int i = 0; i < 101; ++i) {
    none.push_back(500'000 + i * 10'000);
    spent.push_back(none.back() + 1'000);
  }
  const TimingResult t = SummarizePairs(spent, none);
  EXPECT_EQ(t.pairs, 101u);
  EXPECT_DOUBLE_EQ(t.none_median_us, 1000);
  EXPECT_DOUBLE_EQ(t.spent_median_us, 1001);
  // The drift between pairs (a millisecond in all) does not reach the difference or its interval.
  for (const double d : {t.difference_median_us, t.difference_low_us, t.difference_high_us}) {
    EXPECT_DOUBLE_EQ(d, 1);
  }
  EXPECT_DOUBLE_EQ(t.spent_slower_percent, 100);
}

TEST(SummarizePairsTest, TheIntervalComesFromTheOrderStatisticsAroundTheMedian) {
  // Differences -50..+49 us: median -0.5 us, and the interval of 100 pairs spans the ranks
  // 50 -+ 9.8, that is -10 us .. +9 us.
  std::vector<int64_t> spent, none;
  for (int d = -50; d < 50; ++d) {
    none.push_back(1'000'000);
    spent.push_back(1'000'000 + d * 1'000);
  }
  const TimingResult t = SummarizePairs(spent, none);
  EXPECT_DOUBLE_EQ(t.difference_median_us, -0.5);
  EXPECT_DOUBLE_EQ(t.difference_low_us, -10);
  EXPECT_DOUBLE_EQ(t.difference_high_us, 9);
  EXPECT_DOUBLE_EQ(t.spent_slower_percent, 49);
  EXPECT_LE(t.difference_low_us, t.difference_median_us);
  EXPECT_GE(t.difference_high_us, t.difference_median_us);
}

TEST(SummarizePairsTest, NoPairsIsAllZero) {
  const TimingResult t = SummarizePairs({}, {});
  EXPECT_EQ(t.pairs, 0u);
  EXPECT_EQ(t.difference_median_us, 0);
}

}  // namespace
}  // namespace registry::bench
