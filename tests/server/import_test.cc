// Bulk import of historical judgments, through the RPC and through the real registry-cli binary
// against a real registryd: per-row outcomes (valid, invalid with the field named, created,
// duplicate), dry runs that write nothing but their audit event, atomic batches, and the CLI's
// output for people.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/impl/client_unary_call.h"
#include "grpcpp/impl/rpc_method.h"
#include "grpcpp/support/sync_stream.h"
#include "gtest/gtest.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "server/call_gate.h"
#include "storage/audit_log.h"
#include "storage/database.h"
#include "tests/testing/audit_events.h"
#include "tests/testing/cli_run.h"
#include "tests/testing/clients.h"
#include "tests/testing/switchable_fault.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::testing {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Outcome = v1::ImportRowResult;

// Rows of the RPC tests: the bad value planted in each invalid row, and the field its error must
// name.
struct BadRow {
  int index;
  const char* field;
  const char* bad_value;
};
constexpr BadRow kBadRows[] = {
    {2, "conviction.judgment_date", "2023-02-30"},
    {5, "conviction.court_id", "basic-atlantis"},
    {8, "conviction.offences", "06/L-074 art. 777"},
};
constexpr int kRows = 10;

// Ten rows on lines 2..11; rows 2, 5 and 8 are invalid as kBadRows says.
v1::ImportRecordsRequest TenRows() {
  v1::ImportRecordsRequest req;
  for (int i = 0; i < kRows; ++i) {
    v1::ImportRow* row = req.add_rows();
    row->set_line(static_cast<uint64_t>(i + 2));
    *row->mutable_record() = FictionalRecord(200 + i);
  }
  req.mutable_rows(2)->mutable_record()->mutable_conviction()->set_judgment_date("2023-02-30");
  req.mutable_rows(5)->mutable_record()->mutable_conviction()->set_court_id("basic-atlantis");
  v1::Offence* offence =
      req.mutable_rows(8)->mutable_record()->mutable_conviction()->mutable_offences(0);
  offence->set_law("06/L-074");
  offence->set_article(777);
  offence->set_paragraph(0);
  return req;
}

const BadRow* BadRowAt(int index) {
  for (const BadRow& b : kBadRows) {
    if (b.index == index) return &b;
  }
  return nullptr;
}

class ImportRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestServerOptions options;
    options.fault_injector = &fault_;
    server_ = TestServer::Start(std::move(options));
    stub_ = v1::RecordService::NewStub(server_->Channel("clerk"));
  }

  grpc::Status Import(const v1::ImportRecordsRequest& req, v1::ImportRecordsResponse* resp) {
    grpc::ClientContext ctx;
    return stub_->ImportRecords(&ctx, req, resp);
  }

  std::vector<v1::Record> FindByPersonalNumber(const std::string& pn) {
    grpc::ClientContext ctx;
    v1::SearchRecordsRequest req;
    req.set_personal_number(pn);
    v1::SearchRecordsResponse resp;
    const grpc::Status s = stub_->SearchRecords(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.records().begin(), resp.records().end()};
  }

  uint64_t AuditSize() { return server_->server()->audit_log()->CurrentHead().size; }

  SwitchableFault fault_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::RecordService::Stub> stub_;
};

