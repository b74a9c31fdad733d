// Bad input that never reaches a handler: bytes on the wire that gRPC itself cannot decode (a
// string field that is not UTF-8, bytes that are no protobuf), a method that does not exist, a
// request over the 8 MiB limit. Each is refused, reaches no data, leaves the registry serving,
// and (but the last, which the transport drops before any call exists) passes the gate through
// server/decode_guard.h: one audit event, the caller identified, the field named, the value never
// echoed. A request that decodes but holds bad values is the gate's and the handlers' (see the
// other catalogue entries): one audit event, INVALID_ARGUMENT naming the field.
#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/rpc_method.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/clients.h"
#include "tests/testing/methods.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

class WireInputTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = TestServer::Start(); }

  uint64_t Events() const { return server_->server()->audit_log()->CurrentHead().size; }

  v1::AuditEvent EventAt(uint64_t index) const {
    v1::AuditEvent event;
    auto bytes = server_->server()->audit_log()->ReadEvent(index);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    if (bytes.ok()) {
      EXPECT_TRUE(event.ParseFromString(*bytes));
    }
    return event;
  }

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

// The request as bytes, with the "ë" (C3 AB) of the surname "Kërqeli" made C3 FF: no UTF-8.
std::string WithSurnameNotUtf8(const google::protobuf::Message& request) {
  std::string bytes = request.SerializeAsString();
  const size_t at = bytes.find("\xC3\xAB");
  EXPECT_NE(at, std::string::npos);
  if (at != std::string::npos) bytes[at + 1] = '\xFF';
  return bytes;
}

TEST_F(WireInputTest, AStringThatIsNotUtf8IsInvalidArgumentNamingTheFieldAndAudited) {
  const v1::VettingCheckRequest req = testing::CandidateOf(testing::ExampleRecord().person());
  const std::string bytes = WithSurnameNotUtf8(req);
  v1::VettingCheckRequest decoded;
  ASSERT_FALSE(decoded.ParseFromString(bytes)) << "the request must not decode";

  const uint64_t before = Events();
  const grpc::Status s = Raw(kVettingCheckMethod, bytes);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(), "surname: not valid UTF-8");
  ASSERT_EQ(Events(), before + 1) << "one audit event for the refused call";
  const v1::AuditEvent ev = EventAt(before);
  EXPECT_EQ(ev.action(), kVettingCheckMethod);
  EXPECT_EQ(ev.actor(), kVettingId);
  EXPECT_EQ(ev.role(), v1::ROLE_VETTING);
  EXPECT_EQ(testing::OutcomeName(ev), "INVALID_ARGUMENT");
  EXPECT_EQ(ev.detail(), "surname: not valid UTF-8");
  EXPECT_EQ(ev.SerializeAsString().find("K\xC3"), std::string::npos) << "no value in the event";
  ExpectStillServing();
}

