// registry-cli against a server whose answers the test scripts: answers a real registry gives
// rarely or only after much setup (a search cut at 100 records, a revoked certificate, an import
// batch that runs out of time), and how the client says them.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "client/cli.h"
#include "client/terminal_text.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "google/protobuf/util/json_util.h"
#include "registry/v1/admin.grpc.pb.h"
#include "registry/v1/info.grpc.pb.h"
#include "registry/v1/records.grpc.pb.h"
#include "registry/v1/reference.pb.h"
#include "tests/testing/cli_run.h"
#include "tests/testing/server_credentials.h"
#include "tests/testing/test_pki.h"

namespace registry::client {
namespace {

using ::registry::testing::CliArgsAs;
using ::registry::testing::CliRun;
using ::registry::testing::Flowed;
using ::registry::testing::RunCliCaptured;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class ScriptedRecords final : public v1::RecordService::Service {
 public:
  // 100 records of one fictional name, and more that match.
  grpc::Status SearchRecords(grpc::ServerContext*, const v1::SearchRecordsRequest*,
                             v1::SearchRecordsResponse* response) override {
    for (int i = 0; i < 100; ++i) {
      v1::Record* record = response->add_records();
      record->mutable_metadata()->set_record_id(
          absl::StrCat("0123456789abcdef0123456789ab", 1000 + i));
      record->mutable_person()->set_surname("Krasniqi");
      record->mutable_person()->set_given_name("Driton");
    }
    response->set_more_records(true);
    return grpc::Status::OK;
  }
  // As registryd answers a certificate on its revocation list (server/call_gate.cc).
  grpc::Status GetRecord(grpc::ServerContext*, const v1::GetRecordRequest*,
                         v1::GetRecordResponse*) override {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "client certificate is revoked");
  }
  grpc::Status ImportRecords(grpc::ServerContext*, const v1::ImportRecordsRequest*,
                             v1::ImportRecordsResponse*) override {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded");
  }
  // As gRPC answers a message over the channel's limit (8 MiB).
  grpc::Status GetRecordHistory(grpc::ServerContext*, const v1::GetRecordHistoryRequest*,
                                v1::GetRecordHistoryResponse*) override {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        "Received message larger than max (9000206 vs. 8388608)");
  }
};

class ScriptedServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int port = 0;
    server_ = registry::testing::StartFakeRegistry({&records_}, &port);
    ASSERT_NE(server_, nullptr);
    address_ = absl::StrCat("127.0.0.1:", port);
  }
  void TearDown() override { server_->Shutdown(); }

  CliRun Run(const std::string& identity, const std::vector<std::string>& command,
             bool json = false) {
    return RunCliCaptured(CliArgsAs(address_, identity, command, json));
  }

  ScriptedRecords records_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

// A backup whose verification found one problem, of two listed: only the first is sent.
class ScriptedAdmin final : public v1::AdminService::Service {
 public:
  grpc::Status VerifyBackup(grpc::ServerContext*, const v1::VerifyBackupRequest*,
                            v1::VerifyBackupResponse* response) override {
    response->set_backup_id(4);
    response->set_ok(false);
    response->set_problem_count(problem_count);
    response->add_problems("audit log: event 7 missing");
    return grpc::Status::OK;
  }
  uint64_t problem_count = 1;
};

// `admin verify-backup` ended "backup FAILED verification: 1 problems", and "... and 1 more
// problems" for a problem not listed: one problem is said in the singular.
TEST(ScriptedAdminServerTest, OneProblemOfABackupIsSaidInTheSingular) {
  ScriptedAdmin admin;
  int port = 0;
  std::unique_ptr<grpc::Server> server = registry::testing::StartFakeRegistry({&admin}, &port);
  ASSERT_NE(server, nullptr);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  CliRun run = RunCliCaptured(CliArgsAs(address, "admin", {"admin", "verify-backup", "4"}));
  EXPECT_EQ(run.code, 1) << run.err;
  EXPECT_THAT(run.out, HasSubstr("backup FAILED verification: 1 problem\n")) << run.out;
  EXPECT_THAT(run.out, Not(HasSubstr("more problem")));
  admin.problem_count = 2;
  run = RunCliCaptured(CliArgsAs(address, "admin", {"admin", "verify-backup", "4"}));
  EXPECT_THAT(run.out, HasSubstr("... and 1 more problem\n")) << run.out;
  EXPECT_THAT(run.out, HasSubstr("backup FAILED verification: 2 problems\n")) << run.out;
  server->Shutdown();
}