TEST_F(ImportRpcTest, DryRunValidatesEveryRowAndWritesOnlyItsAuditEvent) {
  v1::ImportRecordsRequest req = TenRows();
  req.set_dry_run(true);
  const uint64_t audit_before = AuditSize();
  v1::ImportRecordsResponse resp;
  const grpc::Status s = Import(req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(AuditSize(), audit_before + 1);

  ASSERT_EQ(resp.results_size(), kRows);
  int valid = 0, invalid = 0;
  for (int i = 0; i < kRows; ++i) {
    const Outcome& r = resp.results(i);
    EXPECT_EQ(r.line(), req.rows(i).line());
    if (const BadRow* bad = BadRowAt(i)) {
      ++invalid;
      EXPECT_EQ(r.outcome(), Outcome::OUTCOME_INVALID) << "row " << i;
      EXPECT_THAT(r.error(), HasSubstr(bad->field));
      EXPECT_THAT(r.error(), Not(HasSubstr(bad->bad_value)));
      EXPECT_THAT(r.error(), Not(HasSubstr("777")));
      EXPECT_TRUE(r.record_id().empty());
    } else {
      ++valid;
      EXPECT_EQ(r.outcome(), Outcome::OUTCOME_VALID) << "row " << i << ": " << r.error();
      EXPECT_TRUE(r.record_id().empty());
    }
  }
  EXPECT_EQ(valid, 7);
  EXPECT_EQ(invalid, 3);
  for (const v1::ImportRow& row : req.rows()) {
    EXPECT_THAT(FindByPersonalNumber(row.record().person().personal_number()), IsEmpty());
  }
}

// A validation run is marked as one where its call is recorded, the audit event and the server's
// log line, so that nobody takes it for the import it tried out; a real run is not.
TEST_F(ImportRpcTest, ADryRunIsMarkedAsOneInItsEventAndItsLogLine) {
  v1::ImportRecordsRequest req = TenRows();
  for (const bool dry_run : {true, false}) {
    req.set_dry_run(dry_run);
    const uint64_t at = AuditSize();
    v1::ImportRecordsResponse resp;
    ASSERT_TRUE(Import(req, &resp).ok());
    v1::AuditEvent event;
    ASSERT_TRUE(event.ParseFromString(*server_->server()->audit_log()->ReadEvent(at)));
    EXPECT_EQ(event.action(), "/registry.v1.RecordService/ImportRecords");
    EXPECT_EQ(event.dry_run(), dry_run);
    const std::string line =
        server::CallLogLine(event, static_cast<int64_t>(at), absl::Now(), absl::Milliseconds(3));
    EXPECT_EQ(absl::StrContains(line, "\"dry_run\":true"), dry_run) << line;
    EXPECT_THAT(line, HasSubstr("\"method\":\"/registry.v1.RecordService/ImportRecords\""));
  }
  // Marked from what the request states, even when the call is refused.
  req.set_dry_run(true);
  const uint64_t at = AuditSize();
  grpc::ClientContext ctx;
  v1::ImportRecordsResponse resp;
  EXPECT_EQ(v1::RecordService::NewStub(server_->Channel("court"))
                ->ImportRecords(&ctx, req, &resp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::AuditEvent refused;
  ASSERT_TRUE(refused.ParseFromString(*server_->server()->audit_log()->ReadEvent(at)));
  EXPECT_TRUE(refused.dry_run());
}

TEST_F(ImportRpcTest, RealRunCreatesValidRowsAndReRunReportsDuplicates) {
  const v1::ImportRecordsRequest req = TenRows();
  v1::ImportRecordsResponse first;
  ASSERT_TRUE(Import(req, &first).ok());
  ASSERT_EQ(first.results_size(), kRows);
  std::vector<std::string> ids(kRows);
  std::set<std::string> distinct;
  for (int i = 0; i < kRows; ++i) {
    const Outcome& r = first.results(i);
    EXPECT_EQ(r.line(), req.rows(i).line());
    const std::string& pn = req.rows(i).record().person().personal_number();
    if (const BadRow* bad = BadRowAt(i)) {
      EXPECT_EQ(r.outcome(), Outcome::OUTCOME_INVALID);
      EXPECT_THAT(r.error(), HasSubstr(bad->field));
      EXPECT_THAT(FindByPersonalNumber(pn), IsEmpty());
      continue;
    }
    ASSERT_EQ(r.outcome(), Outcome::OUTCOME_CREATED) << "row " << i << ": " << r.error();
    ASSERT_EQ(r.record_id().size(), 32u);
    ids[i] = r.record_id();
    distinct.insert(r.record_id());
    const std::vector<v1::Record> found = FindByPersonalNumber(pn);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].metadata().record_id(), r.record_id());
    EXPECT_TRUE(MessageDifferencer::Equals(found[0].person(), req.rows(i).record().person()));
    EXPECT_TRUE(
        testing::SameConviction(found[0].conviction(), req.rows(i).record().conviction()));
  }
  EXPECT_EQ(distinct.size(), 7u);

  v1::ImportRecordsResponse second;
  ASSERT_TRUE(Import(req, &second).ok());
  ASSERT_EQ(second.results_size(), kRows);
  for (int i = 0; i < kRows; ++i) {
    const Outcome& r = second.results(i);
    if (BadRowAt(i) != nullptr) {
      EXPECT_EQ(r.outcome(), Outcome::OUTCOME_INVALID);
      continue;
    }
    EXPECT_EQ(r.outcome(), Outcome::OUTCOME_DUPLICATE) << "row " << i;
    EXPECT_EQ(r.record_id(), ids[i]);
    EXPECT_EQ(FindByPersonalNumber(req.rows(i).record().person().personal_number()).size(), 1u);
  }
}

// The second row of one conviction in a request was answered "already in the registry" (a dry
// run's too, with nothing stored) and dropped unsaid, though it could differ from the first (here
// another sentence, and the case number in Cyrillic). It is now refused, naming why.
TEST_F(ImportRpcTest, TheSameConvictionTwiceInOneRequestIsCreatedOnceAndTheOtherRowRefused) {
  v1::ImportRecordsRequest req;
  for (uint64_t line : {2, 3}) {
    v1::ImportRow* row = req.add_rows();
    row->set_line(line);
    *row->mutable_record() = ExampleRecord();
  }
  v1::Conviction* other = req.mutable_rows(1)->mutable_record()->mutable_conviction();
  other->mutable_sentence()->set_months(96);
  other->set_case_number("\xd0\x9f 123/2024");  // Cyrillic Pe
  for (const bool dry_run : {true, false}) {
    req.set_dry_run(dry_run);
    v1::ImportRecordsResponse resp;
    ASSERT_TRUE(Import(req, &resp).ok());
    ASSERT_EQ(resp.results_size(), 2);
    EXPECT_EQ(resp.results(0).outcome(),
              dry_run ? Outcome::OUTCOME_VALID : Outcome::OUTCOME_CREATED);
    EXPECT_EQ(resp.results(1).outcome(), Outcome::OUTCOME_INVALID) << dry_run;
    EXPECT_EQ(resp.results(1).line(), 3u);
    EXPECT_THAT(resp.results(1).error(), HasSubstr("as another row of this import"));
    const std::vector<v1::Record> found =
        FindByPersonalNumber(ExampleRecord().person().personal_number());
    ASSERT_EQ(found.size(), dry_run ? 0u : 1u);
    if (!dry_run) {
      EXPECT_EQ(found[0].metadata().record_id(), resp.results(0).record_id());
    }
  }
}

// A row of a conviction the registry holds (the same court, case number and personal number)
// came back a duplicate, "already in the registry; not changed", whatever it said: a fine for
// art. 228 in the file, 60 months for art. 227 in the record, and the file's version dropped
// unsaid. Only a row that holds what the record holds is a duplicate; one that differs is
// refused, naming the fields that differ and never their values (the error is in the event),
// in a dry run too; a case number spelled another way is the same conviction still.
TEST_F(ImportRpcTest, ARowOfAStoredConvictionThatDiffersFromItIsRefusedNamingTheFields) {
  v1::ImportRecordsRequest first;
  v1::ImportRow* stored = first.add_rows();
  stored->set_line(2);
  *stored->mutable_record() = ExampleRecord();
  v1::ImportRecordsResponse created;
  ASSERT_TRUE(Import(first, &created).ok());
  ASSERT_EQ(created.results(0).outcome(), Outcome::OUTCOME_CREATED);
  const std::string id = created.results(0).record_id();

  v1::ImportRecordsRequest again;
  // Line 2: the row as stored, its case number spelled another way (no space, lower case).
  v1::ImportRow* same = again.add_rows();
  same->set_line(2);
  *same->mutable_record() = ExampleRecord();
  std::string respelt = ExampleRecord().conviction().case_number();
  respelt.erase(std::remove(respelt.begin(), respelt.end(), ' '), respelt.end());
  for (char& c : respelt) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  same->mutable_record()->mutable_conviction()->set_case_number(respelt);
  // Line 3: the same conviction with a longer sentence and another address.
  v1::ImportRow* other = again.add_rows();
  other->set_line(3);
  *other->mutable_record() = ExampleRecord();
  v1::Sentence* sentence = other->mutable_record()->mutable_conviction()->mutable_sentence();
  sentence->set_months(sentence->months() + 12);
  other->mutable_record()->mutable_person()->set_last_known_address("Rr. Provë 99, Pejë");
  for (const bool dry_run : {true, false}) {
    again.set_dry_run(dry_run);
    v1::ImportRecordsResponse resp;
    ASSERT_TRUE(Import(again, &resp).ok());
    ASSERT_EQ(resp.results_size(), 2);
    EXPECT_EQ(resp.results(0).outcome(), Outcome::OUTCOME_DUPLICATE) << resp.results(0).error();
    EXPECT_EQ(resp.results(0).record_id(), id);
    EXPECT_EQ(resp.results(1).outcome(), Outcome::OUTCOME_INVALID) << dry_run;
    EXPECT_EQ(resp.results(1).record_id(), id);
    EXPECT_EQ(resp.results(1).error(),
              "conviction: conflicts with the stored record of this court, case number and "
              "personal number, which differs in last known address, sentence; not changed: "
              "correct the row, or the record with an amendment");
    EXPECT_THAT(resp.results(1).error(), Not(HasSubstr("Pej")));
  }
  const std::vector<v1::Record> found =
      FindByPersonalNumber(ExampleRecord().person().personal_number());
  ASSERT_EQ(found.size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals(found[0].conviction().sentence(),
                                         ExampleRecord().conviction().sentence()));
}

// Two rows: line 1 the example record, line 2 the example under personal number 4000000002
// (a person with no record), for a test to break.
v1::ImportRecordsRequest TheExampleThenAnotherPersonsRow() {
  v1::ImportRecordsRequest req;
  for (const int line : {1, 2}) {
    v1::ImportRow* row = req.add_rows();
    row->set_line(line);
    *row->mutable_record() = ExampleRecord();
  }
  req.mutable_rows(1)->mutable_record()->mutable_person()->set_personal_number("4000000002");
  return req;
}

// A row refused for an alias the registry cannot index (a letter it cannot compare across
// scripts) leaves nothing in the write the other rows commit: no index row naming a record that
// was never entered, which made every read of that person DATA_LOSS, and no claim on its
// conviction, which a later row or create may still enter.
TEST_F(ImportRpcTest, ARowRefusedForAnAliasLeavesNothingBehind) {
  v1::ImportRecordsRequest req = TheExampleThenAnotherPersonsRow();
  v1::ImportRow* bad = req.mutable_rows(1);
  // Another name too: the good row's record would refer a check naming its person.
  bad->mutable_record()->mutable_person()->set_given_name("Blerim");
  bad->mutable_record()->mutable_person()->add_aliases("\xe1\x9a\xa0");  // a Runic letter
  v1::ImportRecordsResponse resp;
  ASSERT_TRUE(Import(req, &resp).ok());
  ASSERT_EQ(resp.results_size(), 2);
  EXPECT_EQ(resp.results(0).outcome(), Outcome::OUTCOME_CREATED);
  EXPECT_EQ(resp.results(1).outcome(), Outcome::OUTCOME_INVALID);
  EXPECT_THAT(resp.results(1).error(), HasSubstr("person.aliases[0]"));

  // The refused person reads as having nothing, and their conviction can be entered.
  EXPECT_TRUE(FindByPersonalNumber("4000000002").empty());
  EXPECT_EQ(VetAs(*server_, "vetting", bad->record().person()), v1::VETTING_RESULT_CLEAR);
  v1::ImportRecordsRequest again;
  *again.add_rows() = *bad;
  again.mutable_rows(0)->mutable_record()->mutable_person()->clear_aliases();
  ASSERT_TRUE(Import(again, &resp).ok());
  EXPECT_EQ(resp.results(0).outcome(), Outcome::OUTCOME_CREATED) << resp.results(0).error();
  EXPECT_EQ(FindByPersonalNumber("4000000002").size(), 1u);
  EXPECT_EQ(VetAs(*server_, "vetting", again.rows(0).record().person()),
            v1::VETTING_RESULT_NOT_CLEAR);
  // And the data check finds nothing out of place.
  grpc::ClientContext ctx;
  ctx.set_deadline(CallDeadline());
  v1::VerifyDataResponse verified;
  ASSERT_TRUE(v1::AdminService::NewStub(server_->Channel("admin"))
                  ->VerifyData(&ctx, v1::VerifyDataRequest(), &verified)
                  .ok());
  EXPECT_EQ(verified.problem_count(), 0u)
      << (verified.problems().empty() ? "" : verified.problems(0));
}

// A duplicate row's answer names the record it duplicates, so the call's event names it too, a
// dry run's included: a clerk cannot learn which convictions are registered without a trace.
TEST_F(ImportRpcTest, TheRecordsADuplicateRowNamesAreInTheEvent) {
  v1::ImportRecordsRequest req;
  v1::ImportRow* row = req.add_rows();
  row->set_line(1);
  *row->mutable_record() = ExampleRecord();
  v1::ImportRecordsResponse first;
  ASSERT_TRUE(Import(req, &first).ok());
  ASSERT_EQ(first.results(0).outcome(), Outcome::OUTCOME_CREATED);
  const std::string existing = first.results(0).record_id();
  for (const bool dry_run : {false, true}) {
    SCOPED_TRACE(dry_run);
    req.set_dry_run(dry_run);
    const uint64_t at = AuditSize();
    v1::ImportRecordsResponse again;
    ASSERT_TRUE(Import(req, &again).ok());
    ASSERT_EQ(again.results(0).outcome(), Outcome::OUTCOME_DUPLICATE);
    ASSERT_EQ(again.results(0).record_id(), existing);
    v1::AuditEvent event;
    ASSERT_TRUE(event.ParseFromString(*server_->server()->audit_log()->ReadEvent(at)));
    EXPECT_EQ(std::vector<std::string>(event.record_ids().begin(), event.record_ids().end()),
              std::vector<std::string>{existing});
  }
}

// The texts of `record` a log must not keep: its personal number, names and case number.
std::vector<std::string> PersonalValuesOf(const v1::CreateRecordRequest& record) {
  return {record.person().personal_number(), record.person().surname(),
          record.person().given_name(), record.conviction().case_number()};
}

// A clerk who knows a personal number asked, by a dry run of rows of that person under made-up
// case numbers, whether the person had an expunged conviction and which: the answer named the
// line, while the log kept only "ImportRecords OK" (a real import entering nothing alike). The
// event now says the refused rows by line and reason, in the words a create's event keeps for
// that refusal, an expunged conviction counted on its own; the call stays OK; no value of a row.
TEST_F(ImportRpcTest, TheEventOfAnImportNamesItsRefusedRowsAndWhyWithoutTheirValues) {
  const v1::CreateRecordRequest expunged = FictionalRecord(31);
  const std::string id = CreatedRecordId(*server_, "clerk", expunged);
  ASSERT_TRUE(ExpungeRecordAs(*server_, "clerk", id).ok());
  v1::CreateRecordRequest invalid = FictionalRecord(32);
  invalid.mutable_conviction()->set_judgment_date("2023-02-30");
  // What a create of the invalid record keeps in its event: the import's reason, word for word.
  ASSERT_EQ(CreateRecordAs(*server_, "clerk", invalid, nullptr).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  const std::string create_detail = LastStoredEvent(*server_).detail();
  ASSERT_THAT(create_detail, HasSubstr("conviction.judgment_date"));

  int next_valid = 40;
  for (const bool dry_run : {true, false}) {
    // A real import that enters nothing commits no change: its event is the gate's alone.
    for (const bool with_a_valid_row : {true, false}) {
      SCOPED_TRACE(absl::StrCat("dry run ", dry_run, ", a valid row ", with_a_valid_row));
      v1::ImportRecordsRequest req;
      req.set_dry_run(dry_run);
      v1::ImportRow* row = req.add_rows();
      row->set_line(34);
      *row->mutable_record() = expunged;
      row = req.add_rows();
      row->set_line(2);
      *row->mutable_record() = invalid;
      if (with_a_valid_row) {
        row = req.add_rows();
        row->set_line(3);
        *row->mutable_record() = FictionalRecord(next_valid++);
      }
      const uint64_t at = AuditSize();
      v1::ImportRecordsResponse resp;
      ASSERT_TRUE(Import(req, &resp).ok());
      ASSERT_EQ(resp.results_size(), req.rows_size());
      EXPECT_THAT(resp.results(0).error(), HasSubstr("expunged"));
      EXPECT_EQ(resp.results(1).outcome(), Outcome::OUTCOME_INVALID);
      if (with_a_valid_row) {
        EXPECT_EQ(resp.results(2).outcome(),
                  dry_run ? Outcome::OUTCOME_VALID : Outcome::OUTCOME_CREATED);
      }
      ASSERT_EQ(AuditSize(), at + 1);
      const v1::AuditEvent event = StoredEvent(*server_, at);
      EXPECT_EQ(event.action(), "/registry.v1.RecordService/ImportRecords");
      EXPECT_EQ(event.outcome(), 0);
      EXPECT_EQ(event.dry_run(), dry_run);
      EXPECT_THAT(event.detail(),
                  HasSubstr(absl::StrCat("rows refused: 2 of ", req.rows_size(), ";")));
      EXPECT_THAT(event.detail(), HasSubstr("rows refused as expunged convictions: 1 (line 34)"));
      EXPECT_THAT(event.detail(),
                  HasSubstr(absl::StrCat("1 row (line 2) refused for \"", create_detail, "\"")));
      EXPECT_THAT(event.detail(), Not(HasSubstr("line 3)")));  // the valid row
      const std::string text = event.ShortDebugString();
      for (const v1::ImportRow& each : req.rows()) {
        for (const std::string& value : PersonalValuesOf(each.record())) {
          EXPECT_THAT(text, Not(HasSubstr(value)));
        }
      }
      EXPECT_THAT(text, Not(HasSubstr("2023-02-30")));
    }
  }
}

// A conviction whose retention period has ended is refused with the day it was due for deletion
// and the last day a later conviction could have kept it: dates worked out from its final date,
// which the clerk is told and the audit log must not keep (each row would also have been a
// reason of its own). The event says them as "[date]", for an import's rows and a create alike.
TEST_F(ImportRpcTest, AnEventKeepsNoDateARefusalWorkedOutFromTheRecord) {
  std::vector<v1::CreateRecordRequest> ended;
  for (int i = 0; i < 2; ++i) {
    v1::CreateRecordRequest record = FictionalRecord(60 + i);
    record.mutable_person()->set_birth_date("1960-01-01");
    MakeFine(record.mutable_conviction(), absl::StrCat("199", i, "-01-05"),
             absl::StrCat("199", i, "-02-1", i));
    ended.push_back(record);
  }
  const std::regex date("[0-9]{4}-[0-9]{2}-[0-9]{2}");
  const auto dates_in = [&](const std::string& text) {
    std::vector<std::string> found;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), date);
         it != std::sregex_iterator(); ++it) {
      found.push_back(it->str());
    }
    return found;
  };
  const grpc::Status created = CreateRecordAs(*server_, "clerk", ended[0], nullptr);
  ASSERT_EQ(created.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << created.error_message();
  const std::vector<std::string> told = dates_in(created.error_message());
  ASSERT_FALSE(told.empty()) << created.error_message();
  const std::string create_detail = LastStoredEvent(*server_).detail();
  EXPECT_THAT(create_detail, HasSubstr("[date]"));
  EXPECT_THAT(dates_in(create_detail), IsEmpty()) << create_detail;

  v1::ImportRecordsRequest req;
  req.set_dry_run(true);
  for (size_t i = 0; i < ended.size(); ++i) {
    v1::ImportRow* row = req.add_rows();
    row->set_line(static_cast<uint32_t>(i + 2));
    *row->mutable_record() = ended[i];
  }
  const uint64_t at = AuditSize();
  v1::ImportRecordsResponse resp;
  ASSERT_TRUE(Import(req, &resp).ok());
  ASSERT_EQ(resp.results_size(), 2);
  EXPECT_THAT(dates_in(resp.results(1).error()), Not(IsEmpty()));
  const std::string detail = StoredEvent(*server_, at).detail();
  EXPECT_THAT(dates_in(detail), IsEmpty()) << detail;
  // One reason for both rows, said as the create's event says it.
  EXPECT_THAT(detail, HasSubstr(absl::StrCat("2 rows (lines 2, 3) refused for \"", create_detail,
                                             "\"")));
}