// Such a request names a person all the same: its personal number is read from the bytes, and
// the refused probe enters that person's history (and the data check pairs it with its event).
// A personal number that is itself no well-formed one names nobody.
TEST_F(WireInputTest, AVettingRequestThatDoesNotDecodeEntersThePersonsHistory) {
  const v1::Person person = testing::ExampleRecord().person();
  const auto history = [&]() {
    v1::ListChecksAboutPersonRequest req;
    req.set_personal_number(person.personal_number());
    req.set_request_reference("DSR 2026/9");
    v1::ListChecksAboutPersonResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    const grpc::Status s = v1::VettingService::NewStub(server_->Channel("clerk"))
                               ->ListChecksAboutPerson(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  };
  const uint64_t before = Events();
  const grpc::Status s = Raw(kVettingCheckMethod, WithSurnameNotUtf8(testing::CandidateOf(person)));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(), "surname: not valid UTF-8");
  const v1::AuditEvent ev = EventAt(before);
  EXPECT_EQ(ev.tokens_size(), 1);
  EXPECT_FALSE(ev.check_id().empty());

  const v1::ListChecksAboutPersonResponse listed = history();
  ASSERT_EQ(listed.checks_size(), 1);
  EXPECT_EQ(listed.checks(0).check_id(), ev.check_id());
  EXPECT_EQ(listed.checks(0).status_code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(listed.checks(0).organisation(), "dev-school");

  // A personal number that is not UTF-8 (the first "ë" is now its): nobody is named.
  v1::VettingCheckRequest unnamed = testing::CandidateOf(person);
  unnamed.set_personal_number("12345ë7890");
  EXPECT_EQ(Raw(kVettingCheckMethod, WithSurnameNotUtf8(unnamed)).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(EventAt(Events() - 1).tokens_size(), 0);
  EXPECT_EQ(history().checks_size(), 1);

  v1::VerifyDataResponse checked;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  ASSERT_TRUE(v1::AdminService::NewStub(server_->Channel("admin"))
                  ->VerifyData(&ctx, v1::VerifyDataRequest(), &checked)
                  .ok());
  EXPECT_EQ(checked.problem_count(), 0u);
  EXPECT_EQ(checked.vetting_checks(), 1u);
  ExpectStillServing();
}

TEST_F(WireInputTest, ANestedStringThatIsNotUtf8IsNamedByItsPath) {
  const std::string bytes = WithSurnameNotUtf8(testing::ExampleRecord());
  const uint64_t before = Events();
  const grpc::Status s = Raw(kCreateRecordMethod, bytes, "clerk");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(), "person.surname: not valid UTF-8");
  ASSERT_EQ(Events(), before + 1);
  EXPECT_EQ(EventAt(before).action(), kCreateRecordMethod);
  EXPECT_EQ(EventAt(before).record_ids_size(), 0) << "nothing was created";
  ExpectStillServing();
}

TEST_F(WireInputTest, BytesThatAreNoProtobufAreInvalidArgumentAndAudited) {
  const uint64_t before = Events();
  // A field tag with wire type 7, which protobuf does not have.
  const grpc::Status s = Raw(kCreateRecordMethod, "\x0f\x01\x02", "clerk");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(), "request: does not decode as registry.v1.CreateRecordRequest");
  ASSERT_EQ(Events(), before + 1);
  const v1::AuditEvent ev = EventAt(before);
  EXPECT_EQ(ev.action(), kCreateRecordMethod);
  EXPECT_EQ(ev.role(), v1::ROLE_CLERK);
  EXPECT_EQ(testing::OutcomeName(ev), "INVALID_ARGUMENT");
  ExpectStillServing();
}

// A streaming method's request goes the same way: refused before its first message, audited.
TEST_F(WireInputTest, AnUndecodableRequestOfAStreamingMethodIsInvalidArgumentAndAudited) {
  const uint64_t before = Events();
  const grpc::Status s = Raw(kStreamAuditEventsMethod, "\x0f\x01\x02", "auditor");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(),
            "request: does not decode as registry.v1.StreamAuditEventsRequest");
  ASSERT_EQ(Events(), before + 1);
  EXPECT_EQ(EventAt(before).action(), kStreamAuditEventsMethod);
  EXPECT_EQ(EventAt(before).role(), v1::ROLE_AUDITOR);
  ExpectStillServing();
}

// Who may call comes before what was sent: a role the method does not admit is refused as such,
// whether or not its request decodes.
TEST_F(WireInputTest, AnUndecodableRequestOfAWrongRoleIsPermissionDenied) {
  const uint64_t before = Events();
  const grpc::Status s = Raw(kCreateRecordMethod, "\x0f\x01\x02", "vetting");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  ASSERT_EQ(Events(), before + 1);
  EXPECT_EQ(testing::OutcomeName(EventAt(before)), "PERMISSION_DENIED");
  ExpectStillServing();
}

// A certificate the policy does not name is refused as unknown, and its refusals are limited
// like every other refusal of an unknown certificate.
TEST_F(WireInputTest, AnUndecodableRequestOfAnUnknownCallerIsRefusedAsUnknown) {
  const uint64_t before = Events();
  const grpc::Status s = Raw(kCreateRecordMethod, "\x0f\x01\x02", "unlisted");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
  ASSERT_EQ(Events(), before + 1);
  // An identity the policy does not list is caller text: the event names the certificate by its
  // fingerprint, never by the URI it carries.
  EXPECT_EQ(EventAt(before).actor(), "unlisted certificate");
  EXPECT_EQ(EventAt(before).role(), v1::ROLE_UNSPECIFIED);
  ExpectStillServing();
}

