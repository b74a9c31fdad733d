// The audit commands of registry-cli against a real registryd (honest): the listing and the
// export raise no warning, since the server's decoded copies match the hashed bytes, and a full
// verification passes and is saved; the next one, from the saved head, passes too.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/cli.h"
#include "client/cli_output.pb.h"
#include "client/json_io.h"
#include "common/clock.h"
#include "common/time_format.h"
#include "crypto/ed25519.h"
#include "crypto/secret_bytes.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "registry/v1/audit.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/vetting.grpc.pb.h"
#include "tests/testing/cli_run.h"
#include "tests/testing/principals.h"
#include "tests/testing/server_credentials.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/test_server.h"

namespace registry::client {
namespace {

using ::registry::testing::CliArgsAs;
using ::registry::testing::CliRun;
using ::registry::testing::kCourtId;
using ::registry::testing::RunCliCaptured;
using ::registry::testing::TestServer;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class AuditCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = TestServer::Start();
    dir_ = testing::MakeTempDir("audit-commands-test");
    auto clerk = v1::RecordService::NewStub(server_->Channel("clerk"));
    auto court = v1::RecordService::NewStub(server_->Channel("court"));
    for (int i = 0; i < 3; ++i) {
      grpc::ClientContext create_context;
      v1::CreateRecordResponse created;
      ASSERT_TRUE(
          clerk->CreateRecord(&create_context, testing::FictionalRecord(i), &created).ok());
      grpc::ClientContext get_context;
      v1::GetRecordRequest get;
      get.set_record_id(created.record_id());
      get.mutable_purpose()->set_case_reference(absl::StrCat("PKR ", i, "/2026"));
      get.mutable_purpose()->set_purpose_code("criminal_proceedings");
      v1::GetRecordResponse got;
      ASSERT_TRUE(court->GetRecord(&get_context, get, &got).ok());
    }
  }

  void TearDown() override {
    server_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  CliRun Run(const std::vector<std::string>& command, bool json = false) {
    return RunCliCaptured(CliArgsAs(server_->address(), "auditor", command, json));
  }

  std::unique_ptr<TestServer> server_;
  std::string dir_;
};

TEST_F(AuditCommandsTest, ListOfAnHonestServerShowsEveryEventWithoutWarnings) {
  const CliRun run = Run({"audit", "list", "--all"});
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  const std::vector<std::string> lines = absl::StrSplit(run.out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 7u) << run.out;
  EXPECT_EQ(lines[0], "SEQ   TIME                  ROLE     METHOD                 OUTCOME");
  // Every event starts a line with its sequence number; its details follow, indented.
  uint64_t next = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (absl::StartsWith(lines[i], " ")) continue;
    EXPECT_THAT(lines[i], StartsWith(absl::StrCat(next, " "))) << run.out;
    ++next;
  }
  EXPECT_GE(next, 6u);
  EXPECT_THAT(run.out, HasSubstr("  court    GetRecord              OK\n"));
  // A write says the version it made.
  EXPECT_THAT(run.out, HasSubstr("version 1"));
  EXPECT_THAT(run.out, HasSubstr("purpose criminal_proceedings"));
  EXPECT_THAT(run.out, HasSubstr("case \"PKR 2/2026\""));
  EXPECT_THAT(run.out, HasSubstr(absl::StrCat("by ", kCourtId, " (basic-court-prishtine)")));
  EXPECT_THAT(run.out, Not(HasSubstr("/registry.v1.")));
  EXPECT_THAT(run.out, Not(HasSubstr("WARNING")));
  const CliRun json = Run({"audit", "list", "--all"}, /*json=*/true);
  EXPECT_EQ(json.code, 0) << json.err;
  EXPECT_EQ(json.err, "");
}

TEST_F(AuditCommandsTest, AVettingChecksIdIsInTheListAsTheEmployerQuotesIt) {
  // A REFER sends the employer to the registry with the check's id; the auditor finds that id
  // in the list people read, not only in --json.
  auto vetting = v1::VettingService::NewStub(server_->Channel("vetting"));
  grpc::ClientContext context;
  v1::VettingCheckResponse checked;
  ASSERT_TRUE(vetting
                  ->VettingCheck(&context,
                                 testing::CandidateOf(testing::FictionalRecord(0).person()),
                                 &checked)
                  .ok());
  ASSERT_FALSE(checked.check_id().empty());
  const CliRun run = Run({"audit", "list", "--action", "VettingCheck"});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr(absl::StrCat("check ", checked.check_id())));
}

TEST_F(AuditCommandsTest, ATimeReadOffTheListIsTakenBackByFromAndTo) {
  // An auditor narrows a list to a moment seen in it: the time column is what --from and --to
  // take, not another spelling of it that they refuse.
  const CliRun all = Run({"audit", "list", "--all"});
  ASSERT_EQ(all.code, 0) << all.err;
  const std::vector<std::string> lines = absl::StrSplit(all.out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u) << all.out;
  const std::vector<std::string> columns =
      absl::StrSplit(lines[1], ' ', absl::SkipEmpty());
  ASSERT_GE(columns.size(), 2u) << lines[1];
  const std::string time = columns[1];
  EXPECT_TRUE(ParseInstant(time).ok()) << time;
  const CliRun from = Run({"audit", "list", "--all", "--from", time});
  EXPECT_EQ(from.code, 0) << from.err;
  EXPECT_THAT(from.out, HasSubstr(absl::StrCat(" ", time, " "))) << from.out;
  // --to is exclusive: a second later holds the event.
  const absl::StatusOr<absl::Time> parsed = ParseInstant(time);
  ASSERT_TRUE(parsed.ok());
  const CliRun to =
      Run({"audit", "list", "--all", "--to", FormatInstant(*parsed + absl::Seconds(1), false)});
  EXPECT_EQ(to.code, 0) << to.err;
  EXPECT_THAT(to.out, HasSubstr(absl::StrCat(" ", time, " "))) << to.out;
}