// A file of a thousand refused rows does not make an event of a thousand lines: each reason lists
// its first 20 lines and counts the rest, and ten reasons are listed, the others counted.
TEST_F(ImportRpcTest, TheRefusedRowsAnImportsEventNamesAreBounded) {
  // Twelve records each refused for a reason of its own.
  const std::vector<std::function<void(v1::CreateRecordRequest*)>> kSpoilers = {
      [](v1::CreateRecordRequest* r) { r->mutable_conviction()->set_judgment_date("2023-02-30"); },
      [](v1::CreateRecordRequest* r) { r->mutable_conviction()->set_court_id("basic-atlantis"); },
      [](v1::CreateRecordRequest* r) { r->mutable_conviction()->set_case_number(""); },
      [](v1::CreateRecordRequest* r) { r->mutable_conviction()->clear_offences(); },
      [](v1::CreateRecordRequest* r) { r->mutable_conviction()->set_final_date(""); },
      [](v1::CreateRecordRequest* r) { r->mutable_conviction()->clear_sentence(); },
      [](v1::CreateRecordRequest* r) { r->mutable_person()->set_surname(""); },
      [](v1::CreateRecordRequest* r) { r->mutable_person()->set_given_name(""); },
      [](v1::CreateRecordRequest* r) { r->mutable_person()->set_sex(v1::SEX_UNSPECIFIED); },
      [](v1::CreateRecordRequest* r) { r->mutable_person()->add_citizenships("xk"); },
      [](v1::CreateRecordRequest* r) { r->mutable_person()->set_personal_number("12"); },
      [](v1::CreateRecordRequest* r) {
        r->mutable_person()->set_birth_place(std::string(101, 'a'));
      },
  };
  v1::ImportRecordsRequest req;
  req.set_dry_run(true);
  uint64_t line = 1;
  for (size_t reason = 0; reason < kSpoilers.size(); ++reason) {
    // The first reason's rows come first: 25 of them.
    for (int n = 0; n < (reason == 0 ? 25 : 1); ++n) {
      v1::ImportRow* row = req.add_rows();
      row->set_line(line++);
      *row->mutable_record() = FictionalRecord(static_cast<int>(line));
      kSpoilers[reason](row->mutable_record());
    }
  }
  v1::ImportRecordsResponse resp;
  ASSERT_TRUE(Import(req, &resp).ok());
  std::set<std::string> errors;
  for (const Outcome& r : resp.results()) {
    ASSERT_EQ(r.outcome(), Outcome::OUTCOME_INVALID) << r.line();
    errors.insert(r.error());
  }
  ASSERT_EQ(errors.size(), kSpoilers.size()) << "each spoiler is a reason of its own";
  const std::string detail = LastStoredEvent(*server_).detail();
  EXPECT_THAT(detail, HasSubstr("rows refused: 36 of 36;"));
  EXPECT_THAT(detail, HasSubstr("25 rows (lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, "
                                "15, 16, 17, 18, 19, 20 and 5 more) refused for \""));
  EXPECT_THAT(detail, Not(HasSubstr("20, 21")));
  EXPECT_THAT(detail, HasSubstr("1 row (line 26) refused for \""));
  EXPECT_THAT(detail, HasSubstr("1 row (line 34) refused for \""));
  EXPECT_THAT(detail, Not(HasSubstr("line 35")));
  EXPECT_THAT(detail, HasSubstr("; and 2 rows refused for 2 other reasons"));
  EXPECT_LT(detail.size(), 4096u);
}

