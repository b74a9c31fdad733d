// A consent reference is one candidate's (CallGate::ClaimConsent), also between calls under way at
// the same time: while one organisation's check of a candidate under a reference is still being
// answered (nothing stored yet), its check of another candidate under the same reference is
// refused, the same candidate under it is answered, and another reference is not held up. The
// first check is held inside its lookup by a pacer that waits until the test lets it go.
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "server/fixed_span.h"
#include "tests/testing/clients.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

namespace v1 = registry::v1;

constexpr char kRefusal[] =
    "consent_reference: already given for another candidate: each candidate's consent has a "
    "reference of its own";

// A pacer whose first wait (the first check's lookup) lasts until Release(); every other wait
// returns at once.
class HoldingPacer final : public server::Pacer {
 public:
  absl::Duration Elapsed() const override { return absl::Now() - absl::UnixEpoch(); }
  void WaitUntil(absl::Duration) const override {
    {
      absl::MutexLock lock(&mu_);
      if (held_) return;
      held_ = true;
    }
    entered_.Notify();
    released_.WaitForNotification();
  }
  // Returns once the first wait has begun.
  void AwaitHeld() const { entered_.WaitForNotification(); }
  void Release() { released_.Notify(); }

 private:
  mutable absl::Mutex mu_;
  mutable bool held_ ABSL_GUARDED_BY(mu_) = false;
  mutable absl::Notification entered_;
  absl::Notification released_;
};

v1::VettingCheckRequest Candidate(const std::string& number, const std::string& consent) {
  v1::VettingCheckRequest req;
  req.set_personal_number(number);
  req.set_surname("Berisha");
  req.set_given_name("Driton");
  req.set_birth_date("1990-02-03");
  req.set_position_category("teacher");
  req.set_consent_reference(consent);
  return req;
}

grpc::Status Check(const TestServer& server, const v1::VettingCheckRequest& req,
                   v1::VettingCheckResponse* resp) {
  auto ctx = NewCallContext();
  return v1::VettingService::NewStub(server.Channel("vetting"))->VettingCheck(ctx.get(), req, resp);
}

TEST(ConsentClaimTest, AReferenceBeingAnsweredForOneCandidateIsRefusedForAnotherAtTheSameTime) {
  HoldingPacer pacer;
  TestServerOptions options;
  options.pacer = &pacer;
  const std::unique_ptr<TestServer> server = TestServer::Start(std::move(options));
  const v1::VettingCheckRequest first = Candidate("1098765432", "CONSENT-2026-0042");
  const v1::VettingCheckRequest other = Candidate("1098765433", "CONSENT-2026-0042");

  grpc::Status first_status;
  v1::VettingCheckResponse first_resp;
  std::thread held([&] { first_status = Check(*server, first, &first_resp); });
  pacer.AwaitHeld();

  // The first check is inside its lookup: nothing binds the reference in the database yet.
  v1::VettingCheckResponse resp;
  grpc::Status s = Check(*server, other, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(s.error_message(), kRefusal);
  EXPECT_FALSE(resp.has_certificate());
  // The same candidate under the same reference meanwhile, and another reference, are answered.
  s = Check(*server, first, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.result(), v1::VETTING_RESULT_CLEAR);
  s = Check(*server, Candidate("1098765433", "CONSENT-2026-0043"), &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();

  pacer.Release();
  held.join();
  ASSERT_TRUE(first_status.ok()) << first_status.error_message();
  EXPECT_EQ(first_resp.result(), v1::VETTING_RESULT_CLEAR);

  // Once answered, the binding is stored: the other candidate is still refused, the first is not.
  s = Check(*server, other, &resp);
  EXPECT_EQ(s.error_message(), kRefusal);
  s = Check(*server, first, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

// Many checks at once, two candidates under each of a few references: every reference ends up
// answered for one candidate only, whichever came first.
TEST(ConsentClaimTest, ChecksSentAtOnceUnderOneReferenceAnswerOneCandidateOnly) {
  const std::unique_ptr<TestServer> server = TestServer::Start();
  constexpr int kReferences = 4;
  constexpr int kCallsPerCandidate = 3;
  struct Outcome {
    int answered[2] = {0, 0};
    int refused = 0;
  };
  absl::Mutex mu;
  Outcome outcomes[kReferences];
  absl::Notification go;
  std::vector<std::thread> threads;
  for (int r = 0; r < kReferences; ++r) {
    for (int c = 0; c < 2; ++c) {
      for (int k = 0; k < kCallsPerCandidate; ++k) {
        threads.emplace_back([&, r, c] {
          const v1::VettingCheckRequest req = Candidate(
              c == 0 ? "1098765432" : "1098765433", "CONSENT-2026-00" + std::to_string(50 + r));
          go.WaitForNotification();
          v1::VettingCheckResponse resp;
          const grpc::Status s = Check(*server, req, &resp);
          absl::MutexLock lock(&mu);
          if (s.ok()) {
            ++outcomes[r].answered[c];
          } else {
            EXPECT_EQ(s.error_message(), kRefusal);
            ++outcomes[r].refused;
          }
        });
      }
    }
  }
  go.Notify();
  for (std::thread& t : threads) t.join();
  for (int r = 0; r < kReferences; ++r) {
    const Outcome& o = outcomes[r];
    EXPECT_TRUE(o.answered[0] == 0 || o.answered[1] == 0)
        << "reference " << r << " answered for both candidates: " << o.answered[0] << " and "
        << o.answered[1];
    EXPECT_EQ(o.answered[0] + o.answered[1] + o.refused, 2 * kCallsPerCandidate);
    EXPECT_GE(o.answered[0] + o.answered[1], 1);
  }
}

}  // namespace
}  // namespace registry::testing
