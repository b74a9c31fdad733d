// A fixture for the tests of how long a vetting check's lookup is held: a TestServer on a fake
// wall clock (9:00 UTC on 1 June 2026) and a RecordingPacer, so that each hold is seen exactly,
// and a vetting stub of it.
#ifndef REGISTRY_TESTS_TESTING_PACED_VETTING_TEST_H_
#define REGISTRY_TESTS_TESTING_PACED_VETTING_TEST_H_

#include <memory>
#include <utility>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/recording_pacer.h"
#include "tests/testing/test_server.h"

namespace registry::testing {

// The pacer's time moves this much at each reading; a span reads it when it starts and ends.
inline constexpr absl::Duration kPacerStep = absl::Microseconds(1);

class PacedVettingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestServerOptions options = TestServerOptions::OnClock(&clock_);
    options.pacer = &pacer_;
    server_ = TestServer::Start(std::move(options));
    vetting_ = registry::v1::VettingService::NewStub(server_->Channel("vetting"));
  }

  // The vetting check of `req` under a consent reference of the candidate's own (ConsentFor its
  // personal number); the answer into *resp.
  grpc::Status CheckWithConsent(const registry::v1::VettingCheckRequest& req,
                                registry::v1::VettingCheckResponse* resp) {
    grpc::ClientContext ctx;
    registry::v1::VettingCheckRequest sent = req;
    sent.set_consent_reference(ConsentFor(req.personal_number()));
    return vetting_->VettingCheck(&ctx, sent, resp);
  }

  FakeClock clock_{absl::FromCivil(absl::CivilSecond(2026, 6, 1, 9, 0, 0), absl::UTCTimeZone())};
  RecordingPacer pacer_{kPacerStep};
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<registry::v1::VettingService::Stub> vetting_;
};

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_PACED_VETTING_TEST_H_