TEST_F(ImportRpcTest, BatchIsAtomicWhenTheWriteFails) {
  const v1::ImportRecordsRequest req = TenRows();
  fault_.set_failing(true);
  v1::ImportRecordsResponse resp;
  const grpc::Status s = Import(req, &resp);
  fault_.set_failing(false);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_EQ(resp.results_size(), 0);
  for (const v1::ImportRow& row : req.rows()) {
    EXPECT_THAT(FindByPersonalNumber(row.record().person().personal_number()), IsEmpty());
  }
  // Nothing was half-written: the same batch now creates all its valid rows.
  ASSERT_TRUE(Import(req, &resp).ok());
  int created = 0;
  for (const Outcome& r : resp.results()) created += r.outcome() == Outcome::OUTCOME_CREATED;
  EXPECT_EQ(created, 7);
}

// Whichever write fails, a batch is all or nothing: the call fails and no row exists, or it
// succeeds and every valid row exists.
TEST_F(ImportRpcTest, BatchIsAllOrNothingWhicheverWriteFails) {
  for (int nth = 1; nth <= 3; ++nth) {
    SCOPED_TRACE(absl::StrCat("failing write #", nth));
    v1::ImportRecordsRequest req;
    for (int i = 0; i < 7; ++i) {
      v1::ImportRow* row = req.add_rows();
      row->set_line(static_cast<uint64_t>(i + 2));
      *row->mutable_record() = FictionalRecord(300 + 10 * nth + i);
    }
    fault_.FailNth(nth);
    v1::ImportRecordsResponse resp;
    const grpc::Status s = Import(req, &resp);
    fault_.set_failing(false);
    int existing = 0;
    for (const v1::ImportRow& row : req.rows()) {
      existing += static_cast<int>(
          FindByPersonalNumber(row.record().person().personal_number()).size());
    }
    if (s.ok()) {
      EXPECT_EQ(existing, 7);
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
      EXPECT_EQ(existing, 0);
    }
  }
}

