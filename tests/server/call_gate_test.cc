// The gate's own rules, unit by unit: how a handler's status reaches the wire, which caller text
// may enter an audit event, and what one call's log line holds. The gate at work on real calls
// (identity, roles, purpose, consent, one event per call) is tested end to end in
// access_matrix_test.cc, purpose_test.cc, vetting_service_test.cc, audit_service_test.cc and,
// for calls no handler sees, tests/reliability/bad_input_test.cc.
#include "server/call_gate.h"

#include <string>

#include "absl/strings/match.h"
#include "common/public_status.h"
#include "common/reference_text.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.pb.h"

namespace registry::server {
namespace {

namespace v1 = registry::v1;

TEST(ToGrpcStatusTest, OkIsOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(ToGrpcStatusTest, TheCallersOwnErrorsKeepTheirCodeAndMessage) {
  const absl::Status ours[] = {
      absl::InvalidArgumentError("person.surname: 1..100 characters"),
      absl::FailedPreconditionError("purpose.case_reference is required"),
      absl::NotFoundError("no such record"),
      absl::AlreadyExistsError("record exists"),
      absl::PermissionDeniedError("role vetting may not call this method"),
      absl::UnauthenticatedError("client certificate is revoked"),
      absl::ResourceExhaustedError("rate limit of the organisation exceeded"),
      absl::AbortedError("version changed"),
      absl::OutOfRangeError("page token"),
      absl::UnimplementedError("no such method"),
  };
  for (const absl::Status& s : ours) {
    const grpc::Status wire = ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(wire.error_code()), static_cast<int>(s.code())) << s;
    EXPECT_EQ(wire.error_message(), s.message());
  }
}

TEST(ToGrpcStatusTest, ServerFaultsKeepTheirCodeButNeverTheirDetail) {
  const std::string detail = "rocksdb: Corruption: block checksum mismatch in /var/lib/x.sst";
  const grpc::Status loss = ToGrpcStatus(absl::DataLossError(detail));
  EXPECT_EQ(loss.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(loss.error_message(),
            "stored data is damaged or failed authentication; registryd --verify_data names what");
  const grpc::Status down = ToGrpcStatus(absl::UnavailableError(detail));
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_FALSE(absl::StrContains(down.error_message(), "rocksdb"));
  for (const absl::Status& s :
       {absl::InternalError(detail), absl::UnknownError(detail), absl::CancelledError(detail),
        absl::DeadlineExceededError(detail)}) {
    const grpc::Status wire = ToGrpcStatus(s);
    EXPECT_EQ(wire.error_code(), grpc::StatusCode::INTERNAL) << s;
    EXPECT_EQ(wire.error_message(), "internal error");
  }
}

TEST(ToGrpcStatusTest, AnErrorBuiltAsPublicKeepsItsMessage) {
  const grpc::Status wire =
      ToGrpcStatus(PublicError(absl::DataLossError("audit event 17 is missing")));
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::DATA_LOSS);
  EXPECT_EQ(wire.error_message(), "audit event 17 is missing");
}

TEST(ReferenceShapedTest, LettersDigitsSpacesAndFiveMarksUpToTheLimit) {
  EXPECT_TRUE(ReferenceShaped("P 123/2026", kMaxReference));
  EXPECT_TRUE(ReferenceShaped("CONSENT-2026.17:a_b", kMaxReference));
  EXPECT_TRUE(ReferenceShaped(std::string(kMaxReference, 'a'), kMaxReference));
  EXPECT_FALSE(ReferenceShaped(std::string(kMaxReference + 1, 'a'), kMaxReference));
  EXPECT_FALSE(ReferenceShaped("", kMaxReference));
}

TEST(ReferenceShapedTest, AReferenceHasALetterOrADigit) {
  for (const char* nothing : {" ", ".", "/-.:_", "   ", "--"}) {
    EXPECT_FALSE(ReferenceShaped(nothing)) << "\"" << nothing << "\"";
  }
  EXPECT_TRUE(ReferenceShaped(" 1 "));
  EXPECT_TRUE(ReferenceShaped("- a -"));
}

TEST(ReferenceShapedTest, NothingElseEntersTheLog) {
  // Every byte outside the shape, alone in a reference, makes it unfit for the log.
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    const bool allowed = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                         (c >= 'A' && c <= 'Z') || ch == ' ' || ch == '/' || ch == '-' ||
                         ch == '.' || ch == ':' || ch == '_';
    EXPECT_EQ(ReferenceShaped(std::string("ref") + ch, kMaxReference), allowed) << c;
  }
  EXPECT_FALSE(ReferenceShaped("Kërqeli", kMaxReference)) << "names are not references";
}

TEST(CallLogLineTest, HoldsTheCallsFieldsAndNoCallerText) {
  v1::AuditEvent event;
  event.set_request_id("req-1");
  event.set_action("/registry.v1.RecordService/GetRecord");
  event.set_role(v1::ROLE_COURT);
  event.set_actor("spiffe://registry.kjc.dev/court/dev-court");
  event.set_organisation("basic-court-prishtina");
  event.set_outcome(static_cast<int>(absl::StatusCode::kNotFound));
  event.set_case_reference("P 123/2026");
  event.set_detail("person.surname: 1..100 characters");
  event.add_record_ids("0123456789abcdef0123456789abcdef");
  const std::string line =
      CallLogLine(event, 42, absl::FromUnixSeconds(1700000000), absl::Milliseconds(7));
  EXPECT_TRUE(absl::EndsWith(line, "}\n")) << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line";
  for (const char* field :
       {"\"level\":\"info\"", "\"msg\":\"call\"", "\"request_id\":\"req-1\"",
        "\"method\":\"/registry.v1.RecordService/GetRecord\"", "\"role\":\"court\"",
        "\"outcome\":\"NOT_FOUND\"", "\"actor\":\"spiffe://registry.kjc.dev/court/dev-court\"",
        "\"org\":\"basic-court-prishtina\"", "\"seq\":42"}) {
    EXPECT_TRUE(absl::StrContains(line, field)) << field << " in " << line;
  }
  // What the caller stated stays in the audit log, not in the server's log.
  EXPECT_FALSE(absl::StrContains(line, "P 123/2026")) << line;
  EXPECT_FALSE(absl::StrContains(line, "person.surname")) << line;
  EXPECT_FALSE(absl::StrContains(line, "0123456789abcdef")) << line;
  EXPECT_FALSE(absl::StrContains(line, "dry_run")) << line;
}

TEST(CallLogLineTest, ServerFaultsAreErrorsAndAnUnwrittenEventIsMinusOne) {
  v1::AuditEvent event;
  event.set_action("/registry.v1.VettingService/VettingCheck");
  for (absl::StatusCode code : {absl::StatusCode::kInternal, absl::StatusCode::kUnavailable,
                                absl::StatusCode::kDataLoss, absl::StatusCode::kUnknown}) {
    event.set_outcome(static_cast<int>(code));
    const std::string line = CallLogLine(event, -1, absl::Now(), absl::ZeroDuration());
    EXPECT_TRUE(absl::StrContains(line, "\"level\":\"error\"")) << line;
    EXPECT_TRUE(absl::StrContains(line, "\"seq\":-1")) << line;
    EXPECT_TRUE(absl::StrContains(line, "\"actor\":\"-\"")) << line;
  }
  event.set_outcome(static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(absl::StrContains(CallLogLine(event, 3, absl::Now(), absl::ZeroDuration()),
                                "\"level\":\"info\""));
}

// A fault the caller is told only as "cannot record this call" (a key file or erasure ledger
// that cannot be written) is named in the server's log, so that the operator can act; a refusal's
// words are the caller's own business and stay out of it.
TEST(CallLogLineTest, AServerFaultsCauseIsLoggedAndARefusalsWordsAreNot) {
  v1::AuditEvent event;
  event.set_action("/registry.v1.AdminService/RotateKeys");
  event.set_outcome(static_cast<int>(absl::StatusCode::kUnavailable));
  const std::string fault = CallLogLine(event, 7, absl::Now(), absl::ZeroDuration(),
                                        "cannot write the key file: Operation not permitted");
  EXPECT_TRUE(absl::StrContains(
      fault, "\"cause\":\"cannot write the key file: Operation not permitted\""))
      << fault;
  event.set_outcome(static_cast<int>(absl::StatusCode::kInvalidArgument));
  const std::string refusal = CallLogLine(event, 8, absl::Now(), absl::ZeroDuration(),
                                          "person.surname: 1..100 letters");
  EXPECT_FALSE(absl::StrContains(refusal, "cause")) << refusal;
  EXPECT_FALSE(absl::StrContains(refusal, "person.surname")) << refusal;
}

}  // namespace
}  // namespace registry::server
