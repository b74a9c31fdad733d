// Only validated caller text enters the audit log: a record id only with the id shape, any other
// caller text only when it is reference-shaped. A reference the log could not hold is refused
// (INVALID_ARGUMENT naming the field) rather than dropped, and its event records the field and
// the length, never the text.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/clients.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class AuditTextTest;

struct Misshapen {
  std::string what;
  std::string field;  // as named in the error and in `withheld`
  std::string text;   // the caller text that must not reach the log
  std::function<grpc::Status(AuditTextTest*, const std::string&)> call;
};

class AuditTextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    records_clerk_ = v1::RecordService::NewStub(server_->Channel("clerk"));
    records_court_ = v1::RecordService::NewStub(server_->Channel("court"));
    vetting_clerk_ = v1::VettingService::NewStub(server_->Channel("clerk"));
    vetting_ = v1::VettingService::NewStub(server_->Channel("vetting"));
    audit_ = v1::AuditService::NewStub(server_->Channel("auditor"));
    v1::CreateRecordResponse created;
    ASSERT_TRUE(
        records_clerk_->CreateRecord(NewCallContext().get(), ExampleRecord(), &created).ok());
    id_ = created.record_id();
  }

  // The last event's bytes, decoded into *event.
  std::string LastEvent(v1::AuditEvent* event) {
    storage::AuditLog* log = server_->server()->audit_log();
    auto bytes = log->ReadEvent(log->CurrentHead().size - 1);
    EXPECT_TRUE(bytes.ok() && event->ParseFromString(*bytes));
    return bytes.ok() ? *bytes : "";
  }

  // Each case's call is refused with INVALID_ARGUMENT "<field>: <rule>", and its one event
  // records the field and the length, never the text.
  void ExpectRefusedAndWithheld(const std::vector<Misshapen>& cases,
                                const std::string& rule);

 public:  // for the table's calls
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::RecordService::Stub> records_clerk_, records_court_;
  std::unique_ptr<v1::VettingService::Stub> vetting_clerk_, vetting_;
  std::unique_ptr<v1::AuditService::Stub> audit_;
  std::string id_;
};

void AuditTextTest::ExpectRefusedAndWithheld(const std::vector<Misshapen>& cases,
                                             const std::string& rule) {
  for (const Misshapen& c : cases) {
    SCOPED_TRACE(c.what);
    const uint64_t before = server_->server()->audit_log()->CurrentHead().size;
    const grpc::Status s = c.call(this, c.text);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_EQ(s.error_message(), absl::StrCat(c.field, ": ", rule));
    EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, before + 1);
    v1::AuditEvent event;
    const std::string bytes = LastEvent(&event);
    EXPECT_EQ(testing::OutcomeName(event), "INVALID_ARGUMENT");
    EXPECT_THAT(event.withheld(),
                ElementsAre(absl::StrCat(c.field, " (", c.text.size(), " bytes)")));
    EXPECT_THAT(bytes, Not(HasSubstr(c.text)));
    EXPECT_THAT(bytes, Not(HasSubstr(c.text.substr(0, 6))));
  }
  // Nothing was erased on the way.
  v1::GetRecordRequest get;
  get.set_record_id(id_);
  v1::GetRecordResponse got;
  EXPECT_TRUE(records_clerk_->GetRecord(NewCallContext().get(), get, &got).ok());
}

// The calls whose references the cases below vary: each states `text` in one field.
grpc::Status ListHistoryFor(AuditTextTest* t, const std::string& text) {
  v1::ListChecksAboutPersonRequest req;
  req.set_personal_number(ExampleRecord().person().personal_number());
  req.set_request_reference(text);
  v1::ListChecksAboutPersonResponse resp;
  const grpc::Status s =
      t->vetting_clerk_->ListChecksAboutPerson(NewCallContext().get(), req, &resp);
  EXPECT_THAT(resp.checks(), IsEmpty());
  return s;
}