TEST_F(AuditCommandsTest, ABatchFitsATerminalAndShowsItsTokensAndWhetherItWasADryRun) {
  // An import of 300 rows: one event naming 300 records and their tokens. Listed, it keeps to
  // terminal lines; the dry run that came first says it wrote nothing.
  auto clerk = v1::RecordService::NewStub(server_->Channel("clerk"));
  v1::ImportRecordsRequest import;
  for (int i = 0; i < 300; ++i) {
    v1::ImportRow* row = import.add_rows();
    row->set_line(static_cast<uint64_t>(i) + 2);
    *row->mutable_record() = testing::FictionalRecord(100 + i);
  }
  for (const bool dry_run : {true, false}) {
    import.set_dry_run(dry_run);
    grpc::ClientContext context;
    v1::ImportRecordsResponse imported;
    ASSERT_TRUE(clerk->ImportRecords(&context, import, &imported).ok());
  }
  const CliRun run = Run({"audit", "list", "--action", "ImportRecords"});
  EXPECT_EQ(run.code, 0) << run.err;
  const std::vector<std::string> lines = absl::StrSplit(run.out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 5u) << run.out;
  for (const std::string& line : lines) {
    EXPECT_LE(line.size(), 80u) << line;
  }
  EXPECT_THAT(lines[1], HasSubstr("  clerk    ImportRecords          OK"));
  EXPECT_THAT(run.out, HasSubstr("dry run: nothing written"));
  EXPECT_THAT(run.out, HasSubstr(" +299 more"));
  EXPECT_THAT(run.out, HasSubstr("tokens "));
  // Only the dry run is marked.
  const size_t marked = run.out.find("dry run: nothing written");
  const size_t second_event = run.out.find("ImportRecords", run.out.find("ImportRecords") + 1);
  EXPECT_LT(marked, second_event);
  EXPECT_EQ(run.out.find("dry run", second_event), std::string::npos);
  // A filter that matches nothing says so.
  const CliRun none = Run({"audit", "list", "--action", "ExpungeRecord", "--all"});
  EXPECT_EQ(none.code, 0) << none.err;
  EXPECT_EQ(none.out, "no events match\n");
  // A method name the API does not have is refused before anything is asked.
  const CliRun unknown = Run({"audit", "list", "--action", "DropRecords"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("--action: not a method of the API"));
  EXPECT_THAT(unknown.err, Not(HasSubstr("DropRecords")));
  // The value typed is not repeated: it may be a person's name.
  const CliRun named = Run({"audit", "list", "--action", "Arben Kerqeli"});
  EXPECT_EQ(named.code, 2);
  EXPECT_THAT(named.err, HasSubstr("--action: not a method of the API"));
  EXPECT_THAT(named.err, Not(HasSubstr("Kerqeli")));
  // A method typed in other capitals is answered with the method's name.
  const CliRun loose = Run({"audit", "list", "--action", "getrecord"});
  EXPECT_EQ(loose.code, 2);
  EXPECT_THAT(loose.err, HasSubstr("--action: not a method of the API (did you mean GetRecord?)"));
}

// "--actor clerk", the certificate's name or a URI cut short found nothing and said only "no
// events match": the filter is the whole identity, compared as it is. A value that cannot be an
// identity is a usage error (exit 2) saying what to give and where to find it, before anything is
// asked, and the value is not repeated (an actor typed by mistake may be a person's name). The
// same for the other filters that can never match: a record id of another shape, a method of
// the API that is not one, a window that ends before it starts.
TEST_F(AuditCommandsTest, AFilterValueThatCanNeverMatchIsAUsageErrorSayingWhatToGive) {
  for (const std::string& actor :
       {std::string("clerk"), std::string("dev-court"), std::string("Krasniqi Driton"),
        std::string("registry.kjc.dev/court/dev-court"), std::string("//registry.kjc.dev/court"),
        std::string(""), std::string("spiffe://"), std::string(300, 'a') + ":x"}) {
    const CliRun run = Run({"audit", "list", "--actor", actor});
    EXPECT_EQ(run.code, kExitUsage) << actor << ": " << run.err;
    EXPECT_EQ(run.out, "") << actor;
    EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: --actor must be a caller's whole "
                                    "identity URI"))
        << actor;
    EXPECT_THAT(run.err, HasSubstr("whoami")) << actor;
    EXPECT_THAT(run.err, HasSubstr("audit list")) << actor;
    EXPECT_THAT(run.err, Not(HasSubstr("Krasniqi"))) << actor;
    // The export takes the same filters.
    const CliRun exported =
        Run({"audit", "export", "--out", dir_ + "/x.jsonl", "--recipient", "IPA", "--reference",
             "IPA-1", "--actor", actor});
    EXPECT_EQ(exported.code, kExitUsage) << actor;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/x.jsonl"));
  }
  // The whole identity, as whoami prints it, finds the court's reads; the registry's own actors
  // are identities of the same shape.
  const CliRun court = Run({"audit", "list", "--actor", kCourtId, "--all"});
  EXPECT_EQ(court.code, 0) << court.err;
  EXPECT_THAT(court.out, HasSubstr("  court    GetRecord              OK\n"));
  const CliRun system = Run({"audit", "list", "--actor", "system:gate"});
  EXPECT_EQ(system.code, 0) << system.err;
  // A URI cut after its authority cannot be told from a whole one; when it finds nothing, the
  // answer says what --actor compares.
  const CliRun cut = Run({"audit", "list", "--actor", "spiffe://registry.kjc.dev/court"});
  EXPECT_EQ(cut.code, 0) << cut.err;
  EXPECT_EQ(cut.out, "no events match\n");
  EXPECT_THAT(cut.err, HasSubstr("--actor matches only a whole identity"));
  EXPECT_THAT(Run({"audit", "list", "--actor", "system:gates"}).err,
              HasSubstr("--actor matches only a whole identity"));
}

// A whole identity that did nothing, or a registry actor whose job has not run (the README's own
// `--actor system:gate`), is an answer: "no events match" without a note that would cast doubt
// on the identity typed.
TEST_F(AuditCommandsTest, AWholeIdentityThatMatchesNothingGetsNoNoteAboutWholeIdentities) {
  for (const char* actor : {"system:gate", "system:restore",
                            "spiffe://registry.kjc.dev/court/no-such-court"}) {
    const CliRun run = Run({"audit", "list", "--actor", actor});
    EXPECT_EQ(run.code, 0) << actor << ": " << run.err;
    EXPECT_EQ(run.out, "no events match\n") << actor;
    EXPECT_EQ(run.err, "") << actor;
  }

  // A record id is 32 characters 0-9 a-f: anything else (a personal number, a case number)
  // names no record; an id in capitals is the same id.
  for (const std::string& id : {std::string("1234567890"), std::string("P 88/2025"),
                                std::string(32, 'g'), std::string("")}) {
    const CliRun run = Run({"audit", "list", "--record-id", id});
    EXPECT_EQ(run.code, kExitUsage) << id << ": " << run.err;
    EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: --record-id must be a record id"))
        << id;
    if (!id.empty()) {
      EXPECT_THAT(run.err, Not(HasSubstr(id))) << id;
    }
  }
  const CliRun all = Run({"--json", "audit", "list", "--all", "--action", "GetRecord"});
  ASSERT_EQ(all.code, 0) << all.err;
  const size_t ids = all.out.find("\"record_ids\":[\"");
  ASSERT_NE(ids, std::string::npos) << all.out;
  const std::string record_id = all.out.substr(ids + 15, 32);
  std::string upper = record_id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const CliRun by_id = Run({"audit", "list", "--record-id", upper, "--all"});
  EXPECT_EQ(by_id.code, 0) << by_id.err;
  EXPECT_THAT(by_id.out, HasSubstr("GetRecord")) << record_id;

  // A full method name of the API that is no method of it; a window that ends before it starts.
  CliRun run = Run({"audit", "list", "--action", "/registry.v1.RecordService/GetRecords"});
  EXPECT_EQ(run.code, kExitUsage) << run.err;
  EXPECT_THAT(run.err, HasSubstr("--action: \"/registry.v1.RecordService/GetRecords\" is not a "
                                 "method of the API"));
  run = Run({"audit", "list", "--action", "/registry.v1.RecordService/GetRecord"});
  EXPECT_EQ(run.code, 0) << run.err;
  run = Run({"audit", "list", "--from", "2026-02-01T00:00:00Z", "--to", "2026-01-01T00:00:00Z"});
  EXPECT_EQ(run.code, kExitUsage) << run.err;
  EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: --from must be before --to"));
}

