// One-call clients of a TestServer, for tests that need a record made or erased on the way to
// what they check. Each call carries a generous deadline (a guard against a hung server, never
// a timing assertion).
//
//   std::string id;
//   ASSERT_TRUE(CreateRecordAs(*server, "clerk", FictionalRecord(1), &id).ok());
//   EXPECT_TRUE(ExpungeRecordAs(*server, "clerk", id).ok());
#ifndef REGISTRY_TESTS_TESTING_CLIENTS_H_
#define REGISTRY_TESTS_TESTING_CLIENTS_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "registry/v1/admin.pb.h"
#include "registry/v1/records.pb.h"
#include "registry/v1/vetting.pb.h"
#include "tests/testing/test_server.h"

namespace registry::testing {

// 60 seconds from now.
std::chrono::system_clock::time_point CallDeadline();

// A client context with CallDeadline() and, when given, the caller's x-request-id.
std::unique_ptr<grpc::ClientContext> NewCallContext(absl::string_view request_id = "");

// GetVettingPublicKey over `channel`: a call every known role may make, so its status says
// whether the caller behind the channel is let in.
grpc::Status GetVettingPublicKeyOn(const std::shared_ptr<grpc::Channel>& channel);

// A call of `method` ("/registry.v1.RecordService/ImportRecords") as `identity` whose request
// never comes: a client-streaming call that writes nothing, the same on the wire as a unary call
// without its request.
grpc::Status CallWithoutRequest(const TestServer& server, absl::string_view identity,
                                const std::string& method);

// The fingerprint of the certificate the server presented on `channel`'s connection, read from
// the client side's auth context after a health check; "" when the call failed.
std::string ServerCertificateSeenBy(const std::shared_ptr<grpc::Channel>& channel);

// CreateRecord as `identity` (a dev PKI name); the new record's id into `record_id` (may be null).
grpc::Status CreateRecordAs(const TestServer& server, absl::string_view identity,
                            const registry::v1::CreateRecordRequest& request,
                            std::string* record_id);

// CreateRecord as `identity`, expected to succeed: the new record's id ("" with a test failure
// when the call fails).
std::string CreatedRecordId(const TestServer& server, absl::string_view identity,
                            const registry::v1::CreateRecordRequest& request);

// AdminService.CreateBackup as the dev security officer ("admin"), expected to succeed: the
// backup made (empty, with a test failure, when the call fails).
registry::v1::BackupInfo CreatedBackup(const TestServer& server);

// GetRecord of `record_id` as `identity`, stating `purpose` when given (a court must); the
// record into *record (may be null).
grpc::Status GetRecordAs(const TestServer& server, absl::string_view identity,
                         const std::string& record_id, registry::v1::Record* record,
                         const registry::v1::Purpose* purpose = nullptr);

// The purpose these tests' courts state: case "PKR 77/2026", criminal proceedings.
registry::v1::Purpose CourtPurpose();

// SearchRecords of `request` as `identity`, stating CourtPurpose() when the request states no
// purpose; the response into *response (may be null).
grpc::Status SearchRecordsAs(const TestServer& server, absl::string_view identity,
                             registry::v1::SearchRecordsRequest request,
                             registry::v1::SearchRecordsResponse* response);

// ExpungeRecord of `record_id` as `identity`, with `legal_basis`.
grpc::Status ExpungeRecordAs(const TestServer& server, absl::string_view identity,
                             const std::string& record_id,
                             absl::string_view legal_basis = "CC 04/L-082 art. 103");

// VettingCheck of `person` (as CandidateOf makes the request) as `identity`; the result, or
// VETTING_RESULT_UNSPECIFIED with a test failure when the call fails.
registry::v1::VettingResult VetAs(const TestServer& server, absl::string_view identity,
                                  const registry::v1::Person& person);

// Calls `method` ("/package.Service/Method") with `request_bytes` through the generic
// (byte-level) API, compressed with `compression` when it is not GRPC_COMPRESS_NONE, and reads
// every reply message until the status: for requests the generated stubs cannot send (bytes that
// do not decode). Works for unary and server-streaming methods alike.
grpc::Status CallWithRequest(const std::shared_ptr<grpc::Channel>& channel,
                             const std::string& method, const std::string& request_bytes,
                             grpc_compression_algorithm compression = GRPC_COMPRESS_NONE);
// The same, sending each of `requests` as a message of the one call before closing it (a unary
// call takes one).
grpc::Status CallWithRequests(const std::shared_ptr<grpc::Channel>& channel,
                              const std::string& method, const std::vector<std::string>& requests,
                              grpc_compression_algorithm compression = GRPC_COMPRESS_NONE);

}  // namespace registry::testing

#endif  // REGISTRY_TESTS_TESTING_CLIENTS_H_