grpc::Status ReadForCase(AuditTextTest* t, const std::string& text) {
  v1::GetRecordRequest req;
  req.set_record_id(t->id_);
  req.mutable_purpose()->set_case_reference(text);
  req.mutable_purpose()->set_purpose_code("criminal_proceedings");
  v1::GetRecordResponse resp;
  const grpc::Status s = t->records_court_->GetRecord(NewCallContext().get(), req, &resp);
  EXPECT_FALSE(resp.has_record());
  return s;
}

grpc::Status VetWithConsent(AuditTextTest* t, const std::string& text) {
  v1::VettingCheckResponse resp;
  const grpc::Status s = t->vetting_->VettingCheck(
      NewCallContext().get(), CandidateOf(ExampleRecord().person(), text), &resp);
  EXPECT_FALSE(resp.has_certificate());
  return s;
}

grpc::Status ExpungeOnBasis(AuditTextTest* t, const std::string& text) {
  v1::ExpungeRecordRequest req;
  req.set_record_id(t->id_);
  req.set_legal_basis(text);
  v1::ExpungeRecordResponse resp;
  return t->records_clerk_->ExpungeRecord(NewCallContext().get(), req, &resp);
}

grpc::Status ExportTo(AuditTextTest* t, const std::string& text) {
  v1::ExportAuditEventsRequest req;
  req.set_recipient(text);
  req.set_reference("IPA-2026-4");
  auto ctx = NewCallContext();
  auto reader = t->audit_->ExportAuditEvents(ctx.get(), req);
  v1::AuditEntry entry;
  EXPECT_FALSE(reader->Read(&entry));
  return reader->Finish();
}

TEST_F(AuditTextTest, AReferenceTheLogCannotHoldIsRefusedAndWithheld) {
  ExpectRefusedAndWithheld(
      {
          {"data-subject request with a non-ASCII letter", "request_reference", "DSR-2026-Ë1",
           ListHistoryFor},
          {"case reference with a control character", "purpose.case_reference",
           "PKR 77/2026\x1b[2J", ReadForCase},
          {"consent reference too long", "consent_reference", std::string(65, 'C'),
           VetWithConsent},
          {"export recipient with a bidi override", "recipient", "Agency\u202Eycnega", ExportTo},
          {"case reference of marks only", "purpose.case_reference", "-.-", ReadForCase},
          {"consent reference of marks only", "consent_reference", "./:", VetWithConsent},
      },
      "1..64 ASCII letters, digits, spaces or /-.:_, with a letter or digit");
  // A legal basis takes the letters of Albanian and Serbian, and nothing else a reference does
  // not take.
  ExpectRefusedAndWithheld(
      {
          {"legal basis with a section sign", "legal_basis", "neni 103 §2", ExpungeOnBasis},
          {"legal basis with a bidi override", "legal_basis", "neni 103\u202E", ExpungeOnBasis},
          {"legal basis with a Greek letter", "legal_basis", "neni 103 \u0391", ExpungeOnBasis},
          {"legal basis of marks only", "legal_basis", "-.-", ExpungeOnBasis},
      },
      "1..64 letters (Latin or Cyrillic), digits, spaces or /-.:_, with a letter or digit");
}

grpc::Status ExpungeDryRunOnBasis(AuditTextTest* t, const std::string& text) {
  v1::ExpungeRecordRequest req;
  req.set_record_id(t->id_);
  req.set_legal_basis(text);
  req.set_dry_run(true);
  v1::ExpungeRecordResponse resp;
  return t->records_clerk_->ExpungeRecord(NewCallContext().get(), req, &resp);
}