TEST_F(AuditCommandsTest, ListByCheckIdShowsThatChecksEventOnlyAsTheEmployerQuotesIt) {
  // Two checks: a REFER (the names do not match the registered person's) and another. The
  // employer quotes the REFER's id, from the certificate; the auditor lists by it.
  auto vetting = v1::VettingService::NewStub(server_->Channel("vetting"));
  v1::Person mismatch = testing::FictionalRecord(0).person();
  mismatch.set_given_name("Ylberzanaj");
  v1::VettingCheckResponse referred;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(
        vetting->VettingCheck(&context, testing::CandidateOf(mismatch), &referred).ok());
  }
  ASSERT_EQ(referred.result(), v1::VETTING_RESULT_REFER);
  ASSERT_EQ(referred.certificate().certificate().certificate_id(), referred.check_id());
  v1::VettingCheckResponse other;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(vetting
                    ->VettingCheck(&context,
                                   testing::CandidateOf(testing::FictionalRecord(1).person()),
                                   &other)
                    .ok());
  }
  const std::string id = referred.check_id();
  // The event lines of a list: those that do not start with a space, after the header.
  const auto event_lines = [](const std::string& out) {
    std::vector<std::string> events;
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
      if (!absl::StartsWith(line, " ") && !absl::StartsWith(line, "SEQ ")) {
        events.emplace_back(line);
      }
    }
    return events;
  };

  const CliRun run = Run({"audit", "list", "--check-id", id, "--all"});
  ASSERT_EQ(run.code, 0) << run.err;
  ASSERT_EQ(event_lines(run.out).size(), 1u) << run.out;
  EXPECT_THAT(event_lines(run.out)[0], HasSubstr("  vetting  VettingCheck           OK"));
  EXPECT_THAT(run.out, HasSubstr(absl::StrCat("check ", id)));
  EXPECT_THAT(run.out, Not(HasSubstr(other.check_id())));
  // Copied in capitals, it is the same id.
  std::string upper = id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const CliRun by_upper = Run({"audit", "list", "--check-id", upper});
  ASSERT_EQ(by_upper.code, 0) << by_upper.err;
  EXPECT_EQ(event_lines(by_upper.out), event_lines(run.out));

  // A list of the verified log filters the same way, here.
  const CliRun verified = Run({"audit", "list", "--verified", "--check-id", id, "--state",
                               dir_ + "/audit-state.json"});
  ASSERT_EQ(verified.code, 0) << verified.out << verified.err;
  EXPECT_EQ(event_lines(verified.out).size(), 2u) << verified.out;  // the event, the summary
  EXPECT_THAT(verified.out, StartsWith(run.out)) << verified.out;

  // The export takes it too, and holds that event only.
  const std::string path = dir_ + "/check.jsonl";
  const CliRun exported = Run({"audit", "export", "--out", path, "--recipient", "IPA",
                               "--reference", "IPA-2026-4", "--check-id", id});
  ASSERT_EQ(exported.code, 0) << exported.err;
  EXPECT_THAT(exported.out, HasSubstr("exported 1 entry to "));
  const std::string lines = testing::ReadFileOrDie(path);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 1);
  EXPECT_THAT(lines, HasSubstr(id));

  // The help says what the option is for.
  const CliRun help = Run({"audit", "list", "--help"});
  EXPECT_EQ(help.code, 0) << help.err;
  const std::string help_text =
      absl::StrJoin(absl::StrSplit(help.out, absl::ByAnyChar(" \n"), absl::SkipEmpty()), " ");
  EXPECT_THAT(help_text, HasSubstr("--check-id ID"));
  EXPECT_THAT(help_text, HasSubstr("the check id an employer quotes from a vetting certificate"));
}

TEST_F(AuditCommandsTest, ABadCheckIdIsAUsageErrorNamingTheOptionAndWhatItTakes) {
  // A check id is 32 characters 0-9 a-f: a personal number, a case number, an id cut short or
  // too long names no check, and is never repeated back.
  for (const std::string& id :
       {std::string("1234567890"), std::string("P 88/2025"), std::string(32, 'g'),
        std::string(31, 'a'), std::string(33, 'a'), std::string("")}) {
    const CliRun run = Run({"audit", "list", "--check-id", id});
    EXPECT_EQ(run.code, kExitUsage) << id << ": " << run.err;
    EXPECT_EQ(run.out, "") << id;
    EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: --check-id must be a check id: 32 "
                                    "characters 0-9 and a-f"))
        << id;
    if (!id.empty()) {
      EXPECT_THAT(run.err, Not(HasSubstr(id))) << id;
    }
    const CliRun verified = Run({"audit", "list", "--verified", "--check-id", id, "--state",
                                 dir_ + "/audit-state.json"});
    EXPECT_EQ(verified.code, kExitUsage) << id << ": " << verified.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/audit-state.json")) << id;
    const CliRun exported =
        Run({"audit", "export", "--out", dir_ + "/x.jsonl", "--recipient", "IPA", "--reference",
             "IPA-1", "--check-id", id});
    EXPECT_EQ(exported.code, kExitUsage) << id;
    EXPECT_THAT(exported.err, HasSubstr("--check-id must be a check id")) << id;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/x.jsonl"));
  }
}