// "100 matching records" read as all there are; the cut was said only after the hundred
// records. The heading says it, and --json gives more_records before the records.
TEST_F(ScriptedServerTest, ASearchCutAtTheLimitSaysSoBeforeTheList) {
  const CliRun text = Run("clerk", {"record", "search", "--personal-number", "1000000123"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, StartsWith("more than 100 matching records; the first 100 (narrow the "
                                   "search to see the others):\n"));
  EXPECT_THAT(text.out, Not(HasSubstr("\n100 matching records")));

  const CliRun json =
      Run("clerk", {"record", "search", "--personal-number", "1000000123"}, /*json=*/true);
  ASSERT_EQ(json.code, 0) << json.err;
  EXPECT_THAT(json.out, StartsWith("{\"more_records\":true,\"records\":["));
  EXPECT_EQ(json.out.find("more_records"), json.out.rfind("more_records"));
}

// The expired case said what to do; a revoked certificate said only "client certificate is
// revoked".
TEST_F(ScriptedServerTest, ARevokedCertificateSaysToAskForANewOneAndWhereItGoes) {
  const CliRun run = Run("clerk", {"record", "get", "0123456789abcdef0123456789abcdef"});
  EXPECT_EQ(run.code, 1);
  const std::string err = Flowed(run.err);
  EXPECT_THAT(err, StartsWith("error: UNAUTHENTICATED: your certificate ("));
  EXPECT_THAT(err, HasSubstr(") is revoked: the registry refuses it; ask the registry office for "
                             "a new certificate and put it in your identity folder "));
  EXPECT_THAT(err, HasSubstr(registry::testing::TestPki::Get().IdentityDir("clerk")));
}

// gRPC's "RESOURCE_EXHAUSTED: Received message larger than max (9000206 vs. 8388608)" named
// neither the call nor what to look for; said in words, with the sizes.
TEST_F(ScriptedServerTest, AMessageOverTheTransportsLimitIsSaidInWords) {
  const CliRun run = Run("clerk", {"record", "history", "0123456789abcdef0123456789abcdef"});
  EXPECT_EQ(run.code, 1);
  EXPECT_THAT(Flowed(run.err),
              StartsWith(absl::StrCat("error: RESOURCE_EXHAUSTED: a message of the call to ",
                                      address_, " was larger than gRPC takes (9000206 bytes, at "
                                      "most 8388608): ")));
  EXPECT_THAT(run.err, Not(HasSubstr("Received message")));
}

// A single call that runs out of time names the server, the time and --timeout; an import's
// batch said only "Deadline Exceeded".
TEST_F(ScriptedServerTest, AnImportBatchWithoutAnAnswerInTimeIsExplainedAsASingleCallIs) {
  const CliRun run = Run(
      "clerk", {"record", "import", REGISTRY_SOURCE_DIR "/deploy/examples/import.csv"});
  EXPECT_EQ(run.code, 1);
  const std::string err = Flowed(run.err);
  EXPECT_THAT(err, HasSubstr(absl::StrCat("error: DEADLINE_EXCEEDED: no answer from ", address_,
                                          " within ")));
  EXPECT_THAT(err, HasSubstr("(--timeout): the server may be overloaded"));
  EXPECT_THAT(err, HasSubstr("got no answer, so whether it was entered is not known"));
}

// A pasted id's surrounding spaces were sent with it, and an id of the wrong shape (a personal
// number) was sent, refused and audited: the spaces are dropped, and the shape is checked here,
// as `audit list --record-id` checks it, without repeating what was typed.
TEST_F(ScriptedServerTest, RecordGetTrimsAPastedIdAndRefusesOneOfTheWrongShapeBeforeSending) {
  // Sent (the scripted server answers every GetRecord so).
  const CliRun pasted = Run("clerk", {"record", "get", "  0123456789ABCDEF0123456789abcdef \t"});
  EXPECT_EQ(pasted.code, 1);
  EXPECT_THAT(pasted.err, HasSubstr("is revoked"));
  for (const std::string& id : {std::string("1000000123"), std::string("P 88/2025"),
                                std::string(31, 'a'), std::string(32, 'g')}) {
    const CliRun run = Run("clerk", {"record", "get", id});
    EXPECT_EQ(run.code, kExitUsage) << id;
    EXPECT_THAT(run.err, StartsWith("error: INVALID_ARGUMENT: ID must be a record id: 32 hex "
                                    "characters (0-9 and a-f, in either case)"))
        << id;
    EXPECT_THAT(run.err, Not(HasSubstr(id))) << id;
    EXPECT_THAT(run.err, Not(HasSubstr("revoked"))) << id;
  }
}

// A clerk, and the tables deploy/reference ships (without the offences behind a switch, as the
// registry leaves them out).
class ScriptedInfo final : public v1::InfoService::Service {
 public:
  grpc::Status WhoAmI(grpc::ServerContext*, const v1::WhoAmIRequest*,
                      v1::WhoAmIResponse* response) override {
    response->set_role(v1::ROLE_CLERK);
    return grpc::Status::OK;
  }
  grpc::Status GetReferenceData(grpc::ServerContext*, const v1::GetReferenceDataRequest*,
                                v1::GetReferenceDataResponse* response) override {
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = true;
    v1::OffenceTable offences;
    v1::CourtTable courts;
    if (!google::protobuf::util::JsonStringToMessage(
             Read(REGISTRY_SOURCE_DIR "/deploy/reference/offences.json"), &offences, options)
             .ok() ||
        !google::protobuf::util::JsonStringToMessage(
             Read(REGISTRY_SOURCE_DIR "/deploy/reference/courts.json"), &courts, options)
             .ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "tables");
    }
    for (const v1::OffenceEntry& offence : offences.offences()) {
      if (offence.requires_switch().empty()) *response->add_offences() = offence;
    }
    *response->mutable_courts() = courts.courts();
    return grpc::Status::OK;
  }

 private:
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
};

