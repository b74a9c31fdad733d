#include "bench/report.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry::bench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

WorkloadResult Workload(const std::string& name, std::optional<double> server_cpu_us) {
  WorkloadResult w;
  w.name = name;
  w.calls = 1000;
  w.ok = 1000;
  w.ops_per_second = 100;
  w.server_cpu_us_per_call = server_cpu_us;
  return w;
}

Report ChildReport() {
  Report r;
  r.mode = "child";
  r.workloads = {Workload("baseline", 30), Workload("vetting-record", 180),
                 Workload("vetting-none", 176), Workload("get", 150)};
  return r;
}

TEST(BenchReportTest, VettingCpuDifferenceIsRelativeToNoRecord) {
  const std::optional<VettingCpuComparison> v = CompareVettingCpu(ChildReport());
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->record_us, 180);
  EXPECT_EQ(v->no_record_us, 176);
  EXPECT_NEAR(v->difference_percent, 100.0 * 4 / 176, 1e-9);
}

TEST(BenchReportTest, VettingCpuNeedsBothWorkloadsWithServerCpu) {
  Report one = ChildReport();
  one.workloads.erase(one.workloads.begin() + 2);
  EXPECT_FALSE(CompareVettingCpu(one).has_value());

  // In-process and remote runs cannot tell the server's CPU time from the clients'.
  Report in_process = ChildReport();
  in_process.mode = "in-process";
  for (WorkloadResult& w : in_process.workloads) w.server_cpu_us_per_call.reset();
  EXPECT_FALSE(CompareVettingCpu(in_process).has_value());
}

TEST(BenchReportTest, TextShowsBothVettingRowsAndTheirDifference) {
  const std::string text = FormatReport(ChildReport());
  EXPECT_THAT(text, HasSubstr("\nvetting-record "));
  EXPECT_THAT(text, HasSubstr("\nvetting-none "));
  EXPECT_THAT(text, HasSubstr("vetting server CPU per call: record 180.0 µs, no record 176.0 µs, "
                              "difference +2.3%\n"));
}

TEST(BenchReportTest, TextHasNoDifferenceLineWithoutServerCpu) {
  Report r = ChildReport();
  r.workloads[2].server_cpu_us_per_call.reset();
  EXPECT_THAT(FormatReport(r), Not(HasSubstr("vetting server CPU per call")));
}

TEST(BenchReportTest, JsonCarriesTheDifference) {
  EXPECT_THAT(ReportJson(ChildReport()),
              HasSubstr("\"vetting_server_cpu_us_per_call\": {\"record\": 180, \"no_record\": 176, "
                        "\"difference_percent\": 2.27273}"));
  Report r = ChildReport();
  r.workloads.pop_back();
  r.workloads.pop_back();
  EXPECT_THAT(ReportJson(r), HasSubstr("\"vetting_server_cpu_us_per_call\": null"));
}

}  // namespace
}  // namespace registry::bench