TEST_F(AuditCommandsTest, ExportOfAnHonestServerRaisesNoWarning) {
  const std::string path = dir_ + "/export.jsonl";
  const CliRun run = Run({"audit", "export", "--out", path, "--recipient",
                          "Information and Privacy Agency", "--reference", "IPA-2026-1"});
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_THAT(run.out, StartsWith("exported "));
  EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(AuditCommandsTest, ExportWithJsonSaysHowManyEntriesWentToWhichFile) {
  const std::string path = dir_ + "/export.jsonl";
  const CliRun run = Run({"--json", "audit", "export", "--out", path, "--recipient",
                          "Information and Privacy Agency", "--reference", "IPA-2026-1"});
  EXPECT_EQ(run.code, 0) << run.err;
  AuditExportSummary summary;
  ASSERT_TRUE(ParseJson(run.out, "output", &summary).ok()) << run.out;
  EXPECT_EQ(summary.file(), path);
  EXPECT_EQ(summary.differing_entries(), 0u);
  // As many as the file holds, one entry per line.
  const std::string exported = testing::ReadFileOrDie(path);
  EXPECT_GT(summary.entries(), 0u);
  EXPECT_EQ(summary.entries(),
            static_cast<uint64_t>(std::count(exported.begin(), exported.end(), '\n')));
}

// With no results, --json printed nothing for vet history and audit list, but the answer with an
// empty list for record search: each prints its list, empty, so that "none" is an answer.
TEST_F(AuditCommandsTest, WithJsonNoResultsAreAnEmptyListAsRecordSearchPrintsThem) {
  const CliRun search = RunCliCaptured(CliArgsAs(
      server_->address(), "clerk", {"record", "search", "--personal-number", "1000000111"},
      /*json=*/true));
  ASSERT_EQ(search.code, 0) << search.err;
  EXPECT_THAT(search.out, HasSubstr("\"records\":[]"));
  const CliRun history = RunCliCaptured(CliArgsAs(
      server_->address(), "clerk",
      {"vet", "history", "--personal-number", "1000000111", "--request-ref", "DSR-2"},
      /*json=*/true));
  ASSERT_EQ(history.code, 0) << history.err;
  EXPECT_EQ(history.out, "{\"checks\":[]}\n");
  const CliRun list = Run({"audit", "list", "--action", "ExpungeRecord", "--all"}, true);
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(list.out, "{\"entries\":[]}\n");
  const CliRun verified = Run({"audit", "list", "--verified", "--action", "ExpungeRecord",
                               "--state", dir_ + "/audit-state.json"},
                              true);
  ASSERT_EQ(verified.code, 0) << verified.err;
  EXPECT_EQ(verified.out, "{\"entries\":[]}\n");
}

// --json names a status code as the text and the JSON errors do ("PERMISSION_DENIED", not 7):
// an audit event's outcome and a vetting check's status; and `record import --json --dry-run`
// ends with an object that says it was a dry run, with the counts the text's last line gives.
using JsonOutputTest = AuditCommandsTest;

TEST_F(JsonOutputTest, StatusCodesAreNamedAndAnImportEndsWithItsSummary) {
  // A refused call, for the log to hold a refusal.
  RunCliCaptured(CliArgsAs(server_->address(), "court", {"record", "create", "--file",
                                                          REGISTRY_SOURCE_DIR
                                                          "/deploy/examples/record.json"}));
  const CliRun list = Run({"audit", "list", "--all"}, /*json=*/true);
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr("\"outcome\":\"OK\""));
  EXPECT_THAT(list.out, HasSubstr("\"outcome\":\"PERMISSION_DENIED\""));
  EXPECT_THAT(list.out, Not(HasSubstr("\"outcome\":0")));

  const CliRun check = RunCliCaptured(CliArgsAs(
      server_->address(), "vetting",
      {"vet", "check", "--personal-number", "1000000999", "--surname", "Hoxha", "--given-name",
       "Besa", "--birth-date", "1990-01-02", "--position", "teacher", "--consent-ref", "C-9"}));
  ASSERT_EQ(check.code, 0) << check.err;
  const CliRun history = RunCliCaptured(
      CliArgsAs(server_->address(), "clerk",
                {"vet", "history", "--personal-number", "1000000999", "--request-ref", "DSR-1"},
                /*json=*/true));
  ASSERT_EQ(history.code, 0) << history.err;
  EXPECT_THAT(history.out, HasSubstr("\"status_code\":\"OK\"")) << history.out;

  const std::string file = dir_ + "/import.csv";
  std::filesystem::copy_file(REGISTRY_SOURCE_DIR "/deploy/examples/import.csv", file);
  const CliRun dry = RunCliCaptured(CliArgsAs(
      server_->address(), "clerk", {"record", "import", file, "--dry-run"}, /*json=*/true));
  EXPECT_NE(dry.code, kExitUsage) << dry.err;
  const std::vector<std::string> lines =
      absl::StrSplit(absl::StripSuffix(dry.out, "\n"), '\n');
  ASSERT_GE(lines.size(), 2u) << dry.out;
  EXPECT_THAT(lines.back(), StartsWith("{\"dry_run\":true,\"created\":\"0\",\"valid\":\""))
      << dry.out;
  EXPECT_THAT(lines.back(), HasSubstr("\"duplicates\":\"")) << dry.out;
  EXPECT_THAT(lines.back(), HasSubstr("\"invalid\":\"")) << dry.out;
}

// The refusals the audit log holds from `from` on, by action ("CreateRecord").
std::vector<std::string> RefusalsSince(TestServer& server, uint64_t from) {
  std::vector<std::string> refused;
  storage::AuditLog* log = server.server()->audit_log();
  for (uint64_t i = from; i < log->CurrentHead().size; ++i) {
    v1::AuditEvent event;
    EXPECT_TRUE(event.ParseFromString(*log->ReadEvent(i)));
    if (event.outcome() == 0) continue;
    refused.push_back(event.action().substr(event.action().rfind('/') + 1));
  }
  return refused;
}

// Reading help, or the record template, is not trying to enter a record: the reference data is
// listed only for a role that enters records (a clerk), so a judge, an employer, an auditor or an
// administrator who reads them leaves no refusal in the audit log, and is told why the lists are
// not there. A wrong-role `record create` makes the one refused call that it is.
TEST_F(AuditCommandsTest, HelpAndTheTemplateReadByAnotherRoleThanAClerkLeaveNoRefusal) {
  for (const char* role : {"court", "vetting", "auditor", "admin"}) {
    const uint64_t before = server_->server()->audit_log()->CurrentHead().size;
    for (const std::vector<std::string>& command :
         {std::vector<std::string>{"record", "create", "--help"},
          std::vector<std::string>{"record", "amend", "--help"},
          std::vector<std::string>{"record", "template"}}) {
      const CliRun run = RunCliCaptured(CliArgsAs(server_->address(), role, command));
      EXPECT_EQ(run.code, 0) << role << " " << command[1] << ": " << run.err;
      if (command.back() == "--help") {
        EXPECT_THAT(testing::Flowed(run.out),
                    HasSubstr(absl::StrCat("(the courts and offences a record may name are not "
                                           "listed: role ", role, " does not enter records; clerks "
                                           "do.)")))
            << role;
      }
    }
    EXPECT_THAT(RefusalsSince(*server_, before), ::testing::IsEmpty()) << role;
  }
  const uint64_t before = server_->server()->audit_log()->CurrentHead().size;
  const std::string example = REGISTRY_SOURCE_DIR "/deploy/examples/record.json";
  const CliRun create = RunCliCaptured(
      CliArgsAs(server_->address(), "court", {"record", "create", "--file", example}));
  EXPECT_NE(create.code, 0);
  EXPECT_EQ(RefusalsSince(*server_, before), std::vector<std::string>{"CreateRecord"});
  // A clerk's help still lists them.
  const CliRun clerk =
      RunCliCaptured(CliArgsAs(server_->address(), "clerk", {"record", "create", "--help"}));
  EXPECT_THAT(clerk.out, HasSubstr("\ncourts (--court):\n"));
}

// An earlier export at --out (handed to a recipient, perhaps) was replaced without a word. It is
// refused before the server is called, unless --overwrite says to replace it.
TEST_F(AuditCommandsTest, AnExportRefusesAnExistingFileUnlessToldToOverwriteIt) {
  const std::string path = dir_ + "/export.jsonl";
  std::ofstream(path) << "earlier export\n";
  const uint64_t events_before = server_->server()->audit_log()->CurrentHead().size;
  const CliRun refused = Run({"audit", "export", "--out", path, "--recipient", "IPA",
                              "--reference", "IPA-2026-1"});
  EXPECT_EQ(refused.code, kExitUsage);
  EXPECT_THAT(refused.err,
              StartsWith(absl::StrCat("error: INVALID_ARGUMENT: --out ", path,
                                      ": the file exists; choose another name or remove it "
                                      "(--overwrite replaces it)\n")));
  EXPECT_EQ(testing::ReadFileOrDie(path), "earlier export\n");
  EXPECT_EQ(server_->server()->audit_log()->CurrentHead().size, events_before);

  const CliRun replaced = Run({"audit", "export", "--out", path, "--overwrite", "--recipient",
                               "IPA", "--reference", "IPA-2026-1"});
  EXPECT_EQ(replaced.code, 0) << replaced.err;
  EXPECT_THAT(testing::ReadFileOrDie(path), Not(HasSubstr("earlier export")));
}

