#include "bench/options.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace registry::bench {
namespace {

absl::StatusOr<BenchOptions> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "registry-bench");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ParseBenchOptions(static_cast<int>(argv.size()), argv.data());
}

TEST(ParseBenchOptionsTest, DefaultsRunEveryWorkloadInProcess) {
  absl::StatusOr<BenchOptions> o = Parse({});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->records, 1000u);
  EXPECT_EQ(o->concurrency, 16);
  EXPECT_EQ(o->seconds, 10);
  EXPECT_EQ(o->mode, ServerMode::kInProcess);
  EXPECT_EQ(o->workloads, AllWorkloads());
}

TEST(ParseBenchOptionsTest, SmokeUsesTinyNumbersUnlessOverridden) {
  absl::StatusOr<BenchOptions> o = Parse({"--smoke", "--concurrency=8"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->records, 1000u);
  EXPECT_EQ(o->seconds, 1);
  EXPECT_EQ(o->concurrency, 8);
  EXPECT_EQ(o->timing_pairs, 20u);
  EXPECT_EQ(Parse({})->timing_pairs, 0u);
  EXPECT_EQ(Parse({"--smoke", "--timing-pairs", "0"})->timing_pairs, 0u);
  EXPECT_EQ(Parse({"--timing-pairs=2000"})->timing_pairs, 2000u);
}

TEST(ParseBenchOptionsTest, BaselineAlwaysRunsFirst) {
  absl::StatusOr<BenchOptions> o = Parse({"--workloads", "get,baseline,vetting-none"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_THAT(o->workloads, ::testing::ElementsAre("baseline", "get", "vetting-none"));
}

TEST(ParseBenchOptionsTest, VettingStandsForBothVettingWorkloads) {
  absl::StatusOr<BenchOptions> o = Parse({"--workloads", "get,vetting"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_THAT(o->workloads,
              ::testing::ElementsAre("baseline", "get", "vetting-record", "vetting-none"));
  EXPECT_THAT(AllWorkloads(), ::testing::Not(::testing::Contains("vetting")));
}

TEST(ParseBenchOptionsTest, EachWorkloadRunsOnce) {
  absl::StatusOr<BenchOptions> o = Parse({"--workloads", "vetting-none,vetting,get,get"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_THAT(o->workloads,
              ::testing::ElementsAre("baseline", "vetting-none", "vetting-record", "get"));
}

TEST(ParseBenchOptionsTest, UnknownWorkloadIsRefused) {
  absl::StatusOr<BenchOptions> o = Parse({"--workloads", "get,nope"});
  EXPECT_EQ(o.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseBenchOptionsTest, UnknownOptionAndBadNumbersAreRefused) {
  EXPECT_EQ(Parse({"--frobnicate"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--concurrency", "0"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--seconds", "ten"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Parse({"--records"}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseBenchOptionsTest, RemoteNeedsIdentitiesAndCannotPreloadAudit) {
  EXPECT_EQ(Parse({"--server", "127.0.0.1:7443"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Parse({"--server", "h:1", "--identity-dir", "d", "--audit-events", "5"}).status().code(),
      absl::StatusCode::kInvalidArgument);
  absl::StatusOr<BenchOptions> o = Parse({"--server", "h:1", "--identity-dir", "d"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mode, ServerMode::kRemote);
}

TEST(ParseBenchOptionsTest, RegistrydPathImpliesChild) {
  absl::StatusOr<BenchOptions> o = Parse({"--registryd", "/x/registryd"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->mode, ServerMode::kChild);
  EXPECT_EQ(o->registryd_path, "/x/registryd");
}

TEST(BenchUsageTest, NamesEveryWorkloadAndOption) {
  const std::string usage = BenchUsage();
  for (const std::string& w : AllWorkloads()) EXPECT_THAT(usage, ::testing::HasSubstr(w));
  EXPECT_THAT(usage, ::testing::HasSubstr("vetting stands for"));
  for (const char* opt : {"--records", "--audit-events", "--concurrency", "--seconds", "--json",
                          "--smoke", "--server", "--identity-dir", "--child", "--timing-pairs"}) {
    EXPECT_THAT(usage, ::testing::HasSubstr(opt));
  }
}

}  // namespace
}  // namespace registry::bench