// A unary call is one request: a second message in the same call (gRPC's own clients never send
// one) is never read, so it changes nothing and has no event of its own; the call is answered
// and audited for the first, once.
TEST_F(WireInputTest, ASecondRequestMessageInAUnaryCallIsNeverReadNorCarriedOut) {
  const std::string first = FictionalRecord(1).SerializeAsString();
  const std::string second = FictionalRecord(2).SerializeAsString();
  const uint64_t before = Events();
  const grpc::Status s =
      CallWithRequests(server_->Channel("clerk"), kCreateRecordMethod, {first, second});
  EXPECT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(Events(), before + 1) << "one event, for the call";
  EXPECT_EQ(EventAt(before).action(), kCreateRecordMethod);
  EXPECT_EQ(testing::OutcomeName(EventAt(before)), "OK");
  // Only the first was entered: the second is no duplicate when it is sent on its own.
  grpc::ClientContext ctx;
  v1::CreateRecordResponse created;
  EXPECT_TRUE(v1::RecordService::NewStub(server_->Channel("clerk"))
                  ->CreateRecord(&ctx, FictionalRecord(2), &created)
                  .ok());
  grpc::ClientContext again;
  EXPECT_EQ(v1::RecordService::NewStub(server_->Channel("clerk"))
                ->CreateRecord(&again, FictionalRecord(1), &created)
                .error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(WireInputTest, AMethodThatDoesNotExistIsUnimplementedAndAudited) {
  const uint64_t before = Events();
  const grpc::Status s = Raw("/registry.v1.RecordService/DropEverything", "", "clerk");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED) << s.error_message();
  EXPECT_EQ(s.error_message(), "no such method");
  ASSERT_EQ(Events(), before + 1);
  const v1::AuditEvent ev = EventAt(before);
  EXPECT_EQ(ev.action(), "?unknown-method");
  EXPECT_EQ(ev.actor(), kClerkId);
  EXPECT_EQ(testing::OutcomeName(ev), "UNIMPLEMENTED");
  ExpectStillServing();
}

// The transport refuses it before it is read; the call is still audited, once, with that code.
TEST_F(WireInputTest, ARequestOverEightMebibytesIsRefusedByTheTransportAndAudited) {
  v1::CreateRecordRequest req = testing::ExampleRecord();
  req.mutable_person()->set_birth_place(std::string(9 << 20, 'a'));
  const uint64_t before = Events();
  const grpc::Status s = Raw(kCreateRecordMethod, req.SerializeAsString(), "clerk");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  // The event may be written just after the transport answered.
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (Events() == before && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(Events(), before + 1);
  const v1::AuditEvent ev = EventAt(before);
  EXPECT_EQ(ev.action(), kCreateRecordMethod);
  EXPECT_EQ(ev.actor(), kClerkId);
  EXPECT_EQ(testing::OutcomeName(ev), "RESOURCE_EXHAUSTED");
  EXPECT_TRUE(ev.record_ids().empty());
  ExpectStillServing();
}

// A field over its limit, by contrast, decodes: it is the gate's, refused with the field named
// and audited once, never echoed.
TEST_F(WireInputTest, AnOversizeFieldThatDecodesIsInvalidArgumentAndAuditedOnce) {
  v1::CreateRecordRequest req = testing::ExampleRecord();
  req.mutable_person()->set_surname(std::string(300, 'a'));
  const uint64_t before = Events();
  const grpc::Status s = Raw(kCreateRecordMethod, req.SerializeAsString(), "clerk");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("person.surname"), std::string::npos) << s.error_message();
  EXPECT_EQ(s.error_message().find(std::string(20, 'a')), std::string::npos);
  EXPECT_EQ(Events(), before + 1);
}

}  // namespace
}  // namespace registry::testing