// The clerk's interactive create answered with `answers`, run in a folder of its own against a
// server offering `records` and `info`; `kept` counts the answer files it left there.
struct InteractiveRun {
  CliRun run;
  int kept = 0;
};
InteractiveRun RunInteractiveCreate(grpc::Service* records, grpc::Service* info,
                                    const std::string& folder, const std::string& answers) {
  int port = 0;
  std::unique_ptr<grpc::Server> server =
      registry::testing::StartFakeRegistry({records, info}, &port);
  InteractiveRun result;
  EXPECT_NE(server, nullptr);
  if (server == nullptr) return result;
  const std::filesystem::path before = std::filesystem::current_path();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat(folder, ".", getpid());
  std::filesystem::create_directories(dir);
  std::filesystem::current_path(dir);
  result.run = RunCliCaptured(
      CliArgsAs(absl::StrCat("127.0.0.1:", port), "clerk", {"record", "create", "--interactive"}),
      {}, registry::testing::CliInput{answers, true});
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    result.kept += absl::StartsWith(entry.path().filename().string(), "record-");
  }
  std::filesystem::current_path(before);
  std::filesystem::remove_all(dir);
  server->Shutdown();
  return result;
}

// The dry run before "Enter this record?" that could not be made was skipped without a word: the
// clerk answered yes to answers the registry had not checked.
TEST(ScriptedClerkServerTest, AnInteractiveRecordTheRegistryCouldNotCheckSaysSoBeforeTheQuestion) {
  ScriptedRecords records;  // answers ImportRecords (the dry run) with DEADLINE_EXCEEDED
  ScriptedInfo info;
  const std::string answers =
      "Krasniqi\nDriton\n\n\nm\n1975-02-03\n\n\n1000000123\n\n"
      "2\nP 88/2025\n2025-03-03\n2025-06-01\n3\n\nimprisonment\n18\nwork_with_children:none\n\n\n\n"
      "no\n";
  const CliRun run = RunInteractiveCreate(&records, &info, "scripted_clerk", answers).run;
  EXPECT_EQ(run.code, 1) << run.err;
  const std::string err = Flowed(run.err);
  const size_t unchecked =
      err.find("The registry did not check these answers (its check failed: DEADLINE_EXCEEDED): "
               "it checks them only when the record is sent.");
  ASSERT_NE(unchecked, std::string::npos) << run.err;
  const size_t question = err.find("Enter this record? (yes/no)");
  ASSERT_NE(question, std::string::npos) << run.err;
  EXPECT_LT(unchecked, question);
}