// A clerk cites the law in Albanian or Serbian: "neni 103 i Kodit Penal të Kosovës" was refused
// for its ë, "član 103" for its č, the Cyrillic citation whole, as any reference outside ASCII
// is. A legal basis takes their letters and is recorded as sent; a personal number in it is
// still refused and withheld (docs/security.md row 40), and every other reference stays ASCII.
TEST_F(AuditTextTest, ALegalBasisInAlbanianOrSerbianIsTakenAndRecordedAsSent) {
  for (const std::string basis :
       {"neni 103 i Kodit Penal t\u00eb Kosov\u00ebs", "\u010dlan 103 Krivi\u010dnog zakonika",
        "\u0447\u043b\u0430\u043d 103 \u041a\u0417 \u0452\u0459",
        "\u0106\u0160\u017d\u0110 \u00c7 \u01c6 :_/-."}) {
    SCOPED_TRACE(basis);
    const grpc::Status s = ExpungeDryRunOnBasis(this, basis);
    EXPECT_TRUE(s.ok()) << s.error_message();
    v1::AuditEvent event;
    LastEvent(&event);
    EXPECT_EQ(event.reference(), basis);
    EXPECT_THAT(event.withheld(), IsEmpty());
  }
  const std::string pn = ExampleRecord().person().personal_number();
  ExpectRefusedAndWithheld(
      {{"legal basis in Albanian", "legal_basis", absl::StrCat("nen\u00eb 103 ", pn),
        ExpungeOnBasis}},
      "must not hold a personal number");
  ExpectRefusedAndWithheld(
      {{"export reference", "reference", "K\u00ebrkesa 2026",
        [](AuditTextTest* t, const std::string& text) {
          v1::ExportAuditEventsRequest req;
          req.set_recipient("IPA");
          req.set_reference(text);
          auto ctx = NewCallContext();
          auto reader = t->audit_->ExportAuditEvents(ctx.get(), req);
          v1::AuditEntry entry;
          EXPECT_FALSE(reader->Read(&entry));
          return reader->Finish();
        }}},
      "1..64 ASCII letters, digits, spaces or /-.:_, with a letter or digit");
}

grpc::Status ReadForPurpose(AuditTextTest* t, const std::string& text) {
  v1::GetRecordRequest req;
  req.set_record_id(t->id_);
  req.mutable_purpose()->set_case_reference("PKR 77/2026");
  req.mutable_purpose()->set_purpose_code(text);
  v1::GetRecordResponse resp;
  const grpc::Status s = t->records_court_->GetRecord(NewCallContext().get(), req, &resp);
  EXPECT_FALSE(resp.has_record());
  return s;
}

// A reference pasted with a space or tab before or after it: the trailing space
// of "PKR 77/2026 " was kept in the log while a tab was refused. Both are refused with what is
// wrong, and the event holds the field and length, never the text (trimmed or not).
TEST_F(AuditTextTest, AReferenceBeginningOrEndingWithASpaceIsRefusedAndWithheld) {
  ExpectRefusedAndWithheld(
      {
          {"case reference with a trailing space", "purpose.case_reference", "PKR 77/2026 ",
           ReadForCase},
          {"case reference with a trailing tab", "purpose.case_reference", "PKR 77/2026\t",
           ReadForCase},
          {"purpose code with a trailing space", "purpose.purpose_code",
           "criminal_proceedings ", ReadForPurpose},
          {"data-subject request with a leading space", "request_reference", " DSR-2026-1",
           ListHistoryFor},
          {"consent reference with spaces around it", "consent_reference", " CONSENT 2026/44 ",
           VetWithConsent},
          {"legal basis with a trailing newline", "legal_basis", "neni 103\n", ExpungeOnBasis},
          {"export recipient with a leading space", "recipient", " IPA", ExportTo},
      },
      "begins or ends with a space");
  // Not a reference even without its spaces: the shape rule, as before.
  ExpectRefusedAndWithheld(
      {{"case reference with a tab inside", "purpose.case_reference", "PKR\t77 ", ReadForCase}},
      "1..64 ASCII letters, digits, spaces or /-.:_, with a letter or digit");
}

// Reference-shaped text can still carry a personal number (ten digits in a row, by the
// registry's pattern): a client that puts one in a reference would put it in the log, which
// names people by keyed tokens only. It is refused and withheld like text of the wrong shape.
TEST_F(AuditTextTest, AReferenceHoldingAPersonalNumberIsRefusedAndWithheld) {
  const std::string pn = ExampleRecord().person().personal_number();
  ExpectRefusedAndWithheld(
      {
          {"data-subject request", "request_reference", absl::StrCat("DSR-", pn), ListHistoryFor},
          {"case reference", "purpose.case_reference", absl::StrCat("PKR 77/2026 ", pn),
           ReadForCase},
          {"consent reference, inside a longer run of digits", "consent_reference",
           absl::StrCat("C", pn, "99"), VetWithConsent},
          {"consent reference, written in groups", "consent_reference",
           absl::StrCat(pn.substr(0, 3), " ", pn.substr(3, 3), "-", pn.substr(6)), VetWithConsent},
          {"legal basis", "legal_basis", absl::StrCat("neni 103 ", pn), ExpungeOnBasis},
          {"export recipient", "recipient", absl::StrCat("Agency ", pn), ExportTo},
      },
      "must not hold a personal number");
}

