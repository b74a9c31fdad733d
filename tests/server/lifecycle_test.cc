// A record's life after entry, through a real registryd: disputes and their resolution, erasure
// by a clerk and by the retention scheduler, and visibility to courts after the vetting window.
//
// Erasure is checked where it matters: the wrapped data key and the sealed versions must be gone
// from every file of the data directory (crypto-shredding plus compaction), the person's plaintext
// must be nowhere, the other records stay intact, and the audit log still verifies and holds a
// metadata-only erasure event.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/time_format.h"
#include "crypto/merkle.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "storage/stored.pb.h"
#include "tests/testing/clients.h"
#include "tests/testing/data_files.h"
#include "tests/testing/methods.h"
#include "tests/testing/outcome.h"
#include "tests/testing/recording_pacer.h"
#include "tests/testing/stored_data.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kLegalBasis[] = "CC 04/L-082 art. 103";

// A person nobody else in the tests has, so any trace of them in a file is theirs.
v1::CreateRecordRequest DistinctiveRecord() {
  v1::CreateRecordRequest r = ExampleRecord();
  v1::Person* p = r.mutable_person();
  p->set_surname("Zhubiqeltaj");
  p->set_given_name("Qerkinforta");
  p->set_father_name("Vllaznimirjan");
  p->set_personal_number("4815162342");
  p->set_last_known_address("Rruga Xhelozimirplotes 77, Vushtrri");
  r.mutable_conviction()->set_case_number("P 4242/2023");
  return r;
}

constexpr char kAmendedAddress[] = "Sheshi Qytezemuranes 9, Podujeve";

// The values of a person that must vanish with the record.
std::vector<std::string> PlaintextOf(const v1::Person& p) {
  return {p.surname(), p.given_name(), p.father_name(), p.personal_number(),
          p.last_known_address()};
}

struct RawRecord {
  std::string wrapped_dek;
  std::vector<std::string> sealed_versions;
};

// Reads the stored head and every sealed version of `record_id` from `db`.
RawRecord ReadRaw(storage::Database& db, const std::string& record_id) {
  RawRecord raw;
  auto head_bytes = db.Get(storage::Cf::kRecords, record_id);
  EXPECT_TRUE(head_bytes.ok() && head_bytes->has_value()) << "no head for " << record_id;
  if (!head_bytes.ok() || !head_bytes->has_value()) return raw;
  storage::StoredHead head;
  EXPECT_TRUE(head.ParseFromString(**head_bytes));
  raw.wrapped_dek = head.wrapped_dek();
  for (uint32_t v = 1; v <= head.version(); ++v) {
    auto version_bytes =
        db.Get(storage::Cf::kVersions, absl::StrCat(record_id, storage::EncodeU32(v)));
    EXPECT_TRUE(version_bytes.ok() && version_bytes->has_value()) << "no version " << v;
    if (!version_bytes.ok() || !version_bytes->has_value()) continue;
    storage::StoredVersion stored;
    EXPECT_TRUE(stored.ParseFromString(**version_bytes));
    raw.sealed_versions.push_back(stored.sealed());
  }
  return raw;
}

// Every stored audit event's bytes, in order.
std::vector<std::string> AuditEventBytes(storage::AuditLog& log) {
  std::vector<std::string> events;
  const absl::Status s =
      log.Scan(0, log.CurrentHead().size, [&](uint64_t, absl::string_view bytes) {
        events.emplace_back(bytes);
        return true;
      });
  EXPECT_TRUE(s.ok()) << s;
  return events;
}

// The root of the tree over `events`, computed here from the stored bytes.
std::string RootOf(const std::vector<std::string>& events) {
  std::vector<std::string> leaves;
  for (const std::string& e : events) leaves.push_back(crypto::merkle::HashLeaf(e));
  return crypto::merkle::RootFromLeafHashes(leaves);
}

std::vector<v1::AuditEvent> ParseEvents(const std::vector<std::string>& bytes) {
  std::vector<v1::AuditEvent> events;
  for (const std::string& b : bytes) {
    v1::AuditEvent e;
    EXPECT_TRUE(e.ParseFromString(b));
    events.push_back(e);
  }
  return events;
}

bool Touches(const v1::AuditEvent& e, const std::string& record_id) {
  return std::find(e.record_ids().begin(), e.record_ids().end(), record_id) !=
         e.record_ids().end();
}