// Refuses the first check of a whole record with `refusal`, whose one problem names several
// fields, as a rule that compares fields names each that may be the wrong one; finds the next
// check valid, and enters the record. The checks of the answers at a question (the personal
// number's, the judgment date's: the answers so far, with no offence yet) are found valid.
class ScriptedRefusalNamingFields final : public v1::RecordService::Service {
 public:
  explicit ScriptedRefusalNamingFields(std::string refusal) : refusal_(std::move(refusal)) {}
  grpc::Status ImportRecords(grpc::ServerContext*, const v1::ImportRecordsRequest* request,
                             v1::ImportRecordsResponse* response) override {
    bool whole = false;
    for (const v1::ImportRow& row : request->rows()) {
      v1::ImportRowResult* result = response->add_results();
      result->set_line(row.line());
      const bool refused = checks_ == 0 && row.record().conviction().offences_size() > 0;
      whole = whole || row.record().conviction().offences_size() > 0;
      result->set_outcome(refused ? v1::ImportRowResult::OUTCOME_INVALID
                                  : v1::ImportRowResult::OUTCOME_VALID);
      if (refused) result->set_error(refusal_);
    }
    if (whole) ++checks_;
    return grpc::Status::OK;
  }
  grpc::Status CreateRecord(grpc::ServerContext*, const v1::CreateRecordRequest* request,
                            v1::CreateRecordResponse* response) override {
    entered_ = *request;
    response->set_record_id("0123456789abcdef0123456789abcdef");
    return grpc::Status::OK;
  }
  const v1::CreateRecordRequest& entered() const { return entered_; }

 private:
  const std::string refusal_;
  int checks_ = 0;
  v1::CreateRecordRequest entered_;
};

// A refusal whose problem named the judgment date and an offence together ("the law was not yet
// in force on the judgment date": either may be the wrong one) asked neither again: only the
// path a problem starts with was read, and "conviction.judgment_date and conviction.offences[0]"
// named no field. Every field a refusal names is asked again, whatever the rule.
TEST(ScriptedClerkServerTest, AnInteractiveRecordAsksAgainEveryFieldARefusalNames) {
  for (const std::string refusal :
       {"conviction.judgment_date and conviction.offences[0]: the law was not yet in force on "
        "the judgment date",
        "conviction.offences[0]: the law was not yet in force on conviction.judgment_date"}) {
    ScriptedRefusalNamingFields records(refusal);
    ScriptedInfo info;
    // The record, judged 2019-03-03 of offence 3; then the judgment date and the offence again
    // (2020-03-03, offence 2, no other), and yes.
    const std::string answers =
        "Krasniqi\nDriton\n\n\nm\n1975-02-03\n\n\n1000000123\n\n"
        "2\nP 88/2025\n2019-03-03\n2020-06-01\n3\n\nimprisonment\n18\nwork_with_children:none\n\n\n"
        "\n2020-03-03\n2\n\nyes\n";
    const CliRun run =
        RunInteractiveCreate(&records, &info, "scripted_naming_fields", answers).run;
    ASSERT_EQ(run.code, 0) << run.err;
    EXPECT_THAT(run.err, HasSubstr("Answer them again (Ctrl-D keeps your answers in a file):\n"
                                   "Date of the judgment (YYYY-MM-DD): \nOffences:\n"))
        << refusal;
    EXPECT_EQ(records.entered().conviction().judgment_date(), "2020-03-03") << refusal;
    ASSERT_EQ(records.entered().conviction().offences_size(), 1) << refusal;
    EXPECT_EQ(records.entered().conviction().offences(0).article(), 228u) << refusal;
  }
}

// Checks every record as valid, and answers its creation with `code`: as registryd stopping
// (CANCELLED) or stopped (SIGSTOP: DEADLINE_EXCEEDED) after the record was sent.
class ScriptedUnfinishedCreate final : public v1::RecordService::Service {
 public:
  explicit ScriptedUnfinishedCreate(grpc::StatusCode code) : code_(code) {}
  grpc::Status ImportRecords(grpc::ServerContext*, const v1::ImportRecordsRequest* request,
                             v1::ImportRecordsResponse* response) override {
    for (const v1::ImportRow& row : request->rows()) {
      v1::ImportRowResult* result = response->add_results();
      result->set_line(row.line());
      result->set_outcome(v1::ImportRowResult::OUTCOME_VALID);
    }
    return grpc::Status::OK;
  }
  grpc::Status CreateRecord(grpc::ServerContext*, const v1::CreateRecordRequest*,
                            v1::CreateRecordResponse*) override {
    return grpc::Status(code_, code_ == grpc::StatusCode::CANCELLED ? "CANCELLED"
                                                                    : "Deadline Exceeded");
  }

