// A vetting check's lookup is held to max(vetting.lookup_floor_micros, vetting.
// lookup_micros_per_read x the index reads the request's name plans): a long name's check is
// held longer, by what the request says alone, and a check that finds a record is held exactly
// as long as one of the same request that finds nothing. On a fake monotonic clock, so that
// each hold is seen exactly.
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/config.h"
#include "server/vetting_service.h"
#include "tests/testing/clients.h"
#include "tests/testing/paced_vetting_test.h"
#include "tests/testing/recording_pacer.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

constexpr absl::Duration kStep = kPacerStep;
constexpr absl::Duration kFloor = absl::Milliseconds(1);  // the config's default

class VettingSpanTest : public PacedVettingTest {
 protected:
  // The time `req`'s lookup was held to, from its start; it must have been answered `expected`
  // after one hold.
  absl::Duration HeldFor(const v1::VettingCheckRequest& req, v1::VettingResult expected) {
    pacer_.ClearWaits();
    v1::VettingCheckResponse resp;
    const grpc::Status s = CheckWithConsent(req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.result(), expected);
    const auto waits = pacer_.Waits();
    EXPECT_EQ(waits.size(), 1u);
    if (waits.size() != 1) return absl::ZeroDuration();
    // Started at t, read again at t + kStep.
    return waits[0].until - waits[0].from + kStep;
  }
};

TEST_F(VettingSpanTest, ALongNamesHoldDependsOnTheRequestAloneNotOnWhatItFinds) {
  // A record of two aliases of six words each (as many as a record may have of such words:
  // kMaxNameTokensOfARecord), under a number the candidate does not give.
  v1::CreateRecordRequest record = ExampleRecord();
  record.mutable_person()->set_surname("Hoxha Berisha");
  record.mutable_person()->set_given_name("Ali Arben");
  record.mutable_person()->set_birth_date("1971-07-07");
  record.mutable_person()->set_personal_number("1000000080");
  for (const char* alias : {"Đaa Đab Đac Đad Đae Đaf", "Đba Đbb Đbc Đbd Đbe Đbf"}) {
    record.mutable_person()->add_aliases(alias);
  }
  {
    grpc::ClientContext ctx;
    v1::CreateRecordResponse created;
    auto records = v1::RecordService::NewStub(server_->Channel("clerk"));
    const grpc::Status s = records->CreateRecord(&ctx, record, &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // Six and six words, two of them the record's, under a number of no record: with the
  // record's birth date its pairs find the record (it refers); with the day after, nothing.
  v1::VettingCheckRequest found = CandidateOf(record.person());
  found.set_personal_number("5555555555");
  found.set_surname("Hoti Morina Xhafa Đaa Đbb Đcc");
  found.set_given_name("Ali Arben Đdd Đee Đff Đgg");
  v1::VettingCheckRequest nothing = found;
  nothing.set_birth_date("1971-07-08");
  const absl::Duration held_found = HeldFor(found, v1::VETTING_RESULT_REFER);
  const absl::Duration held_nothing = HeldFor(nothing, v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(held_found, held_nothing);
  // Longer than the floor, by the reads the name plans: a whole number of the per-read time.
  const absl::Duration per_read = absl::Microseconds(server::kDefaultLookupMicrosPerRead);
  EXPECT_GT(held_nothing, kFloor);
  EXPECT_EQ(held_nothing % per_read, absl::ZeroDuration());
  // A name of one and one word plans few reads: held to the floor.
  v1::VettingCheckRequest short_name = nothing;
  short_name.set_surname("Hoti");
  short_name.set_given_name("Ali");
  EXPECT_EQ(HeldFor(short_name, v1::VETTING_RESULT_CLEAR), kFloor);
}

// The span is the floor, or the per-read time for each planned read when that is longer; it is
// read from the candidate's planned reads alone.
TEST(VettingLookupSpanTest, IsTheFloorOrThePerReadTimeForEachPlannedRead) {
  server::VettingService::LookupFloor floor{nullptr, absl::Milliseconds(1), nullptr,
                                            absl::Microseconds(10)};
  storage::CandidateTokens candidate;
  candidate.planned_reads = 12;
  EXPECT_EQ(server::VettingService::LookupSpan(floor, candidate), absl::Milliseconds(1));
  candidate.planned_reads = 387;
  EXPECT_EQ(server::VettingService::LookupSpan(floor, candidate), absl::Microseconds(3870));
  floor.per_read = absl::ZeroDuration();
  EXPECT_EQ(server::VettingService::LookupSpan(floor, candidate), absl::Milliseconds(1));
}

// vetting.lookup_micros_per_read: 10 µs when unset, else as set.
TEST(VettingLookupSpanTest, ThePerReadTimeDefaultsToTenMicroseconds) {
  registry::v1::ServerConfig config;
  EXPECT_EQ(server::VettingLookupPerRead(config), absl::Microseconds(10));
  config.mutable_vetting()->set_lookup_micros_per_read(25);
  EXPECT_EQ(server::VettingLookupPerRead(config), absl::Microseconds(25));
}

}  // namespace
}  // namespace registry::testing