// The x-request-id header is the caller's too: one holding a personal number is replaced by a
// generated id, and the event notes the header's length only. The call itself goes on.
TEST_F(AuditTextTest, ARequestIdHoldingAPersonalNumberIsReplaced) {
  const std::string header = absl::StrCat("req-", ExampleRecord().person().personal_number());
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  ctx.AddMetadata("x-request-id", header);
  v1::GetRecordRequest req;
  req.set_record_id(id_);
  v1::GetRecordResponse resp;
  ASSERT_TRUE(records_clerk_->GetRecord(&ctx, req, &resp).ok());
  v1::AuditEvent event;
  const std::string bytes = LastEvent(&event);
  EXPECT_EQ(event.request_id().size(), 32u);
  EXPECT_NE(event.request_id(), header);
  EXPECT_THAT(event.withheld(),
              ElementsAre(absl::StrCat("x-request-id (", header.size(), " bytes)")));
  EXPECT_THAT(bytes, Not(HasSubstr(ExampleRecord().person().personal_number())));

  // A request id without one is recorded as sent.
  grpc::ClientContext plain;
  plain.set_deadline(CallDeadline());
  plain.AddMetadata("x-request-id", "req-2026-12-02-0001");
  ASSERT_TRUE(records_clerk_->GetRecord(&plain, req, &resp).ok());
  LastEvent(&event);
  EXPECT_EQ(event.request_id(), "req-2026-12-02-0001");
  EXPECT_THAT(event.withheld(), IsEmpty());
}