 private:
  const grpc::StatusCode code_;
};

// An interactive record sent when registryd stopped was "error: CANCELLED: CANCELLED", and with
// registryd stopped "error: DEADLINE_EXCEEDED: Deadline Exceeded": nothing said the record may
// have been entered, to be looked for before the kept answers are sent again.
TEST(ScriptedClerkServerTest, AnInteractiveRecordSentWithoutAnAnswerSaysItsOutcomeIsNotKnown) {
  for (const grpc::StatusCode code :
       {grpc::StatusCode::CANCELLED, grpc::StatusCode::DEADLINE_EXCEEDED}) {
    ScriptedUnfinishedCreate records(code);
    ScriptedInfo info;
    const std::string answers =
        "Krasniqi\nDriton\n\n\nm\n1975-02-03\n\n\n1000000123\n\n"
        "2\nP 88/2025\n2025-03-03\n2025-06-01\n3\n\nimprisonment\n18\nwork_with_children:none\n\n\n"
        "\nyes\n";
    const auto [run, kept] =
        RunInteractiveCreate(&records, &info, "scripted_unfinished", answers);
    EXPECT_EQ(run.code, 1) << run.err;
    EXPECT_EQ(kept, 1) << run.err;
    const size_t error = run.err.find("error: ");
    ASSERT_NE(error, std::string::npos) << run.err;
    const std::string said = Flowed(run.err.substr(error));
    EXPECT_THAT(said, HasSubstr("whether it was entered is not known. Check before entering it "
                                "again: registry-cli record search --personal-number NUMBER"))
        << said;
    EXPECT_THAT(said, HasSubstr(code == grpc::StatusCode::CANCELLED
                                    ? "the registry stopped the call before answering it"
                                    : "no answer came within"))
        << said;
    // gRPC's word for it is the code already printed.
    EXPECT_THAT(said, Not(HasSubstr("(CANCELLED")));
    EXPECT_THAT(said, HasSubstr("your answers are kept in record-")) << said;
    EXPECT_THAT(said, HasSubstr("if the record is not there, enter it with registry-cli record "
                                "create --file record-"))
        << said;
    EXPECT_THAT(said, Not(HasSubstr("CANCELLED: CANCELLED")));
    EXPECT_THAT(said, Not(HasSubstr("DEADLINE_EXCEEDED: Deadline Exceeded")));
    // No personal value typed by the clerk in the error.
    for (const char* typed : {"Krasniqi", "1000000123", "1975-02-03"}) {
      EXPECT_THAT(said, Not(HasSubstr(typed))) << typed;
    }
  }
}

// At 40 columns `record create --interactive` printed its introduction, its long questions
// ("Other surname used (maiden, earlier married) #1 [Enter: no more]:") and the court and
// offence tables whole, the terminal splitting their words. They are laid out for it, the tables
// as aligned lists whose long names wrap under themselves.
TEST(ScriptedClerkServerTest, AnInteractiveCreateIsLaidOutForANarrowTerminal) {
  ScriptedRecords records;
  ScriptedInfo info;
  // Up to the offence question; the input ends there.
  const std::string answers =
      "Krasniqi\nDriton\n\n\nm\n1975-02-03\n\n\n1000000123\n\n"
      "2\nP 88/2025\n2025-03-03\n2025-06-01\n";
  SetTextColumns(40);
  const CliRun run = RunInteractiveCreate(&records, &info, "scripted_narrow", answers).run;
  SetTextColumns(kStandardColumns);
  // What was asked and listed, up to the question the input ended at.
  const std::string asked = run.err.substr(0, run.err.find("\nOffence"));
  ASSERT_THAT(asked, HasSubstr("Courts:")) << run.err;
  // The answers are not echoed here: each question is followed by the next on its line.
  for (absl::string_view line : absl::StrSplit(absl::StrReplaceAll(asked, {{": ", ":\n"}}), '\n')) {
    const size_t columns = std::count_if(line.begin(), line.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    });
    EXPECT_LE(columns, 40u) << line << "\n" << run.err;
  }
  EXPECT_THAT(Flowed(asked), HasSubstr("Other surname used (maiden, earlier married) #1 "
                                       "[Enter: no more]:"));
  EXPECT_THAT(Flowed(asked), HasSubstr("Enter the record field by field (Enter skips an optional "
                                       "field; Ctrl-D stops"));
  // Each court is a numbered line with its id; its name follows, indented, never at column 0.
  const size_t courts = asked.find("Courts:\n");
  const std::string list = asked.substr(courts + 8, asked.find("\nCourt", courts + 8) - courts - 8);
  for (const std::string& line : std::vector<std::string>(absl::StrSplit(list, '\n'))) {
    if (!line.empty()) {
      EXPECT_THAT(line, StartsWith("  ")) << list;
    }
  }
  EXPECT_THAT(list, ::testing::ContainsRegex("^   1  [a-z-]+\n        [A-Z]"));
}

