// The per-organisation token bucket, with a fake clock: the burst is the bucket, tokens come back
// at per_minute per minute, and organisations never share a bucket. End to end, a vetting
// organisation over its limit gets RESOURCE_EXHAUSTED (audited) until time passes.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "registry/v1/policy.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/rate_limiter.h"
#include "storage/audit_log.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/clients.h"
#include "tests/testing/methods.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/test_server.h"

namespace registry {
namespace {

namespace v1 = registry::v1;
using server::RateLimiter;

v1::RateLimit Limit(uint32_t per_minute, uint32_t burst) {
  v1::RateLimit l;
  l.set_per_minute(per_minute);
  l.set_burst(burst);
  return l;
}

// How many calls in a row are allowed right now (stops at 1000).
int Drain(RateLimiter& limiter, const std::string& org, const v1::RateLimit& limit) {
  int n = 0;
  while (n < 1000 && limiter.Allow(org, limit)) ++n;
  return n;
}

class RateLimiterTest : public ::testing::Test {
 protected:
  // From an empty bucket of `limit`: no token a tenth of a second before `interval` has passed,
  // one token when it has, and none right after.
  void ExpectOneTokenAfter(const v1::RateLimit& limit, absl::Duration interval) {
    ASSERT_EQ(Drain(limiter_, "school-7", limit), static_cast<int>(limit.burst()));
    clock_.Advance(interval - absl::Milliseconds(100));
    EXPECT_FALSE(limiter_.Allow("school-7", limit));
    clock_.Advance(absl::Milliseconds(100));
    EXPECT_TRUE(limiter_.Allow("school-7", limit));
    EXPECT_FALSE(limiter_.Allow("school-7", limit));
  }

