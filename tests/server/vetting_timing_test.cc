// A vetting check's lookup (reading the facts of the person's records and deciding) is held to
// vetting.lookup_floor_micros from its start, whatever it found: no record, an active one, a
// spent one, an expunged one, one under another name. On a fake monotonic clock, so that each
// hold is seen exactly; the real clock's waiting is FixedSpanTest's.
#include <string>

#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/time_format.h"
#include "gtest/gtest.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/clients.h"
#include "tests/testing/paced_vetting_test.h"
#include "tests/testing/recording_pacer.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

// The fake's time moves this much at each reading; a span reads it when it starts and ends.
constexpr absl::Duration kStep = kPacerStep;
constexpr absl::Duration kFloor = absl::Milliseconds(1);  // the config's default

class VettingTimingTest : public PacedVettingTest {
 protected:
  // The check's result; INVALID_ARGUMENT and the like as VETTING_RESULT_UNSPECIFIED.
  v1::VettingResult Check(const v1::VettingCheckRequest& req) {
    // Each candidate's consent has a reference of its own.
    v1::VettingCheckResponse resp;
    const grpc::Status s = CheckWithConsent(req, &resp);
    return s.ok() ? resp.result() : v1::VETTING_RESULT_UNSPECIFIED;
  }

  // Checks `req` (the case `what` names): answered `expected`, after one hold, of how long it
  // waited after the lookup's own time.
  void ExpectAnsweredAfterOneHoldToTheFloor(const std::string& what,
                                            const v1::VettingCheckRequest& req,
                                            v1::VettingResult expected) {
    SCOPED_TRACE(what);
    EXPECT_EQ(Check(req), expected);
    const auto waits = pacer_.Waits();
    ASSERT_EQ(waits.size(), 1u);
    // Started at t, read again at t + kStep, waits until t + kFloor.
    EXPECT_EQ(waits[0].until - waits[0].from, kFloor - kStep);
    pacer_.ClearWaits();
  }

  std::string OverrunsLine() {
    const std::string page = server_->server()->metrics().Render();
    const size_t at = page.find("\nregistryd_vetting_lookup_overruns_total ");
    if (at == std::string::npos) return "";
    return page.substr(at + 1, page.find('\n', at + 1) - at - 1);
  }
};

TEST_F(VettingTimingTest, EveryAnswerWaitsUntilTheSameTimeAfterTheLookupBegan) {
  const v1::CreateRecordRequest record = ExampleRecord();
  v1::CreateRecordResponse created;
  {
    grpc::ClientContext ctx;
    auto records = v1::RecordService::NewStub(server_->Channel("clerk"));
    ASSERT_TRUE(records->CreateRecord(&ctx, record, &created).ok());
  }
  pacer_.ClearWaits();
  const v1::VettingCheckRequest exact = CandidateOf(record.person());

  // Neither the number nor the name and birth date are any record's.
  v1::VettingCheckRequest nobody = exact;
  nobody.set_personal_number("5555555555");
  nobody.set_birth_date("1991-02-03");
  ExpectAnsweredAfterOneHoldToTheFloor("no record", nobody, v1::VETTING_RESULT_CLEAR);

  v1::VettingCheckRequest other_number = exact;
  other_number.set_personal_number("5555555555");
  ExpectAnsweredAfterOneHoldToTheFloor("a record naming the candidate under another number",
                                       other_number, v1::VETTING_RESULT_REFER);

  ExpectAnsweredAfterOneHoldToTheFloor("an active record", exact, v1::VETTING_RESULT_NOT_CLEAR);

  v1::VettingCheckRequest other_name = exact;
  other_name.set_given_name("Artan");
  ExpectAnsweredAfterOneHoldToTheFloor("a record under another name", other_name,
                                       v1::VETTING_RESULT_REFER);

  // Spent: the day after the employer may see it.
  grpc::ClientContext ctx;
  v1::GetRecordRequest get;
  get.set_record_id(created.record_id());
  v1::GetRecordResponse got;
  ASSERT_TRUE(v1::RecordService::NewStub(server_->Channel("clerk"))->GetRecord(&ctx, get, &got).ok());
  const absl::StatusOr<absl::CivilDay> until =
      ParseDate(got.record().metadata().employer_visible_until());
  ASSERT_TRUE(until.ok());
  clock_.Set(KosovoMidnight(*until + 1));
  ExpectAnsweredAfterOneHoldToTheFloor("a spent record", exact, v1::VETTING_RESULT_CLEAR);

  ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", created.record_id()).ok());
  pacer_.ClearWaits();
  ExpectAnsweredAfterOneHoldToTheFloor("an expunged record", exact, v1::VETTING_RESULT_CLEAR);

  EXPECT_EQ(OverrunsLine(), "registryd_vetting_lookup_overruns_total 0");
}

// A loaded machine: the lookup took longer than the floor. The answer comes when the work is
// done, and the overrun is counted for the operator.
TEST_F(VettingTimingTest, ALookupThatRunsPastTheFloorIsAnsweredAndCounted) {
  pacer_.SetStep(kFloor * 2);
  EXPECT_EQ(Check(CandidateOf(ExampleRecord().person())), v1::VETTING_RESULT_CLEAR);
  EXPECT_TRUE(pacer_.Waits().empty());
  EXPECT_EQ(OverrunsLine(), "registryd_vetting_lookup_overruns_total 1");
}

// A request refused for what it says is refused before any lookup: there is nothing to hold.
TEST_F(VettingTimingTest, ARequestRefusedForItsOwnContentWaitsForNothing) {
  v1::VettingCheckRequest bad = CandidateOf(ExampleRecord().person());
  bad.set_birth_date("1990-13-01");
  EXPECT_EQ(Check(bad), v1::VETTING_RESULT_UNSPECIFIED);
  EXPECT_TRUE(pacer_.Waits().empty());
}

}  // namespace
}  // namespace registry::testing