TEST_F(ImportRpcTest, RowCountOutsideOneToThousandIsInvalidArgument) {
  v1::ImportRecordsResponse resp;
  const grpc::Status empty = Import(v1::ImportRecordsRequest(), &resp);
  EXPECT_EQ(empty.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(empty.error_message(), HasSubstr("rows"));

  v1::ImportRecordsRequest big;
  for (int i = 0; i < 1001; ++i) {
    v1::ImportRow* row = big.add_rows();
    row->set_line(static_cast<uint64_t>(i + 2));
    *row->mutable_record() = FictionalRecord(i);
  }
  const grpc::Status too_many = Import(big, &resp);
  EXPECT_EQ(too_many.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(too_many.error_message(), HasSubstr("rows"));
  EXPECT_THAT(FindByPersonalNumber(FictionalRecord(0).person().personal_number()), IsEmpty());
}

TEST_F(ImportRpcTest, LineOutsideItsRangeIsInvalidArgumentNamingIt) {
  for (uint64_t line : {uint64_t{0}, uint64_t{1000000001}}) {
    v1::ImportRecordsRequest req = TenRows();
    req.mutable_rows(3)->set_line(line);
    v1::ImportRecordsResponse resp;
    const grpc::Status s = Import(req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << line;
    EXPECT_THAT(s.error_message(), HasSubstr("rows[3].line"));
    EXPECT_THAT(FindByPersonalNumber(req.rows(0).record().person().personal_number()),
                IsEmpty());
  }
}

// Each result names its row by its line: two rows of one line are refused, naming the second.
TEST_F(ImportRpcTest, TwoRowsOfOneLineAreInvalidArgumentNamingTheSecond) {
  v1::ImportRecordsRequest req = TenRows();
  req.mutable_rows(6)->set_line(req.rows(2).line());
  v1::ImportRecordsResponse resp;
  const grpc::Status s = Import(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "rows[6].line: the same line as an earlier row");
  EXPECT_THAT(FindByPersonalNumber(req.rows(0).record().person().personal_number()), IsEmpty());
}

// A row whose string is not UTF-8 makes the whole request undecodable. In a request of up to
// 1,000 rows the refusal must say which one: it names the row by its index, as the other
// errors of an import do ("rows[3].line").
TEST_F(ImportRpcTest, ARowThatIsNotUtf8IsNamedByItsIndex) {
  v1::ImportRecordsRequest req = TenRows();
  req.mutable_rows(7)->mutable_record()->mutable_person()->set_surname("Zzë");
  std::string bytes = req.SerializeAsString();
  const size_t at = bytes.find("Zz\xC3\xAB");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 3] = '\xFF';  // the "ë" is no UTF-8 now
  v1::ImportRecordsRequest decoded;
  ASSERT_FALSE(decoded.ParseFromString(bytes));

  const uint64_t before = AuditSize();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer in(&slice, 1);
  grpc::ByteBuffer out;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  const grpc::internal::RpcMethod rpc("/registry.v1.RecordService/ImportRecords",
                                      grpc::internal::RpcMethod::NORMAL_RPC);
  const grpc::Status s = grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
      server_->Channel("clerk").get(), rpc, &ctx, in, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_EQ(s.error_message(), "rows[7].record.person.surname: not valid UTF-8");
  ASSERT_EQ(AuditSize(), before + 1) << "one audit event";
  v1::AuditEvent event;
  auto stored = server_->server()->audit_log()->ReadEvent(before);
  ASSERT_TRUE(stored.ok() && event.ParseFromString(*stored));
  EXPECT_EQ(event.action(), "/registry.v1.RecordService/ImportRecords");
  EXPECT_EQ(event.role(), v1::ROLE_CLERK);
  EXPECT_EQ(event.detail(), "rows[7].record.person.surname: not valid UTF-8");
  EXPECT_THAT(*stored, Not(HasSubstr("Zz")));
  // Nothing of the request was imported.
  EXPECT_THAT(FindByPersonalNumber(req.rows(0).record().person().personal_number()), IsEmpty());
}

// ImportRecords reads its request itself (server/record_service.h); a call that sends none is
// still refused and audited once, as a method that gRPC reads for is (GetRecord).
TEST_F(ImportRpcTest, ACallWithoutARequestIsRefusedAndAuditedOnce) {
  for (const std::string type : {"ImportRecords", "GetRecord"}) {
    SCOPED_TRACE(type);
    const std::string method = absl::StrCat("/registry.v1.RecordService/", type);
    const uint64_t before = AuditSize();
    const grpc::Status s = testing::CallWithoutRequest(*server_, "clerk", method);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_EQ(s.error_message(),
              absl::StrCat("request: does not decode as registry.v1.", type, "Request"));
    ASSERT_EQ(AuditSize(), before + 1) << "one audit event";
    v1::AuditEvent event;
    auto stored = server_->server()->audit_log()->ReadEvent(before);
    ASSERT_TRUE(stored.ok() && event.ParseFromString(*stored));
    EXPECT_EQ(event.action(), method);
    EXPECT_EQ(event.outcome(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  }
}

TEST_F(ImportRpcTest, OnlyClerksImport) {
  v1::ImportRecordsRequest req = TenRows();
  for (const char* identity : {"court", "vetting", "auditor", "admin"}) {
    grpc::ClientContext ctx;
    v1::ImportRecordsResponse resp;
    EXPECT_EQ(v1::RecordService::NewStub(server_->Channel(identity))
                  ->ImportRecords(&ctx, req, &resp)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << identity;
  }
  EXPECT_THAT(FindByPersonalNumber(req.rows(0).record().person().personal_number()), IsEmpty());
}

// --- registry-cli -------------------------------------------------------------------------------

constexpr char kCliPath[] = REGISTRY_BINARY_DIR "/registry-cli";

struct CliResult {
  int exit_code = -1;
  std::string out;  // stdout followed by stderr
};

// Runs registry-cli with `args` (no shell), without any REGISTRY_* variable of ours in its
// environment, and calls `meanwhile` with its process id while it runs. Standard output and error
// go to files that are read back afterwards.
CliResult RunCliBinary(const std::vector<std::string>& args, const std::string& scratch_dir,
                       const std::function<void(pid_t)>& meanwhile) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "REGISTRY_", 9) != 0) env.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = {kCliPath};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  const std::string out_path = scratch_dir + "/cli.out";
  const std::string err_path = scratch_dir + "/cli.err";
  CliResult result;
  const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (out_fd < 0 || err_fd < 0) return result;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    execve(kCliPath, argv.data(), envp.data());
    _exit(127);
  }
  close(out_fd);
  close(err_fd);
  if (pid < 0) return result;
  meanwhile(pid);
  int status = 0;
  if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = testing::ReadFileOrDie(out_path) + testing::ReadFileOrDie(err_path);
  return result;
}

// Rows for a large import: distinct personal numbers and case numbers, fictional people.
std::string BulkCsv(int rows) {
  static const char* kSurnames[] = {"Berisha", "Krasniqi", "Gashi", "Hoxha", "Shala",
                                    "Morina", "Bytyqi", "Kastrati", "Rexhepi", "Ahmeti"};
  static const char* kGiven[] = {"Driton", "Besnik", "Luan", "Fatmir", "Agron",
                                 "Valon", "Ilir", "Blerim", "Arben", "Genc"};
  std::string csv =
      "surname,given_name,father_name,sex,birth_date,birth_place,citizenships,personal_number,"
      "last_known_address,court_id,case_number,judgment_date,final_date,offences,sentence_type,"
      "sentence_months,bans,release_date,juvenile,foreign_court,foreign_country\n";
  for (int n = 0; n < rows; ++n) {
    absl::StrAppendFormat(
        &csv,
        "%s,%s,Besim,male,19%02d-0%d-1%d,Prishtinë,XK,%010d,\"Rr. Provë %d, Prishtinë\","
        "basic-prishtine,P %d/2019,2019-04-20,2019-05-15,06/L-074:230:1,imprisonment,36,"
        "work_with_children:2030-05-15,2021-03-01,false,,\n",
        kSurnames[n % 10], kGiven[(n / 10) % 10], 50 + n % 40, 1 + n % 9, n % 10,
        2000000000 + n, n, 10000 + n);
  }
  return csv;
}

class ImportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    scratch_ = MakeTempDir("import-cli-test");
  }
  void TearDown() override { std::filesystem::remove_all(scratch_); }

  CliResult Clerk(std::vector<std::string> args,
                  const std::function<void(pid_t)>& meanwhile = [](pid_t) {}) {
    std::vector<std::string> all = {"--server", server_->address(), "--identity",
                                    TestPki::Get().IdentityDir("clerk")};
    all.insert(all.end(), args.begin(), args.end());
    return RunCliBinary(all, scratch_, meanwhile);
  }

  // Waits until the audit log holds an ImportRecords event after index `from` (the import's
  // first batch is in); false if none comes within a minute or the child ended first.
  bool WaitForAnImportBatch(uint64_t from, pid_t child) {
    const absl::Time give_up = absl::Now() + absl::Minutes(1);
    uint64_t seen = from;
    while (absl::Now() < give_up) {
      for (const uint64_t size = AuditLogSize(*server_); seen < size; ++seen) {
        if (absl::EndsWith(StoredEvent(*server_, seen).action(), "/ImportRecords")) return true;
      }
      if (waitpid(child, nullptr, WNOHANG) != 0) return false;
      absl::SleepFor(absl::Milliseconds(2));
    }
    return false;
  }

  // The number of records whose personal number is one of BulkCsv's first `rows`.
  size_t CountBulkRecords(int rows) {
    size_t count = 0;
    for (int n = 0; n < rows; ++n) {
      count += CountByPersonalNumber(absl::StrFormat("%010d", 2000000000 + n));
    }
    return count;
  }

  std::string WriteBulkCsv(int rows) {
    const std::string path = scratch_ + "/bulk.csv";
    std::ofstream out(path, std::ios::binary);
    out << BulkCsv(rows);
    EXPECT_TRUE(out.good());
    return path;
  }

  size_t CountByPersonalNumber(const std::string& pn) {
    grpc::ClientContext ctx;
    v1::SearchRecordsRequest req;
    req.set_personal_number(pn);
    v1::SearchRecordsResponse resp;
    const grpc::Status s =
        v1::RecordService::NewStub(server_->Channel("clerk"))->SearchRecords(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return static_cast<size_t>(resp.records_size());
  }

  std::unique_ptr<TestServer> server_;
  std::string scratch_;
};