  // CountRefer of a registry whose durable record holds no earlier REFER.
  bool Refer(absl::string_view organisation, const v1::RateLimit& limit) {
    const absl::StatusOr<bool> alert =
        limiter_.CountRefer(organisation, limit, [](absl::Time, absl::Time) {
          return absl::StatusOr<std::vector<absl::Time>>(std::vector<absl::Time>());
        });
    EXPECT_TRUE(alert.ok()) << alert.status();
    return alert.ok() && *alert;
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  RateLimiter limiter_{&clock_};
};

TEST_F(RateLimiterTest, BurstIsAllowedThenRefused) {
  const v1::RateLimit limit = Limit(60, 3);
  EXPECT_TRUE(limiter_.Allow("school-7", limit));
  EXPECT_TRUE(limiter_.Allow("school-7", limit));
  EXPECT_TRUE(limiter_.Allow("school-7", limit));
  EXPECT_FALSE(limiter_.Allow("school-7", limit));
  EXPECT_FALSE(limiter_.Allow("school-7", limit));
}

TEST_F(RateLimiterTest, ZeroBurstMeansPerMinute) {
  EXPECT_EQ(Drain(limiter_, "school-7", Limit(5, 0)), 5);
}

TEST_F(RateLimiterTest, ZeroLimitAllowsNothing) {
  EXPECT_FALSE(limiter_.Allow("school-7", Limit(0, 10)));
  EXPECT_FALSE(limiter_.Allow("school-7", v1::RateLimit()));
}

TEST_F(RateLimiterTest, TokensReturnAtTheConfiguredRate) {
  // 120 per minute: one token every 0.5 s.
  const v1::RateLimit limit = Limit(120, 2);
  ExpectOneTokenAfter(limit, absl::Milliseconds(500));
  // 1.5 s: three tokens earned, but the bucket holds two.
  clock_.Advance(absl::Milliseconds(1500));
  EXPECT_EQ(Drain(limiter_, "school-7", limit), 2);
}

TEST_F(RateLimiterTest, LongIdleRefillsOnlyToTheBurst) {
  const v1::RateLimit limit = Limit(60, 4);
  ASSERT_EQ(Drain(limiter_, "school-7", limit), 4);
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(Drain(limiter_, "school-7", limit), 4);
}

TEST_F(RateLimiterTest, SlowRateRecoversOneTokenPerInterval) {
  // 2 per minute: one token every 30 s.
  ExpectOneTokenAfter(Limit(2, 2), absl::Seconds(30));
}

TEST_F(RateLimiterTest, OrganisationsHaveSeparateBuckets) {
  const v1::RateLimit limit = Limit(60, 2);
  ASSERT_EQ(Drain(limiter_, "school-7", limit), 2);
  EXPECT_FALSE(limiter_.Allow("school-7", limit));
  EXPECT_EQ(Drain(limiter_, "care-home-3", limit), 2);
  EXPECT_FALSE(limiter_.Allow("school-7", limit));
}

TEST_F(RateLimiterTest, ClockGoingBackwardsGivesNoTokens) {
  const v1::RateLimit limit = Limit(60, 1);
  ASSERT_TRUE(limiter_.Allow("school-7", limit));
  clock_.Advance(-absl::Minutes(10));
  EXPECT_FALSE(limiter_.Allow("school-7", limit));
}

// ---- Per organisation and person ----

v1::RateLimit PersonLimit(uint32_t per_day) {
  v1::RateLimit l = Limit(600, 100);
  l.set_checks_per_person_per_day(per_day);
  return l;
}

const std::string kTokenA(32, 'a');
const std::string kTokenB(32, 'b');

// A durable record that holds no earlier checks (a registry that has not restarted).
absl::StatusOr<uint32_t> NoEarlierTakes(absl::Time) { return 0; }

// Whether the limiter allows the check, with no earlier checks on record.
bool AllowPerson(RateLimiter& limiter, const std::string& org, const std::string& token,
                 const v1::RateLimit& limit) {
  const absl::StatusOr<bool> allowed = limiter.AllowPersonCheck(org, token, limit, NoEarlierTakes);
  EXPECT_TRUE(allowed.ok()) << allowed.status();
  return allowed.value_or(false);
}

int DrainPerson(RateLimiter& limiter, const std::string& org, const std::string& token,
                const v1::RateLimit& limit) {
  int n = 0;
  while (n < 1000 && AllowPerson(limiter, org, token, limit)) ++n;
  return n;
}

TEST_F(RateLimiterTest, FiveChecksOfOnePersonADayUnlessThePolicySaysOtherwise) {
  EXPECT_EQ(server::ChecksPerPersonPerDay(v1::RateLimit()), 5u);
  EXPECT_EQ(DrainPerson(limiter_, "school-7", kTokenA, PersonLimit(0)), 5);
  EXPECT_EQ(DrainPerson(limiter_, "school-7", kTokenB, PersonLimit(2)), 2);
}

// Candidates who share a common name count together, so a name's bucket is larger by default
// than a number's, and set on its own.
TEST(NameLimitTest, TwentyChecksOfOneNameADayUnlessThePolicySaysOtherwise) {
  v1::RateLimit limit;
  EXPECT_EQ(server::ChecksPerNamePerDay(limit), 20u);
  limit.set_checks_per_person_per_day(2);
  EXPECT_EQ(server::ChecksPerNamePerDay(limit), 20u);
  limit.set_checks_per_name_per_day(7);
  EXPECT_EQ(server::ChecksPerNamePerDay(limit), 7u);
  EXPECT_EQ(server::ChecksPerPersonPerDay(limit), 2u);
}

TEST_F(RateLimiterTest, PersonBucketsAreSeparateByOrganisationAndPersonAndFromTheRate) {
  const v1::RateLimit limit = PersonLimit(3);
  ASSERT_EQ(DrainPerson(limiter_, "school-7", kTokenA, limit), 3);
  EXPECT_EQ(DrainPerson(limiter_, "school-7", kTokenB, limit), 3);
  EXPECT_EQ(DrainPerson(limiter_, "care-home-3", kTokenA, limit), 3);
  // The organisation's own rate is untouched by its checks of one person.
  EXPECT_EQ(Drain(limiter_, "school-7", limit), 100);
  // An organisation id that ends where another's token begins is still another bucket.
  EXPECT_EQ(DrainPerson(limiter_, "school-7a", kTokenA.substr(1), limit), 3);
}

TEST_F(RateLimiterTest, PersonChecksComeBackAtTheDailyRate) {
  // 4 a day: one every 6 hours.
  const v1::RateLimit limit = PersonLimit(4);
  ASSERT_EQ(DrainPerson(limiter_, "school-7", kTokenA, limit), 4);
  clock_.Advance(absl::Hours(6) - absl::Seconds(1));
  EXPECT_FALSE(AllowPerson(limiter_, "school-7", kTokenA, limit));
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(AllowPerson(limiter_, "school-7", kTokenA, limit));
  EXPECT_FALSE(AllowPerson(limiter_, "school-7", kTokenA, limit));
  // A week refills the bucket, never beyond its day.
  clock_.Advance(absl::Hours(24 * 7));
  EXPECT_EQ(DrainPerson(limiter_, "school-7", kTokenA, limit), 4);
  clock_.Advance(-absl::Hours(1));
  EXPECT_FALSE(AllowPerson(limiter_, "school-7", kTokenA, limit));
}

TEST_F(RateLimiterTest, PersonBucketsUntouchedForADayAreForgottenAndRecentOnesKept) {
  const v1::RateLimit limit = PersonLimit(1);
  for (int i = 0; i < 1024; ++i) {
    ASSERT_TRUE(AllowPerson(limiter_, "school-7", absl::StrCat("person-", i), limit));
  }
  ASSERT_EQ(limiter_.PersonBucketsForTest(), 1024u);
  // 23 hours on, none has refilled: a new person keeps them all.
  clock_.Advance(absl::Hours(23));
  ASSERT_TRUE(AllowPerson(limiter_, "school-7", "person-new", limit));
  EXPECT_EQ(limiter_.PersonBucketsForTest(), 1025u);
  EXPECT_FALSE(AllowPerson(limiter_, "school-7", "person-0", limit));
  // A day after the first checks they are full again, as a new bucket would be: forgotten when
  // the map has doubled.
  clock_.Advance(absl::Hours(1));
  for (int i = 0; i < 1024; ++i) {
    ASSERT_TRUE(AllowPerson(limiter_, "care-home-3", absl::StrCat("person-", i), limit));
  }
  EXPECT_LE(limiter_.PersonBucketsForTest(), 1024u + 2u);
  EXPECT_FALSE(AllowPerson(limiter_, "school-7", "person-new", limit));
  EXPECT_TRUE(AllowPerson(limiter_, "school-7", "person-0", limit));
}

TEST_F(RateLimiterTest, ABucketNotHeldStartsFromTheChecksOnRecordOfTheLastDay) {
  const v1::RateLimit limit = PersonLimit(5);
  int asked = 0;
  absl::Time asked_since;
  const auto three_on_record = [&](absl::Time since) -> absl::StatusOr<uint32_t> {
    ++asked;
    asked_since = since;
    return 3;
  };
  const auto allow = [&] {
    const absl::StatusOr<bool> allowed =
        limiter_.AllowPersonCheck("school-7", kTokenA, limit, three_on_record);
    EXPECT_TRUE(allowed.ok()) << allowed.status();
    return allowed.value_or(false);
  };
  EXPECT_TRUE(allow());
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(asked_since, clock_.Now() - absl::Hours(24));
  EXPECT_TRUE(allow());
  EXPECT_FALSE(allow());
  // The record is read once, for a bucket the limiter does not hold.
  EXPECT_EQ(asked, 1);
  // The bucket refills at the daily rate from there: one check every 24/5 hours.
  clock_.Advance(absl::Minutes(24 * 60 / 5));
  EXPECT_TRUE(allow());
  EXPECT_FALSE(allow());
  EXPECT_EQ(asked, 1);

  // More on record than the limit allows (a policy that lowered it): nothing until a refill.
  const auto seven = [](absl::Time) -> absl::StatusOr<uint32_t> { return 7; };
  absl::StatusOr<bool> allowed = limiter_.AllowPersonCheck("school-7", kTokenB, limit, seven);
  ASSERT_TRUE(allowed.ok());
  EXPECT_FALSE(*allowed);
  // Another organisation's bucket for the same person is its own.
  EXPECT_EQ(DrainPerson(limiter_, "care-home-3", kTokenB, limit), 5);
}

TEST_F(RateLimiterTest, ARecordThatCannotBeReadRefusesAndCreatesNoBucket) {
  const v1::RateLimit limit = PersonLimit(2);
  const auto unreadable = [](absl::Time) -> absl::StatusOr<uint32_t> {
    return absl::DataLossError("a vetting limit row fails authentication");
  };
  const absl::StatusOr<bool> allowed =
      limiter_.AllowPersonCheck("school-7", kTokenA, limit, unreadable);
  EXPECT_EQ(allowed.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(limiter_.PersonBucketsForTest(), 0u);
  // Read again on the next call, which then starts from what it says.
  EXPECT_EQ(DrainPerson(limiter_, "school-7", kTokenA, limit), 2);
}

// ---- A reloaded policy ----

// The durable record of one organisation's checks of one person: every check a limiter allowed,
// counted as storage::CheckStore::CountLimitTakes counts them.
class RecordedChecks {
 public:
  explicit RecordedChecks(const Clock* clock) : clock_(clock) {}

  // Whether `limiter` allows school-7 a check of kTokenA under `limit`; one allowed is recorded.
  bool Allow(RateLimiter& limiter, const v1::RateLimit& limit) {
    const absl::StatusOr<bool> allowed = limiter.AllowPersonCheck(
        "school-7", kTokenA, limit, [this](absl::Time since) -> absl::StatusOr<uint32_t> {
          uint32_t n = 0;
          for (absl::Time t : times_) n += t >= since ? 1 : 0;
          return n;
        });
    EXPECT_TRUE(allowed.ok()) << allowed.status();
    if (allowed.value_or(false)) times_.push_back(clock_->Now());
    return allowed.value_or(false);
  }

  // How many checks in a row `limiter` allows right now (stops at 1000).
  int Drain(RateLimiter& limiter, const v1::RateLimit& limit) {
    int n = 0;
    while (n < 1000 && Allow(limiter, limit)) ++n;
    return n;
  }

 private:
  const Clock* clock_;
  std::vector<absl::Time> times_;
};

// A reload from 5 checks of one person a day to 2, after 3 checks: the next is refused, as after
// a restart. Before, the bucket was only cut down to 2 tokens and answered 5 checks that day.
TEST_F(RateLimiterTest, ALimitLoweredBelowTheDaysChecksRefusesTheNextCheck) {
  RecordedChecks record(&clock_);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(record.Allow(limiter_, PersonLimit(5))) << i;
  EXPECT_FALSE(record.Allow(limiter_, PersonLimit(2)));
  EXPECT_FALSE(record.Allow(limiter_, PersonLimit(2)));
  // Lowered to just above the day's checks: one more.
  EXPECT_EQ(record.Drain(limiter_, PersonLimit(4)), 1);
}

// A reload from 2 checks a day to 5, after 2: three more, then none. Before, the empty bucket
// stayed empty until it refilled at the new rate.
TEST_F(RateLimiterTest, ALimitRaisedGivesTheNewLimitLessTheDaysChecks) {
  RecordedChecks record(&clock_);
  ASSERT_EQ(record.Drain(limiter_, PersonLimit(2)), 2);
  EXPECT_EQ(record.Drain(limiter_, PersonLimit(5)), 3);
  // Held under the new limit from then on: it refills at 5 a day.
  clock_.Advance(absl::Minutes(24 * 60 / 5));
  EXPECT_EQ(record.Drain(limiter_, PersonLimit(5)), 1);
}

// After a reload a bucket holds what a limiter started afresh (a restart) would build from the
// record: 4 checks under 6 a day, 12 hours on (half of them earned back by the bucket, none by
// the record), the limit changed.
TEST_F(RateLimiterTest, AReloadLeavesTheChecksARestartWould) {
  for (uint32_t new_limit : {10u, 3u, 5u}) {
    RateLimiter running(&clock_);
    RecordedChecks record(&clock_);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(record.Allow(running, PersonLimit(6))) << i;
    clock_.Advance(absl::Hours(12));
    RateLimiter restarted(&clock_);
    const int after_restart = RecordedChecks(record).Drain(restarted, PersonLimit(new_limit));
    EXPECT_EQ(after_restart, static_cast<int>(new_limit > 4 ? new_limit - 4 : 0)) << new_limit;
    EXPECT_EQ(record.Drain(running, PersonLimit(new_limit)), after_restart) << new_limit;
  }
}

// The gate takes a name's checks from the same kind of bucket, sized by checks_per_name_per_day.
TEST_F(RateLimiterTest, ANameBucketCountsTheDaysChecksUnderAReloadedLimitToo) {
  const auto name_limit = [](uint32_t per_day) {
    v1::RateLimit l = PersonLimit(2);
    l.set_checks_per_name_per_day(per_day);
    l.set_checks_per_person_per_day(server::ChecksPerNamePerDay(l));
    return l;
  };
  RecordedChecks record(&clock_);
  ASSERT_EQ(record.Drain(limiter_, name_limit(20)), 20);
  EXPECT_EQ(record.Drain(limiter_, name_limit(30)), 10);
  // Far more than the day's: Drain stops at 1000.
  EXPECT_EQ(record.Drain(limiter_, name_limit(100000)), 1000);
  EXPECT_EQ(record.Drain(limiter_, name_limit(1025)), 0);
  EXPECT_EQ(record.Drain(limiter_, name_limit(1031)), 1);
}

// A check refused for its input gives back what it took, but not to a bucket rebuilt under
// another limit since the take: the rebuild may have counted the day's checks from the record,
// where the check in flight is not.
TEST_F(RateLimiterTest, ATakeIsNotGivenBackToABucketRebuiltUnderAnotherLimit) {
  RecordedChecks record(&clock_);
  ASSERT_EQ(record.Drain(limiter_, PersonLimit(3)), 3);
  clock_.Advance(absl::Hours(12));
  // A check in flight: taken, not yet on record.
  ASSERT_TRUE(limiter_.AllowPersonCheck("school-7", kTokenA, PersonLimit(3), NoEarlierTakes)
                  .value_or(false));
  // Raised to 4: one more on top of the 3 on record.
  EXPECT_TRUE(record.Allow(limiter_, PersonLimit(4)));
  // The check in flight is refused for its input: its take is not given back.
  limiter_.GiveBackPersonCheck("school-7", kTokenA, PersonLimit(3));
  EXPECT_FALSE(record.Allow(limiter_, PersonLimit(4)));
  // Given back under the limit the bucket is held under, it is.
  limiter_.GiveBackPersonCheck("school-7", kTokenA, PersonLimit(4));
  EXPECT_TRUE(record.Allow(limiter_, PersonLimit(4)));
}

// The organisation's own rate has no record (a restart fills it): a reloaded burst keeps what was
// taken and not yet earned back. Before, a lowered burst was only a cap, and a raised one left
// the bucket as empty as it was.
TEST_F(RateLimiterTest, AReloadedBurstKeepsWhatTheOrganisationTook) {
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(limiter_.Allow("school-7", Limit(60, 10))) << i;
  EXPECT_EQ(Drain(limiter_, "school-7", Limit(60, 9)), 1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter_.Allow("care-home-3", Limit(60, 4))) << i;
  EXPECT_EQ(Drain(limiter_, "care-home-3", Limit(60, 10)), 7);
}

v1::RateLimit ReferAlert(uint32_t refers) {
  v1::RateLimit l = Limit(60, 60);
  l.set_refers_per_day_alert(refers);
  return l;
}

TEST_F(RateLimiterTest, TheReferThatReachesTheCountRaisesTheAlertOnceAPeriod) {
  const v1::RateLimit three = ReferAlert(3);
  EXPECT_FALSE(Refer("school-7", three));
  EXPECT_FALSE(Refer("school-7", three));
  EXPECT_TRUE(Refer("school-7", three));
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(Refer("school-7", three)) << i;
  // Another organisation counts its own.
  EXPECT_FALSE(Refer("care-home-3", three));
  EXPECT_FALSE(Refer("care-home-3", three));
  EXPECT_TRUE(Refer("care-home-3", three));
  // 0 means 20.
  const v1::RateLimit unset = ReferAlert(0);
  ASSERT_EQ(server::RefersPerDayAlert(unset), server::kDefaultRefersPerDayAlert);
  for (uint32_t i = 1; i < server::kDefaultRefersPerDayAlert; ++i) {
    EXPECT_FALSE(Refer("kindergarten-1", unset)) << i;
  }
  EXPECT_TRUE(Refer("kindergarten-1", unset));
  // A policy that lowers the count below what the period already has alerts at the next REFER.
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(Refer("kindergarten-2", ReferAlert(9)));
  EXPECT_TRUE(Refer("kindergarten-2", ReferAlert(2)));
  EXPECT_FALSE(Refer("kindergarten-2", ReferAlert(2)));
}

TEST_F(RateLimiterTest, TheReferCountStartsAgainADayAfterThePeriodsFirstRefer) {
  const v1::RateLimit two = ReferAlert(2);
  EXPECT_FALSE(Refer("school-7", two));
  clock_.Advance(absl::Hours(23));
  EXPECT_TRUE(Refer("school-7", two));  // the same period: the 2nd
  clock_.Advance(absl::Hours(1));                      // 24 hours after the first: a new period
  EXPECT_FALSE(Refer("school-7", two));
  EXPECT_TRUE(Refer("school-7", two));
  EXPECT_FALSE(Refer("school-7", two));
  // A clock that goes back stays in the period it is in.
  clock_.Advance(-absl::Hours(48));
  EXPECT_FALSE(Refer("school-7", two));
}

// After a restart the day's REFERs are read back: the period starts at the oldest of them, the
// count goes on from theirs, and only REFERs of the 24 hours before now are asked for.
TEST_F(RateLimiterTest, AnOrganisationsReferCountStartsFromItsReferAnswersOfTheLastDay) {
  const v1::RateLimit three = ReferAlert(3);
  const absl::Time now = clock_.Now();
  std::vector<std::pair<absl::Time, absl::Time>> asked;
  const auto two_earlier = [&](absl::Time since, absl::Time until) {
    asked.emplace_back(since, until);
    return absl::StatusOr<std::vector<absl::Time>>(
        std::vector<absl::Time>{now - absl::Hours(20), now - absl::Hours(1)});
  };
  absl::StatusOr<bool> alert = limiter_.CountRefer("school-7", three, two_earlier);
  ASSERT_TRUE(alert.ok()) << alert.status();
  EXPECT_TRUE(*alert);  // the third of the period
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].first, now - absl::Hours(24));
  EXPECT_EQ(asked[0].second, now);
  // Held from now on: not asked again.
  EXPECT_FALSE(*limiter_.CountRefer("school-7", three, two_earlier));
  EXPECT_EQ(asked.size(), 1u);
  // The period began 20 hours ago: four hours on, a new one begins.
  clock_.Advance(absl::Hours(4));
  EXPECT_FALSE(Refer("school-7", three));
  EXPECT_FALSE(Refer("school-7", three));
  EXPECT_TRUE(Refer("school-7", three));
}

TEST_F(RateLimiterTest, ARecordOfReferAnswersThatCannotBeReadIsAnErrorAndCountsNothing) {
  const auto unreadable = [](absl::Time, absl::Time) -> absl::StatusOr<std::vector<absl::Time>> {
    return absl::DataLossError("a vetting limit row fails authentication");
  };
  EXPECT_EQ(limiter_.CountRefer("school-7", ReferAlert(1), unreadable).status().code(),
            absl::StatusCode::kDataLoss);
  // Nothing was held: the next REFER reads again, and is the first.
  EXPECT_TRUE(Refer("school-7", ReferAlert(1)));
}

// ---- End to end ----

v1::VettingCheckRequest Candidate(const std::string& category) {
  v1::VettingCheckRequest req;
  req.set_personal_number("1098765432");
  req.set_surname("Berisha");
  req.set_given_name("Driton");
  req.set_birth_date("1990-02-03");
  req.set_position_category(category);
  req.set_consent_reference("CONSENT-2026-0042");
  return req;
}

grpc::StatusCode Check(testing::TestServer& server, const std::string& identity,
                       const std::string& category) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::VettingCheckResponse resp;
  grpc::Status s = v1::VettingService::NewStub(server.Channel(identity))
                       ->VettingCheck(&ctx, Candidate(category), &resp);
  if (!s.ok()) {
    EXPECT_FALSE(resp.has_certificate());
  }
  return s.error_code();
}

// VettingCheck of `req` as `identity`, for a position its organisation vets: dev-school's
// "vetting" asks for a teacher, the care home's "vetting2" for a care worker.
grpc::Status VetAs(const testing::TestServer& server, const std::string& identity,
                   v1::VettingCheckRequest req, v1::VettingCheckResponse* resp) {
  req.set_position_category(identity == "vetting" ? "teacher" : "care_worker");
  // Each candidate's consent has a reference of its own.
  if (req.consent_reference() == "CONSENT-2026-0042") {
    req.set_consent_reference(testing::ConsentFor(req.personal_number(), "CONSENT-2026-0042"));
  }
  grpc::ClientContext ctx;
  return v1::VettingService::NewStub(server.Channel(identity))->VettingCheck(&ctx, req, resp);
}

// A registry on `clock` under the dev policy, with dev-school's rate limit changed by `change`.
std::unique_ptr<testing::TestServer> StartWithSchoolLimit(
    const Clock* clock, const std::function<void(v1::RateLimit*)>& change,
    std::function<void(std::function<void()>)> after_reply = nullptr) {
  testing::TestServerOptions options;
  options.clock = clock;
  options.after_reply = std::move(after_reply);
  options.policy = std::make_unique<v1::AccessPolicy>(testing::DevPolicy());
  for (v1::Organisation& org : *options.policy->mutable_organisations()) {
    if (org.id() == "dev-school") change(org.mutable_rate_limit());
  }
  return testing::TestServer::Start(std::move(options));
}

TEST(RateLimitEndToEndTest, VettingOrganisationOverItsLimitIsRefusedUntilTimePasses) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto server = StartWithSchoolLimit(&clock, [](v1::RateLimit* l) { *l = Limit(2, 2); });
  storage::AuditLog* log = server->server()->audit_log();