// "--from 2026-12-06" was refused as not an RFC 3339 instant: a date is the whole day, in UTC.
TEST_F(AuditCommandsTest, ADateAloneIsTakenAsTheWholeDayInUtc) {
  const std::string today = absl::FormatTime("%Y-%m-%d", absl::Now(), absl::UTCTimeZone());
  const std::string yesterday =
      absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(24), absl::UTCTimeZone());
  const CliRun from_today = Run({"audit", "list", "--all", "--from", today});
  ASSERT_EQ(from_today.code, 0) << from_today.err;
  EXPECT_THAT(from_today.out, HasSubstr("  court    GetRecord              OK\n"));
  // --to a day includes that day: up to its end.
  const CliRun to_today = Run({"audit", "list", "--all", "--from", today, "--to", today});
  ASSERT_EQ(to_today.code, 0) << to_today.err;
  EXPECT_THAT(to_today.out, HasSubstr("  court    GetRecord              OK\n"));
  const CliRun to_yesterday = Run({"audit", "list", "--all", "--to", yesterday});
  ASSERT_EQ(to_yesterday.code, 0) << to_yesterday.err;
  EXPECT_EQ(to_yesterday.out, "no events match\n");
  const CliRun not_a_day = Run({"audit", "list", "--from", "2026-02-30"});
  EXPECT_EQ(not_a_day.code, kExitUsage);
}

// "--action GetRecrod" said only "e.g. GetRecord": the method it misses is named (our word, never
// the one typed).
TEST_F(AuditCommandsTest, AnActionThatIsANearMissOfAMethodNamesTheMethod) {
  for (const std::string& typed : {std::string("GetRecrod"), std::string("SearchRecord"),
                                   std::string("getrecod")}) {
    const CliRun run = Run({"audit", "list", "--action", typed});
    EXPECT_EQ(run.code, kExitUsage) << typed;
    EXPECT_THAT(run.err, HasSubstr("not a method of the API (did you mean ")) << typed;
    EXPECT_THAT(run.err, Not(HasSubstr(absl::StrCat("\"", typed, "\"")))) << typed;
    EXPECT_THAT(run.err, Not(HasSubstr("GetRecrod"))) << typed;
  }
  EXPECT_THAT(Run({"audit", "list", "--action", "GetRecrod"}).err,
              HasSubstr("(did you mean GetRecord?)"));
  EXPECT_THAT(Run({"audit", "list", "--action", "SearchRecord"}).err,
              HasSubstr("(did you mean SearchRecords?)"));
}

// Between registry-cli and the registry: every call the verification makes is passed on as it
// is, while the export's stream is changed as `tamper` says.
class ExportRelay final : public v1::AuditService::Service {
 public:
  enum class Tamper { kNone, kLeaveOutLast, kChangeBytes, kRepeat, kChangeDecodedCopy };

  ExportRelay(std::shared_ptr<grpc::Channel> upstream, Tamper tamper)
      : upstream_(v1::AuditService::NewStub(std::move(upstream))), tamper_(tamper) {}