TEST_F(ImportCliTest, DryRunOfTheExampleListsTheBadLineAndExitsOne) {
  const CliResult r =
      Clerk({"record", "import", REGISTRY_SOURCE_DIR "/deploy/examples/import.csv", "--dry-run"});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("line 7: judgment_date"));
  EXPECT_THAT(r.out, HasSubstr("dry run: 5 valid, 0 duplicates, 1 invalid"));
  EXPECT_THAT(r.out, Not(HasSubstr("2023-02-30")));
  EXPECT_EQ(CountByPersonalNumber("1000000011"), 0u);
}

// registry-cli's record create checks a record it found faults in with the registry, by a dry
// run of a one-row import, so that every problem is named at once: that check's event was only
// "ImportRecords OK, dry run". It names the refusal now, as the create's event would, and no
// value of the record.
TEST_F(ImportCliTest, ACreateCheckedByTheRegistryLeavesItsRefusalInTheChecksEvent) {
  const uint64_t before = AuditLogSize(*server_);
  const CliResult r =
      Clerk({"record", "create", "--surname", "Krasniqi", "--given-name", "Driton", "--sex",
             "male", "--birth-date", "1975-02-03", "--personal-number", "1000000123", "--court",
             "basic-prizren", "--case-number", "P 88/2025", "--judgment-date", "2025-02-30",
             "--final-date", "2025-06-01", "--offence", "06/L-074:229:0", "--sentence",
             "imprisonment", "--months", "18"});
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("not a real date"));
  std::vector<v1::AuditEvent> checks;
  for (uint64_t at = before; at < AuditLogSize(*server_); ++at) {
    v1::AuditEvent event = StoredEvent(*server_, at);
    if (absl::EndsWith(event.action(), "/ImportRecords")) checks.push_back(std::move(event));
  }
  ASSERT_EQ(checks.size(), 1u) << r.out;
  EXPECT_TRUE(checks[0].dry_run());
  EXPECT_EQ(checks[0].outcome(), 0);
  EXPECT_THAT(checks[0].detail(), HasSubstr("rows refused: 1 of 1; 1 row (line 1) refused for \""));
  EXPECT_THAT(checks[0].detail(), HasSubstr("conviction.judgment_date"));
  const std::string text = checks[0].ShortDebugString();
  for (const char* value : {"Krasniqi", "Driton", "1000000123", "88/2025", "2025-02-30"}) {
    EXPECT_THAT(text, Not(HasSubstr(value)));
  }
}

// Running the same import again helps after a call that got no answer, not after the registry
// refused the caller; and a dry run enters nothing either way.
TEST_F(ImportCliTest, AnImportRefusedToItsCallerDoesNotSayToRunItAgain) {
  for (const bool dry_run : {false, true}) {
    std::vector<std::string> args = {"--server", server_->address(), "--identity",
                                     TestPki::Get().IdentityDir("court"), "record", "import",
                                     REGISTRY_SOURCE_DIR "/deploy/examples/import.csv"};
    if (dry_run) args.push_back("--dry-run");
    const CliResult r = RunCliBinary(args, scratch_, [](pid_t) {});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_THAT(r.out, HasSubstr("PERMISSION_DENIED"));
    EXPECT_THAT(r.out, HasSubstr("role court may not import records"));
    EXPECT_THAT(r.out, Not(HasSubstr("run the same import again"))) << r.out;
  }
}

// 10,000 rows; the figure is printed for the report, never asserted. Under AddressSanitizer,
// where each row costs several times as much and the Release run has imported the 10,000, 2,000.
#if defined(__SANITIZE_ADDRESS__)
#define REGISTRY_IMPORT_TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REGISTRY_IMPORT_TEST_UNDER_ASAN 1
#endif
#endif
#ifdef REGISTRY_IMPORT_TEST_UNDER_ASAN
constexpr int kBulkRows = 2000;
#else
constexpr int kBulkRows = 10000;
#endif