  EXPECT_EQ(Check(*server, "vetting", "teacher"), grpc::StatusCode::OK);
  EXPECT_EQ(Check(*server, "vetting", "teacher"), grpc::StatusCode::OK);

  const uint64_t before = log->CurrentHead().size;
  EXPECT_EQ(Check(*server, "vetting", "teacher"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  ASSERT_EQ(log->CurrentHead().size, before + 1);
  auto bytes = log->ReadEvent(before);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  v1::AuditEvent event;
  ASSERT_TRUE(event.ParseFromString(*bytes));
  EXPECT_EQ(testing::OutcomeName(event), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(event.actor(), testing::kVettingId);
  EXPECT_EQ(event.organisation(), "dev-school");
  EXPECT_EQ(event.action(), testing::kVettingCheckMethod);
  EXPECT_TRUE(event.recipient().empty());

  // Another organisation has its own bucket.
  EXPECT_EQ(Check(*server, "vetting2", "care_worker"), grpc::StatusCode::OK);

  // 2 per minute: 30 s brings back exactly one token.
  clock.Advance(absl::Seconds(30));
  EXPECT_EQ(Check(*server, "vetting", "teacher"), grpc::StatusCode::OK);
  EXPECT_EQ(Check(*server, "vetting", "teacher"), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// The limit per organisation and person, through the registry: dev-school may ask three times a
// day about one personal number. Trying birth dates (or names) for a registered person stops at
// the third, with the same refusal as for a person the registry does not know; the refusals enter
// the person's history; other people and other organisations are not held back.
TEST(RateLimitEndToEndTest, AnOrganisationAsksAboutOnePersonOnlyAFewTimesADayWhateverIsRegistered) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto server = StartWithSchoolLimit(
      &clock, [](v1::RateLimit* l) { l->set_checks_per_person_per_day(3); });

  const v1::CreateRecordRequest record = testing::ExampleRecord();
  {
    grpc::ClientContext ctx;
    v1::CreateRecordResponse resp;
    const grpc::Status s =
        v1::RecordService::NewStub(server->Channel("clerk"))->CreateRecord(&ctx, record, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // Each number under a name of its own: checks of one name have a daily limit of their own
  // (TheDailyLimitOnOneNameHoldsWhateverNumbersItIsAskedUnder).
  const auto vet = [&](const std::string& identity, const std::string& personal_number,
                       int day_of_birth, std::string* message) {
    v1::VettingCheckRequest req = testing::CandidateOf(record.person(), "CONSENT-2026-0042");
    req.set_personal_number(personal_number);
    if (personal_number == "1098765432") req.set_given_name("Ardit");
    if (personal_number == "1098765433") req.set_given_name("Besnik");
    req.set_birth_date(absl::StrCat("1990-01-", day_of_birth < 10 ? "0" : "", day_of_birth));
    v1::VettingCheckResponse resp;
    const grpc::Status s = VetAs(*server, identity, std::move(req), &resp);
    if (!s.ok()) {
      EXPECT_FALSE(resp.has_certificate());
      EXPECT_EQ(resp.result(), v1::VETTING_RESULT_UNSPECIFIED);
    }
    if (message != nullptr) *message = s.error_message();
    return s.error_code();
  };

  const std::string registered = record.person().personal_number();
  const std::string unknown = "1098765432";
  ASSERT_NE(registered, unknown);
  std::string refused_registered, refused_unknown;
  for (int day = 1; day <= 10; ++day) {
    const grpc::StatusCode expected =
        day <= 3 ? grpc::StatusCode::OK : grpc::StatusCode::RESOURCE_EXHAUSTED;
    EXPECT_EQ(vet("vetting", registered, day, &refused_registered), expected) << day;
    EXPECT_EQ(vet("vetting", unknown, day, &refused_unknown), expected) << day;
  }
  EXPECT_EQ(refused_registered, refused_unknown);

  // Another person, and another organisation about the same person, are answered.
  EXPECT_EQ(vet("vetting", "1098765433", 1, nullptr), grpc::StatusCode::OK);
  EXPECT_EQ(vet("vetting2", registered, 1, nullptr), grpc::StatusCode::OK);

  // Every try is in the person's history, the refused ones with their code.
  grpc::ClientContext ctx;
  v1::ListChecksAboutPersonRequest list;
  list.set_personal_number(registered);
  list.set_request_reference("DSR-2026-7");
  v1::ListChecksAboutPersonResponse history;
  const grpc::Status listed =
      v1::VettingService::NewStub(server->Channel("clerk"))->ListChecksAboutPerson(&ctx, list,
                                                                                   &history);
  ASSERT_TRUE(listed.ok()) << listed.error_message();
  int answered = 0, limited = 0;
  for (const v1::CheckSummary& c : history.checks()) {
    if (c.organisation() != "dev-school") continue;
    if (c.status_code() == grpc::StatusCode::OK) ++answered;
    if (c.status_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++limited;
  }
  EXPECT_EQ(answered, 3);
  EXPECT_EQ(limited, 7);

  // Eight hours on (a third of a day), one more question.
  clock.Advance(absl::Hours(8));
  EXPECT_EQ(vet("vetting", registered, 11, nullptr), grpc::StatusCode::OK);
  EXPECT_EQ(vet("vetting", registered, 12, nullptr), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// VettingCheck of `person` as `identity` (a position of its organisation's), the request changed
// by `change`: the status code.
grpc::StatusCode VetCandidate(const testing::TestServer& server, const std::string& identity,
                              const v1::Person& person,
                              const std::function<void(v1::VettingCheckRequest*)>& change) {
  v1::VettingCheckRequest req = testing::CandidateOf(person, "CONSENT-2026-0042");
  change(&req);
  v1::VettingCheckResponse resp;
  return VetAs(server, identity, std::move(req), &resp).error_code();
}

// VetCandidate of the example record's person.
grpc::StatusCode VetExamplePerson(const testing::TestServer& server, const std::string& identity,
                                  const std::function<void(v1::VettingCheckRequest*)>& change) {
  return VetCandidate(server, identity, testing::ExampleRecord().person(), change);
}

// dev-school's daily limits: `per_day` checks of one person and `per_day` of one name.
std::function<void(v1::RateLimit*)> DailyLimitsOnPersonAndName(int per_day) {
  return [per_day](v1::RateLimit* l) {
    l->set_checks_per_person_per_day(per_day);
    l->set_checks_per_name_per_day(per_day);
  };
}

// Gives the check a personal number and birth date of its own (from *next_number, which it
// advances), so that only what the test keeps the same repeats.
void SetFreshNumberAndBirthDate(v1::VettingCheckRequest* req, int* next_number) {
  req->set_personal_number(absl::StrCat("10987654", *next_number));
  req->set_birth_date(absl::StrCat("1990-01-", (*next_number)++));
}

// Checks of the example record's person as "vetting" under a name (surname, given name) given
// each time, each with a number and birth date of its own (SetFreshNumberAndBirthDate, from 10).
std::function<grpc::StatusCode(const std::string&, const std::string&)> FreshNumberNameCheck(
    const testing::TestServer& server) {
  auto next_number = std::make_shared<int>(10);
  return [&server, next_number](const std::string& surname, const std::string& given_name) {
    return VetExamplePerson(server, "vetting", [&](v1::VettingCheckRequest* req) {
      SetFreshNumberAndBirthDate(req, next_number.get());
      req->set_surname(surname);
      req->set_given_name(given_name);
    });
  };
}

// The limit outlives registryd: each check that took from it is kept (storage::CheckStore's limit
// rows), so stopping and starting the registry gives an organisation no new tries at a person's
// birth date.
TEST(RateLimitEndToEndTest, TheDailyLimitOnOnePersonHoldsAcrossARestart) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto server = StartWithSchoolLimit(
      &clock, [](v1::RateLimit* l) { l->set_checks_per_person_per_day(3); });
  const auto vet = [&](const std::string& identity, const std::string& birth_date) {
    return VetExamplePerson(
        *server, identity, [&](v1::VettingCheckRequest* req) { req->set_birth_date(birth_date); });
  };
  EXPECT_EQ(vet("vetting", "1990-01-01"), grpc::StatusCode::OK);
  EXPECT_EQ(vet("vetting", "1990-01-02"), grpc::StatusCode::OK);
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(vet("vetting", "1990-01-03"), grpc::StatusCode::OK);
  EXPECT_EQ(vet("vetting", "1990-01-04"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(vet("vetting2", "1990-01-04"), grpc::StatusCode::OK);
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(vet("vetting", "1990-01-05"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // A day after the first checks, none of them counts any more.
  clock.Advance(absl::Hours(24) + absl::Seconds(1));
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(vet("vetting", "1990-01-06"), grpc::StatusCode::OK);
}

// Bad input took from the daily limits on one person before the handler refused it: five checks
// with a name pasted with a no-break space (INVALID_ARGUMENT each) left the employer's sixth,
// correct one RESOURCE_EXHAUSTED for a day, and a later typo was answered with the limit rather
// than the field. A check refused for its input reads nothing about the person and takes nothing;
// the checks answered still do, across a restart too. Past the limit, bad input is still named.
TEST(RateLimitEndToEndTest, BadInputTakesNothingFromTheDailyLimitsOnAPerson) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto server = StartWithSchoolLimit(
      &clock, [](v1::RateLimit* l) { l->set_checks_per_person_per_day(2); });
  const v1::Person person = testing::ExampleRecord().person();
  const auto vet = [&](const std::string& surname, const std::string& birth_date) {
    return VetCandidate(*server, "vetting", person, [&](v1::VettingCheckRequest* req) {
      req->set_surname(surname);
      req->set_birth_date(birth_date);
    });
  };
  const std::string pasted = person.surname() + "\xc2\xa0";  // a no-break space after it
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(vet(pasted, person.birth_date()), grpc::StatusCode::INVALID_ARGUMENT) << i;
    EXPECT_EQ(vet(person.surname(), "1990-02-30"), grpc::StatusCode::INVALID_ARGUMENT) << i;
  }
  EXPECT_EQ(vet(person.surname(), person.birth_date()), grpc::StatusCode::OK);
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(vet(pasted, person.birth_date()), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(vet(person.surname(), person.birth_date()), grpc::StatusCode::OK);
  EXPECT_EQ(vet(person.surname(), person.birth_date()), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Past the limit, bad input is still named as such, not refused for the limit: the limit's
  // refusal comes only to a check that would read.
  EXPECT_EQ(vet(pasted, person.birth_date()), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(vet(person.surname(), "1990-02-30"), grpc::StatusCode::INVALID_ARGUMENT);
}

// The same limit on checks of one name (surname and given name, folded as the name index folds
// them, without the birth date), whatever personal numbers and birth dates it is asked with:
// every check reads the records that name the candidate under another number (docs/security.md
// row 100), and a fresh number for each try must not make that a search for a registered
// person's birth date. The refusal is the same whether the registry holds the name or not, and
// the call is refused before anything is read (the probe of the registered date gets no REFER).
TEST(RateLimitEndToEndTest, ProbingOneNameUnderFreshNumbersMeetsTheDailyLimitOfThatName) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto server = StartWithSchoolLimit(&clock, DailyLimitsOnPersonAndName(5));
  v1::CreateRecordRequest record = testing::ExampleRecord();
  record.mutable_person()->set_surname("Petrovi\xc4\x87");  // Petrović
  record.mutable_person()->set_given_name("Marko");
  record.mutable_person()->set_birth_date("1985-06-06");
  ASSERT_FALSE(testing::CreatedRecordId(*server, "clerk", record).empty());
  int next_number = 10;
  const auto vet = [&](const std::string& identity, const std::string& surname,
                       const std::string& given_name, const std::string& birth_date,
                       std::string* message) {
    v1::VettingCheckRequest req = testing::CandidateOf(record.person(), "CONSENT-2026-0042");
    req.set_personal_number(absl::StrCat("10987654", next_number++));
    EXPECT_NE(req.personal_number(), record.person().personal_number());
    req.set_surname(surname);
    req.set_given_name(given_name);
    req.set_birth_date(birth_date);
    v1::VettingCheckResponse resp;
    const grpc::Status s = VetAs(*server, identity, std::move(req), &resp);
    if (!s.ok()) {
      EXPECT_FALSE(resp.has_certificate());
    }
    if (message != nullptr) *message = s.error_message();
    return std::make_pair(s.error_code(), resp.result());
  };
  const std::string kLatin = "Petrovi\xc4\x87";
  const std::string kCyrillic = "\xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2\xd0\xb8"
                                "\xd1\x9b";  // Петровић
  const std::string kMarkoCyrillic = "\xd0\x9c\xd0\xb0\xd1\x80\xd0\xba\xd0\xbe";  // Марко
  // Five dates, one of them in Cyrillic: the same name, five fresh numbers, all answered CLEAR.
  for (int day = 1; day <= 5; ++day) {
    const bool cyrillic = day == 3;
    const auto [code, result] =
        vet("vetting", cyrillic ? kCyrillic : kLatin, cyrillic ? kMarkoCyrillic : "Marko",
            absl::StrCat("1985-06-0", day), nullptr);
    EXPECT_EQ(code, grpc::StatusCode::OK) << day;
    EXPECT_EQ(result, v1::VETTING_RESULT_CLEAR) << day;
  }
  // The sixth try, of the registered date, under yet another number: refused for the name.
  std::string refused_registered;
  EXPECT_EQ(vet("vetting", kLatin, "Marko", "1985-06-06", &refused_registered).first,
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(refused_registered,
            "checks of this name by the organisation: the daily limit of 5 checks of one surname "
            "and given name, whoever the candidates are, is reached; it refills within 24 hours "
            "of the checks made");
  EXPECT_EQ(vet("vetting", "PETROVI\xc4\x86", "marko", "1985-06-07", nullptr).first,
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  // A name the registry does not hold meets the same limit, with the same words.
  std::string refused_unknown;
  for (int day = 1; day <= 6; ++day) {
    EXPECT_EQ(vet("vetting", "Krasniqi", "Ardit", absl::StrCat("1985-06-0", day),
                  &refused_unknown).first,
              day <= 5 ? grpc::StatusCode::OK : grpc::StatusCode::RESOURCE_EXHAUSTED)
        << day;
  }
  EXPECT_EQ(refused_unknown, refused_registered);

  // A check the name's limit refuses is no check of its number: five such refusals under one
  // number leave that number's own five checks untouched.
  const auto vet_number = [&](const std::string& number, const std::string& given_name) {
    return VetCandidate(*server, "vetting", record.person(), [&](v1::VettingCheckRequest* req) {
      req->set_personal_number(number);
      req->set_surname(kLatin);
      req->set_given_name(given_name);
    });
  };
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(vet_number("1098765499", "Marko"), grpc::StatusCode::RESOURCE_EXHAUSTED) << i;
  }
  EXPECT_EQ(vet_number("1098765499", "Mirko"), grpc::StatusCode::OK);

  // Another name, and another organisation asking about this one, are answered; the other
  // organisation's check of the registered date refers, as it always did.
  EXPECT_EQ(vet("vetting", kLatin, "Marka", "1985-06-06", nullptr).first, grpc::StatusCode::OK);
  const auto other_org = vet("vetting2", kLatin, "Marko", "1985-06-06", nullptr);
  EXPECT_EQ(other_org.first, grpc::StatusCode::OK);
  EXPECT_EQ(other_org.second, v1::VETTING_RESULT_REFER);

  // A name that cannot be normalised is refused as invalid, as before, whatever the limit.
  EXPECT_EQ(vet("vetting", "", "Marko", "1985-06-06", nullptr).first,
            grpc::StatusCode::INVALID_ARGUMENT);

  // A day on, the name may be asked about again.
  clock.Advance(absl::Hours(24) + absl::Seconds(1));
  EXPECT_EQ(vet("vetting", kLatin, "Marko", "1985-06-08", nullptr).first, grpc::StatusCode::OK);
}

// "Рера Асо" is Cyrillic throughout, read by sound as "Rera Aso", and looks like "Pepa Aco": the
// vetting lookup reads it both ways, so it takes from both names' buckets. Spelling a name in
// lookalike letters bought a second day's worth of guesses at a birth date. The other way round,
// "Pepa Aco" in Latin letters looks like the Cyrillic "Рера Асо", and is looked up as that reads
// too, so it takes from the bucket of "Rera Aso" as well.
TEST(RateLimitEndToEndTest, ANameTypedInLetterLookalikesTakesFromTheBucketOfTheNameItLooksLike) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto server = StartWithSchoolLimit(&clock, DailyLimitsOnPersonAndName(3));
  const auto vet = FreshNumberNameCheck(*server);
  const std::string cyrillic_surname = "\xd0\xa0\xd0\xb5\xd1\x80\xd0\xb0";  // Рера
  const std::string cyrillic_given = "\xd0\x90\xd1\x81\xd0\xbe";  // Асо
  EXPECT_EQ(vet("Pepa", "Aco"), grpc::StatusCode::OK);
  EXPECT_EQ(vet("Pepa", "Aco"), grpc::StatusCode::OK);
  EXPECT_EQ(vet(cyrillic_surname, cyrillic_given), grpc::StatusCode::OK);
  EXPECT_EQ(vet(cyrillic_surname, cyrillic_given), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(vet("Pepa", "Aco"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // The name it reads as by sound has had the three checks, the Latin ones included.
  EXPECT_EQ(vet("Rera", "Aso"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Latin letters that look Cyrillic, alone: "Cepo Mapko", looked up as "Серо Марко" reads, takes
  // from the bucket of "Sero Marko".
  for (int i = 0; i < 3; ++i) EXPECT_EQ(vet("Cepo", "Mapko"), grpc::StatusCode::OK) << i;
  EXPECT_EQ(vet("Sero", "Marko"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(vet("Sero", "Mirko"), grpc::StatusCode::OK);
}

// A word glued on with an apostrophe is a word apart for the pairs (RecordStore::ApartForms):
// "Aa'Krasniqi, Arben" takes from the bucket of the pair "Krasniqi" and "Arben", so a word made up
// for each try buys no more guesses at the birth date of a record of "Krasniqi, Arben".
TEST(RateLimitEndToEndTest, AWordGluedOnWithAnApostropheTakesFromTheBucketsOfTheWordsPairs) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto server = StartWithSchoolLimit(&clock, DailyLimitsOnPersonAndName(3));
  const auto vet = FreshNumberNameCheck(*server);
  EXPECT_EQ(vet("Aa'Krasniqi", "Arben"), grpc::StatusCode::OK);
  EXPECT_EQ(vet("Bb'Krasniqi", "Arben"), grpc::StatusCode::OK);
  EXPECT_EQ(vet("Krasniqi", "Cc'Arben"), grpc::StatusCode::OK);
  EXPECT_EQ(vet("Dd'Krasniqi", "Arben"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(vet("O'Krasniqi", "Arben"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(vet("Krasniqi", "Arben"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(vet("Krasniqi", "Besnik"), grpc::StatusCode::OK);
}

// The limit on one name outlives registryd as the limit on one number does (its limit rows).
TEST(RateLimitEndToEndTest, TheDailyLimitOnOneNameHoldsAcrossARestart) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto server = StartWithSchoolLimit(&clock, DailyLimitsOnPersonAndName(3));
  int next_number = 10;
  const auto vet = [&](const std::string& identity) {
    return VetExamplePerson(*server, identity, [&](v1::VettingCheckRequest* req) {
      SetFreshNumberAndBirthDate(req, &next_number);
    });
  };
  EXPECT_EQ(vet("vetting"), grpc::StatusCode::OK);
  EXPECT_EQ(vet("vetting"), grpc::StatusCode::OK);
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(vet("vetting"), grpc::StatusCode::OK);
  EXPECT_EQ(vet("vetting"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(vet("vetting2"), grpc::StatusCode::OK);
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(vet("vetting"), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // A day after the first checks, none of them counts any more.
  clock.Advance(absl::Hours(24) + absl::Seconds(1));
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(vet("vetting"), grpc::StatusCode::OK);
}

// An organisation that gets many REFERs (personal numbers with a record, asked under names or
// birth dates that do not match) is the pattern of someone trying numbers: the REFER that reaches
// dev-school's count writes an alert event naming the organisation, once a day. Each REFER is
// counted after its reply (here, when the test runs the work it holds): the answer that raises
// the alert is no slower than another, so the organisation cannot tell when it was reported.
TEST(RateLimitEndToEndTest, ManyRefersToOneOrganisationWriteOneAlertEventADay) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  absl::Mutex held_mu;
  std::vector<std::function<void()>> held;
  const auto run_held = [&] {
    std::vector<std::function<void()>> now;
    {
      absl::MutexLock lock(&held_mu);
      now.swap(held);
    }
    for (const auto& task : now) task();
    return now.size();
  };
  auto server = StartWithSchoolLimit(
      &clock, [](v1::RateLimit* l) { l->set_refers_per_day_alert(2); },
      [&](std::function<void()> task) {
        absl::MutexLock lock(&held_mu);
        held.push_back(std::move(task));
      });
  storage::AuditLog* log = server->server()->audit_log();
  const v1::CreateRecordRequest record = testing::ExampleRecord();
  ASSERT_FALSE(testing::CreatedRecordId(*server, "clerk", record).empty());
  v1::Person mismatched = record.person();
  mismatched.set_birth_date("1950-06-15");
  ASSERT_NE(mismatched.birth_date(), record.person().birth_date());
  v1::Person unknown = mismatched;
  unknown.set_personal_number("1098765432");
  // The result of a check of `person` as `identity` (VetAs).
  const auto vet = [&](const std::string& identity, const v1::Person& person) {
    v1::VettingCheckResponse resp;
    const grpc::Status s =
        VetAs(*server, identity, testing::CandidateOf(person, "CONSENT-2026-0042"), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.result();
  };
  const auto events_since = [&](uint64_t from) {
    std::vector<v1::AuditEvent> events;
    for (uint64_t i = from; i < log->CurrentHead().size; ++i) {
      absl::StatusOr<std::string> bytes = log->ReadEvent(i);
      EXPECT_TRUE(bytes.ok()) << bytes.status();
      v1::AuditEvent e;
      EXPECT_TRUE(bytes.ok() && e.ParseFromString(*bytes));
      events.push_back(std::move(e));
    }
    return events;
  };
  const auto alerts = [](const std::vector<v1::AuditEvent>& events) {
    std::vector<v1::AuditEvent> found;
    for (const v1::AuditEvent& e : events) {
      if (e.actor() == "system:gate" && e.action() == "many-refers") found.push_back(e);
    }
    return found;
  };

  const uint64_t start = log->CurrentHead().size;
  // CLEARs do not count, nor REFERs to another organisation.
  EXPECT_EQ(vet("vetting", unknown), v1::VETTING_RESULT_CLEAR);
  EXPECT_EQ(vet("vetting2", mismatched), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(vet("vetting", mismatched), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(run_held(), 2u) << "one count for each REFER, none for the CLEAR";
  EXPECT_THAT(alerts(events_since(start)), ::testing::IsEmpty());
  EXPECT_NE(server->server()->metrics().Render().find("registryd_vetting_refer_alerts_total 0\n"),
            std::string::npos);

  // The second REFER to dev-school: answered with its own event only; then, once counted, the
  // alert, which names the organisation and nothing of the person.
  const uint64_t before = log->CurrentHead().size;
  EXPECT_EQ(vet("vetting", mismatched), v1::VETTING_RESULT_REFER);
  EXPECT_EQ(events_since(before).size(), 1u) << "the alert is not on the reply's path";
  EXPECT_EQ(run_held(), 1u);
  std::vector<v1::AuditEvent> after = events_since(before);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].action(), testing::kVettingCheckMethod);
  const v1::AuditEvent& alert = after[1];
  EXPECT_EQ(alert.actor(), "system:gate");
  EXPECT_EQ(alert.action(), "many-refers");
  EXPECT_EQ(alert.organisation(), "dev-school");
  EXPECT_EQ(alert.reference(), "2 REFER answers within 24 hours");
  EXPECT_THAT(alert.tokens(), ::testing::IsEmpty());
  EXPECT_THAT(alert.record_ids(), ::testing::IsEmpty());
  EXPECT_TRUE(alert.check_id().empty());
  EXPECT_NE(server->server()->metrics().Render().find("registryd_vetting_refer_alerts_total 1\n"),
            std::string::npos);

  // More REFERs the same day raise nothing more; a day later the count starts again.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(vet("vetting", mismatched), v1::VETTING_RESULT_REFER);
  }
  run_held();
  EXPECT_EQ(alerts(events_since(start)).size(), 1u);
  clock.Advance(absl::Hours(24));
  EXPECT_EQ(vet("vetting", mismatched), v1::VETTING_RESULT_REFER);
  run_held();
  EXPECT_EQ(alerts(events_since(start)).size(), 1u);
  EXPECT_EQ(vet("vetting", mismatched), v1::VETTING_RESULT_REFER);
  run_held();
  EXPECT_EQ(alerts(events_since(start)).size(), 2u);
}

}  // namespace

// The rows that keep the counts across a restart (and a check's time with them) are deleted
// once two days old, by the retention run, in an audited batch; newer ones stay.
TEST(RateLimitEndToEndTest, LimitAndReferRowsAreDeletedOnceTwoDaysOld) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto server = StartWithSchoolLimit(&clock, [](v1::RateLimit*) {});
  const v1::CreateRecordRequest record = testing::ExampleRecord();
  ASSERT_FALSE(testing::CreatedRecordId(*server, "clerk", record).empty());
  v1::Person mismatched = record.person();
  mismatched.set_given_name("Artan");
  EXPECT_EQ(testing::VetAs(*server, "vetting", mismatched), v1::VETTING_RESULT_REFER);
  const auto pruned = [&] {
    absl::StatusOr<uint64_t> n = server->server()->RunLimitRowsRetentionOnce();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.value_or(0);
  };
  // A day later its nine rows (the takes from the limits on the number, on the name, on its
  // words in any order, on the pair of its two words and on each word with the whole name
  // joined each way, and the REFER) are still counted: nothing goes.
  clock.Advance(absl::Hours(24));
  const uint64_t before = testing::AuditLogSize(*server);
  EXPECT_EQ(pruned(), 0u);
  EXPECT_EQ(testing::AuditLogSize(*server), before);
  // A check now, then past two days from the first.
  EXPECT_EQ(testing::VetAs(*server, "vetting", mismatched), v1::VETTING_RESULT_REFER);
  clock.Advance(absl::Hours(24) + absl::Minutes(1));
  EXPECT_EQ(pruned(), 9u);
  const v1::AuditEvent event = testing::LastStoredEvent(*server);
  EXPECT_EQ(event.actor(), "system:vetting-limits");
  EXPECT_EQ(event.action(), "prune-vetting-limit-rows");
  EXPECT_THAT(event.reference(), ::testing::StartsWith("9 rows from before "));
  // The second check's rows stay until they are two days old.
  EXPECT_EQ(pruned(), 0u);
  clock.Advance(absl::Hours(24));
  EXPECT_EQ(pruned(), 9u);
}

// The day's REFERs are kept with the checks: a restart does not start the count again.
TEST(RateLimitEndToEndTest, TheReferCountHoldsAcrossARestart) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto server =
      StartWithSchoolLimit(&clock, [](v1::RateLimit* l) { l->set_refers_per_day_alert(3); });
  const v1::CreateRecordRequest record = testing::ExampleRecord();
  ASSERT_FALSE(testing::CreatedRecordId(*server, "clerk", record).empty());
  v1::Person mismatched = record.person();
  mismatched.set_given_name("Artan");
  const auto alerts = [&] {
    int found = 0;
    storage::AuditLog* log = server->server()->audit_log();
    for (uint64_t i = 0; i < log->CurrentHead().size; ++i) {
      absl::StatusOr<std::string> bytes = log->ReadEvent(i);
      v1::AuditEvent e;
      EXPECT_TRUE(bytes.ok() && e.ParseFromString(*bytes));
      if (e.actor() == "system:gate" && e.action() == "many-refers") ++found;
    }
    return found;
  };
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(testing::VetAs(*server, "vetting", mismatched), v1::VETTING_RESULT_REFER);
  }
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(alerts(), 0);
  EXPECT_EQ(testing::VetAs(*server, "vetting", mismatched), v1::VETTING_RESULT_REFER);
  // Counted by the gate's own worker, after the reply.
  server->server()->AwaitAfterReplyWork();
  EXPECT_EQ(alerts(), 1);
}


namespace {

// Writes the dev policy with dev-school's rate limit changed by `change`, and reloads it (as
// SIGHUP does).
absl::Status ReloadWithSchoolLimit(testing::TestServer& server,
                                   const std::function<void(v1::RateLimit*)>& change) {
  v1::AccessPolicy policy = testing::DevPolicy();
  for (v1::Organisation& org : *policy.mutable_organisations()) {
    if (org.id() == "dev-school") change(org.mutable_rate_limit());
  }
  server.WritePolicy(policy);
  return server.server()->ReloadPolicy();
}

// A reload that changes the limit on one person counts the day's checks as a restart does.
// Before, a reload from 5 to 2 after three checks answered two more.
TEST(RateLimitEndToEndTest, AReloadedLimitOnOnePersonCountsTheDaysChecksAsARestartDoes) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto server = StartWithSchoolLimit(
      &clock, [](v1::RateLimit* l) { l->set_checks_per_person_per_day(5); });
  int day = 1;
  const auto vet = [&] {
    return VetExamplePerson(*server, "vetting", [&](v1::VettingCheckRequest* req) {
      req->set_birth_date(absl::StrCat("1990-01-", 10 + day++));
    });
  };
  for (int i = 0; i < 3; ++i) ASSERT_EQ(vet(), grpc::StatusCode::OK) << i;
  ASSERT_TRUE(ReloadWithSchoolLimit(*server, [](v1::RateLimit* l) {
                l->set_checks_per_person_per_day(2);
              }).ok());
  EXPECT_EQ(vet(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(vet(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(vet(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Raised to 4: one more, whether reloaded or restarted after.
  ASSERT_TRUE(ReloadWithSchoolLimit(*server, [](v1::RateLimit* l) {
                l->set_checks_per_person_per_day(4);
              }).ok());
  EXPECT_EQ(vet(), grpc::StatusCode::OK);
  EXPECT_EQ(vet(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(vet(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// A reload that raises the limit on one name gives the new limit less the day's checks, and the
// refusal names the new limit. Before, the bucket emptied under the old limit stayed empty and
// the refusal named a limit the organisation had not reached.
TEST(RateLimitEndToEndTest, AReloadedLimitOnOneNameGivesTheNewLimitLessTheDaysChecks) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto server = StartWithSchoolLimit(&clock, DailyLimitsOnPersonAndName(3));
  int next_number = 10;
  const auto vet = [&](std::string* message) {
    v1::VettingCheckRequest req =
        testing::CandidateOf(testing::ExampleRecord().person(), "CONSENT-2026-0042");
    SetFreshNumberAndBirthDate(&req, &next_number);
    req.set_surname("Krasniqi");
    req.set_given_name("Arben");
    v1::VettingCheckResponse resp;
    const grpc::Status s = VetAs(*server, "vetting", std::move(req), &resp);
    *message = s.error_message();
    return s.error_code();
  };
  std::string message;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(vet(&message), grpc::StatusCode::OK) << i;
  ASSERT_EQ(vet(&message), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(message, ::testing::HasSubstr("the daily limit of 3 checks of one surname"));
  ASSERT_TRUE(ReloadWithSchoolLimit(*server, DailyLimitsOnPersonAndName(5)).ok());
  EXPECT_EQ(vet(&message), grpc::StatusCode::OK) << message;
  EXPECT_EQ(vet(&message), grpc::StatusCode::OK) << message;
  EXPECT_EQ(vet(&message), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(message, ::testing::HasSubstr("the daily limit of 5 checks of one surname"));
  // A restart leaves the same.
  ASSERT_TRUE(server->Restart().ok());
  EXPECT_EQ(vet(&message), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

}  // namespace

}  // namespace registry