  grpc::Status GetSignedTreeHead(grpc::ServerContext*, const v1::GetSignedTreeHeadRequest* req,
                                 v1::SignedTreeHead* resp) override {
    return Forward(&v1::AuditService::Stub::GetSignedTreeHead, *req, resp);
  }
  grpc::Status GetConsistencyProof(grpc::ServerContext*, const v1::GetConsistencyProofRequest* req,
                                   v1::ConsistencyProof* resp) override {
    return Forward(&v1::AuditService::Stub::GetConsistencyProof, *req, resp);
  }
  grpc::Status GetInclusionProof(grpc::ServerContext*, const v1::GetInclusionProofRequest* req,
                                 v1::InclusionProof* resp) override {
    return Forward(&v1::AuditService::Stub::GetInclusionProof, *req, resp);
  }
  grpc::Status GetAuditPublicKey(grpc::ServerContext*, const v1::GetAuditPublicKeyRequest* req,
                                 v1::PublicKey* resp) override {
    return Forward(&v1::AuditService::Stub::GetAuditPublicKey, *req, resp);
  }
  grpc::Status GetPrunedPrefix(grpc::ServerContext*, const v1::GetPrunedPrefixRequest* req,
                               v1::PrunedPrefix* resp) override {
    return Forward(&v1::AuditService::Stub::GetPrunedPrefix, *req, resp);
  }
  grpc::Status StreamAuditBatches(grpc::ServerContext*, const v1::StreamAuditBatchesRequest* req,
                                  grpc::ServerWriter<v1::AuditBatch>* writer) override {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::AuditBatch>> reader =
        upstream_->StreamAuditBatches(&context, *req);
    for (v1::AuditBatch batch; reader->Read(&batch);) writer->Write(batch);
    return reader->Finish();
  }
  grpc::Status ExportAuditEvents(grpc::ServerContext*, const v1::ExportAuditEventsRequest* req,
                                 grpc::ServerWriter<v1::AuditEntry>* writer) override {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::AuditEntry>> reader =
        upstream_->ExportAuditEvents(&context, *req);
    std::vector<v1::AuditEntry> entries;
    for (v1::AuditEntry entry; reader->Read(&entry);) entries.push_back(entry);
    grpc::Status finished = reader->Finish();
    if (!finished.ok()) return finished;
    if (entries.size() < 2) return grpc::Status(grpc::StatusCode::INTERNAL, "too few entries");
    switch (tamper_) {
      case Tamper::kNone:
        break;
      case Tamper::kLeaveOutLast:
        entries.pop_back();
        break;
      case Tamper::kChangeBytes: {
        // The decoded copy is changed alike, so only the bytes' check can tell.
        v1::AuditEntry& changed = entries[entries.size() - 2];
        changed.mutable_event()->set_outcome(
            static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
        changed.set_event_bytes(changed.event().SerializeAsString());
        break;
      }
      case Tamper::kRepeat:
        entries.insert(entries.begin() + 1, entries.front());
        break;
      case Tamper::kChangeDecodedCopy:
        // The bytes stay the log's; only the copy the file would hold for people to read lies.
        entries.front().mutable_event()->set_actor("spiffe://registry.kjc.dev/clerk/dev-clerk");
        break;
    }
    for (const v1::AuditEntry& entry : entries) writer->Write(entry);
    return grpc::Status::OK;
  }

 private:
  // A unary call passed on to the registry as it came.
  template <typename Request, typename Response>
  grpc::Status Forward(grpc::Status (v1::AuditService::Stub::*method)(grpc::ClientContext*,
                                                                       const Request&, Response*),
                       const Request& request, Response* response) {
    grpc::ClientContext context;
    return (upstream_.get()->*method)(&context, request, response);
  }

  std::unique_ptr<v1::AuditService::Stub> upstream_;
  const Tamper tamper_;
};

// `audit export --verified` keeps the export only if it holds, below the verified head, exactly
// the verified events the filter selects, byte for byte: one left out, changed or repeated by
// whoever answers leaves no file, and the state of the verification is kept as audit verify
// keeps it.
TEST_F(AuditCommandsTest, AVerifiedExportIsKeptOnlyWhenItHoldsExactlyTheVerifiedEvents) {
  const std::string state = dir_ + "/audit-state.json";
  const std::vector<std::string> export_args = {
      "audit", "export", "--verified", "--action", "GetRecord", "--recipient",
      "Information and Privacy Agency", "--reference", "IPA-2026-2", "--state", state};
  const auto run_at = [&](const std::string& address, const std::string& out) {
    std::vector<std::string> command = export_args;
    command.insert(command.end(), {"--out", out});
    return RunCliCaptured(CliArgsAs(address, "auditor", command, /*json=*/false));
  };

  const std::string honest_path = dir_ + "/honest.jsonl";
  const CliRun honest = run_at(server_->address(), honest_path);
  ASSERT_EQ(honest.code, 0) << honest.out << honest.err;
  EXPECT_THAT(honest.out, HasSubstr("exported 3 entries to "));
  EXPECT_THAT(honest.out, HasSubstr("that matches is in the export, byte for byte\n"));
  const std::string exported = testing::ReadFileOrDie(honest_path);
  EXPECT_EQ(std::count(exported.begin(), exported.end(), '\n'), 3);
  // With --json the summary says at which head the export was verified.
  {
    std::vector<std::string> command = export_args;
    command.insert(command.end(), {"--out", dir_ + "/json.jsonl"});
    const CliRun json = RunCliCaptured(CliArgsAs(server_->address(), "auditor", command, true));
    ASSERT_EQ(json.code, 0) << json.err;
    AuditExportSummary summary;
    ASSERT_TRUE(ParseJson(json.out, "output", &summary).ok()) << json.out;
    EXPECT_EQ(summary.entries(), 3u);
    EXPECT_TRUE(summary.has_verified_tree_size());
    EXPECT_GT(summary.verified_tree_size(), 3u);
    EXPECT_TRUE(summary.has_unchecked_newer_entries());
  }

  struct Case {
    ExportRelay::Tamper tamper;
    std::string says;
  };
  const std::vector<Case> cases = {
      {ExportRelay::Tamper::kNone, ""},
      {ExportRelay::Tamper::kLeaveOutLast, "it leaves out entry "},
      {ExportRelay::Tamper::kChangeBytes, " is not the verified event's bytes"},
      {ExportRelay::Tamper::kRepeat, "which the verified log does not have there"},
      {ExportRelay::Tamper::kChangeDecodedCopy, "decoded copy is not what its verified bytes say"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.says);
    ExportRelay relay(server_->Channel("auditor"), c.tamper);
    int port = 0;
    std::unique_ptr<grpc::Server> relay_server =
        registry::testing::StartFakeRegistry({&relay}, &port);
    ASSERT_NE(relay_server, nullptr);
    const std::string path = dir_ + "/relayed.jsonl";
    const CliRun run = run_at(absl::StrCat("127.0.0.1:", port), path);
    if (c.says.empty()) {
      EXPECT_EQ(run.code, 0) << run.err;
      EXPECT_TRUE(std::filesystem::exists(path));
      std::filesystem::remove(path);
    } else {
      EXPECT_EQ(run.code, 1) << run.out;
      EXPECT_THAT(run.err, HasSubstr("DATA_LOSS: the export differs from the verified audit log"));
      EXPECT_THAT(run.err, HasSubstr(c.says));
      EXPECT_FALSE(std::filesystem::exists(path));
    }
    relay_server->Shutdown();
  }

  // The verification's own options go with --verified only.
  const CliRun stray = Run({"audit", "export", "--out", dir_ + "/stray.jsonl", "--recipient",
                            "IPA", "--reference", "IPA-2026-3", "--state", state});
  EXPECT_EQ(stray.code, 2);
  EXPECT_THAT(stray.err, HasSubstr("--state goes with --verified"));
}

TEST_F(AuditCommandsTest, FullVerificationPassesAndTheNextStartsFromTheSavedHead) {
  // --state's folder must be there, as --out's must: a mistyped one is not made.
  std::filesystem::create_directories(dir_ + "/state");
  const std::string state = dir_ + "/state/audit-state.json";
  const CliRun first = Run({"audit", "verify", "--full", "--state", state});
  EXPECT_EQ(first.code, 0) << first.err;
  EXPECT_THAT(first.out, StartsWith("verified: "));
  EXPECT_THAT(first.err, HasSubstr("on first use"));
  // That nothing earlier was compared is said, naming the state file: a mistyped --state path
  // would otherwise turn rollback detection off unseen.
  EXPECT_THAT(first.err, HasSubstr(absl::StrCat("the first verification of this log with the "
                                                "state file ", state)));
  const CliRun second = Run({"audit", "verify", "--full", "--state", state, "--clock-skew", "60"});
  EXPECT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(second.err, "");
}

// A state file that cannot be written (a full disk, a folder not there) hid the verdict: only the
// write's error was printed, and the auditor could not tell whether the log verified. The
// verdict is printed first, then why the state was not saved, and the run exits 1. Whatever
// stopped the write, the auditor was told to "make room": that is said for a full disk or quota
// only (FileErrorTest.OnlyAFullDiskOrAUsedUpQuotaIsOutOfSpace), else the reason alone.
TEST_F(AuditCommandsTest, AStateThatCannotBeSavedStillPrintsTheVerdictBeforeTheError) {
  // The state's lock file cannot be opened (a folder in its place): the state is written after
  // the log verified, and fails then, as a full disk does.
  const std::string state = dir_ + "/audit-state.json";
  std::filesystem::create_directories(state + ".lock");
  const CliRun run = Run({"audit", "verify", "--full", "--state", state});
  EXPECT_EQ(run.code, 1) << run.err;
  EXPECT_THAT(run.out, StartsWith("verified: audit log "));
  EXPECT_THAT(run.out, HasSubstr("every one checked"));
  EXPECT_THAT(run.err, HasSubstr("error: "));
  EXPECT_THAT(run.err, HasSubstr("the audit log verified (as printed), but its state could not "
                                 "be saved: "));
  EXPECT_THAT(run.err, HasSubstr("run audit verify again"));
  EXPECT_THAT(testing::Flowed(run.err),
              HasSubstr(absl::StrCat("cannot open the audit state's lock file ", state,
                                     ".lock: Is a directory; the next verification cannot be "
                                     "compared with this head: correct what stopped the write "
                                     "(or give another --state)")));
  EXPECT_THAT(run.err, Not(HasSubstr("make room")));
  // Nothing says later runs are compared with a head that was not kept.
  EXPECT_THAT(run.err, Not(HasSubstr("later runs with this file are compared")));
  EXPECT_FALSE(std::filesystem::exists(state));
  const CliRun json = Run({"audit", "verify", "--state", state}, true);
  EXPECT_EQ(json.code, 1) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"tree_size\""));
  EXPECT_THAT(json.err, HasSubstr("its state could not be saved"));
}

// Another key than the audit log's given with --public-key (the vetting key, say) is no verdict,
// exit 2 as certificate verify's "another key": nothing was checked against a key the user
// trusts. The message says the key given is not the registry's audit key, names no key to trust,
// and warns that a forged log would match the registry's answer too.
TEST_F(AuditCommandsTest, AnotherKeyThanTheAuditKeyIsNoVerdictSayingTheKeyIsNotTheAuditKey) {
  auto other = crypto::Ed25519Signer::FromSeed(crypto::SecretBytes(std::string(32, 'v')));
  ASSERT_TRUE(other.ok()) << other.status();
  const std::string key = dir_ + "/vetting.pem";
  std::ofstream(key) << (*other)->PublicKeyPem();
  const std::string state = dir_ + "/state.json";
  const CliRun run = Run({"audit", "verify", "--public-key", key, "--state", state});
  EXPECT_EQ(run.code, kExitUsage) << run.err;
  EXPECT_THAT(run.err, StartsWith(absl::StrCat("error: INVALID_ARGUMENT: --public-key ", key,
                                               " holds key ", (*other)->key_id(),
                                               ", which is not the registry's audit key")));
  EXPECT_THAT(testing::Flowed(run.err), HasSubstr("a forged log would also match"));
  EXPECT_THAT(run.err, Not(HasSubstr("trusted audit key")));
  const CliRun json = Run({"audit", "verify", "--public-key", key, "--state", state}, true);
  EXPECT_EQ(json.code, kExitUsage);
  EXPECT_THAT(json.err, HasSubstr("which is not the registry's audit key"));
  // The right key: no hint, and the log verifies.
  const CliRun pinned = Run({"audit", "verify", "--state", state});
  EXPECT_EQ(pinned.code, 0) << pinned.err;
}