TEST_F(ImportCliTest, LargeCsvIsCreatedOnceAndReRunFindsOnlyDuplicates) {
  const std::string path = scratch_ + "/bulk.csv";
  {
    std::ofstream out(path, std::ios::binary);
    out << BulkCsv(kBulkRows);
    ASSERT_TRUE(out.good());
  }
  const absl::Time start = absl::Now();
  const CliResult first = Clerk({"record", "import", path});
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  ASSERT_EQ(first.exit_code, 0) << first.out.substr(0, 2000);
  EXPECT_THAT(first.out, HasSubstr(absl::StrFormat("%d created, 0 duplicates, 0 invalid",
                                                   kBulkRows)));
  std::printf("FIGURES import_%d_rows_s=%.2f\n", kBulkRows, seconds);

  const CliResult second = Clerk({"record", "import", path});
  EXPECT_EQ(second.exit_code, 0) << second.out.substr(0, 2000);
  EXPECT_THAT(second.out, HasSubstr(absl::StrFormat("0 created, %d duplicates, 0 invalid",
                                                    kBulkRows)));
  // Each duplicate line says which record it is: a corrected file imported again changes nothing.
  EXPECT_THAT(second.out, HasSubstr("line 2: already in the registry as record "));
  size_t said = 0;
  for (size_t at = second.out.find("; not changed (record amend corrects it)\n");
       at != std::string::npos;
       at = second.out.find("; not changed (record amend corrects it)\n", at + 1)) {
    ++said;
  }
  EXPECT_EQ(said, static_cast<size_t>(kBulkRows));
  for (int n : {0, 1, kBulkRows / 2, kBulkRows - 1}) {
    EXPECT_EQ(CountByPersonalNumber(absl::StrFormat("%010d", 2000000000 + n)), 1u) << n;
  }
}

// Two rows of one file for the same conviction (court, case number, personal number) that
// differ: in one batch the second was refused as the same conviction as the first, but with
// --batch 1 the real import entered the first and called the second "already in the registry;
// not changed" (a duplicate, exit 0), while the dry run had refused it. Refused alike, whatever
// the batches and in a dry run or not; so is a second row that repeats the first exactly; and a
// row that holds what the registry holds is a duplicate, said in the singular when it is one.
TEST_F(ImportCliTest, TwoRowsOfOneConvictionAreRefusedAlikeWhateverTheBatches) {
  const std::string header =
      "surname,given_name,father_name,sex,birth_date,birth_place,citizenships,personal_number,"
      "last_known_address,court_id,case_number,judgment_date,final_date,offences,sentence_type,"
      "sentence_months,bans,release_date,juvenile,foreign_court,foreign_country\n";
  const auto row = [](absl::string_view number, absl::string_view offence,
                      absl::string_view sentence, absl::string_view months) {
    return absl::StrCat("Gashi,Luan,,male,1980-03-04,,XK,", number,
                        ",,basic-prishtine,P 77/2025,2025-04-20,2025-05-15,", offence, ",",
                        sentence, ",", months, ",,,false,,\n");
  };
  const auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = absl::StrCat(scratch_, "/", name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
  };
  // A fine for art. 228 on line 2, 60 months for art. 227 on line 3.
  const std::string differing =
      write("differing.csv", header + row("3000000001", "06/L-074:228", "fine", "") +
                                 row("3000000001", "06/L-074:227", "imprisonment", "60"));
  const std::string refused =
      "line 3: conviction: the same conviction (court, case number, personal number) as another "
      "row of this import (line 2); one row per conviction\n";
  for (const std::vector<std::string>& options :
       {std::vector<std::string>{"--dry-run", "--batch", "1"}, {"--dry-run"}, {"--batch", "1"}}) {
    std::vector<std::string> command = {"record", "import", differing};
    command.insert(command.end(), options.begin(), options.end());
    const CliResult r = Clerk(command);
    EXPECT_EQ(r.exit_code, 1) << absl::StrJoin(options, " ") << "\n" << r.out;
    EXPECT_THAT(r.out, HasSubstr(refused)) << absl::StrJoin(options, " ");
    EXPECT_THAT(r.out, HasSubstr(options[0] == "--dry-run"
                                     ? "dry run: 1 valid, 0 duplicates, 1 invalid\n"
                                     : "1 created, 0 duplicates, 1 invalid\n"))
        << absl::StrJoin(options, " ");
  }
  EXPECT_EQ(CountByPersonalNumber("3000000001"), 1u);

  // The file again: line 2 is what the registry holds, line 3 conflicts with it.
  const CliResult rerun = Clerk({"record", "import", differing, "--batch", "1"});
  EXPECT_EQ(rerun.exit_code, 1) << rerun.out;
  EXPECT_THAT(rerun.out, HasSubstr("line 2: already in the registry as record "));
  EXPECT_THAT(rerun.out, HasSubstr("0 created, 1 duplicate, 1 invalid\n"));
  EXPECT_THAT(rerun.out, HasSubstr("line 3: conviction: the same conviction"));

  // A file of the line-3 row alone: it conflicts with the record, named with the fields.
  const CliResult alone = Clerk(
      {"record", "import",
       write("alone.csv", header + row("3000000001", "06/L-074:227", "imprisonment", "60"))});
  EXPECT_EQ(alone.exit_code, 1) << alone.out;
  EXPECT_THAT(alone.out, HasSubstr("line 2: conviction: conflicts with the stored record of this "
                                   "court, case number and personal number, which differs in "
                                   "offences, sentence; not changed: correct the row, or the "
                                   "record with an amendment (record "));
  EXPECT_THAT(alone.out, HasSubstr("0 created, 0 duplicates, 1 invalid\n"));

  // A row repeated exactly, in batches of one: the second is refused as in one batch.
  const std::string repeated =
      write("repeated.csv", header + row("3000000002", "06/L-074:228", "fine", "") +
                                row("3000000002", "06/L-074:228", "fine", ""));
  const CliResult twice = Clerk({"record", "import", repeated, "--batch", "1"});
  EXPECT_EQ(twice.exit_code, 1) << twice.out;
  EXPECT_THAT(twice.out, HasSubstr(refused));
  EXPECT_THAT(twice.out, HasSubstr("1 created, 0 duplicates, 1 invalid\n"));
  EXPECT_EQ(CountByPersonalNumber("3000000002"), 1u);
}

// Ctrl-C during an import: the batch in flight finishes, every result so far is printed with
// the summary, and the message says where the file was cut and how to resume; exit code 130.
// Re-running the same import then sends the rest.
TEST_F(ImportCliTest, AnInterruptedImportReportsWhatItSentAndHowToResume) {
  constexpr int kRows = 400;
  const std::string path = WriteBulkCsv(kRows);
  const uint64_t before = AuditLogSize(*server_);
  bool signalled = false;
  const CliResult r = Clerk({"record", "import", path, "--batch", "1"}, [&](pid_t child) {
    if (WaitForAnImportBatch(before, child)) signalled = kill(child, SIGINT) == 0;
  });
  ASSERT_TRUE(signalled) << r.out;
  EXPECT_EQ(r.exit_code, 130) << r.out;
  EXPECT_THAT(r.out, HasSubstr("stopping after the batch in flight"));
  // Each batch is one row: the summary's count is what the registry holds.
  int created = -1;
  const size_t summary = r.out.find(" created, 0 duplicates, 0 invalid");
  ASSERT_NE(summary, std::string::npos) << r.out;
  const size_t line_start = r.out.rfind('\n', summary) + 1;
  ASSERT_TRUE(absl::SimpleAtoi(r.out.substr(line_start, summary - line_start), &created)) << r.out;
  EXPECT_GT(created, 0);
  EXPECT_LT(created, kRows) << "the interrupt came after the import ended";
  EXPECT_EQ(CountBulkRecords(kRows), static_cast<size_t>(created));
  // Line 1 is the header: row n is on line n + 2.
  EXPECT_THAT(Flowed(r.out),
              HasSubstr(absl::StrCat("interrupted: the rows before line ", created + 2,
                                     " were sent and their results, above, are final; lines "
                                     "from ",
                                     created + 2, " on were not sent: run the same import again")));

  const CliResult again = Clerk({"record", "import", path});
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_THAT(again.out,
              HasSubstr(absl::StrFormat("%d created, %d %s, 0 invalid", kRows - created, created,
                                        created == 1 ? "duplicate" : "duplicates")));
  EXPECT_EQ(CountBulkRecords(kRows), static_cast<size_t>(kRows));
}