// Purpose codes are a closed list in the policy. A code outside it is caller text like any
// other, and reference-shaped text can be anything (a person's name): it is withheld (field and
// length) whoever sends it and however the call ends, before the caller is even known. A court
// is still refused for it; a clerk, who need state no purpose, is answered.
TEST_F(AuditTextTest, APurposeCodeOutsideThePolicyIsWithheldForEveryCallerAndOutcome) {
  const std::string name = "Arben Kerqeli";
  const std::string withheld = absl::StrCat("purpose.purpose_code (", name.size(), " bytes)");
  struct Caller {
    std::string identity;
    grpc::StatusCode code;
    std::string message;  // "" when only the code is checked
  };
  const std::vector<Caller> callers = {
      {"court", grpc::StatusCode::INVALID_ARGUMENT,
       "purpose.purpose_code: not an allowed purpose code"},
      {"clerk", grpc::StatusCode::OK, ""},
      {"vetting", grpc::StatusCode::PERMISSION_DENIED, ""},
      {"auditor", grpc::StatusCode::PERMISSION_DENIED, ""},
      {"unlisted", grpc::StatusCode::PERMISSION_DENIED, ""},  // no principal in the policy
      {"revoked", grpc::StatusCode::UNAUTHENTICATED, ""},     // in the revocation list
      {"nouri", grpc::StatusCode::UNAUTHENTICATED, ""},       // names no identity
  };
  for (const Caller& c : callers) {
    SCOPED_TRACE(c.identity);
    v1::GetRecordRequest req;
    req.set_record_id(id_);
    req.mutable_purpose()->set_case_reference("PKR 123/2026");
    req.mutable_purpose()->set_purpose_code(name);
    v1::GetRecordResponse resp;
    const uint64_t before = server_->server()->audit_log()->CurrentHead().size;
    const grpc::Status s = v1::RecordService::NewStub(server_->Channel(c.identity))
                               ->GetRecord(NewCallContext().get(), req, &resp);
    EXPECT_EQ(s.error_code(), c.code) << s.error_message();
    if (!c.message.empty()) {
      EXPECT_EQ(s.error_message(), c.message);
    }
    ASSERT_EQ(server_->server()->audit_log()->CurrentHead().size, before + 1);
    v1::AuditEvent event;
    const std::string bytes = LastEvent(&event);
    EXPECT_EQ(event.outcome(), static_cast<int>(c.code));
    EXPECT_EQ(event.purpose_code(), "");
    const std::string case_withheld = "purpose.case_reference (12 bytes)";
    if (c.identity == "unlisted") {
      // The identity the policy does not list is withheld too (server/call_gate.cc), and so is
      // every reference of a certificate the gate refuses.
      EXPECT_THAT(event.withheld(),
                  ElementsAre(withheld, case_withheld,
                              absl::StrCat("certificate identity (",
                                           std::string(kUnlistedClerkId).size(), " bytes)")));
      EXPECT_EQ(event.case_reference(), "");
    } else if (c.code == grpc::StatusCode::UNAUTHENTICATED) {
      EXPECT_THAT(event.withheld(), ElementsAre(withheld, case_withheld));
      EXPECT_EQ(event.case_reference(), "");
    } else {
      EXPECT_THAT(event.withheld(), ElementsAre(withheld));
      EXPECT_EQ(event.case_reference(), "PKR 123/2026") << "a reference is still recorded";
    }
    EXPECT_THAT(bytes, Not(HasSubstr(name)));
    EXPECT_THAT(bytes, Not(HasSubstr("Kerqeli")));
  }

  // A code the policy lists is recorded as sent, by a clerk as by a court.
  for (const char* identity : {"clerk", "court"}) {
    SCOPED_TRACE(identity);
    v1::GetRecordRequest req;
    req.set_record_id(id_);
    req.mutable_purpose()->set_case_reference("PKR 123/2026");
    req.mutable_purpose()->set_purpose_code("criminal_proceedings");
    v1::GetRecordResponse resp;
    ASSERT_TRUE(v1::RecordService::NewStub(server_->Channel(identity))
                    ->GetRecord(NewCallContext().get(), req, &resp)
                    .ok());
    v1::AuditEvent event;
    LastEvent(&event);
    EXPECT_EQ(event.purpose_code(), "criminal_proceedings");
    EXPECT_THAT(event.withheld(), IsEmpty());
  }
}

