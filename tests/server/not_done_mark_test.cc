// The registry's mark of a refusal with nothing done: trailing metadata `registry-not-done: 1`
// (server/call_gate.cc), which registry-cli reads as "the registry refused the call: nothing was
// done; try again later". A real registryd whose audit log cannot be written (a full disk, here
// a write fault under its database) sends it for a call of every method that changed nothing,
// whether the gate refused it, its handler answered it (a read) or its request did not decode,
// and never where something may stand: an expunge (its erasure ledger finishes it later), a key
// rotation (its system events), a call answered with its event written.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/common.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "server/method_table.h"
#include "tests/testing/api_protos.h"
#include "tests/testing/methods.h"
#include "tests/testing/switchable_fault.h"
#include "tests/testing/principals.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

namespace pb = google::protobuf;

constexpr char kNotDoneKey[] = "registry-not-done";

// What a caller got: the status, the reply's bytes, and every value of the not-done mark in its
// trailing metadata.
struct Answer {
  grpc::Status status;
  std::string reply;
  std::vector<std::string> marks;
};

// Calls `method` as `identity` (a folder of the dev PKI) with `request` as its bytes, one
// message each way, as every method of the API is served.
Answer CallAs(const TestServer& server, absl::string_view identity, const std::string& method,
              const std::string& request) {
  grpc::Slice slice(request);
  grpc::ByteBuffer in(&slice, 1);
  grpc::ByteBuffer out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  const grpc::internal::RpcMethod rpc(method.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
  Answer answer;
  answer.status = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      server.Channel(identity).get(), rpc, &ctx, in, &out);
  std::vector<grpc::Slice> slices;
  if (answer.status.ok() && out.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices) {
      answer.reply.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  for (const auto& [key, value] : ctx.GetServerTrailingMetadata()) {
    if (key == kNotDoneKey) answer.marks.emplace_back(value.data(), value.size());
  }
  return answer;
}

Answer CallAs(const TestServer& server, absl::string_view identity, const std::string& method,
              const pb::Message& request) {
  return CallAs(server, identity, method, request.SerializeAsString());
}

std::unique_ptr<TestServer> StartWith(SwitchableFault* fault) {
  TestServerOptions options;
  options.fault_injector = fault;
  return TestServer::Start(std::move(options));
}

const std::vector<std::string> kMarked = {"1"};

// Every method, called by one of its roles with an empty request while no write reaches the
// disk: each is refused UNAVAILABLE, and each that changes nothing but with its event is marked,
// reads (WhoAmI, GetRecord) and refusals of a handler's own (an empty record) among them.
TEST(NotDoneMarkTest, EveryMethodRefusedForWantOfItsEventIsMarkedNothingDone) {
  SwitchableFault fault;
  std::unique_ptr<TestServer> server = StartWith(&fault);
  const std::vector<const pb::MethodDescriptor*> methods = ListApiProtos().Methods();
  ASSERT_GE(methods.size(), 22u);
  fault.set_failing(true);
  for (const pb::MethodDescriptor* m : methods) {
    const std::string method = absl::StrCat("/", m->service()->full_name(), "/", m->name());
    const server::MethodRule* rule = server::FindMethodRule(method);
    ASSERT_NE(rule, nullptr) << method;
    ASSERT_FALSE(rule->roles.empty()) << method;
    const std::string identity = DevIdentityOf(*rule->roles.begin());
    SCOPED_TRACE(absl::StrCat(identity, " calls ", method));
    const Answer answer = CallAs(*server, identity, method, std::string());
    EXPECT_EQ(answer.status.error_code(), grpc::StatusCode::UNAVAILABLE)
        << answer.status.error_message();
    if (method == kRotateKeysMethod || method == kExpungeRecordMethod) {
      EXPECT_THAT(answer.marks, ::testing::IsEmpty());
    } else {
      EXPECT_EQ(answer.marks, kMarked);
    }
  }

  // Refused by the gate (a role the method does not take), and a request that does not decode:
  // neither reached a handler.
  Answer refused = CallAs(*server, "court", kCreateRecordMethod, ExampleRecord());
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(refused.marks, kMarked);
  Answer undecodable = CallAs(*server, "clerk", kCreateRecordMethod, std::string("\xff"));
  EXPECT_EQ(undecodable.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(undecodable.marks, kMarked);

  // Once the log can be written, the same calls are answered and recorded, unmarked.
  fault.set_failing(false);
  Answer answered = CallAs(*server, "clerk", "/registry.v1.InfoService/WhoAmI", std::string());
  EXPECT_TRUE(answered.status.ok()) << answered.status.error_message();
  EXPECT_THAT(answered.marks, ::testing::IsEmpty());
  refused = CallAs(*server, "court", kCreateRecordMethod, ExampleRecord());
  EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.marks, ::testing::IsEmpty());
  // The record refused for want of its event was not entered: it is entered now.
  Answer created = CallAs(*server, "clerk", kCreateRecordMethod, ExampleRecord());
  EXPECT_TRUE(created.status.ok()) << created.status.error_message();
}

// A record change whose own event fails while the disk takes the rest: marked too, as its change
// went with the event.
TEST(NotDoneMarkTest, AChangeWhoseCommitFailedIsMarkedNothingDone) {
  SwitchableFault fault;
  std::unique_ptr<TestServer> server = StartWith(&fault);
  fault.FailNth(1);
  const Answer answer = CallAs(*server, "clerk", kCreateRecordMethod, ExampleRecord());
  EXPECT_EQ(answer.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << answer.status.error_message();
  EXPECT_EQ(answer.marks, kMarked);
  const Answer again = CallAs(*server, "clerk", kCreateRecordMethod, ExampleRecord());
  EXPECT_TRUE(again.status.ok()) << again.status.error_message();
}

// Where something may stand, the refusal is not marked: a key rotation whose own event is the
// only write that fails has rotated the keys, and an expunge whose commit failed is in the
// erasure ledger, which finishes it later.
TEST(NotDoneMarkTest, ACallThatMayHaveChangedSomethingIsNotMarked) {
  SwitchableFault fault;
  std::unique_ptr<TestServer> server = StartWith(&fault);
  const Answer created = CallAs(*server, "clerk", kCreateRecordMethod, ExampleRecord());
  ASSERT_TRUE(created.status.ok()) << created.status.error_message();

  // One rotation, to count its writes; the next has as many, its call's event last.
  int writes = fault.writes();
  Answer rotated = CallAs(*server, "admin", kRotateKeysMethod, v1::RotateKeysRequest());
  ASSERT_TRUE(rotated.status.ok()) << rotated.status.error_message();
  writes = fault.writes() - writes;
  ASSERT_GE(writes, 2);
  fault.FailNth(writes);
  rotated = CallAs(*server, "admin", kRotateKeysMethod, v1::RotateKeysRequest());
  EXPECT_EQ(rotated.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << rotated.status.error_message();
  EXPECT_THAT(rotated.marks, ::testing::IsEmpty());
  // It did rotate: the next one makes version 4.
  auto admin = v1::AdminService::NewStub(server->Channel("admin"));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  v1::RotateKeysResponse third;
  ASSERT_TRUE(admin->RotateKeys(&ctx, v1::RotateKeysRequest(), &third).ok());
  EXPECT_EQ(third.current_kek_version(), 4u);

  v1::CreateRecordResponse record;
  ASSERT_TRUE(record.ParseFromString(created.reply));
  ASSERT_FALSE(record.record_id().empty());
  v1::ExpungeRecordRequest expunge;
  expunge.set_record_id(record.record_id());
  expunge.set_legal_basis("CC 04/L-082 art. 103");
  fault.set_failing(true);
  const Answer expunged = CallAs(*server, "clerk", kExpungeRecordMethod, expunge);
  fault.set_failing(false);
  EXPECT_EQ(expunged.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << expunged.status.error_message();
  EXPECT_THAT(expunged.marks, ::testing::IsEmpty());
  // It did stand: the next start finishes it from the ledger.
  server->Stop();
  ASSERT_TRUE(server->Restart().ok());
  v1::GetRecordRequest get;
  get.set_record_id(record.record_id());
  EXPECT_EQ(CallAs(*server, "clerk", kGetRecordMethod, get).status.error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace registry::testing