// A registry with `backups` backups (ids 1..), which refuses to verify any other as registryd
// does (server/backup_check.cc).
class ScriptedBackups final : public v1::AdminService::Service {
 public:
  grpc::Status ListBackups(grpc::ServerContext*, const v1::ListBackupsRequest*,
                           v1::ListBackupsResponse* response) override {
    for (uint32_t id = 1; id <= backups; ++id) {
      v1::BackupInfo* info = response->add_backups();
      info->set_backup_id(id);
      info->set_created_at("2026-01-02T03:04:05Z");
      info->set_size_bytes(1000 * id);
    }
    return grpc::Status::OK;
  }
  grpc::Status VerifyBackup(grpc::ServerContext*, const v1::VerifyBackupRequest* request,
                            v1::VerifyBackupResponse*) override {
    if (request->backup_id() == 0) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "there is no backup");
    }
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("no backup ", request->backup_id()));
  }
  uint32_t backups = 0;
};

// `--json admin backups` printed nothing when there were no backups and one bare object per
// backup otherwise: the answer is one object, its list empty when there are none.
TEST(ScriptedAdminServerTest, JsonBackupsIsOneObjectWithItsListEvenWhenEmpty) {
  ScriptedBackups admin;
  int port = 0;
  std::unique_ptr<grpc::Server> server = registry::testing::StartFakeRegistry({&admin}, &port);
  ASSERT_NE(server, nullptr);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  CliRun run = RunCliCaptured(CliArgsAs(address, "admin", {"admin", "backups"}, /*json=*/true));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.out, "{\"backups\":[]}\n");
  admin.backups = 2;
  run = RunCliCaptured(CliArgsAs(address, "admin", {"admin", "backups"}, /*json=*/true));
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 1) << run.out;
  EXPECT_THAT(run.out, StartsWith("{\"backups\":[{")) << run.out;
  EXPECT_THAT(run.out, HasSubstr("\"backup_id\":2")) << run.out;
  server->Shutdown();
}

// `admin verify-backup` of no backup said only "there is no backup" or "no backup 99": each says
// what to do next, the command that makes a backup or the one that lists them.
TEST(ScriptedAdminServerTest, VerifyingABackupThatIsNotThereSaysWhatToDoNext) {
  ScriptedBackups admin;
  int port = 0;
  std::unique_ptr<grpc::Server> server = registry::testing::StartFakeRegistry({&admin}, &port);
  ASSERT_NE(server, nullptr);
  const std::string address = absl::StrCat("127.0.0.1:", port);
  CliRun run = RunCliCaptured(CliArgsAs(address, "admin", {"admin", "verify-backup"}));
  EXPECT_NE(run.code, 0);
  EXPECT_THAT(Flowed(run.err), HasSubstr("there is no backup; 'admin backup' makes one"))
      << run.err;
  run = RunCliCaptured(CliArgsAs(address, "admin", {"admin", "verify-backup", "99"}));
  EXPECT_NE(run.code, 0);
  EXPECT_THAT(Flowed(run.err), HasSubstr("no backup 99; 'admin backups' lists the backups there "
                                         "are"))
      << run.err;
  server->Shutdown();
}

}  // namespace
}  // namespace registry::client