// `audit list --verified` lists what the server's own filtered list shows, but from the log it
// verified whole and filtered here: the server is never asked to list, so it never learns the
// filter, and an event it left out or changed could not pass.
TEST_F(AuditCommandsTest, AVerifiedListFiltersTheVerifiedLogHereAndNeverAsksTheServerToList) {
  const std::string state = dir_ + "/audit-state.json";
  const CliRun verified =
      Run({"audit", "list", "--verified", "--action", "GetRecord", "--state", state});
  ASSERT_EQ(verified.code, 0) << verified.out << verified.err;
  EXPECT_TRUE(std::filesystem::exists(state));
  const std::string::size_type last = verified.out.rfind("verified: listed from audit log ");
  ASSERT_NE(last, std::string::npos) << verified.out;
  EXPECT_THAT(verified.out.substr(last),
              HasSubstr("every one checked against its signed root and filtered here\n"));
  // Nothing was asked of ListAuditEvents yet.
  const CliRun lists = Run({"audit", "list", "--action", "ListAuditEvents"});
  EXPECT_EQ(lists.out, "no events match\n") << lists.err;

  const CliRun listed = Run({"audit", "list", "--action", "GetRecord"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_EQ(verified.out.substr(0, last), listed.out);
  size_t shown = 0;
  for (absl::string_view line : absl::StrSplit(listed.out, '\n')) {
    if (absl::StrContains(line, "  court    GetRecord              OK")) ++shown;
  }
  EXPECT_EQ(shown, 3u) << listed.out;

  // --page-size bounds what is shown and says how many more match; --json prints entries only.
  const CliRun page =
      Run({"audit", "list", "--verified", "--action", "GetRecord", "--state", state,
           "--page-size", "2"});
  EXPECT_EQ(page.code, 0) << page.err;
  EXPECT_THAT(page.err, HasSubstr("1 more event matches: add --all to list them all"));
  const CliRun json = Run({"audit", "list", "--verified", "--action", "GetRecord", "--state",
                           state, "--all"},
                          /*json=*/true);
  ASSERT_EQ(json.code, 0) << json.err;
  const std::vector<std::string> lines = absl::StrSplit(json.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << json.out;
  for (const std::string& line : lines) {
    // The outcome is named, as the text names it; the rest is the API's AuditEntry.
    EXPECT_THAT(line, HasSubstr("\"outcome\":\"OK\""));
    v1::AuditEntry entry;
    ASSERT_TRUE(ParseJson(absl::StrReplaceAll(line, {{"\"outcome\":\"OK\"", "\"outcome\":0"}}),
                          "line", &entry)
                    .ok())
        << line;
    EXPECT_EQ(entry.event().action(), "/registry.v1.RecordService/GetRecord");
    v1::AuditEvent hashed;
    ASSERT_TRUE(hashed.ParseFromString(entry.event_bytes()));
    EXPECT_EQ(hashed.sequence(), entry.index());
  }

  // The verification's own options go with --verified only.
  const CliRun stray = Run({"audit", "list", "--state", state});
  EXPECT_EQ(stray.code, 2);
  EXPECT_THAT(stray.err, HasSubstr("--state goes with --verified"));
}

// A log whose oldest events audit retention deleted: the server's clock starts 400 days back,
// a thousand-odd calls are made then, the clock moves to now and a retention of 365 days prunes
// them. `audit verify --full` passes and says how many were pruned, up to when, and how many
// retained events it verified.
class PrunedAuditCommandsTest : public AuditCommandsTest {
 protected:
  void SetUp() override {
    server_ = TestServer::StartPruningAudit(&clock_);
    dir_ = testing::MakeTempDir("audit-commands-test");
    auto auditor = v1::AuditService::NewStub(server_->Channel("auditor"));
    for (int i = 0; i < 1100; ++i) {
      grpc::ClientContext context;
      v1::PublicKey key;
      ASSERT_TRUE(auditor->GetAuditPublicKey(&context, {}, &key).ok());
    }
    newest_old_ = FormatInstant(clock_.Now(), /*micros=*/true);
    clock_.Set(absl::Now());
    absl::StatusOr<uint64_t> pruned = server_->server()->RunAuditRetentionOnce();
    ASSERT_TRUE(pruned.ok()) << pruned.status();
    pruned_ = *pruned;
    ASSERT_GE(pruned_, 1100u);
  }

  FakeClock clock_{absl::Now() - absl::Hours(24 * 400)};
  std::string newest_old_;
  uint64_t pruned_ = 0;
};

TEST_F(PrunedAuditCommandsTest, FullVerificationSaysHowManyEventsWerePrunedAndUpToWhen) {
  std::filesystem::create_directories(dir_ + "/state");
  const std::string state = dir_ + "/state/audit-state.json";
  const CliRun run = Run({"audit", "verify", "--full", "--state", state});
  ASSERT_EQ(run.code, 0) << run.err;
  const std::vector<std::string> lines = absl::StrSplit(run.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << run.out;
  ASSERT_EQ(pruned_, 1100u);
  // The head is signed at the run's first call: the pruned events and the pruning's own record.
  EXPECT_EQ(lines[0], absl::StrCat("verified: audit log ", server_->server()->audit_log_id(),
                                   ", 1101 events"));
  EXPECT_THAT(lines[1], StartsWith("root: "));
  EXPECT_EQ(lines[2], absl::StrCat("pruned: 1,100 events, up to ", newest_old_,
                                   " (retention 365 days); verified 1 retained event"));
  // The next run also verifies the calls of the first.
  const CliRun again = Run({"audit", "verify", "--full", "--state", state});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr(" retained events\n"));

  // Without --full the prefix is checked and reported, the retained events are not fetched.
  const CliRun quick = Run({"audit", "verify", "--state", state});
  ASSERT_EQ(quick.code, 0) << quick.err;
  EXPECT_THAT(quick.out, HasSubstr(absl::StrCat(
                             "pruned: 1,100 events, up to ", newest_old_,
                             " (retention 365 days); retained events not downloaded (--full "
                             "checks them)")));
}

// `audit list` shows the record of a pruning with what it deleted.
TEST_F(PrunedAuditCommandsTest, ListStartsAtTheBoundaryAndShowsThePruning) {
  const CliRun run = Run({"audit", "list"});
  ASSERT_EQ(run.code, 0) << run.err;
  // After the header, the first event listed is the first retained one.
  const std::vector<std::string> lines = absl::StrSplit(run.out, '\n', absl::SkipEmpty());
  ASSERT_GE(lines.size(), 2u) << run.out;
  EXPECT_THAT(lines[1], StartsWith(absl::StrCat(pruned_, " ")));
  EXPECT_THAT(run.out, HasSubstr("by system:audit-retention"));
  EXPECT_THAT(run.out, HasSubstr(absl::StrCat("pruned [0,", pruned_, ") up to ", newest_old_,
                                              ", retention 365 days")));
}

TEST_F(AuditCommandsTest, AStateFileOfAnotherServerIsAnotherLogNotATruncation) {
  // The state file follows this server's log (some events long); another dev server, with its
  // own keys and a shorter log, is verified with the same file: a note, a state of its own, and
  // exit 0. Back here, the first log is still checked against its own state.
  const std::string state = dir_ + "/audit-state.json";
  const CliRun first = Run({"audit", "verify", "--state", state});
  ASSERT_EQ(first.code, 0) << first.err;
  auto other = TestServer::Start();
  const CliRun run = RunCliCaptured(
      CliArgsAs(other->address(), "auditor", {"audit", "verify", "--state", state, "--full"}));
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out,
              StartsWith(absl::StrCat("verified: audit log ", other->server()->audit_log_id())));
  EXPECT_THAT(run.err,
              HasSubstr(absl::StrCat("note: this is audit log ", other->server()->audit_log_id(),
                                     " at ", other->address())));
  EXPECT_THAT(run.err, HasSubstr(absl::StrCat("it knew log ", server_->server()->audit_log_id(),
                                              " at ", server_->address())));
  EXPECT_THAT(run.err, Not(HasSubstr("truncated")));
  EXPECT_THAT(run.err, Not(HasSubstr("WARNING")));
  const CliRun again = Run({"audit", "verify", "--state", state, "--full"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.err, "");
}

// The audit key of a log verified before signing another log was warned of once (exit 1), and
// the new log saved: the next run, a daily job's or the console's with the same file, exited 0
// saying nothing. The warning comes back, exit 1, until the new log is accepted by its id with
// --accept-new-log; the earlier log's state stays in the file.
TEST_F(AuditCommandsTest, AReplacedLogIsWarnedOfAtEveryRunUntilAcceptedByItsId) {
  const std::string state = dir_ + "/audit-state.json";
  ASSERT_EQ(Run({"audit", "verify", "--state", state}).code, 0);
  // As if this key had signed another log before: the server's log is now a new one under it.
  const std::string log_id = server_->server()->audit_log_id();
  const std::string earlier(32, 'f');
  std::ifstream in(state);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_THAT(text, HasSubstr(log_id));
  std::ofstream(state, std::ios::trunc) << absl::StrReplaceAll(text, {{log_id, earlier}});
  std::ifstream replaced_in(state);
  const std::string replaced((std::istreambuf_iterator<char>(replaced_in)),
                             std::istreambuf_iterator<char>());

  for (int run = 0; run < 2; ++run) {
    const CliRun warned = Run({"audit", "verify", "--state", state, "--full"});
    EXPECT_EQ(warned.code, 1) << "run " << run << ": " << warned.err;
    const std::string said = testing::Flowed(warned.err);
    EXPECT_THAT(said, HasSubstr(absl::StrCat("that signed log ", earlier)));
    // With the --state given: "audit verify --accept-new-log ID" checked the default file.
    EXPECT_THAT(said, HasSubstr(absl::StrCat("audit verify --state ", state,
                                             " --accept-new-log ", log_id)));
    EXPECT_THAT(said, Not(HasSubstr("later runs with this file are compared")));
    std::ifstream now_in(state);
    EXPECT_EQ(std::string((std::istreambuf_iterator<char>(now_in)),
                          std::istreambuf_iterator<char>()),
              replaced)
        << "run " << run << ": the state file keeps the earlier log only";
  }
  const CliRun typo = Run({"audit", "verify", "--state", state, "--accept-new-log", "L2"});
  EXPECT_EQ(typo.code, kExitUsage) << typo.err;
  EXPECT_THAT(testing::Flowed(typo.err),
              HasSubstr("--accept-new-log takes the log id the warning names"));
  const CliRun other =
      Run({"audit", "verify", "--state", state, "--accept-new-log", std::string(32, 'e')});
  EXPECT_EQ(other.code, kExitUsage) << other.err;
  EXPECT_THAT(testing::Flowed(other.err), HasSubstr("--accept-new-log names another log"));
  EXPECT_THAT(testing::Flowed(other.err), Not(HasSubstr(std::string(32, 'e'))));

  const CliRun accepted = Run({"audit", "verify", "--state", state, "--accept-new-log", log_id});
  EXPECT_EQ(accepted.code, 0) << accepted.err;
  EXPECT_THAT(testing::Flowed(accepted.err),
              HasSubstr(absl::StrCat("accepted as a new log with --accept-new-log ", log_id)));
  EXPECT_THAT(testing::Flowed(accepted.err), Not(HasSubstr("WARNING")));
  std::ifstream saved_in(state);
  const std::string saved((std::istreambuf_iterator<char>(saved_in)),
                          std::istreambuf_iterator<char>());
  EXPECT_THAT(saved, HasSubstr(earlier)) << "the earlier log's record is kept";
  EXPECT_THAT(saved, HasSubstr(log_id));
  const CliRun again = Run({"audit", "verify", "--state", state});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.err, "");
  EXPECT_THAT(Run({"audit", "verify", "--help"}).out, HasSubstr("--accept-new-log LOG_ID"));
}

// The text each line of `err` holds under `kind` ("note", "warning"), failing the test for a line
// that is not one JSON object of one such string: with --json, stderr is JSON lines only.
std::vector<std::string> JsonRemarks(const std::string& err, const std::string& kind) {
  std::vector<std::string> texts;
  for (absl::string_view line : absl::StrSplit(err, '\n', absl::SkipEmpty())) {
    google::protobuf::Struct object;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line), &object).ok())
        << "not JSON: " << line;
    EXPECT_EQ(object.fields_size(), 1) << line;
    for (const auto& [key, value] : object.fields()) {
      EXPECT_TRUE(key == "note" || key == "warning") << line;
      EXPECT_EQ(value.kind_case(), google::protobuf::Value::kStringValue) << line;
      if (key == kind) texts.push_back(value.string_value());
    }
  }
  return texts;
}

