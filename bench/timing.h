// Whether a vetting check's time tells a spent record from no record: paired checks, one caller.
//
// Both answer CLEAR, so the reply cannot tell them apart; only time could. The measurement
// creates up to 200 people with a spent record (RecordGenerator::SpentRecord) through
// ImportRecords, then makes each pair of checks of one of them: once under the person's own
// personal number and once, same names and birth date, under a number no record has, in random
// order, one call after the other on one connection. The difference within each pair cancels the
// drift of a loaded machine. What an employer timing its own checks could see is the median of
// those differences: its 95% interval (from the order statistics, no assumption about the
// distribution) holding zero means the two were not told apart at this many pairs.
//
//   ASSIGN_OR_RETURN(TimingResult t, MeasureVettingTiming(vetting, clerk, 2000));
#ifndef REGISTRY_BENCH_TIMING_H_
#define REGISTRY_BENCH_TIMING_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace registry::bench {

struct TimingResult {
  uint64_t pairs = 0;
  double spent_median_us = 0;
  double none_median_us = 0;
  // Median of (spent - none) over the pairs, and its 95% interval.
  double difference_median_us = 0;
  double difference_low_us = 0;
  double difference_high_us = 0;
  // Pairs in which the check of the spent record took longer, in percent.
  double spent_slower_percent = 0;
};

// Summarises paired latencies in nanoseconds (spent_ns[i] and none_ns[i] are pair i). All zero
// when there are none.
TimingResult SummarizePairs(const std::vector<int64_t>& spent_ns,
                            const std::vector<int64_t>& none_ns);

// Creates the spent records over `clerk` and runs `pairs` paired checks over `vetting`. Fails on
// the first call that fails or answers other than CLEAR.
absl::StatusOr<TimingResult> MeasureVettingTiming(const std::shared_ptr<grpc::Channel>& vetting,
                                                  const std::shared_ptr<grpc::Channel>& clerk,
                                                  uint64_t pairs);

}  // namespace registry::bench

#endif  // REGISTRY_BENCH_TIMING_H_
