// Bad input that never reaches a handler: bytes on the wire that gRPC itself refuses (a request
// whose protobuf does not decode, such as a string field that is not UTF-8; a request over the
// 8 MiB limit; a method that does not exist). Each is refused, reaches no data, leaves the
// registry serving, and is not audited: the gap docs/bad-input.md records (the gate never sees
// these calls). A request that decodes but holds bad values is the gate's and the handlers' (see
// the other catalogue entries): one audit event, INVALID_ARGUMENT naming the field.
#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/rpc_method.h"
#include "gtest/gtest.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/test_server.h"

namespace registry {
namespace {

namespace v1 = registry::v1;
using testing::TestServer;

class WireInputTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = TestServer::Start(); }

  uint64_t Events() const { return server_->server()->audit_log()->CurrentHead().size; }

  // Sends `bytes` as the request of `method`, as they are.
  grpc::Status Raw(const std::string& method, const std::string& bytes,
                   absl::string_view identity = "vetting") {
    auto channel = server_->Channel(identity);
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    const grpc::internal::RpcMethod rpc(method.c_str(), grpc::internal::RpcMethod::NORMAL_RPC);
    return grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
        channel.get(), rpc, &ctx, request, &response);
  }

  // The registry still answers, and audits, a well-formed call.
  void ExpectStillServing() {
    const uint64_t before = Events();
    auto stub = v1::VettingService::NewStub(server_->Channel("vetting"));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::PublicKey key;
    EXPECT_TRUE(stub->GetVettingPublicKey(&ctx, {}, &key).ok());
    EXPECT_EQ(Events(), before + 1);
  }

  std::unique_ptr<TestServer> server_;
};

TEST_F(WireInputTest, AStringThatIsNotUtf8IsRefusedBeforeTheGateAndWritesNothing) {
  v1::VettingCheckRequest req = testing::CandidateOf(testing::ExampleRecord().person());
  std::string bytes = req.SerializeAsString();
  // The surname "Kërqeli": its "ë" (C3 AB) becomes C3 FF, which is no UTF-8.
  const size_t at = bytes.find("\xC3\xAB");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 1] = '\xFF';
  v1::VettingCheckRequest decoded;
  ASSERT_FALSE(decoded.ParseFromString(bytes)) << "the request must not decode";

  const uint64_t before = Events();
  const grpc::Status s = Raw("/registry.v1.VettingService/VettingCheck", bytes);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL) << s.error_message();
  EXPECT_EQ(Events(), before) << "gRPC refuses it before the gate: no event (docs/bad-input.md)";
  ExpectStillServing();
}

TEST_F(WireInputTest, BytesThatAreNoProtobufAreRefusedBeforeTheGate) {
  const uint64_t before = Events();
  // A field tag with wire type 7, which protobuf does not have.
  const grpc::Status s = Raw("/registry.v1.RecordService/CreateRecord", "\x0f\x01\x02", "clerk");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL) << s.error_message();
  EXPECT_EQ(Events(), before);
  ExpectStillServing();
}

TEST_F(WireInputTest, ARequestOverEightMebibytesIsRefusedByTheTransport) {
  v1::CreateRecordRequest req = testing::ExampleRecord();
  req.mutable_person()->set_birth_place(std::string(9 << 20, 'a'));
  const uint64_t before = Events();
  const grpc::Status s =
      Raw("/registry.v1.RecordService/CreateRecord", req.SerializeAsString(), "clerk");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_EQ(Events(), before);
  ExpectStillServing();
}

TEST_F(WireInputTest, AMethodThatDoesNotExistIsUnimplemented) {
  const uint64_t before = Events();
  const grpc::Status s = Raw("/registry.v1.RecordService/DropEverything", "", "clerk");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED) << s.error_message();
  EXPECT_EQ(Events(), before);
  ExpectStillServing();
}

// A field over its limit, by contrast, decodes: it is the gate's, refused with the field named
// and audited once, never echoed.
TEST_F(WireInputTest, AnOversizeFieldThatDecodesIsInvalidArgumentAndAuditedOnce) {
  v1::CreateRecordRequest req = testing::ExampleRecord();
  req.mutable_person()->set_surname(std::string(300, 'a'));
  const uint64_t before = Events();
  const grpc::Status s =
      Raw("/registry.v1.RecordService/CreateRecord", req.SerializeAsString(), "clerk");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("person.surname"), std::string::npos) << s.error_message();
  EXPECT_EQ(s.error_message().find(std::string(20, 'a')), std::string::npos);
  EXPECT_EQ(Events(), before + 1);
}

}  // namespace
}  // namespace registry