// With --json, "more events follow: add --all to list them all" and verify's "note: ..." lines
// were plain text on stderr, beside errors that are {"error":{...}}. Every note is now
// {"note":"..."} (a warning {"warning":"..."}), one a line; without --json they read as before.
TEST_F(AuditCommandsTest, WithJsonTheNotesOnStderrAreJsonObjects) {
  const CliRun page = Run({"audit", "list", "--page-size", "3"}, /*json=*/true);
  ASSERT_EQ(page.code, 0) << page.err;
  EXPECT_THAT(JsonRemarks(page.err, "note"),
              ::testing::ElementsAre("more events follow: add --all to list them all"));
  const CliRun text = Run({"audit", "list", "--page-size", "3"});
  EXPECT_EQ(text.err, "note: more events follow: add --all to list them all\n");

  const std::string state = dir_ + "/audit-state.json";
  const CliRun verify = Run({"audit", "verify", "--state", state}, /*json=*/true);
  ASSERT_EQ(verify.code, 0) << verify.err;
  const std::vector<std::string> notes = JsonRemarks(verify.err, "note");
  ASSERT_FALSE(notes.empty()) << verify.err;
  EXPECT_THAT(notes, ::testing::Contains(HasSubstr(absl::StrCat(
                         "the first verification of this log with the state file ", state))));
  EXPECT_THAT(verify.err, Not(HasSubstr("note: ")));

  const CliRun verified = Run({"audit", "list", "--verified", "--action", "GetRecord",
                               "--state", state, "--page-size", "2"},
                              /*json=*/true);
  ASSERT_EQ(verified.code, 0) << verified.err;
  EXPECT_THAT(JsonRemarks(verified.err, "note"),
              ::testing::Contains("1 more event matches: add --all to list them all"));
}

}  // namespace
}  // namespace registry::client