// The same with --json: what a script reads is JSON lines only, the interrupt's notes included
// (they were plain text on stderr, and a terminal's progress bar was drawn there too).
TEST_F(ImportCliTest, AnInterruptedImportWithJsonWritesJsonLinesOnly) {
  constexpr int kRows = 400;
  const std::string path = WriteBulkCsv(kRows);
  const uint64_t before = AuditLogSize(*server_);
  bool signalled = false;
  const CliResult r =
      Clerk({"--json", "record", "import", path, "--batch", "1", "--dry-run"}, [&](pid_t child) {
        if (WaitForAnImportBatch(before, child)) signalled = kill(child, SIGINT) == 0;
      });
  ASSERT_TRUE(signalled) << r.out;
  EXPECT_EQ(r.exit_code, 130) << r.out;
  size_t notes = 0;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
    EXPECT_TRUE(absl::StartsWith(line, "{") && absl::EndsWith(line, "}")) << line;
    if (absl::StartsWith(line, "{\"note\":")) ++notes;
  }
  EXPECT_THAT(r.out, HasSubstr("{\"note\":\"stopping after the batch in flight"));
  EXPECT_THAT(r.out, HasSubstr("{\"note\":\"interrupted: the rows before line "));
  EXPECT_EQ(notes, 2u) << r.out;
}

// The server going away during an import: the error says nothing answers, and still says which
// lines were entered and how to resume.
TEST_F(ImportCliTest, AnImportWhoseServerGoesAwaySaysWhatWasEnteredAndHowToResume) {
  constexpr int kRows = 400;
  const std::string path = WriteBulkCsv(kRows);
  const uint64_t before = AuditLogSize(*server_);
  bool stopped = false;
  const CliResult r = Clerk({"record", "import", path, "--batch", "1"}, [&](pid_t child) {
    if (!WaitForAnImportBatch(before, child)) return;
    server_->Stop();
    stopped = true;
  });
  ASSERT_TRUE(stopped) << r.out;
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const std::string flowed = Flowed(r.out);
  // Refused outright, or reset during the handshake while the server was closing: either way
  // the operator is told that nothing answers there. A call the stopping server cut (gRPC says
  // UNAVAILABLE or CANCELLED, as the moment falls) is said to have reached it.
  EXPECT_THAT(flowed, ::testing::ContainsRegex(
                          "error: (UNAVAILABLE: (nothing answers at|the connection was reset "
                          "during the TLS handshake with [^,]*, and nothing answers there now)|"
                          "UNAVAILABLE: the connection to the registry at [^ ]* broke after the "
                          "call had reached it|CANCELLED: the registry at [^ ]* stopped the call "
                          "before answering it \\(registryd was stopping)|UNAVAILABLE: the "
                          "registry at [^ ]* refused the call: nothing was done)"));
  // gRPC's own words (recvmsg:..., CANCELLED) are no part of it.
  EXPECT_THAT(flowed, Not(HasSubstr("recvmsg")));
  EXPECT_THAT(flowed, Not(HasSubstr("(CANCELLED")));
  // Stopped between two batches, the batch that failed was not sent; during one, it may have
  // been entered. Either way the import can be run again.
  EXPECT_THAT(flowed, ::testing::ContainsRegex(
                          "the batch of (line [0-9]+|lines [0-9]+\\.\\.[0-9]+) (got no answer, so "
                          "whether it was entered is not known|was not sent, so nothing of it was "
                          "entered|was refused, so nothing of it was entered); the (row before it "
                          "was sent and "
                          "its result, above, is final|[0-9]+ rows before it were sent and their "
                          "results, above, are final); the lines after it were not sent: run the "
                          "same import again"));
}

// A search gives 100 records at most; when more match, the output says so rather than looking
// complete.
TEST_F(ImportCliTest, ASearchThatMatchesMoreThanItShowsSaysSo) {
  v1::ImportRecordsRequest req;
  for (int i = 0; i < 101; ++i) {
    v1::ImportRow* row = req.add_rows();
    row->set_line(i + 1);
    *row->mutable_record() = ExampleRecord();
    row->mutable_record()->mutable_conviction()->set_case_number(
        absl::StrCat("P ", i + 1, "/2024"));
  }
  v1::ImportRecordsResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(v1::RecordService::NewStub(server_->Channel("clerk"))
                  ->ImportRecords(&ctx, req, &resp)
                  .ok());
  const CliResult r = Clerk({"record", "search", "--personal-number",
                             ExampleRecord().person().personal_number()});
  EXPECT_EQ(r.exit_code, 0) << r.out.substr(0, 2000);
  EXPECT_THAT(r.out, ::testing::StartsWith("more than 100 matching records; the first 100"));
  EXPECT_THAT(r.out, HasSubstr("more records match than the 100 shown; narrow the search to see "
                               "the others\n"));
}

TEST_F(ImportCliTest, RecordGetPrintsLabelledFieldsForPeople) {
  grpc::ClientContext ctx;
  v1::CreateRecordResponse created;
  ASSERT_TRUE(v1::RecordService::NewStub(server_->Channel("clerk"))
                  ->CreateRecord(&ctx, ExampleRecord(), &created)
                  .ok());
  const CliResult r = Clerk({"record", "get", created.record_id()});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, ::testing::ContainsRegex("Surname: +Kërqeli"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("Personal number: +1234567890"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("Offences: +06/L-074 art\\. 230 §1"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("Sentence: +imprisonment, 36 months"));
  EXPECT_THAT(r.out, HasSubstr(created.record_id()));
  for (const char* raw : {"personal_number", "court_id", "SENTENCE_TYPE", "BAN_TYPE", "article",
                          "\"person\"", "{"}) {
    EXPECT_THAT(r.out, Not(HasSubstr(raw))) << raw;
  }
}

// An import row whose names would file more name tokens than a record may is refused as the
// same row of a create is, naming person.aliases; the other rows are entered.
TEST_F(ImportRpcTest, ARowOfNamesOfTooManyWordsIsRefusedNamingTheAliases) {
  v1::ImportRecordsRequest req = TheExampleThenAnotherPersonsRow();
  v1::ImportRow* bad = req.mutable_rows(1);
  for (int i = 0; i < 10; ++i) {
    const std::string letter(1, static_cast<char>('a' + i));
    bad->mutable_record()->mutable_person()->add_aliases(
        absl::StrCat("K", letter, "ar K", letter, "br K", letter, "cr"));
  }
  v1::ImportRecordsResponse resp;
  ASSERT_TRUE(Import(req, &resp).ok());
  ASSERT_EQ(resp.results_size(), 2);
  EXPECT_EQ(resp.results(0).outcome(), Outcome::OUTCOME_CREATED) << resp.results(0).error();
  EXPECT_EQ(resp.results(1).outcome(), Outcome::OUTCOME_INVALID);
  EXPECT_THAT(resp.results(1).error(),
              HasSubstr("person.aliases: too many name words across the aliases"));
  EXPECT_THAT(resp.results(1).error(), Not(HasSubstr("Kabr")));
  EXPECT_TRUE(FindByPersonalNumber("4000000002").empty());
}

}  // namespace
}  // namespace registry::testing