// The day's first instant in Kosovo, whose days the registry's dates are (KosovoDay).
absl::Time StartOfDay(absl::string_view date) {
  absl::StatusOr<absl::CivilDay> day = ParseDate(date);
  EXPECT_TRUE(day.ok()) << date;
  return KosovoMidnight(day.ok() ? *day : absl::CivilDay());
}

class LifecycleTest : public ::testing::Test {
 protected:
  void StartServer(TestServerOptions options = {}) {
    server_ = TestServer::Start(std::move(options));
  }

  std::unique_ptr<v1::RecordService::Stub> Stub(const std::string& identity) {
    return v1::RecordService::NewStub(server_->Channel(identity));
  }

  std::string Create(const v1::CreateRecordRequest& request) {
    grpc::ClientContext ctx;
    v1::CreateRecordResponse resp;
    const grpc::Status s = Stub("clerk")->CreateRecord(&ctx, request, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.record_id();
  }

  grpc::Status Get(const std::string& identity, const std::string& id, v1::Record* out) {
    grpc::ClientContext ctx;
    v1::GetRecordRequest req;
    req.set_record_id(id);
    if (identity == "court") *req.mutable_purpose() = CourtPurpose();
    v1::GetRecordResponse resp;
    grpc::Status s = Stub(identity)->GetRecord(&ctx, req, &resp);
    if (out != nullptr) *out = resp.record();
    return s;
  }

  grpc::Status History(const std::string& id, v1::GetRecordHistoryResponse* out) {
    grpc::ClientContext ctx;
    v1::GetRecordHistoryRequest req;
    req.set_record_id(id);
    return Stub("clerk")->GetRecordHistory(&ctx, req, out);
  }

  // Records found by the person's personal number, or by names + birth date.
  std::vector<v1::Record> Search(const v1::Person& p, bool by_name) {
    grpc::ClientContext ctx;
    v1::SearchRecordsRequest req;
    if (by_name) {
      req.mutable_name()->set_surname(p.surname());
      req.mutable_name()->set_given_name(p.given_name());
      req.mutable_name()->set_birth_date(p.birth_date());
    } else {
      req.set_personal_number(p.personal_number());
    }
    v1::SearchRecordsResponse resp;
    const grpc::Status s = Stub("clerk")->SearchRecords(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.records().begin(), resp.records().end()};
  }

  grpc::Status Dispute(const std::string& identity, const std::string& id,
                       const std::string& reason, v1::RecordStatusResponse* out = nullptr) {
    grpc::ClientContext ctx;
    v1::DisputeRecordRequest req;
    req.set_record_id(id);
    req.set_reason(reason);
    v1::RecordStatusResponse resp;
    grpc::Status s = Stub(identity)->DisputeRecord(&ctx, req, &resp);
    if (out != nullptr) *out = resp;
    return s;
  }

  grpc::Status Resolve(const std::string& identity, const std::string& id,
                       const std::string& reason, v1::RecordStatusResponse* out = nullptr) {
    grpc::ClientContext ctx;
    v1::ResolveDisputeRequest req;
    req.set_record_id(id);
    req.set_reason(reason);
    v1::RecordStatusResponse resp;
    grpc::Status s = Stub(identity)->ResolveDispute(&ctx, req, &resp);
    if (out != nullptr) *out = resp;
    return s;
  }

  grpc::Status Expunge(const std::string& id, const std::string& legal_basis) {
    grpc::ClientContext ctx;
    v1::ExpungeRecordRequest req;
    req.set_record_id(id);
    req.set_legal_basis(legal_basis);
    v1::ExpungeRecordResponse resp;
    grpc::Status s = Stub("clerk")->ExpungeRecord(&ctx, req, &resp);
    if (s.ok()) {
      EXPECT_EQ(resp.record_id(), id);
    }
    return s;
  }

  // The record is unreadable and unfindable through every read path.
  void ExpectGone(const std::string& id, const v1::Person& person) {
    EXPECT_EQ(Get("clerk", id, nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(Get("court", id, nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
    v1::GetRecordHistoryResponse history;
    EXPECT_EQ(History(id, &history).error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(Search(person, /*by_name=*/false), IsEmpty());
    EXPECT_THAT(Search(person, /*by_name=*/true), IsEmpty());
  }

  // No file under the server's directory holds any of `secrets` (bytes, exact) or `plaintext`
  // (any case).
  void ExpectNoTraceOnDisk(const std::vector<std::string>& secrets,
                           const std::vector<std::string>& plaintext) {
    ASSERT_FALSE(FilesUnder(server_->config().data_dir()).empty());
    for (size_t i = 0; i < secrets.size(); ++i) {
      ASSERT_FALSE(secrets[i].empty());
      EXPECT_THAT(FilesContaining(server_->dir(), secrets[i], false), IsEmpty())
          << "secret #" << i << " (0 is the wrapped data key, then sealed versions) survived";
    }
    for (const std::string& text : plaintext) {
      EXPECT_THAT(FilesContaining(server_->dir(), text, true), IsEmpty()) << text;
    }
  }

  // Opens the stopped server's database directly and reads the raw record.
  RawRecord ReadRawWhileStopped(const std::string& id) {
    std::unique_ptr<storage::Database> db = testing::OpenStoppedDatabase(*server_);
    if (db == nullptr) return {};
    return ReadRaw(*db, id);
  }

  std::unique_ptr<TestServer> server_;
};

// --- Disputes ---------------------------------------------------------------------------------

TEST_F(LifecycleTest, DisputeWithoutReasonIsInvalidArgumentNamingReason) {
  StartServer();
  const std::string id = Create(ExampleRecord());
  const grpc::Status s = Dispute("clerk", id, "");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("reason"));
  v1::Record record;
  ASSERT_TRUE(Get("clerk", id, &record).ok());
  EXPECT_EQ(record.metadata().status(), v1::RECORD_STATUS_ACTIVE);
  EXPECT_EQ(record.metadata().version(), 1u);

  const grpc::Status resolve = Resolve("clerk", id, "");
  EXPECT_EQ(resolve.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(resolve.error_message(), HasSubstr("reason"));
}

TEST_F(LifecycleTest, DisputeAndResolutionMakeVersionsWithTheirReasons) {
  StartServer();
  const std::string id = Create(ExampleRecord());
  const std::string dispute_reason = "Person states the judgment was annulled on appeal";
  const std::string resolve_reason = "Court of Appeals confirmed the judgment is final";

  v1::RecordStatusResponse disputed;
  ASSERT_TRUE(Dispute("clerk", id, dispute_reason, &disputed).ok());
  EXPECT_EQ(disputed.record_id(), id);
  EXPECT_EQ(disputed.status(), v1::RECORD_STATUS_DISPUTED);
  EXPECT_EQ(disputed.version(), 2u);
  v1::Record record;
  ASSERT_TRUE(Get("court", id, &record).ok());
  EXPECT_EQ(record.metadata().status(), v1::RECORD_STATUS_DISPUTED);
  EXPECT_EQ(record.metadata().version(), 2u);

  // A disputed record cannot be disputed again, and the clerk is told it is disputed already
  // (not that it is "not active", which read as if it were gone), with no field named: the id
  // is right ("record_id: ..." reached registry-cli's clerk as "ID: the record is ...").
  const grpc::Status again = Dispute("clerk", id, "second complaint");
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << again.error_message();
  EXPECT_EQ(again.error_message(),
            "the record is already disputed: nothing was changed, and it stays disputed until "
            "the dispute is resolved");

  v1::RecordStatusResponse resolved;
  ASSERT_TRUE(Resolve("clerk", id, resolve_reason, &resolved).ok());
  EXPECT_EQ(resolved.status(), v1::RECORD_STATUS_ACTIVE);
  EXPECT_EQ(resolved.version(), 3u);
  // Nothing to resolve any more.
  const grpc::Status resolved_again = Resolve("clerk", id, "again");
  EXPECT_EQ(resolved_again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(resolved_again.error_message(),
            "the record is not disputed: there is no dispute to resolve, and nothing was changed");

  v1::GetRecordHistoryResponse history;
  ASSERT_TRUE(History(id, &history).ok());
  ASSERT_EQ(history.versions_size(), 3);
  EXPECT_EQ(history.versions(0).reason(), "created");
  EXPECT_EQ(history.versions(0).record().metadata().status(), v1::RECORD_STATUS_ACTIVE);
  EXPECT_EQ(history.versions(1).reason(), dispute_reason);
  EXPECT_EQ(history.versions(1).record().metadata().status(), v1::RECORD_STATUS_DISPUTED);
  EXPECT_EQ(history.versions(2).reason(), resolve_reason);
  EXPECT_EQ(history.versions(2).record().metadata().status(), v1::RECORD_STATUS_ACTIVE);
  // The record's contents did not change with its status.
  for (const auto& v : history.versions()) {
    EXPECT_TRUE(MessageDifferencer::Equals(v.record().person(), ExampleRecord().person()));
    EXPECT_TRUE(testing::SameConviction(v.record().conviction(), ExampleRecord().conviction()));
  }

  // Reasons are free text: they stay in the sealed record and never enter the audit log.
  for (const std::string& bytes : AuditEventBytes(*server_->server()->audit_log())) {
    EXPECT_THAT(bytes, ::testing::Not(HasSubstr("annulled")));
    EXPECT_THAT(bytes, ::testing::Not(HasSubstr("Court of Appeals")));
  }
}

TEST_F(LifecycleTest, OnlyClerksDisputeOrResolve) {
  StartServer();
  const std::string id = Create(ExampleRecord());
  for (const char* identity : {"court", "vetting", "auditor", "admin"}) {
    EXPECT_EQ(Dispute(identity, id, "a complaint").error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << identity;
  }
  ASSERT_TRUE(Dispute("clerk", id, "a complaint").ok());
  for (const char* identity : {"court", "vetting", "auditor", "admin"}) {
    EXPECT_EQ(Resolve(identity, id, "resolved").error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << identity;
  }
  v1::Record record;
  ASSERT_TRUE(Get("clerk", id, &record).ok());
  EXPECT_EQ(record.metadata().status(), v1::RECORD_STATUS_DISPUTED);
  EXPECT_EQ(record.metadata().version(), 2u);
}

// --- Erasure by a clerk -----------------------------------------------------------------------

TEST_F(LifecycleTest, ExpungeWithoutLegalBasisIsInvalidArgumentAndErasesNothing) {
  StartServer();
  const std::string id = Create(ExampleRecord());
  const grpc::Status s = Expunge(id, "");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("legal_basis"));
  EXPECT_TRUE(Get("clerk", id, nullptr).ok());
}

TEST_F(LifecycleTest, OnlyClerksExpunge) {
  StartServer();
  const std::string id = Create(ExampleRecord());
  for (const char* identity : {"court", "vetting", "auditor", "admin"}) {
    grpc::ClientContext ctx;
    v1::ExpungeRecordRequest req;
    req.set_record_id(id);
    req.set_legal_basis(kLegalBasis);
    v1::ExpungeRecordResponse resp;
    EXPECT_EQ(Stub(identity)->ExpungeRecord(&ctx, req, &resp).error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << identity;
  }
  EXPECT_TRUE(Get("clerk", id, nullptr).ok());
}

TEST_F(LifecycleTest, ExpungeDestroysTheRecordEverywhereAndKeepsAMetadataOnlyEvent) {
  StartServer();
  const v1::CreateRecordRequest target = DistinctiveRecord();
  const std::string id = Create(target);
  std::vector<std::pair<std::string, v1::CreateRecordRequest>> others;
  for (int n : {1, 2, 3}) others.emplace_back(Create(FictionalRecord(n)), FictionalRecord(n));

  // A second version, so that erasure has more than one sealed version to destroy.
  {
    grpc::ClientContext ctx;
    v1::AmendRecordRequest req;
    req.set_record_id(id);
    req.mutable_person()->set_last_known_address(kAmendedAddress);
    req.mutable_update_mask()->add_paths("person.last_known_address");
    req.set_reason("address confirmed by the police");
    v1::AmendRecordResponse resp;
    ASSERT_TRUE(Stub("clerk")->AmendRecord(&ctx, req, &resp).ok());
    ASSERT_EQ(resp.version(), 2u);
  }

  server_->Stop();
  const RawRecord raw = ReadRawWhileStopped(id);
  ASSERT_EQ(raw.wrapped_dek.size(), 65u);
  ASSERT_EQ(raw.sealed_versions.size(), 2u);
  // The scan can see the key: without erasure it would be found.
  ASSERT_THAT(FilesContaining(server_->dir(), raw.wrapped_dek, false), ::testing::Not(IsEmpty()));
  ASSERT_TRUE(server_->Restart().ok());

  const grpc::Status expunged = Expunge(id, kLegalBasis);
  ASSERT_TRUE(expunged.ok()) << expunged.error_message();
  ExpectGone(id, target.person());
  v1::Person amended = target.person();
  amended.set_last_known_address(kAmendedAddress);
  EXPECT_THAT(Search(amended, false), IsEmpty());
  // Erasure is not repeatable: the record is simply unknown now.
  EXPECT_EQ(Expunge(id, kLegalBasis).error_code(), grpc::StatusCode::NOT_FOUND);

  server_->Stop();
  std::vector<std::string> secrets = {raw.wrapped_dek};
  secrets.insert(secrets.end(), raw.sealed_versions.begin(), raw.sealed_versions.end());
  std::vector<std::string> plaintext = PlaintextOf(target.person());
  plaintext.push_back(kAmendedAddress);
  ExpectNoTraceOnDisk(secrets, plaintext);

  // The other records survive intact, also across a restart.
  ASSERT_TRUE(server_->Restart().ok());
  for (const auto& [other_id, request] : others) {
    v1::Record record;
    ASSERT_TRUE(Get("court", other_id, &record).ok()) << other_id;
    EXPECT_TRUE(MessageDifferencer::Equals(record.person(), request.person()));
    EXPECT_TRUE(testing::SameConviction(record.conviction(), request.conviction()));
    EXPECT_EQ(Search(request.person(), false).size(), 1u);
  }

  // The audit log still verifies against its stored head and records the erasure, without the
  // erased data.
  storage::AuditLog& log = *server_->server()->audit_log();
  const std::vector<std::string> bytes = AuditEventBytes(log);
  const storage::AuditLog::Head head = log.CurrentHead();
  ASSERT_EQ(bytes.size(), head.size);
  EXPECT_EQ(RootOf(bytes), head.root);
  int erasures = 0;
  for (const v1::AuditEvent& e : ParseEvents(bytes)) {
    if (e.action() != kExpungeRecordMethod || !Touches(e, id) || e.outcome() != 0) continue;
    ++erasures;
    EXPECT_THAT(e.reference(), HasSubstr(kLegalBasis));
    EXPECT_THAT(e.actor(), HasSubstr("clerk"));
    EXPECT_EQ(e.record_ids_size(), 1);
  }
  EXPECT_EQ(erasures, 1);
  for (const std::string& event : bytes) {
    const std::string lower = absl::AsciiStrToLower(event);
    for (const std::string& text : plaintext) {
      EXPECT_THAT(lower, ::testing::Not(HasSubstr(absl::AsciiStrToLower(text))));
    }
  }
}

// Without a restart between creation and erasure, the creation is still in the write-ahead log;
// erasure must retire that log too.
TEST_F(LifecycleTest, ExpungeRightAfterCreationLeavesNothingInTheWriteAheadLog) {
  StartServer();
  const v1::CreateRecordRequest target = DistinctiveRecord();
  const std::string id = Create(target);
  const std::string other = Create(ExampleRecord());
  const RawRecord raw = ReadRaw(*server_->server()->database(), id);
  ASSERT_EQ(raw.sealed_versions.size(), 1u);
  ASSERT_THAT(FilesContaining(server_->dir(), raw.wrapped_dek, false), ::testing::Not(IsEmpty()));

  ASSERT_TRUE(Expunge(id, kLegalBasis).ok());
  ExpectGone(id, target.person());
  server_->Stop();
  ExpectNoTraceOnDisk({raw.wrapped_dek, raw.sealed_versions[0]}, PlaintextOf(target.person()));
  ASSERT_TRUE(server_->Restart().ok());
  v1::Record record;
  ASSERT_TRUE(Get("clerk", other, &record).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(record.person(), ExampleRecord().person()));
  EXPECT_EQ(Get("clerk", id, nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
}

// --- Erasure by the retention scheduler -------------------------------------------------------

class RetentionTest : public LifecycleTest {
 protected:
  // The server reads clock_ until it stops: it stops before clock_, a member of this class, is
  // destroyed (the base class's server_ would outlive it; GCC's unoptimised build then called the
  // clock's pure virtual Now() while the server shut down).
  ~RetentionTest() override { server_.reset(); }

  void SetUp() override {
    StartServer(TestServerOptions::OnClock(&clock_));
  }

  int RunRetention() {
    absl::StatusOr<int> n = server_->server()->RunRetentionOnce();
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  FakeClock clock_{absl::Now()};
};

// 36 months' imprisonment, released 2025-03-01: the adult rule for >= 12 months keeps the
// record 15 years for employers and 20 years in all, counted from the release
// (deploy/reference/retention.json).
constexpr char kExampleVisibleUntil[] = "2040-03-01";
constexpr char kExampleDeleteAfter[] = "2045-03-01";

// A record that is not due when the example record is: >= 60 months, kept 30 years.
v1::CreateRecordRequest LongSentenceRecord() {
  v1::CreateRecordRequest r = FictionalRecord(5);
  r.mutable_conviction()->mutable_sentence()->set_months(96);
  return r;
}

TEST_F(RetentionTest, DueRecordIsErasedByTheSchedulerAsSystemRetention) {
  const v1::CreateRecordRequest due_request = ExampleRecord();
  const std::string due = Create(due_request);
  const std::string kept = Create(LongSentenceRecord());
  v1::Record due_record, kept_before;
  ASSERT_TRUE(Get("clerk", due, &due_record).ok());
  ASSERT_TRUE(Get("clerk", kept, &kept_before).ok());
  ASSERT_EQ(due_record.metadata().delete_after(), kExampleDeleteAfter);
  ASSERT_GT(kept_before.metadata().delete_after(), kExampleDeleteAfter);

  // Read live: the write-ahead log still holds the creation, so erasure must clear it too.
  const RawRecord raw = ReadRaw(*server_->server()->database(), due);
  ASSERT_EQ(raw.sealed_versions.size(), 1u);
  ASSERT_THAT(FilesContaining(server_->dir(), raw.wrapped_dek, false), ::testing::Not(IsEmpty()));

  EXPECT_EQ(RunRetention(), 0);  // nothing is due today
  clock_.Set(StartOfDay(kExampleDeleteAfter) + absl::Hours(24 + 9));
  EXPECT_EQ(RunRetention(), 1);
  ExpectGone(due, due_request.person());

  // The record not yet due is untouched.
  v1::Record kept_after;
  ASSERT_TRUE(Get("clerk", kept, &kept_after).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(kept_before, kept_after));
  EXPECT_EQ(RunRetention(), 0);

  storage::AuditLog& log = *server_->server()->audit_log();
  const std::vector<std::string> bytes = AuditEventBytes(log);
  EXPECT_EQ(RootOf(bytes), log.CurrentHead().root);
  int erasures = 0;
  for (const v1::AuditEvent& e : ParseEvents(bytes)) {
    if (e.actor() != "system:retention") continue;
    ++erasures;
    EXPECT_EQ(e.action(), kExpungeRecordMethod);
    EXPECT_TRUE(Touches(e, due));
    EXPECT_FALSE(Touches(e, kept));
    EXPECT_EQ(testing::OutcomeName(e), "OK");
    EXPECT_THAT(e.tokens(), IsEmpty());
  }
  EXPECT_EQ(erasures, 1);

  server_->Stop();
  std::vector<std::string> secrets = {raw.wrapped_dek};
  secrets.insert(secrets.end(), raw.sealed_versions.begin(), raw.sealed_versions.end());
  ExpectNoTraceOnDisk(secrets, PlaintextOf(due_request.person()));
  ASSERT_TRUE(server_->Restart().ok());
  ASSERT_TRUE(Get("clerk", kept, &kept_after).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(kept_before, kept_after));
  EXPECT_EQ(RunRetention(), 0);
}

// A clock set years ahead had the retention run erase every record "due" by it, for good (the
// erasure ledger re-applies them after any restore). The clock is now checked against the time
// erasures last trusted and against the monotonic clock; until it is back or confirmed, nothing is
// erased, the hold is audited once, and it survives a restart.
class ClockGuardRetentionTest : public RetentionTest {
 protected:
  // As RetentionTest's, for elapsed_.
  ~ClockGuardRetentionTest() override { server_.reset(); }

  void SetUp() override {
    TestServerOptions options = TestServerOptions::OnClock(&clock_);
    options.clock_guard_elapsed = &elapsed_;
    StartServer(std::move(options));
  }
  int HoldEvents() {
    int holds = 0;
    for (const v1::AuditEvent& e : ParseEvents(AuditEventBytes(*server_->server()->audit_log()))) {
      if (e.actor() == "system:retention" && e.action() == "hold-erasures") ++holds;
    }
    return holds;
  }
  testing::RecordingPacer elapsed_{absl::ZeroDuration()};
};

TEST_F(ClockGuardRetentionTest, AClockFarAheadErasesNothingUntilItIsBack) {
  const std::string due = Create(ExampleRecord());
  EXPECT_EQ(RunRetention(), 0);  // trusted: the mark is stored
  const absl::Time right = clock_.Now();

  // While running: nine years on the clock, an hour on the monotonic clock.
  clock_.Set(StartOfDay(kExampleDeleteAfter) + absl::Hours(24 * 365 * 2));
  elapsed_.WaitUntil(absl::Hours(1));
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<int> held = server_->server()->RunRetentionOnce();
    EXPECT_EQ(held.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(held.status().message()), HasSubstr("--confirm_clock"));
  }
  EXPECT_TRUE(Get("clerk", due, nullptr).ok());
  EXPECT_EQ(HoldEvents(), 1);

  // A restart does not make the clock trusted: the mark is where erasures last trusted it.
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(server_->server()->RunRetentionOnce().status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Get("clerk", due, nullptr).ok());

  // The clock back: trusted again, and the record is not due by it.
  clock_.Set(right + absl::Hours(2));
  EXPECT_EQ(RunRetention(), 0);
  EXPECT_TRUE(Get("clerk", due, nullptr).ok());
}

TEST_F(ClockGuardRetentionTest, AStopOfAFewDaysIsTrustedAndAConfirmedClockErases) {
  const std::string due = Create(ExampleRecord());
  EXPECT_EQ(RunRetention(), 0);
  server_->Stop();
  clock_.Advance(absl::Hours(24 * 5));  // stopped five days
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(RunRetention(), 0);

  clock_.Set(StartOfDay(kExampleDeleteAfter) + absl::Hours(24 + 9));
  EXPECT_EQ(server_->server()->RunRetentionOnce().status().code(),
            absl::StatusCode::kFailedPrecondition);
  server_->Stop();
  // `registryd --confirm_clock`, on the registry's own clock.
  absl::Time before;
  ASSERT_TRUE(server::ConfirmClock(server_->config(), &clock_, &before).ok());
  EXPECT_LT(before, clock_.Now() - absl::Hours(24 * 365));
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(RunRetention(), 1);
  EXPECT_EQ(Get("clerk", due, nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
  int confirmations = 0;
  for (const v1::AuditEvent& e : ParseEvents(AuditEventBytes(*server_->server()->audit_log()))) {
    if (e.actor() == "system:clock" && e.action() == "confirm-clock") ++confirmations;
  }
  EXPECT_EQ(confirmations, 1);
}

// The time erasures last trusted is authenticated: one planted in the data folder without the
// key file (far ahead, so that a clock as far ahead is taken as moved on from it) is not trusted,
// and the clock is held against the newest audit event's time, as before the first mark.
TEST_F(ClockGuardRetentionTest, ATrustedTimePlantedInTheDataFolderIsNotTrusted) {
  const std::string due = Create(ExampleRecord());
  EXPECT_EQ(RunRetention(), 0);
  const absl::Time far = StartOfDay(kExampleDeleteAfter) + absl::Hours(24 * 365 * 2);
  ASSERT_NO_FATAL_FAILURE(EditStoppedData(*server_, [&](storage::Database* db) {
    storage::Batch batch;
    batch.Put(storage::Cf::kMeta, "erasure/clock", FormatInstant(far, /*micros=*/true));
    ASSERT_TRUE(db->Write(batch).ok());
  }));
  clock_.Set(far + absl::Hours(1));
  ASSERT_TRUE(server_->Restart().ok());
  EXPECT_EQ(server_->server()->RunRetentionOnce().status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Get("clerk", due, nullptr).ok());
  EXPECT_EQ(HoldEvents(), 1);
}

// delete_after is the day of erasure (records.proto: "On this date the record is expunged by the
// retention scheduler"): kept through the day before, gone on the day itself.
TEST_F(RetentionTest, RecordIsKeptUntilItsDeleteAfterDay) {
  const std::string id = Create(ExampleRecord());
  clock_.Set(StartOfDay(kExampleDeleteAfter) - absl::Seconds(1));
  EXPECT_EQ(RunRetention(), 0);
  EXPECT_TRUE(Get("clerk", id, nullptr).ok());
  clock_.Set(StartOfDay(kExampleDeleteAfter));
  EXPECT_EQ(RunRetention(), 1);
  EXPECT_EQ(Get("clerk", id, nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
}

// A record is never erased on a day it still counts for vetting: a ban on work with children
// that outlasts the record's own periods keeps it through the ban's last day, and the erasure
// comes the day after.
TEST_F(RetentionTest, ARecordIsNotErasedOnTheLastDayItCounts) {
  const std::string id = Create(testing::OldFineWithAChildrenBan("2040-06-30"));
  v1::Record record;
  ASSERT_TRUE(Get("clerk", id, &record).ok());
  EXPECT_EQ(record.metadata().employer_visible_until(), "2040-06-30");
  EXPECT_EQ(record.metadata().delete_after(), "2040-07-01");

  clock_.Set(StartOfDay("2040-07-01") - absl::Seconds(1));  // the ban's last second
  EXPECT_EQ(RunRetention(), 0);
  EXPECT_TRUE(Get("clerk", id, nullptr).ok());
  clock_.Set(StartOfDay("2040-07-01"));
  EXPECT_EQ(RunRetention(), 1);
  EXPECT_EQ(Get("clerk", id, nullptr).error_code(), grpc::StatusCode::NOT_FOUND);
}

// In one import, a person's earlier conviction whose deletion would be due on its own is entered
// with the later conviction that keeps it, in whichever order the file lists them; the results
// stay in the file's order.
TEST_F(RetentionTest, AnImportEntersAnEarlierDueConvictionWithTheLaterOneThatKeepsItInAnyOrder) {
  // Counting until 2025-06-01 (its ban), deleted the day after, so due on its own; the later
  // conviction, final on 2024-05-15, is within its period and keeps it.
  v1::CreateRecordRequest old = testing::OldFineWithAChildrenBan("2025-06-01");
  old.mutable_conviction()->set_case_number("P 55/2005");
  {
    grpc::ClientContext ctx;
    v1::CreateRecordResponse resp;
    const grpc::Status alone = Stub("clerk")->CreateRecord(&ctx, old, &resp);
    ASSERT_EQ(alone.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << "the old fine alone is not due: " << alone.error_message();
  }
  v1::ImportRecordsRequest import;
  v1::ImportRow* first = import.add_rows();
  first->set_line(7);
  *first->mutable_record() = old;
  v1::ImportRow* second = import.add_rows();
  second->set_line(8);
  *second->mutable_record() = ExampleRecord();  // the same person, convicted again in 2024
  v1::ImportRecordsResponse imported;
  {
    grpc::ClientContext ctx;
    const grpc::Status s = Stub("clerk")->ImportRecords(&ctx, import, &imported);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_EQ(imported.results_size(), 2);
  EXPECT_EQ(imported.results(0).line(), 7u);
  EXPECT_EQ(imported.results(1).line(), 8u);
  for (const v1::ImportRowResult& r : imported.results()) {
    EXPECT_EQ(r.outcome(), v1::ImportRowResult::OUTCOME_CREATED) << r.line() << ": " << r.error();
  }
  v1::Record kept;
  ASSERT_TRUE(Get("clerk", imported.results(0).record_id(), &kept).ok());
  EXPECT_EQ(kept.conviction().case_number(), "P 55/2005");
  EXPECT_EQ(kept.metadata().delete_after(), kExampleDeleteAfter);
}

// A backlog larger than one batch of the retention run (1000) is erased in one run, not left for
// the next hourly runs.
TEST_F(RetentionTest, ABacklogLargerThanABatchIsErasedInOneRun) {
  constexpr int kRecords = 1001;
  for (int start = 0; start < kRecords; start += 1000) {
    v1::ImportRecordsRequest import;
    for (int i = start; i < kRecords && i < start + 1000; ++i) {
      v1::ImportRow* row = import.add_rows();
      row->set_line(i + 1);
      *row->mutable_record() = ExampleRecord();
      row->mutable_record()->mutable_person()->set_personal_number(
          absl::StrCat(3000000000LL + i));
    }
    v1::ImportRecordsResponse imported;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
    const grpc::Status s = Stub("clerk")->ImportRecords(&ctx, import, &imported);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const v1::ImportRowResult& r : imported.results()) {
      ASSERT_EQ(r.outcome(), v1::ImportRowResult::OUTCOME_CREATED) << r.line() << ": " << r.error();
    }
  }
  clock_.Set(StartOfDay(kExampleDeleteAfter));
  EXPECT_EQ(RunRetention(), kRecords);
  EXPECT_EQ(RunRetention(), 0);
}

TEST_F(RetentionTest, CourtsStillReadARecordPastItsEmployerVisibility) {
  const std::string id = Create(ExampleRecord());
  v1::Record before;
  ASSERT_TRUE(Get("court", id, &before).ok());
  ASSERT_EQ(before.metadata().employer_visible_until(), kExampleVisibleUntil);

  clock_.Set(StartOfDay(kExampleVisibleUntil) + absl::Hours(24 * 30));
  EXPECT_EQ(RunRetention(), 0);
  v1::Record after;
  const grpc::Status s = Get("court", id, &after);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(MessageDifferencer::Equals(before, after));
  v1::GetRecordHistoryResponse history;
  EXPECT_TRUE(History(id, &history).ok());
}

}  // namespace
}  // namespace registry::testing
