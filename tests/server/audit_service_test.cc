// The audit log through a real server: one durable event per call (refused and invalid calls
// included), fail-closed behaviour when the log cannot be written, the auditor's AuditService
// (filters, paging, export without personal data, signed tree heads and proofs) and its
// restriction to the auditor role.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/time_format.h"
#include "crypto/ed25519.h"
#include "crypto/merkle.h"
#include "crypto/tree_head.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "storage/database.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/clients.h"
#include "tests/testing/methods.h"
#include "tests/testing/outcome.h"
#include "tests/testing/principals.h"
#include "tests/testing/switchable_fault.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

namespace merkle = crypto::merkle;

constexpr char kList[] = "/registry.v1.AuditService/ListAuditEvents";
constexpr char kListBackups[] = "/registry.v1.AdminService/ListBackups";

class AuditServiceTest : public ::testing::Test {
 protected:
  void Start(TestServerOptions options = {}) {
    server_ = TestServer::Start(std::move(options));
    records_clerk_ = v1::RecordService::NewStub(server_->Channel("clerk"));
    records_court_ = v1::RecordService::NewStub(server_->Channel("court"));
    records_vetting_ = v1::RecordService::NewStub(server_->Channel("vetting"));
    vetting_ = v1::VettingService::NewStub(server_->Channel("vetting"));
    vetting_clerk_ = v1::VettingService::NewStub(server_->Channel("clerk"));
    auditor_ = v1::AuditService::NewStub(server_->Channel("auditor"));
    admin_ = v1::AdminService::NewStub(server_->Channel("admin"));
  }

  uint64_t LogSize() { return testing::AuditLogSize(*server_); }

  v1::AuditEvent EventAt(uint64_t index) { return testing::StoredEvent(*server_, index); }