// A caller whose certificate the gate refuses is no official the registry answers for, and the
// text it types is kept nowhere: not its references (reference-shaped text spells a name and a
// birth date as readily as a case number), not its x-request-id, which becomes a generated id.
// Each is withheld by its length, in the audit event and the server's log line alike, as an
// unlisted certificate's URI is. Refused certificates: one the policy does not list, one without
// a URI, one the CRL revokes, one the deny list names (a listed court's).
TEST(RefusedCertificateTextTest, ACallerWhoseCertificateIsRefusedLeavesNoTextItTypedInAnyLog) {
  TestServerOptions options;
  options.log_calls = true;
  options.unknown_callers.set_audited_burst(1000);
  options.policy = std::make_unique<v1::AccessPolicy>(DevPolicy());
  options.policy->add_denied_certificate_sha256(TestPki::Get().LoadIdentity("court").fingerprint);
  auto server = TestServer::Start(std::move(options));
  const std::string id = CreatedRecordId(*server, "clerk", ExampleRecord());
  ASSERT_FALSE(id.empty());
  storage::AuditLog* log = server->server()->audit_log();
  const std::string request_id = "Krasniqi-Arben-1980-05-05-unlisted";
  const std::string text = "Krasniqi Arben born 1980-05-05";
  const auto context = [&] { return NewCallContext(request_id); };
  // Calls `call`, expected to be refused with `code`; checks its one event and its log line.
  const auto refused = [&](grpc::StatusCode code, const std::vector<std::string>& fields,
                           const std::function<grpc::Status()>& call) {
    const uint64_t before = log->CurrentHead().size;
    ::testing::internal::CaptureStderr();
    const grpc::Status s = call();
    const std::string logged = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(s.error_code(), code) << s.error_message();
    ASSERT_EQ(log->CurrentHead().size, before + 1);
    v1::AuditEvent event;
    const absl::StatusOr<std::string> bytes = log->ReadEvent(before);
    ASSERT_TRUE(bytes.ok() && event.ParseFromString(*bytes));
    EXPECT_TRUE(absl::StartsWith(event.detail(), "certificate refused: ")) << event.detail();
    EXPECT_EQ(event.request_id().size(), 32u);
    EXPECT_NE(event.request_id(), request_id);
    EXPECT_EQ(event.case_reference(), "");
    EXPECT_EQ(event.purpose_code(), "");
    EXPECT_EQ(event.consent_reference(), "");
    EXPECT_EQ(event.reference(), "");
    EXPECT_EQ(event.recipient(), "");
    for (const std::string& field : fields) {
      EXPECT_THAT(event.withheld(), ::testing::Contains(field));
    }
    EXPECT_THAT(event.withheld(),
                ::testing::Contains(absl::StrCat("x-request-id (", request_id.size(), " bytes)")));
    EXPECT_THAT(logged, HasSubstr(absl::StrCat(R"("request_id":")", event.request_id())));
    for (const char* secret : {"Krasniqi", "Arben", "1980-05-05", "05-unlisted"}) {
      EXPECT_THAT(*bytes, Not(HasSubstr(secret))) << secret;
      EXPECT_THAT(logged, Not(HasSubstr(secret))) << secret;
    }
  };
  const std::vector<std::pair<std::string, grpc::StatusCode>> callers = {
      {"unlisted", grpc::StatusCode::PERMISSION_DENIED},
      {"nouri", grpc::StatusCode::UNAUTHENTICATED},
      {"revoked", grpc::StatusCode::UNAUTHENTICATED},
      {"court", grpc::StatusCode::UNAUTHENTICATED},  // deny-listed
  };
  for (const auto& [identity, code] : callers) {
    SCOPED_TRACE(identity);
    const std::shared_ptr<grpc::Channel> channel = server->Channel(identity);
    // A record read, as the review found it: a case and a purpose code.
    refused(code,
            {absl::StrCat("purpose.case_reference (", text.size(), " bytes)"),
             "purpose.purpose_code (20 bytes)"},
            [&] {
              v1::GetRecordRequest req;
              req.set_record_id(id);
              req.mutable_purpose()->set_case_reference(text);
              req.mutable_purpose()->set_purpose_code("criminal_proceedings");
              v1::GetRecordResponse resp;
              return v1::RecordService::NewStub(channel)->GetRecord(context().get(), req, &resp);
            });
    // A vetting check's consent reference.
    refused(code, {absl::StrCat("consent_reference (", text.size(), " bytes)")}, [&] {
      v1::VettingCheckResponse resp;
      return v1::VettingService::NewStub(channel)->VettingCheck(
          context().get(), CandidateOf(ExampleRecord().person(), text), &resp);
    });
    // An export's recipient and reference.
    refused(code,
            {absl::StrCat("recipient (", text.size(), " bytes)"),
             absl::StrCat("reference (", text.size(), " bytes)")},
            [&] {
              v1::ExportAuditEventsRequest req;
              req.set_recipient(text);
              req.set_reference(text);
              auto ctx = context();
              auto reader = v1::AuditService::NewStub(channel)->ExportAuditEvents(ctx.get(), req);
              v1::AuditEntry entry;
              while (reader->Read(&entry)) {
              }
              return reader->Finish();
            });
  }

  // A listed official refused for its role keeps its references and request id, as in its
  // admitted calls: it is answerable for what it types.
  const uint64_t before = log->CurrentHead().size;
  v1::GetRecordRequest req;
  req.set_record_id(id);
  req.mutable_purpose()->set_case_reference("PKR 123/2026");
  v1::GetRecordResponse resp;
  EXPECT_EQ(v1::RecordService::NewStub(server->Channel("vetting"))
                ->GetRecord(NewCallContext("req-2026-12-06-0001").get(), req, &resp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(log->CurrentHead().size, before + 1);
  v1::AuditEvent event;
  ASSERT_TRUE(event.ParseFromString(*log->ReadEvent(before)));
  EXPECT_EQ(event.request_id(), "req-2026-12-06-0001");
  EXPECT_EQ(event.case_reference(), "PKR 123/2026");
  EXPECT_THAT(event.withheld(), IsEmpty());
}

TEST_F(AuditTextTest, OnlyIdShapedRecordIdsOfStoredRecordsAreRecorded) {
  const std::vector<std::string> not_ids = {
      std::string(70, 'a'), "0123456789ABCDEF0123456789ABCDEF", "Kërqeli Arben 1234567890",
      absl::StrCat(id_.substr(0, 31), "\n")};
  for (const std::string& text : not_ids) {
    SCOPED_TRACE(text.size());
    v1::GetRecordRequest req;
    req.set_record_id(text);
    v1::GetRecordResponse resp;
    const grpc::Status s = records_clerk_->GetRecord(NewCallContext().get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    v1::AuditEvent event;
    const std::string bytes = LastEvent(&event);
    EXPECT_THAT(event.record_ids(), IsEmpty());
    EXPECT_THAT(event.withheld(), ElementsAre(absl::StrCat("record_id (", text.size(), " bytes)")));
    EXPECT_THAT(bytes, Not(HasSubstr(text)));
  }
  // A well-formed id is recorded as it is when it names a record; one that names none is only
  // what the caller typed (here a personal number spelled in hex digits), and is withheld.
  v1::GetRecordRequest req;
  req.set_record_id(id_);
  v1::GetRecordResponse resp;
  ASSERT_TRUE(records_clerk_->GetRecord(NewCallContext().get(), req, &resp).ok());
  v1::AuditEvent event;
  LastEvent(&event);
  EXPECT_THAT(event.record_ids(), ElementsAre(id_));
  EXPECT_THAT(event.withheld(), IsEmpty());

  const std::string spelled = "00000000000000000000001234567890";
  req.set_record_id(spelled);
  EXPECT_EQ(records_clerk_->GetRecord(NewCallContext().get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);
  const std::string bytes = LastEvent(&event);
  EXPECT_THAT(event.record_ids(), IsEmpty());
  EXPECT_THAT(event.withheld(), ElementsAre("record id (32 bytes, no such record)"));
  EXPECT_THAT(bytes, Not(HasSubstr("1234567890")));
}

// The same holds for a call refused before its handler looks anything up (a role that may not
// read records, a court without a purpose): its event keeps a typed id only when it names a
// stored record, so that the auditor sees which record was tried, and never a personal number
// spelled in hex digits.
TEST_F(AuditTextTest, ARefusedCallKeepsOnlyTheIdsOfStoredRecords) {
  auto records_vetting = v1::RecordService::NewStub(server_->Channel("vetting"));
  const std::string spelled = "00000000000000000000001234567890";
  struct Refusal {
    v1::RecordService::Stub* stub;
    grpc::StatusCode code;
  };
  for (const Refusal& refusal :
       {Refusal{records_vetting.get(), grpc::StatusCode::PERMISSION_DENIED},
        Refusal{records_court_.get(), grpc::StatusCode::FAILED_PRECONDITION}}) {
    for (const std::string& id : {spelled, id_}) {
      SCOPED_TRACE(id);
      v1::GetRecordRequest req;
      req.set_record_id(id);
      v1::GetRecordResponse resp;
      EXPECT_EQ(refusal.stub->GetRecord(NewCallContext().get(), req, &resp).error_code(),
                refusal.code);
      v1::AuditEvent event;
      const std::string bytes = LastEvent(&event);
      EXPECT_EQ(event.outcome(), static_cast<int>(refusal.code));
      if (id == spelled) {
        EXPECT_THAT(event.record_ids(), IsEmpty());
        EXPECT_THAT(event.withheld(), ElementsAre("record id (32 bytes, no such record)"));
        EXPECT_THAT(bytes, Not(HasSubstr("1234567890")));
      } else {
        EXPECT_THAT(event.record_ids(), ElementsAre(id_));
      }
    }
  }
}

}  // namespace
}  // namespace registry::testing
