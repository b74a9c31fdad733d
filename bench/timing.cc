#include "bench/timing.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bench/preload.h"
#include "bench/workloads.h"
#include "common/status_macros.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"

namespace registry::bench {
namespace {

namespace v1 = registry::v1;

double MedianUs(std::vector<int64_t> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double mid = n % 2 == 1 ? static_cast<double>(v[n / 2])
                                : (static_cast<double>(v[n / 2 - 1]) + v[n / 2]) / 2;
  return mid / 1000;
}

}  // namespace

TimingResult SummarizePairs(const std::vector<int64_t>& spent_ns,
                            const std::vector<int64_t>& none_ns) {
  TimingResult r;
  const size_t n = std::min(spent_ns.size(), none_ns.size());
  if (n == 0) return r;
  r.pairs = n;
  std::vector<int64_t> diff(n);
  uint64_t slower = 0;
  for (size_t i = 0; i < n; ++i) {
    diff[i] = spent_ns[i] - none_ns[i];
    if (diff[i] > 0) ++slower;
  }
  r.spent_median_us = MedianUs({spent_ns.begin(), spent_ns.begin() + n});
  r.none_median_us = MedianUs({none_ns.begin(), none_ns.begin() + n});
  r.difference_median_us = MedianUs(diff);
  r.spent_slower_percent = 100.0 * slower / n;
  // The median lies between the order statistics n/2 -+ 1.96 sqrt(n)/2 with 95% probability
  // (the normal approximation of the binomial count of differences below it).
  std::sort(diff.begin(), diff.end());
  const double half = 1.96 * std::sqrt(static_cast<double>(n)) / 2;
  const auto at = [&](double rank) {
    const double clamped = std::clamp(rank, 0.0, static_cast<double>(n - 1));
    return static_cast<double>(diff[static_cast<size_t>(clamped)]) / 1000;
  };
  r.difference_low_us = at(std::floor(n / 2.0 - half));
  r.difference_high_us = at(std::ceil(n / 2.0 + half) - 1);
  return r;
}

absl::StatusOr<TimingResult> MeasureVettingTiming(const std::shared_ptr<grpc::Channel>& vetting,
                                                  const std::shared_ptr<grpc::Channel>& clerk,
                                                  uint64_t pairs) {
  std::mt19937_64 rng(std::random_device{}());
  // People of their own for each run: spent records at kSpentBase + offset + k, and their
  // no-record twins kTwinDistance above, a range nothing else creates.
  constexpr uint64_t kSpentBase = 8000000000;
  constexpr uint64_t kTwinDistance = 500000000;
  const uint64_t offset = (rng() % 9999) * 10000;
  // Born 1900-1949, before every preloaded person: a preloaded (visible) record naming one of
  // them under another number would refer both checks.
  constexpr int kFirstBirthYear = 1900;
  const RecordGenerator spent(kSpentBase + offset, absl::StrCat("T", rng() % 1000000000),
                              kFirstBirthYear);
  const RecordGenerator twins(kSpentBase + kTwinDistance + offset, "none", kFirstBirthYear);
  // People who were adults when judged in 2013 (ISO dates compare as text).
  std::vector<uint64_t> people;
  for (uint64_t n = 0; people.size() < std::min<uint64_t>(std::max<uint64_t>(pairs, 1), 200);
       ++n) {
    if (spent.BirthDate(n) < "1995-01-01") people.push_back(n);
  }
  {
    v1::ImportRecordsRequest req;
    for (size_t i = 0; i < people.size(); ++i) {
      v1::ImportRow* row = req.add_rows();
      row->set_line(i + 1);
      *row->mutable_record() = spent.SpentRecord(people[i]);
    }
    v1::ImportRecordsResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    const grpc::Status s = v1::RecordService::NewStub(clerk)->ImportRecords(&ctx, req, &resp);
    if (!s.ok()) return CallError(s);
    for (const v1::ImportRowResult& r : resp.results()) {
      if (r.outcome() != v1::ImportRowResult::OUTCOME_CREATED) {
        return absl::InternalError(
            absl::StrCat("spent record ", r.line(), " not created: ", r.error()));
      }
    }
  }
  std::unique_ptr<v1::VettingService::Stub> stub = v1::VettingService::NewStub(vetting);
  std::vector<int64_t> spent_ns, none_ns;
  spent_ns.reserve(pairs);
  none_ns.reserve(pairs);
  const auto timed = [&](const RecordGenerator& gen, uint64_t k) -> absl::StatusOr<int64_t> {
    const v1::VettingCheckRequest req =
        VettingRequest(gen, k, Candidate::kRecorded, NextConsentReference("TIMING"));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::VettingCheckResponse resp;
    const auto start = std::chrono::steady_clock::now();
    const grpc::Status s = stub->VettingCheck(&ctx, req, &resp);
    const auto end = std::chrono::steady_clock::now();
    if (!s.ok()) return CallError(s);
    RETURN_IF_ERROR(CheckVettingAnswer(resp, v1::VETTING_RESULT_CLEAR));
    return std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count();
  };
  for (uint64_t i = 0; i < pairs; ++i) {
    const uint64_t k = people[rng() % people.size()];
    const bool spent_first = (rng() & 1) != 0;
    ASSIGN_OR_RETURN(const int64_t first, timed(spent_first ? spent : twins, k));
    ASSIGN_OR_RETURN(const int64_t second, timed(spent_first ? twins : spent, k));
    spent_ns.push_back(spent_first ? first : second);
    none_ns.push_back(spent_first ? second : first);
  }
  return SummarizePairs(spent_ns, none_ns);
}

}  // namespace registry::bench