  // Creates a record as the clerk; returns its id.
  std::string CreateRecord(const v1::CreateRecordRequest& req) {
    v1::CreateRecordResponse resp;
    grpc::Status s = records_clerk_->CreateRecord(NewCallContext().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.record_id();
  }

  grpc::Status CourtGet(const std::string& record_id, v1::GetRecordResponse* resp,
                        bool with_purpose = true) {
    v1::GetRecordRequest req;
    req.set_record_id(record_id);
    if (with_purpose) *req.mutable_purpose() = CourtPurpose();
    return records_court_->GetRecord(NewCallContext().get(), req, resp);
  }

  // Every entry ListAuditEvents returns for `filter`, following next_page_token; the indices
  // of all pages in order. Checks that no page is larger than page_size.
  std::vector<v1::AuditEntry> ListAll(const v1::AuditFilter& filter, uint32_t page_size,
                                      bool bytes_only = false) {
    std::vector<v1::AuditEntry> all;
    std::string token;
    for (int page = 0; page < 1000; ++page) {
      v1::ListAuditEventsRequest req;
      *req.mutable_filter() = filter;
      req.set_bytes_only(bytes_only);
      req.set_page_size(page_size);
      req.set_page_token(token);
      v1::ListAuditEventsResponse resp;
      grpc::Status s = auditor_->ListAuditEvents(NewCallContext().get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      EXPECT_LE(resp.entries_size(), static_cast<int>(page_size));
      for (const v1::AuditEntry& e : resp.entries()) all.push_back(e);
      token = resp.next_page_token();
      if (token.empty()) break;
    }
    EXPECT_TRUE(token.empty()) << "paging did not end";
    return all;
  }

  static std::vector<uint64_t> Indices(const std::vector<v1::AuditEntry>& entries) {
    std::vector<uint64_t> out;
    for (const auto& e : entries) out.push_back(e.index());
    return out;
  }

  // Reads a server stream to its end; returns the final status.
  template <class Message>
  static grpc::Status ReadAll(grpc::ClientReader<Message>* reader, std::vector<Message>* out) {
    Message entry;
    while (reader->Read(&entry)) out->push_back(entry);
    return reader->Finish();
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::RecordService::Stub> records_clerk_;
  std::unique_ptr<v1::RecordService::Stub> records_court_;
  std::unique_ptr<v1::RecordService::Stub> records_vetting_;
  std::unique_ptr<v1::VettingService::Stub> vetting_;
  std::unique_ptr<v1::VettingService::Stub> vetting_clerk_;
  std::unique_ptr<v1::AuditService::Stub> auditor_;
  std::unique_ptr<v1::AdminService::Stub> admin_;
};

// ---------------------------------------------------------------------------------------------
// One event per call.

struct AuditedCall {
  std::string name;
  std::function<grpc::Status(grpc::ClientContext*)> call;
  grpc::StatusCode code;
  std::string actor;
  v1::Role role;
  std::string organisation;
  std::string action;
  // For INVALID_ARGUMENT and FAILED_PRECONDITION: a field name the event's detail must contain.
  std::string detail_names;
};

TEST_F(AuditServiceTest, EveryCallAppendsExactlyOneCompleteEvent) {
  Start();
  const v1::CreateRecordRequest record = FictionalRecord(1);
  std::string record_id;  // set by the first call

  std::vector<AuditedCall> calls;
  calls.push_back({"clerk-create",
                   [&](grpc::ClientContext* ctx) {
                     v1::CreateRecordResponse resp;
                     grpc::Status s = records_clerk_->CreateRecord(ctx, record, &resp);
                     record_id = resp.record_id();
                     return s;
                   },
                   grpc::StatusCode::OK, kClerkId, v1::ROLE_CLERK, "kjc-registry",
                   kCreateRecordMethod, ""});
  calls.push_back({"court-get",
                   [&](grpc::ClientContext* ctx) {
                     v1::GetRecordRequest req;
                     req.set_record_id(record_id);
                     *req.mutable_purpose() = CourtPurpose();
                     v1::GetRecordResponse resp;
                     return records_court_->GetRecord(ctx, req, &resp);
                   },
                   grpc::StatusCode::OK, kCourtId, v1::ROLE_COURT, "basic-court-prishtine",
                   kGetRecordMethod, ""});
  calls.push_back({"vetting-check",
                   [&](grpc::ClientContext* ctx) {
                     v1::VettingCheckResponse resp;
                     return vetting_->VettingCheck(ctx, CandidateOf(record.person()), &resp);
                   },
                   grpc::StatusCode::OK, kVettingId, v1::ROLE_VETTING, "dev-school",
                   kVettingCheckMethod, ""});
  calls.push_back({"auditor-list",
                   [&](grpc::ClientContext* ctx) {
                     v1::ListAuditEventsResponse resp;
                     return auditor_->ListAuditEvents(ctx, v1::ListAuditEventsRequest(), &resp);
                   },
                   grpc::StatusCode::OK, kAuditorId, v1::ROLE_AUDITOR, "kjc-internal-audit", kList,
                   "filter: none; events 0 to "});
  calls.push_back({"admin-list-backups",
                   [&](grpc::ClientContext* ctx) {
                     v1::ListBackupsResponse resp;
                     return admin_->ListBackups(ctx, v1::ListBackupsRequest(), &resp);
                   },
                   grpc::StatusCode::OK, kAdminId, v1::ROLE_ADMIN, "kjc-security", kListBackups,
                   ""});
  calls.push_back({"vetting-get-refused",
                   [&](grpc::ClientContext* ctx) {
                     v1::GetRecordRequest req;
                     req.set_record_id(record_id);
                     v1::GetRecordResponse resp;
                     return records_vetting_->GetRecord(ctx, req, &resp);
                   },
                   grpc::StatusCode::PERMISSION_DENIED, kVettingId, v1::ROLE_VETTING, "dev-school",
                   kGetRecordMethod, ""});
  calls.push_back({"clerk-create-invalid",
                   [&](grpc::ClientContext* ctx) {
                     v1::CreateRecordRequest bad = FictionalRecord(2);
                     bad.mutable_person()->set_surname("");
                     v1::CreateRecordResponse resp;
                     return records_clerk_->CreateRecord(ctx, bad, &resp);
                   },
                   grpc::StatusCode::INVALID_ARGUMENT, kClerkId, v1::ROLE_CLERK, "kjc-registry",
                   kCreateRecordMethod, "person.surname"});
  calls.push_back({"court-get-no-purpose",
                   [&](grpc::ClientContext* ctx) {
                     v1::GetRecordRequest req;
                     req.set_record_id(record_id);
                     v1::GetRecordResponse resp;
                     return records_court_->GetRecord(ctx, req, &resp);
                   },
                   grpc::StatusCode::FAILED_PRECONDITION, kCourtId, v1::ROLE_COURT,
                   "basic-court-prishtine", kGetRecordMethod, "purpose"});

  const uint64_t first_index = LogSize();
  for (const AuditedCall& c : calls) {
    SCOPED_TRACE(c.name);
    const uint64_t before = LogSize();
    const std::string request_id = absl::StrCat("req-", c.name);
    grpc::Status status = c.call(NewCallContext(request_id).get());
    ASSERT_EQ(status.error_code(), c.code) << status.error_message();
    ASSERT_EQ(LogSize(), before + 1);
    const v1::AuditEvent event = EventAt(before);
    EXPECT_EQ(event.sequence(), before);
    EXPECT_TRUE(ParseInstant(event.time()).ok()) << event.time();
    EXPECT_EQ(event.actor(), c.actor);
    EXPECT_EQ(event.role(), c.role);
    EXPECT_EQ(event.organisation(), c.organisation);
    EXPECT_EQ(event.action(), c.action);
    EXPECT_EQ(event.outcome(), static_cast<int>(c.code));
    EXPECT_EQ(event.request_id(), request_id);
    if (c.detail_names.empty()) {
      EXPECT_EQ(event.detail(), "");
    } else {
      EXPECT_TRUE(absl::StrContains(event.detail(), c.detail_names)) << event.detail();
    }
  }

  // What the successful record calls disclosed is named by record id, with its purpose.
  ASSERT_FALSE(record_id.empty());
  const v1::AuditEvent created = EventAt(first_index);
  EXPECT_EQ(std::count(created.record_ids().begin(), created.record_ids().end(), record_id), 1);
  const v1::AuditEvent read = EventAt(first_index + 1);
  EXPECT_EQ(std::count(read.record_ids().begin(), read.record_ids().end(), record_id), 1);
  EXPECT_EQ(read.purpose_code(), "criminal_proceedings");
  EXPECT_EQ(read.case_reference(), "PKR 77/2026");
  EXPECT_EQ(read.recipient(), "basic-court-prishtine");
  const v1::AuditEvent check = EventAt(first_index + 2);
  EXPECT_TRUE(absl::StartsWith(check.consent_reference(), "CONSENT 2026/17-"))
      << check.consent_reference();
  EXPECT_EQ(check.tokens_size(), 1);
}

TEST_F(AuditServiceTest, RequestIdIsGeneratedWhenAbsentOrMalformed) {
  Start();
  for (const std::string& sent :
       {std::string(), std::string("bad id; with spaces"), std::string(65, 'a')}) {
    const uint64_t before = LogSize();
    v1::PublicKey key;
    grpc::Status s = vetting_->GetVettingPublicKey(NewCallContext(sent).get(),
                                                   v1::GetVettingPublicKeyRequest(), &key);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(LogSize(), before + 1);
    const std::string recorded = EventAt(before).request_id();
    EXPECT_EQ(recorded.size(), 32u) << recorded;
    EXPECT_NE(recorded, sent);
  }
}

// ---------------------------------------------------------------------------------------------
// Fail closed.

TEST_F(AuditServiceTest, NoReplyWithoutADurableAuditEvent) {
  SwitchableFault fault;
  TestServerOptions options;
  options.fault_injector = &fault;
  Start(std::move(options));
  const std::string record_id = CreateRecord(FictionalRecord(1));
  ASSERT_FALSE(record_id.empty());
  const v1::CreateRecordRequest second = FictionalRecord(2);

  fault.set_failing(true);
  const storage::AuditLog::Head before = server_->server()->audit_log()->CurrentHead();

  // A read: the record was found, but without its audit event it does not leave the server.
  v1::GetRecordResponse got;
  grpc::Status s = CourtGet(record_id, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_FALSE(got.has_record());

  // A write: nothing is stored.
  v1::CreateRecordResponse created;
  s = records_clerk_->CreateRecord(NewCallContext().get(), second, &created);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(created.record_id(), "");

  // A vetting check: no certificate.
  v1::VettingCheckResponse checked;
  s = vetting_->VettingCheck(NewCallContext().get(), CandidateOf(FictionalRecord(1).person()),
                             &checked);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_FALSE(checked.has_certificate());

  // The auditor's reads too, and even a refusal: without its event, the only answer is
  // UNAVAILABLE.
  v1::ListAuditEventsResponse listed;
  s = auditor_->ListAuditEvents(NewCallContext().get(), {}, &listed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(listed.entries_size(), 0);
  v1::GetRecordRequest refused;
  refused.set_record_id(record_id);
  s = records_vetting_->GetRecord(NewCallContext().get(), refused, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();

  // A stream sends nothing before its own event is durable.
  {
    v1::ExportAuditEventsRequest req;
    req.set_recipient("Information and Privacy Agency");
    req.set_reference("IPA-2026-1");
    auto ctx = NewCallContext();
    std::vector<v1::AuditEntry> got;
    s = ReadAll(auditor_->ExportAuditEvents(ctx.get(), req).get(), &got);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
    EXPECT_TRUE(got.empty());
  }

  EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, before.size);
  EXPECT_EQ(server_->server()->audit_log()->CurrentHead().root, before.root);

  // The disk works again: everything works, and the failed create left no record.
  fault.set_failing(false);
  v1::SearchRecordsRequest search;
  search.set_personal_number(second.person().personal_number());
  *search.mutable_purpose() = CourtPurpose();
  v1::SearchRecordsResponse found;
  s = records_court_->SearchRecords(NewCallContext().get(), search, &found);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(found.records_size(), 0);
  s = CourtGet(record_id, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.record().metadata().record_id(), record_id);
  EXPECT_EQ(CreateRecord(second).size(), 32u);
  EXPECT_EQ(LogSize(), before.size + 3);
}

// ---------------------------------------------------------------------------------------------
// ListAuditEvents.

class AuditListTest : public AuditServiceTest {
 protected:
  // Eight calls at known times (FakeClock), from base_ on:
  //   t0     +0 clerk create R1          +1 clerk create R2
  //   t0+1h  +2 court get R1             +3 court get R2
  //   t0+2h  +4 vetting check (R1)       +5 vetting GetRecord R1: PERMISSION_DENIED
  //   t0+3h  +6 court get R1, no purpose +7 court get R1
  // Then the clock stands at t0+4h for the auditor's calls.
  // The server reads clock_ until it stops: it stops before clock_, a member of this class, is
  // destroyed (the base class's server_ would outlive it; GCC's unoptimised build then called the
  // clock's pure virtual Now() while the server shut down).
  ~AuditListTest() override { server_.reset(); }

  void SetUp() override {
    Start(TestServerOptions::OnClock(&clock_));
    base_ = LogSize();
    r1_ = CreateRecord(FictionalRecord(1));
    r2_ = CreateRecord(FictionalRecord(2));
    clock_.Advance(absl::Hours(1));
    v1::GetRecordResponse got;
    ASSERT_TRUE(CourtGet(r1_, &got).ok());
    ASSERT_TRUE(CourtGet(r2_, &got).ok());
    clock_.Advance(absl::Hours(1));
    v1::VettingCheckResponse checked;
    ASSERT_TRUE(vetting_
                    ->VettingCheck(NewCallContext().get(), CandidateOf(FictionalRecord(1).person()),
                                   &checked)
                    .ok());
    check_id_ = checked.check_id();
    ASSERT_EQ(check_id_.size(), 32u);
    v1::GetRecordRequest refused;
    refused.set_record_id(r1_);
    ASSERT_EQ(records_vetting_->GetRecord(NewCallContext().get(), refused, &got).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    clock_.Advance(absl::Hours(1));
    ASSERT_EQ(CourtGet(r1_, &got, /*with_purpose=*/false).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
    ASSERT_TRUE(CourtGet(r1_, &got).ok());
    clock_.Advance(absl::Hours(1));
    ASSERT_EQ(LogSize(), base_ + 8);
  }

  // The filter, bounded to the eight calls above (the auditor's own calls come at t0+4h).
  v1::AuditFilter Bounded() const {
    v1::AuditFilter f;
    f.set_to_time(FormatInstant(t0_ + absl::Hours(4)));
    return f;
  }

  std::vector<uint64_t> Expect(std::initializer_list<uint64_t> offsets) const {
    std::vector<uint64_t> out;
    for (uint64_t o : offsets) out.push_back(base_ + o);
    return out;
  }

  const absl::Time t0_ = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  FakeClock clock_{t0_};
  uint64_t base_ = 0;
  std::string r1_;
  std::string r2_;
  // The vetting check's id (+4): the one its certificate gives.
  std::string check_id_;
};

TEST_F(AuditListTest, FiltersSelectExactlyTheMatchingEvents) {
  v1::AuditFilter by_actor = Bounded();
  by_actor.set_actor(kCourtId);
  EXPECT_EQ(Indices(ListAll(by_actor, 100)), Expect({2, 3, 6, 7}));

  v1::AuditFilter by_action = Bounded();
  by_action.set_action(kGetRecordMethod);
  EXPECT_EQ(Indices(ListAll(by_action, 100)), Expect({2, 3, 5, 6, 7}));

  v1::AuditFilter by_record = Bounded();
  by_record.set_record_id(r2_);
  EXPECT_EQ(Indices(ListAll(by_record, 100)), Expect({1, 3}));
  by_record.set_record_id(r1_);
  EXPECT_EQ(Indices(ListAll(by_record, 100)), Expect({0, 2, 4, 5, 6, 7}));

  v1::AuditFilter by_outcome = Bounded();
  by_outcome.set_outcome_plus_one(static_cast<int>(grpc::StatusCode::PERMISSION_DENIED) + 1);
  EXPECT_EQ(Indices(ListAll(by_outcome, 100)), Expect({5}));
  by_outcome.set_outcome_plus_one(static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION) + 1);
  EXPECT_EQ(Indices(ListAll(by_outcome, 100)), Expect({6}));
  by_outcome.set_outcome_plus_one(1);  // OK
  EXPECT_EQ(Indices(ListAll(by_outcome, 100)), Expect({0, 1, 2, 3, 4, 7}));

  v1::AuditFilter by_time;
  by_time.set_from_time(FormatInstant(t0_ + absl::Hours(1)));
  by_time.set_to_time(FormatInstant(t0_ + absl::Hours(3)));
  EXPECT_EQ(Indices(ListAll(by_time, 100)), Expect({2, 3, 4, 5}));
  by_time.set_from_time(FormatInstant(t0_ + absl::Hours(3)));
  by_time.set_to_time(FormatInstant(t0_ + absl::Hours(3) + absl::Seconds(1)));
  EXPECT_EQ(Indices(ListAll(by_time, 100)), Expect({6, 7}));

  v1::AuditFilter combined = Bounded();
  combined.set_actor(kCourtId);
  combined.set_record_id(r1_);
  combined.set_outcome_plus_one(1);
  EXPECT_EQ(Indices(ListAll(combined, 100)), Expect({2, 7}));

  // Every returned entry carries its stored bytes and their decoding.
  for (const v1::AuditEntry& e : ListAll(Bounded(), 100)) {
    EXPECT_EQ(e.event_bytes(), *server_->server()->audit_log()->ReadEvent(e.index()));
    EXPECT_EQ(e.event().sequence(), e.index());
  }
}

TEST_F(AuditListTest, BytesOnlySelectsTheSameEventsWithoutTheDecodedCopy) {
  std::vector<v1::AuditFilter> filters(6, Bounded());
  filters[1].set_actor(kCourtId);
  filters[2].set_action(kGetRecordMethod);
  filters[3].set_record_id(r1_);
  filters[4].set_outcome_plus_one(static_cast<int>(grpc::StatusCode::PERMISSION_DENIED) + 1);
  filters[5].set_from_time(FormatInstant(t0_ + absl::Hours(1)));
  for (const v1::AuditFilter& filter : filters) {
    SCOPED_TRACE(filter.ShortDebugString());
    const std::vector<v1::AuditEntry> decoded = ListAll(filter, 3);
    const std::vector<v1::AuditEntry> bytes = ListAll(filter, 3, /*bytes_only=*/true);
    ASSERT_EQ(Indices(bytes), Indices(decoded));
    for (size_t i = 0; i < bytes.size(); ++i) {
      EXPECT_EQ(bytes[i].event_bytes(), decoded[i].event_bytes());
      EXPECT_TRUE(decoded[i].has_event());
      EXPECT_FALSE(bytes[i].has_event()) << "event " << bytes[i].index();
    }
  }
  // No filter: the pages add their own events as they go, so compare the eight calls only.
  std::vector<v1::AuditEntry> unfiltered = ListAll(v1::AuditFilter(), 100, /*bytes_only=*/true);
  ASSERT_GE(unfiltered.size(), static_cast<size_t>(base_ + 8));
  for (uint64_t i = 0; i < base_ + 8; ++i) {
    EXPECT_EQ(unfiltered[i].index(), i);
    EXPECT_EQ(unfiltered[i].event_bytes(), *server_->server()->audit_log()->ReadEvent(i));
    EXPECT_FALSE(unfiltered[i].has_event());
  }

  // A stream too.
  v1::StreamAuditEventsRequest stream;
  stream.set_start_index(base_);
  stream.set_end_index(base_ + 8);
  stream.set_bytes_only(true);
  *stream.mutable_filter() = filters[1];
  std::vector<v1::AuditEntry> entries;
  auto ctx = NewCallContext();
  ASSERT_TRUE(ReadAll(auditor_->StreamAuditEvents(ctx.get(), stream).get(), &entries).ok());
  std::vector<uint64_t> streamed;
  for (const v1::AuditEntry& e : entries) {
    streamed.push_back(e.index());
    EXPECT_EQ(e.event_bytes(), *server_->server()->audit_log()->ReadEvent(e.index()));
    EXPECT_FALSE(e.has_event());
  }
  EXPECT_EQ(streamed, Expect({2, 3, 6, 7}));
}

TEST_F(AuditListTest, MalformedFilterIsInvalidArgumentNamingTheField) {
  v1::ListAuditEventsRequest req;
  req.mutable_filter()->set_from_time("yesterday");
  v1::ListAuditEventsResponse resp;
  grpc::Status s = auditor_->ListAuditEvents(NewCallContext().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "filter.from_time")) << s.error_message();
  // A window that ends before it begins (or as it begins: to_time is exclusive) is a mistake in
  // the question, not an empty answer.
  for (const absl::Duration to : {absl::Hours(-1), absl::ZeroDuration()}) {
    req.mutable_filter()->set_from_time(FormatInstant(t0_));
    req.mutable_filter()->set_to_time(FormatInstant(t0_ + to));
    s = auditor_->ListAuditEvents(NewCallContext().get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), "filter.from_time: must be before filter.to_time");
  }
  // A page token is what a page ended with: an event's index the log holds, as written. Any
  // other is refused, not read as the end of the log or as another index.
  for (const char* token : {"not-a-token", "99999999", "18446744073709551615",
                            "184467440737095516160", " 5", "+5", "5 ", "05", "-1", "0x5"}) {
    SCOPED_TRACE(token);
    req.Clear();
    req.set_page_token(token);
    s = auditor_->ListAuditEvents(NewCallContext().get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(s.error_message(), "page_token: not a token from this service");
  }
  req.Clear();
  req.set_page_token("0");
  EXPECT_TRUE(auditor_->ListAuditEvents(NewCallContext().get(), req, &resp).ok());
  EXPECT_GT(resp.entries_size(), 0);
}

TEST_F(AuditListTest, AListByCheckIdReturnsExactlyThatChecksEventAndItsReadSaysSo) {
  // The id an employer quotes after a REFER finds the check's event in the whole log, without a
  // window: no other event carries it, the auditor's own reads included.
  v1::AuditFilter by_check;
  by_check.set_check_id(check_id_);
  const uint64_t list_at = LogSize();
  const std::vector<v1::AuditEntry> found = ListAll(by_check, 100);
  ASSERT_EQ(Indices(found), Expect({4}));
  EXPECT_EQ(found[0].event().action(), kVettingCheckMethod);
  EXPECT_EQ(found[0].event().check_id(), check_id_);
  // The read's event says which check it looked for: a check id is the registry's random id, not
  // a person's data.
  const v1::AuditEvent read = EventAt(list_at);
  EXPECT_EQ(read.detail(),
            absl::StrCat("filter: check ", check_id_, "; events 0 to ", list_at - 1));
  EXPECT_TRUE(read.check_id().empty());

  // With the other filters it narrows as they do; an id of the same shape that no check has
  // finds nothing.
  by_check.set_action(kVettingCheckMethod);
  EXPECT_EQ(Indices(ListAll(by_check, 1)), Expect({4}));
  by_check.set_action(kGetRecordMethod);
  EXPECT_TRUE(ListAll(by_check, 100).empty());
  v1::AuditFilter other;
  other.set_check_id(std::string(32, '0'));
  EXPECT_TRUE(ListAll(other, 100).empty());

  // An export by check id holds that event only, and its event names the check too.
  v1::ExportAuditEventsRequest req;
  req.set_recipient("IPA");
  req.set_reference("REQ 2/2026");
  req.mutable_filter()->set_check_id(check_id_);
  const uint64_t export_at = LogSize();
  std::vector<v1::AuditEntry> exported;
  auto ctx = NewCallContext();
  const grpc::Status s = ReadAll(auditor_->ExportAuditEvents(ctx.get(), req).get(), &exported);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Indices(exported), Expect({4}));
  EXPECT_TRUE(absl::StartsWith(EventAt(export_at).detail(),
                               absl::StrCat("filter: check ", check_id_, "; events 0 to ")))
      << EventAt(export_at).detail();
}

// A check id of the right shape that no check has is only what was typed, and 32 hex digits can
// spell a personal number (digits are hex): a list, a stream and an export by it withhold it
// from their events (its length only), as a record id that names no record is. So does a read
// that did not meet the check's event (a window without it): the id is named only when the
// events read show it is the registry's.
TEST_F(AuditListTest, ACheckIdTheReadDidNotFindIsWithheldFromItsEvent) {
  const std::string typed = "98765432199876543219987654321999";
  const std::string withheld = "filter.check_id (32 bytes, no such check among the events read)";
  const auto expect_withheld = [&](const v1::AuditEvent& event, absl::string_view filter) {
    EXPECT_TRUE(absl::StartsWith(event.detail(), absl::StrCat("filter: ", filter, "; ")))
        << event.detail();
    EXPECT_NE(std::find(event.withheld().begin(), event.withheld().end(), withheld),
              event.withheld().end())
        << event.ShortDebugString();
    const std::string bytes = event.SerializeAsString();
    for (const std::string& secret : {typed, std::string("9876543219"), check_id_}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
    }
  };

  v1::AuditFilter by_typed;
  by_typed.set_check_id(typed);
  uint64_t at = LogSize();
  EXPECT_TRUE(ListAll(by_typed, 100).empty());
  expect_withheld(EventAt(at), "a check id");
  EXPECT_EQ(EventAt(at).detail(), absl::StrCat("filter: a check id; events 0 to ", at - 1));

  v1::StreamAuditEventsRequest stream;
  *stream.mutable_filter() = by_typed;
  std::vector<v1::AuditEntry> got;
  at = LogSize();
  {
    auto ctx = NewCallContext();
    ASSERT_TRUE(ReadAll(auditor_->StreamAuditEvents(ctx.get(), stream).get(), &got).ok());
  }
  EXPECT_TRUE(got.empty());
  expect_withheld(EventAt(at), "a check id");

  v1::ExportAuditEventsRequest exp;
  exp.set_recipient("IPA");
  exp.set_reference("REQ 4/2026");
  *exp.mutable_filter() = by_typed;
  at = LogSize();
  {
    auto ctx = NewCallContext();
    ASSERT_TRUE(ReadAll(auditor_->ExportAuditEvents(ctx.get(), exp).get(), &got).ok());
  }
  EXPECT_TRUE(got.empty());
  expect_withheld(EventAt(at), "a check id");

  // The registry's own id, in a window that ends before its check: not read, not named.
  v1::AuditFilter before_check;
  before_check.set_check_id(check_id_);
  before_check.set_to_time(FormatInstant(t0_ + absl::Hours(1)));
  at = LogSize();
  EXPECT_TRUE(ListAll(before_check, 100).empty());
  expect_withheld(EventAt(at), absl::StrCat("to ", before_check.to_time(), ", a check id"));

  // A stream that meets the check's event names it, as a list and an export do.
  stream.mutable_filter()->set_check_id(check_id_);
  got.clear();
  at = LogSize();
  {
    auto ctx = NewCallContext();
    ASSERT_TRUE(ReadAll(auditor_->StreamAuditEvents(ctx.get(), stream).get(), &got).ok());
  }
  EXPECT_EQ(Indices(got), Expect({4}));
  EXPECT_EQ(EventAt(at).detail(), absl::StrCat("filter: check ", check_id_, "; events 0 to ",
                                               at - 1));
  EXPECT_TRUE(EventAt(at).withheld().empty());
}

TEST_F(AuditListTest, AMalformedCheckIdIsInvalidArgumentNamingTheFieldAndTheRefusalIsAudited) {
  // Only the shape the registry writes is a check id: a personal number, a case number, an id cut
  // short or too long, other letters. An id in capitals is refused too: registry-cli lowercases
  // what is typed, and the server compares the one spelling the log holds.
  std::string upper = check_id_;
  for (char& c : upper) c = absl::ascii_toupper(static_cast<unsigned char>(c));
  for (const std::string& bad :
       {std::string("7305194826"), std::string("P 88/2025"), check_id_.substr(0, 31),
        check_id_ + "0", std::string(32, 'g'), upper}) {
    SCOPED_TRACE(bad);
    v1::ListAuditEventsRequest req;
    req.mutable_filter()->set_check_id(bad);
    v1::ListAuditEventsResponse resp;
    const uint64_t before = LogSize();
    const grpc::Status s = auditor_->ListAuditEvents(NewCallContext().get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(absl::StartsWith(s.error_message(), "filter.check_id: ")) << s.error_message();
    EXPECT_FALSE(absl::StrContains(s.error_message(), bad)) << s.error_message();
    EXPECT_EQ(resp.entries_size(), 0);
    // Refused and audited like any other invalid call: one event, naming the field, never the
    // value.
    ASSERT_EQ(LogSize(), before + 1);
    const v1::AuditEvent refused = EventAt(before);
    EXPECT_EQ(refused.action(), kList);
    EXPECT_EQ(refused.actor(), kAuditorId);
    EXPECT_EQ(refused.outcome(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
    EXPECT_TRUE(absl::StartsWith(refused.detail(), "filter.check_id: ")) << refused.detail();
    EXPECT_EQ(refused.SerializeAsString().find(bad), std::string::npos);

    // An export and a stream refuse it the same way.
    v1::ExportAuditEventsRequest exp;
    exp.set_recipient("IPA");
    exp.set_reference("REQ 3/2026");
    *exp.mutable_filter() = req.filter();
    std::vector<v1::AuditEntry> got;
    auto export_ctx = NewCallContext();
    const grpc::Status exported =
        ReadAll(auditor_->ExportAuditEvents(export_ctx.get(), exp).get(), &got);
    EXPECT_EQ(exported.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(absl::StartsWith(exported.error_message(), "filter.check_id: "))
        << exported.error_message();
    v1::StreamAuditEventsRequest stream;
    *stream.mutable_filter() = req.filter();
    auto stream_ctx = NewCallContext();
    const grpc::Status streamed =
        ReadAll(auditor_->StreamAuditEvents(stream_ctx.get(), stream).get(), &got);
    EXPECT_EQ(streamed.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_TRUE(got.empty());
  }
}

TEST_F(AuditListTest, PagingVisitsEveryEventOnce) {
  // No filter: each page call adds its own event, which later pages also show; paging ends
  // anyway because every page advances by two.
  const std::vector<uint64_t> all = Indices(ListAll(v1::AuditFilter(), 2));
  ASSERT_GE(all.size(), static_cast<size_t>(base_ + 8));
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], i);

  // With a filter, pages of one.
  v1::AuditFilter court;
  court.set_actor(kCourtId);
  EXPECT_EQ(Indices(ListAll(court, 1)), Expect({2, 3, 6, 7}));
}

// ---------------------------------------------------------------------------------------------
// Only auditors.

TEST_F(AuditServiceTest, EveryAuditMethodRefusesEveryOtherRole) {
  Start();
  for (const char* identity : {"clerk", "court", "vetting", "admin", "unlisted"}) {
    SCOPED_TRACE(identity);
    auto stub = v1::AuditService::NewStub(server_->Channel(identity));
    const uint64_t before = LogSize();
    std::vector<grpc::Status> results;
    {
      v1::ListAuditEventsResponse resp;
      results.push_back(stub->ListAuditEvents(NewCallContext().get(), {}, &resp));
      EXPECT_EQ(resp.entries_size(), 0);
    }
    {
      auto ctx = NewCallContext();
      std::vector<v1::AuditEntry> got;
      results.push_back(ReadAll(stub->StreamAuditEvents(ctx.get(), {}).get(), &got));
      EXPECT_TRUE(got.empty());
    }
    {
      auto ctx = NewCallContext();
      v1::ExportAuditEventsRequest req;
      req.set_recipient("Information and Privacy Agency");
      req.set_reference("IPA-2026-1");
      std::vector<v1::AuditEntry> got;
      results.push_back(ReadAll(stub->ExportAuditEvents(ctx.get(), req).get(), &got));
      EXPECT_TRUE(got.empty());
    }
    {
      v1::SignedTreeHead resp;
      results.push_back(stub->GetSignedTreeHead(NewCallContext().get(), {}, &resp));
      EXPECT_TRUE(resp.signature().empty());
    }
    {
      v1::GetInclusionProofRequest req;
      req.set_leaf_index(0);
      req.set_tree_size(1);
      v1::InclusionProof resp;
      results.push_back(stub->GetInclusionProof(NewCallContext().get(), req, &resp));
    }
    {
      v1::GetConsistencyProofRequest req;
      req.set_first_size(1);
      req.set_second_size(1);
      v1::ConsistencyProof resp;
      results.push_back(stub->GetConsistencyProof(NewCallContext().get(), req, &resp));
    }
    {
      v1::PublicKey resp;
      results.push_back(stub->GetAuditPublicKey(NewCallContext().get(), {}, &resp));
      EXPECT_TRUE(resp.ed25519().empty());
    }
    {
      v1::PrunedPrefix resp;
      results.push_back(stub->GetPrunedPrefix(NewCallContext().get(), {}, &resp));
    }
    ASSERT_EQ(results.size(), 8u);
    for (size_t i = 0; i < results.size(); ++i) {
      EXPECT_EQ(results[i].error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << "method " << i << ": " << results[i].error_message();
    }
    // Each refusal is itself audited.
    ASSERT_EQ(LogSize(), before + 8);
    for (uint64_t i = before; i < before + 8; ++i) {
      EXPECT_EQ(testing::OutcomeName(EventAt(i)), "PERMISSION_DENIED");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// No personal data in the log.

TEST_F(AuditServiceTest, ExportAndListHoldNoPersonalData) {
  Start();
  v1::CreateRecordRequest first = FictionalRecord(3);
  first.mutable_person()->set_surname("Zymberqafa");
  first.mutable_person()->set_given_name("Xhevdetina");
  first.mutable_person()->set_father_name("Qerimovski");
  first.mutable_person()->add_aliases("Drinvaloshi");
  first.mutable_person()->set_birth_place("Gjurakovcit");
  first.mutable_person()->set_personal_number("7305194826");
  first.mutable_person()->set_last_known_address("Rruga Shkelzenore 77");
  v1::CreateRecordRequest second = FictionalRecord(4);
  second.mutable_person()->set_surname("Pllanaqeri");
  second.mutable_person()->set_given_name("Vjollcafer");
  second.mutable_person()->set_personal_number("6194028573");
  const std::vector<std::string> secrets = {
      "Zymberqafa",   "Xhevdetina",  "Qerimovski", "Drinvaloshi", "Gjurakovcit",
      "7305194826",   "Shkelzenore", "Pllanaqeri", "Vjollcafer",  "6194028573",
      "Qershizaneve", "8402917365",  "Ylberzanaj"};

  const std::string id1 = CreateRecord(first);
  const std::string id2 = CreateRecord(second);
  ASSERT_FALSE(id1.empty());
  ASSERT_FALSE(id2.empty());

  // Court reads and searches.
  v1::GetRecordResponse got;
  ASSERT_TRUE(CourtGet(id1, &got).ok());
  ASSERT_TRUE(CourtGet(id2, &got).ok());
  ASSERT_EQ(got.record().person().surname(), "Pllanaqeri");  // the reads did disclose the data
  for (const v1::CreateRecordRequest* r : {&first, &second}) {
    v1::SearchRecordsRequest search;
    search.set_personal_number(r->person().personal_number());
    *search.mutable_purpose() = CourtPurpose();
    v1::SearchRecordsResponse found;
    ASSERT_TRUE(records_court_->SearchRecords(NewCallContext().get(), search, &found).ok());
    EXPECT_EQ(found.records_size(), 1);
    search.mutable_name()->set_surname(r->person().surname());
    search.mutable_name()->set_given_name(r->person().given_name());
    search.mutable_name()->set_birth_date(r->person().birth_date());
    ASSERT_TRUE(records_court_->SearchRecords(NewCallContext().get(), search, &found).ok());
    EXPECT_EQ(found.records_size(), 1);
    // Without a purpose: refused, and still audited.
    search.clear_purpose();
    EXPECT_EQ(records_court_->SearchRecords(NewCallContext().get(), search, &found).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
  }
  v1::GetRecordHistoryRequest history;
  history.set_record_id(id1);
  *history.mutable_purpose() = CourtPurpose();
  v1::GetRecordHistoryResponse versions;
  ASSERT_TRUE(records_court_->GetRecordHistory(NewCallContext().get(), history, &versions).ok());

  // Clerk changes whose free-text reasons mention the person.
  v1::AmendRecordRequest amend;
  amend.set_record_id(id1);
  amend.mutable_person()->set_last_known_address("Rruga Qershizaneve 5");
  amend.mutable_update_mask()->add_paths("person.last_known_address");
  amend.set_reason("Zymberqafa moved to Rruga Qershizaneve");
  v1::AmendRecordResponse amended;
  grpc::Status s = records_clerk_->AmendRecord(NewCallContext().get(), amend, &amended);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::DisputeRecordRequest dispute;
  dispute.set_record_id(id2);
  dispute.set_reason("Pllanaqeri Vjollcafer disputes the judgment date");
  v1::RecordStatusResponse disputed;
  s = records_clerk_->DisputeRecord(NewCallContext().get(), dispute, &disputed);
  ASSERT_TRUE(s.ok()) << s.error_message();

  // Vetting checks: a match, an identity mismatch, an unknown person.
  v1::VettingCheckResponse checked;
  ASSERT_TRUE(
      vetting_->VettingCheck(NewCallContext().get(), CandidateOf(first.person()), &checked).ok());
  EXPECT_EQ(checked.result(), v1::VETTING_RESULT_NOT_CLEAR);
  v1::Person mismatch = first.person();
  mismatch.set_given_name("Ylberzanaj");
  ASSERT_TRUE(vetting_->VettingCheck(NewCallContext().get(), CandidateOf(mismatch), &checked).ok());
  EXPECT_EQ(checked.result(), v1::VETTING_RESULT_REFER);
  v1::Person unknown = second.person();
  unknown.set_personal_number("8402917365");
  // Another birth date too: a record naming the candidate under another number refers.
  unknown.set_birth_date("1979-01-02");
  ASSERT_TRUE(vetting_->VettingCheck(NewCallContext().get(), CandidateOf(unknown), &checked).ok());
  EXPECT_EQ(checked.result(), v1::VETTING_RESULT_CLEAR);

  // The data subject's view of checks, and invalid requests that carry personal data.
  v1::ListChecksAboutPersonRequest subject;
  subject.set_personal_number("7305194826");
  subject.set_request_reference("DSR-2026-4");
  v1::ListChecksAboutPersonResponse subject_checks;
  ASSERT_TRUE(
      vetting_clerk_->ListChecksAboutPerson(NewCallContext().get(), subject, &subject_checks).ok());
  v1::CreateRecordRequest invalid = first;
  invalid.mutable_person()->set_surname("Zymberqafa7");
  v1::CreateRecordResponse created;
  EXPECT_EQ(records_clerk_->CreateRecord(NewCallContext().get(), invalid, &created).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::VettingCheckRequest bad_check = CandidateOf(first.person());
  bad_check.set_birth_date("Zymberqafa");
  EXPECT_EQ(vetting_->VettingCheck(NewCallContext().get(), bad_check, &checked).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Everything the auditor can get out of the log.
  std::vector<v1::AuditEntry> exported;
  {
    v1::ExportAuditEventsRequest req;
    req.set_recipient("Information and Privacy Agency");
    req.set_reference("IPA-2026-1");
    auto ctx = NewCallContext();
    s = ReadAll(auditor_->ExportAuditEvents(ctx.get(), req).get(), &exported);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  std::vector<v1::AuditEntry> streamed;
  {
    auto ctx = NewCallContext();
    s = ReadAll(auditor_->StreamAuditEvents(ctx.get(), {}).get(), &streamed);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  const std::vector<v1::AuditEntry> listed = ListAll(v1::AuditFilter(), 7);

  // The export is the whole log up to the export's own event, which names the recipient.
  const uint64_t export_index = exported.size();
  ASSERT_EQ(exported.size(), 19u);  // one event per call above
  for (size_t i = 0; i < exported.size(); ++i) EXPECT_EQ(exported[i].index(), i);
  const v1::AuditEvent export_event = EventAt(export_index);
  EXPECT_EQ(export_event.action(), kExportAuditEventsMethod);
  EXPECT_EQ(export_event.recipient(), "Information and Privacy Agency");
  EXPECT_EQ(export_event.reference(), "IPA-2026-1");
  EXPECT_GT(listed.size(), exported.size());
  EXPECT_GT(streamed.size(), exported.size());

  std::string haystack;
  int mentions_of_records = 0;
  const std::vector<const std::vector<v1::AuditEntry>*> all_entries = {&exported, &streamed,
                                                                       &listed};
  for (const std::vector<v1::AuditEntry>* entries : all_entries) {
    for (const v1::AuditEntry& e : *entries) {
      haystack += e.SerializeAsString();
      haystack += e.event_bytes();
      std::string json;
      ASSERT_TRUE(google::protobuf::util::MessageToJsonString(e, &json).ok());
      haystack += json;
      for (const auto& id : e.event().record_ids()) {
        mentions_of_records += (id == id1 || id == id2) ? 1 : 0;
      }
    }
  }
  // The log does say which records were touched, by id...
  EXPECT_GE(mentions_of_records, 3 * 8);
  // ...and never whose they are.
  const std::string lowered = absl::AsciiStrToLower(haystack);
  for (const std::string& secret : secrets) {
    EXPECT_FALSE(absl::StrContains(lowered, absl::AsciiStrToLower(secret)))
        << "the audit log discloses " << secret;
  }
}

// ---------------------------------------------------------------------------------------------
// Signed tree heads and proofs.

// Each log names itself in its heads, from its first start on, and keeps the name: across
// restarts the same, in another installation another.
// An export, or a page of the list, says in its event what it read: the filter (text that names
// no principal or method only counted, as it may hold anything), the record filtered on when it
// is a stored record's, and the events the read covers.
// How a read's event names the events [start, end) it looked at: both ends included.
std::string Events(uint64_t start, uint64_t end) {
  if (end - start == 1) return absl::StrCat("; event ", start);
  return absl::StrCat("; events ", start, " to ", end - 1);
}

TEST_F(AuditServiceTest, AReadOfTheLogSaysWhatItRead) {
  Start();
  const std::string id = CreateRecord(FictionalRecord(5));
  ASSERT_FALSE(id.empty());
  v1::ExportAuditEventsRequest req;
  req.set_recipient("IPA");
  req.set_reference("REQ 1/2026");
  req.mutable_filter()->set_record_id(id);
  req.mutable_filter()->set_action(kCreateRecordMethod);
  const auto export_event = [&] {
    const uint64_t at = server_->server()->audit_log()->CurrentHead().size;
    std::vector<v1::AuditEntry> got;
    auto ctx = NewCallContext();
    const grpc::Status s = ReadAll(auditor_->ExportAuditEvents(ctx.get(), req).get(), &got);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return std::make_pair(at, EventAt(at));
  };
  auto [at, event] = export_event();
  EXPECT_EQ(std::vector<std::string>(event.record_ids().begin(), event.record_ids().end()),
            std::vector<std::string>{id});
  EXPECT_EQ(event.detail(), absl::StrCat("filter: action ", kCreateRecordMethod,
                                         ", the record named", Events(0, at)));

  // A typed id that names no record, and an actor that names no principal, are only counted.
  req.mutable_filter()->set_record_id("00000000000000000000001234567890");
  req.mutable_filter()->set_actor("Kërqeli Arben 7305194826");
  req.mutable_filter()->clear_action();
  std::tie(at, event) = export_event();
  EXPECT_TRUE(event.record_ids().empty());
  EXPECT_NE(std::find(event.withheld().begin(), event.withheld().end(),
                      "filter.record_id (32 bytes, no such record)"),
            event.withheld().end());
  EXPECT_EQ(event.detail(),
            absl::StrCat("filter: actor (25 bytes), a record id", Events(0, at)));
  const std::string bytes = event.SerializeAsString();
  for (const char* secret : {"1234567890", "7305194826", "Arben"}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
  }

  // A page of the list says the same, for the events it covers.
  v1::AuditFilter by_record;
  by_record.set_record_id(id);
  const uint64_t list_at = server_->server()->audit_log()->CurrentHead().size;
  ASSERT_FALSE(ListAll(by_record, 100).empty());
  const v1::AuditEvent listed = EventAt(list_at);
  EXPECT_EQ(std::vector<std::string>(listed.record_ids().begin(), listed.record_ids().end()),
            std::vector<std::string>{id});
  EXPECT_TRUE(absl::StartsWith(listed.detail(), "filter: the record named; events 0 to "))
      << listed.detail();
  // A page that stops short says how far it went (both ends included), and an outcome is named.
  v1::AuditFilter by_outcome;
  by_outcome.set_outcome_plus_one(1);  // OK
  const uint64_t page_at = server_->server()->audit_log()->CurrentHead().size;
  {
    v1::ListAuditEventsRequest one;
    *one.mutable_filter() = by_outcome;
    one.set_page_size(1);
    v1::ListAuditEventsResponse page;
    auto ctx = NewCallContext();
    ASSERT_TRUE(auditor_->ListAuditEvents(ctx.get(), one, &page).ok());
    ASSERT_EQ(page.entries_size(), 1);
    // The first page starts at event 0; the next starts after the one event listed.
    uint64_t next = 0;
    ASSERT_TRUE(absl::SimpleAtoi(page.next_page_token(), &next));
    EXPECT_EQ(next, page.entries(0).index() + 1);
    EXPECT_EQ(EventAt(page_at).detail(), absl::StrCat("filter: outcome OK", Events(0, next)));
  }

  // A stream with a filter says the same, and a stream of batches the range it read.
  v1::StreamAuditEventsRequest stream;
  *stream.mutable_filter() = by_record;
  stream.set_start_index(1);
  const uint64_t stream_at = server_->server()->audit_log()->CurrentHead().size;
  {
    std::vector<v1::AuditEntry> got;
    auto ctx = NewCallContext();
    const grpc::Status s = ReadAll(auditor_->StreamAuditEvents(ctx.get(), stream).get(), &got);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  const v1::AuditEvent streamed = EventAt(stream_at);
  EXPECT_EQ(std::vector<std::string>(streamed.record_ids().begin(), streamed.record_ids().end()),
            std::vector<std::string>{id});
  EXPECT_EQ(streamed.detail(), absl::StrCat("filter: the record named", Events(1, stream_at)));
  v1::StreamAuditBatchesRequest batches;
  batches.set_start_index(2);
  const uint64_t batches_at = server_->server()->audit_log()->CurrentHead().size;
  {
    std::vector<v1::AuditBatch> got;
    auto ctx = NewCallContext();
    const grpc::Status s = ReadAll(auditor_->StreamAuditBatches(ctx.get(), batches).get(), &got);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  EXPECT_EQ(EventAt(batches_at).detail(), absl::StrCat("filter: none", Events(2, batches_at)));
}

TEST_F(AuditServiceTest, EveryLogHasItsOwnIdKeptAcrossRestarts) {
  Start();
  const auto head_of = [](TestServer& server) {
    v1::SignedTreeHead head;
    grpc::ClientContext ctx;
    const grpc::Status s =
        v1::AuditService::NewStub(server.Channel("auditor"))->GetSignedTreeHead(&ctx, {}, &head);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return head;
  };
  const std::string log_id = head_of(*server_).log_id();
  ASSERT_EQ(log_id.size(), 32u);
  EXPECT_EQ(log_id.find_first_not_of("0123456789abcdef"), std::string::npos) << log_id;
  EXPECT_EQ(log_id, server_->server()->audit_log_id());
  CreateRecord(FictionalRecord(1));
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(head_of(*server_).log_id(), log_id);
  auto other = TestServer::Start();
  EXPECT_NE(head_of(*other).log_id(), log_id);
}

TEST_F(AuditServiceTest, SignedTreeHeadsAndProofsVerifyWithTheAuditKey) {
  Start();
  for (int i = 0; i < 5; ++i) CreateRecord(FictionalRecord(i));

  v1::PublicKey key;
  grpc::Status s = auditor_->GetAuditPublicKey(NewCallContext().get(), {}, &key);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(key.ed25519().size(), crypto::kEd25519PublicKeySize);
  EXPECT_EQ(key.key_id(), crypto::Ed25519KeyId(key.ed25519()));
  EXPECT_EQ(key.key_id(), server_->server()->audit_signer().key_id());
  absl::StatusOr<std::string> from_pem = crypto::Ed25519PublicKeyFromPem(key.pem());
  ASSERT_TRUE(from_pem.ok()) << from_pem.status();
  EXPECT_EQ(*from_pem, key.ed25519());

  auto verify_head = [&](const v1::SignedTreeHead& head) {
    EXPECT_EQ(head.key_id(), key.key_id());
    EXPECT_EQ(head.log_id(), server_->server()->audit_log_id());
    absl::StatusOr<std::string> message = crypto::TreeHeadSigningBytes(
        head.log_id(), head.tree_size(), head.timestamp_micros(), head.root_hash(), head.key_id());
    ASSERT_TRUE(message.ok()) << message.status();
    EXPECT_TRUE(crypto::Ed25519Verify(key.ed25519(), *message, head.signature()).ok());
    // The signature covers the size: a head claiming another size does not verify.
    absl::StatusOr<std::string> other =
        crypto::TreeHeadSigningBytes(head.log_id(), head.tree_size() - 1, head.timestamp_micros(),
                                     head.root_hash(), head.key_id());
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(crypto::Ed25519Verify(key.ed25519(), *other, head.signature()).code(),
              absl::StatusCode::kDataLoss);
    // And the log it names: the same tree under another log's name does not verify either.
    std::string moved_id = head.log_id();
    moved_id[0] = moved_id[0] == 'a' ? 'b' : 'a';
    absl::StatusOr<std::string> moved = crypto::TreeHeadSigningBytes(
        moved_id, head.tree_size(), head.timestamp_micros(), head.root_hash(), head.key_id());
    ASSERT_TRUE(moved.ok());
    EXPECT_EQ(crypto::Ed25519Verify(key.ed25519(), *moved, head.signature()).code(),
              absl::StatusCode::kDataLoss);
  };

  v1::SignedTreeHead first;
  s = auditor_->GetSignedTreeHead(NewCallContext().get(), {}, &first);
  ASSERT_TRUE(s.ok()) << s.error_message();
  verify_head(first);
  // The head covers every event before the call (five creates and the key request).
  EXPECT_EQ(first.tree_size(), 6u);
  EXPECT_EQ(first.root_hash(), *server_->server()->audit_log()->RootAt(first.tree_size()));
  EXPECT_LE(
      std::abs(static_cast<int64_t>(first.timestamp_micros()) - absl::ToUnixMicros(absl::Now())),
      int64_t{60} * 1000 * 1000);

  // Inclusion of a few leaves against the signed root, from the bytes the auditor downloads.
  const std::vector<v1::AuditEntry> entries = ListAll(v1::AuditFilter(), 100);
  ASSERT_GE(entries.size(), first.tree_size());
  for (uint64_t leaf : {uint64_t{0}, uint64_t{2}, first.tree_size() - 1}) {
    v1::GetInclusionProofRequest req;
    req.set_leaf_index(leaf);
    req.set_tree_size(first.tree_size());
    v1::InclusionProof proof;
    s = auditor_->GetInclusionProof(NewCallContext().get(), req, &proof);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(proof.leaf_index(), leaf);
    EXPECT_EQ(proof.tree_size(), first.tree_size());
    const std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
    EXPECT_TRUE(merkle::VerifyInclusion(merkle::HashLeaf(entries[leaf].event_bytes()), leaf,
                                        first.tree_size(), hashes, first.root_hash())
                    .ok())
        << "leaf " << leaf;
    // A different event is not proven by it.
    EXPECT_EQ(merkle::VerifyInclusion(merkle::HashLeaf(entries[leaf].event_bytes() + "x"), leaf,
                                      first.tree_size(), hashes, first.root_hash())
                  .code(),
              absl::StatusCode::kDataLoss);
  }
  // Out of range.
  v1::GetInclusionProofRequest beyond;
  beyond.set_leaf_index(0);
  beyond.set_tree_size(LogSize() + 10);
  v1::InclusionProof none;
  EXPECT_EQ(auditor_->GetInclusionProof(NewCallContext().get(), beyond, &none).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // Later, more calls; the new head extends the first one.
  for (int i = 5; i < 9; ++i) CreateRecord(FictionalRecord(i));
  v1::SignedTreeHead second;
  s = auditor_->GetSignedTreeHead(NewCallContext().get(), {}, &second);
  ASSERT_TRUE(s.ok()) << s.error_message();
  verify_head(second);
  ASSERT_GT(second.tree_size(), first.tree_size());
  v1::GetConsistencyProofRequest req;
  req.set_first_size(first.tree_size());
  req.set_second_size(second.tree_size());
  v1::ConsistencyProof proof;
  s = auditor_->GetConsistencyProof(NewCallContext().get(), req, &proof);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::vector<std::string> hashes(proof.hashes().begin(), proof.hashes().end());
  EXPECT_TRUE(merkle::VerifyConsistency(first.tree_size(), second.tree_size(), first.root_hash(),
                                        second.root_hash(), hashes)
                  .ok());
  // A head with another history is not consistent with it.
  std::string forged = first.root_hash();
  forged[0] ^= 1;
  EXPECT_EQ(merkle::VerifyConsistency(first.tree_size(), second.tree_size(), forged,
                                      second.root_hash(), hashes)
                .code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
// An open audit stream, export or batch stream outlived its caller: a certificate revoked, or a
// principal removed from the policy, while a slow reader held the stream read on to the end of
// the log. Each stream judges its caller again as it sends, at most once a second by the
// registry's clock, and ends with the refusal a new call would get; the call's outcome is
// written as for any stream that ends in an error after its event.
TEST(AuditStreamReadmitTest, AStreamEndsWhenItsCallerIsNoLongerAdmitted) {
  FakeClock clock(absl::Now());
  TestServerOptions options;
  options.clock = &clock;
  auto server = TestServer::Start(std::move(options));
  // Enough bytes that the stream cannot have sent them all before the policy changes.
  for (int i = 0; i < 400; ++i) {
    v1::AuditEvent event;
    event.set_actor("system:test");
    event.set_action("test");
    event.set_detail(std::string(8000, 'x'));
    ASSERT_TRUE(server->server()->audit_log()->Append(event, nullptr).ok());
  }
  const uint64_t size = AuditLogSize(*server);
  const v1::AccessPolicy dev = testing::DevPolicy();
  v1::AccessPolicy without_auditor = dev;
  without_auditor.clear_principals();
  for (const v1::Principal& p : dev.principals()) {
    if (p.id() != kAuditorId) *without_auditor.add_principals() = p;
  }
  const auto stream_then_remove = [&](auto open_and_read) {
    server->WritePolicy(testing::DevPolicy());
    ASSERT_TRUE(server->server()->ReloadPolicy().ok());
    // A connection that takes no more than 64 KiB ahead of what the test reads (no window
    // growth from bandwidth probes), so that most of the log is still to be sent when the policy
    // changes.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 * 1024);
    auto auditor = v1::AuditService::NewStub(
        MakeChannel(server->address(), TestPki::Get().LoadIdentity("auditor"), args));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    size_t read = 0;
    const grpc::Status s = open_and_read(auditor.get(), &ctx, [&](size_t first) {
      read = first;
      server->WritePolicy(without_auditor);
      ASSERT_TRUE(server->server()->ReloadPolicy().ok());
      clock.Advance(absl::Seconds(2));
    }, &read);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
    EXPECT_TRUE(absl::EndsWith(s.error_message(), "(caller is not in the access policy)"))
        << s.error_message();
    EXPECT_LT(read, size) << "the whole log was sent";
    const v1::AuditEvent outcome = LastStoredEvent(*server);
    EXPECT_EQ(testing::OutcomeName(outcome), "PERMISSION_DENIED");
    EXPECT_TRUE(absl::StartsWith(outcome.reference(), "outcome of event "))
        << outcome.reference();
  };
  {
    SCOPED_TRACE("StreamAuditEvents");
    stream_then_remove([&](v1::AuditService::Stub* stub, grpc::ClientContext* ctx,
                           const std::function<void(size_t)>& after_first, size_t* read) {
      v1::StreamAuditEventsRequest req;
      auto reader = stub->StreamAuditEvents(ctx, req);
      v1::AuditEntry entry;
      if (reader->Read(&entry)) after_first(1);
      while (reader->Read(&entry)) ++*read;
      return reader->Finish();
    });
  }
  {
    SCOPED_TRACE("ExportAuditEvents");
    stream_then_remove([&](v1::AuditService::Stub* stub, grpc::ClientContext* ctx,
                           const std::function<void(size_t)>& after_first, size_t* read) {
      v1::ExportAuditEventsRequest req;
      req.set_recipient("IPA");
      req.set_reference("REF 9/2026");
      auto reader = stub->ExportAuditEvents(ctx, req);
      v1::AuditEntry entry;
      if (reader->Read(&entry)) after_first(1);
      while (reader->Read(&entry)) ++*read;
      return reader->Finish();
    });
  }
  {
    SCOPED_TRACE("StreamAuditBatches");
    stream_then_remove([&](v1::AuditService::Stub* stub, grpc::ClientContext* ctx,
                           const std::function<void(size_t)>& after_first, size_t* read) {
      v1::StreamAuditBatchesRequest req;
      auto reader = stub->StreamAuditBatches(ctx, req);
      v1::AuditBatch batch;
      if (reader->Read(&batch)) after_first(batch.event_bytes_size());
      while (reader->Read(&batch)) *read += batch.event_bytes_size();
      return reader->Finish();
    });
  }
}

}  // namespace registry::testing
