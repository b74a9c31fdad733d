// One-call clients of a TestServer that expect the call to succeed (a failed call is a test
// failure and gives an empty response), for tests whose subject is what the answer holds.
//
//   EXPECT_EQ(VerifiedData(*server).problems_size(), 0);
#ifndef REGISTRY_TESTS_TESTING_CHECKED_CALLS_H_
#define REGISTRY_TESTS_TESTING_CHECKED_CALLS_H_

#include <string>

#include "gtest/gtest.h"
#include "grpcpp/grpcpp.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "tests/testing/clients.h"
#include "tests/testing/test_server.h"

namespace registry::testing {

// AdminService.VerifyData as the dev security officer ("admin"): the data check's answer.
inline registry::v1::VerifyDataResponse VerifiedData(const TestServer& server) {
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  registry::v1::VerifyDataResponse resp;
  const grpc::Status s = registry::v1::AdminService::NewStub(server.Channel("admin"))
                             ->VerifyData(&ctx, registry::v1::VerifyDataRequest(), &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

// A court's search by `surname`, `given_name` and `birth_date` (SearchRecordsAs): its answer.
inline registry::v1::SearchRecordsResponse CourtNameSearch(const TestServer& server,
                                                           const std::string& surname,
                                                           const std::string& given_name,
                                                           const std::string& birth_date) {
  registry::v1::SearchRecordsRequest req;
  req.mutable_name()->set_surname(surname);
  req.mutable_name()->set_given_name(given_name);
  req.mutable_name()->set_birth_date(birth_date);
  registry::v1::SearchRecordsResponse resp;
  const grpc::Status s = SearchRecordsAs(server, "court", req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp;
}

// A court notice corrects the last known address of record `id` (a clerk's amendment: the
// record's next version); a failed call is a fatal test failure.
inline void AmendAddressByCourtNotice(const TestServer& server, const std::string& id) {
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  registry::v1::AmendRecordRequest req;
  req.set_record_id(id);
  req.mutable_person()->set_last_known_address("Rr. Nëna Terezë 1, Prizren");
  req.mutable_update_mask()->add_paths("person.last_known_address");
  req.set_reason("address corrected by court notice");
  registry::v1::AmendRecordResponse resp;
  const grpc::Status s = registry::v1::RecordService::NewStub(server.Channel("clerk"))
                             ->AmendRecord(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_CHECKED_CALLS_H_
